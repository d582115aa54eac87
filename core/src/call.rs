//! Calls as state machines: each says what to do next (send, wait, finish) and is told how
//! the last step went. No I/O and no clock happen here, so every retry and look-up rule is
//! tested natively with scripted answers, and the wasm edge only runs the steps.

use crate::error::Error;
use crate::http::{Outcome, Request};
use crate::json::Json;
use crate::validate::CallOptions;

/// Settings every call shares, made once per call from its checked options by
/// [`Policy::new`]; every machine reads its time limit and retries here, never in the options.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Sent as `client-request-id` on every request of the call.
    pub client_request_id: String,
    /// The time limit of one attempt.
    pub timeout_ms: u32,
    /// Resends after the first attempt.
    pub max_retries: u32,
    /// The token comes from a function that can be asked again after a 401.
    pub refreshable: bool,
    /// Seeds the backoff's jitter.
    pub seed: u64,
}

impl Policy {
    /// The policy of a call with `options`: its `clientRequestId`, or a UUID v4 made of
    /// `random`, which also seeds the jitter.
    pub fn new(options: &CallOptions, refreshable: bool, random: [u8; 16]) -> Self {
        let b = random;
        Self {
            client_request_id: options
                .client_request_id
                .clone()
                .unwrap_or_else(|| crate::uuid::v4(b)),
            timeout_ms: options.timeout_ms,
            max_retries: options.max_retries,
            refreshable,
            seed: u64::from_le_bytes([b[0], b[3], b[5], b[7], b[9], b[11], b[13], b[15]]),
        }
    }
}

/// The next step of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this request (asking the token source for a token first) and report the outcome.
    Send(Request),
    /// Wait this many milliseconds, then report that the wait is over.
    Wait(u32),
    /// The call is over.
    Done(Result<Json, Error>),
    /// The call is over and succeeded, and its result is the body of the last answer, as it
    /// came (checked, not copied): the edge hands back the value it parsed.
    Answered,
}

/// A call that can be driven by any transport and timer.
pub trait Operation {
    /// The first step.
    fn start(&mut self) -> Action;
    /// The outcome of the last `Send`; `now_ms` is the wall clock (for HTTP-date waits).
    fn on_outcome(&mut self, outcome: Outcome, now_ms: f64) -> Action;
    /// The last `Wait` is over.
    fn on_wait_over(&mut self) -> Action;
}

/// The error for an attempt that got no answer, or whose answer was a failure.
pub(crate) fn failure_error(
    outcome: &Outcome,
    timeout_ms: u32,
    client_request_id: &str,
    now_ms: f64,
) -> Error {
    match outcome {
        Outcome::Response(r) => Error::from(crate::graph::error_from(r, now_ms)),
        Outcome::Network(message) => Error::Network {
            message: message.clone(),
            client_request_id: client_request_id.to_owned(),
        },
        Outcome::Timeout => Error::Timeout {
            ms: timeout_ms,
            client_request_id: client_request_id.to_owned(),
        },
    }
}
