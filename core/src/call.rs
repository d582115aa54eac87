//! Calls as state machines: each says what to do next (send, wait, finish) and is told how
//! the last step went. No I/O and no clock happen here, so every retry and look-up rule is
//! tested natively with scripted answers, and the wasm edge only runs the steps.

use crate::error::Error;
use crate::http::{Outcome, Request};
use crate::json::Json;

/// The next step of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this request (asking the token source for a token first) and report the outcome.
    Send(Request),
    /// Wait this many milliseconds, then report that the wait is over.
    Wait(u32),
    /// The call is over.
    Done(Result<Json, Error>),
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
