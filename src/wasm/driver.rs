//! Runs a core call machine: asks the token source before each send, sends, waits, and
//! turns the end into a JS value or a JS error with the token scrubbed from it.

use super::convert::{error_to_js, to_js};
use super::global::now_ms;
use super::token::{TokenFailure, TokenSource};
use super::transport::{send, sleep, Aborted};
use crate::call::{Action, Operation};
use crate::error::Error;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

/// Drives `op` to its end.
pub async fn drive(
    op: &mut dyn Operation,
    tokens: &TokenSource,
    signal: Option<&AbortSignal>,
) -> Result<JsValue, JsValue> {
    let mut last_token = String::new();
    let aborted = |op: &dyn Operation| Error::Aborted {
        client_request_id: op.client_request_id().to_owned(),
    };
    let mut action = op.start();
    let result = loop {
        action = match action {
            Action::Send(req) => {
                if signal.is_some_and(AbortSignal::aborted) {
                    break Err(aborted(op));
                }
                let token = match tokens.get().await {
                    Ok(t) => t,
                    Err(TokenFailure::Invalid(e)) => break Err(e),
                    Err(TokenFailure::Thrown(thrown)) => return Err(thrown),
                };
                let outcome = send(
                    &req,
                    &token,
                    op.client_request_id(),
                    op.timeout_ms(),
                    signal,
                )
                .await;
                last_token = token;
                match outcome {
                    Ok(outcome) => op.on_outcome(outcome, now_ms()),
                    Err(Aborted) => break Err(aborted(op)),
                }
            }
            Action::Wait(ms) => match sleep(ms, signal).await {
                Ok(()) => op.on_wait_over(),
                Err(Aborted) => break Err(aborted(op)),
            },
            Action::Done(result) => break result,
        }
    };
    result
        .map(|json| to_js(&json))
        .map_err(|e| error_to_js(&e.redact(&last_token)))
}
