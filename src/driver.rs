//! Runs core call machines: asks the token source before each send, sends, waits, and turns
//! the end into a JS value or a JS error with the token scrubbed from it. Every async export
//! hands its work to [`promise`], one non-generic driver, so the promise glue exists once.

use crate::answers;
use crate::caller_journal::Redacted;
use crate::convert::{error_to_js, to_js};
use crate::global::now_ms;
use crate::prepare::{prepare, Edge};
use crate::token::{TokenFailure, TokenSource};
use crate::transport::{send, sleep, Aborted, Sent};
use intune_core::error::Error;
use intune_core::http::{Outcome, Request};
use intune_core::json::Json;
use intune_core::Policy;
use intune_core::{Action, Operation};
use js_sys::{Function, Promise};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

/// The work of one async export.
pub type Call = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The promise of an export: one instance of `future_to_promise` for all of them.
#[inline(never)]
pub fn promise(call: Call) -> Promise {
    future_to_promise(call)
}

/// What a single-call export resolves to: the call's result, or `undefined` (delete).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    Result,
    Undefined,
}

/// Starts a single call: reads `request` with `check`, makes its machine and policy with
/// `build`, and runs it in [`run`], the one driver all of them share. Bad input rejects the
/// promise; nothing is sent.
pub fn start<T>(
    request: &JsValue,
    check: impl FnOnce(&Json) -> Result<T, Error>,
    build: impl FnOnce(T, &Edge) -> (Box<dyn Operation>, Policy),
    resolve: Resolve,
) -> Promise {
    match prepare(request, check) {
        Ok((checked, edge)) => {
            let (op, policy) = build(checked, &edge);
            launch(edge, op, policy, resolve)
        }
        Err(e) => Promise::reject(&e),
    }
}

/// The promise of one single call, made once for every export.
#[inline(never)]
fn launch(edge: Edge, op: Box<dyn Operation>, policy: Policy, resolve: Resolve) -> Promise {
    promise(Box::pin(run(edge, op, policy, resolve)))
}

async fn run(
    edge: Edge,
    mut op: Box<dyn Operation>,
    policy: Policy,
    resolve: Resolve,
) -> Result<JsValue, JsValue> {
    let result = Session::new(&edge, &policy).drive(&mut *op).await?;
    Ok(match resolve {
        Resolve::Result => result,
        Resolve::Undefined => JsValue::UNDEFINED,
    })
}

/// Why a call ended without a result: one of ours, or what the caller's token function threw
/// (handed back untouched).
pub enum Failure {
    Error(Error),
    Thrown(JsValue),
}

/// The token source and signal of one call, and the last token used (to scrub from errors).
pub struct Session<'a> {
    pub tokens: &'a TokenSource,
    pub signal: Option<&'a AbortSignal>,
    pub client_request_id: String,
    pub timeout_ms: u32,
    /// `onResponse`, told about every answer.
    on_response: Option<&'a Function>,
    last_token: std::cell::RefCell<String>,
    /// Every token this call used (a bulk run's journal records are scrubbed of each).
    tokens_used: std::cell::RefCell<Vec<String>>,
}

/// How a call ended well: a value its machine made, or the last answer's body as
/// `JSON.parse` made it (the machine said [`Action::Answered`]).
pub enum Success {
    Value(Json),
    Parsed(JsValue),
}

impl<'a> Session<'a> {
    /// A session for one call: the caller's token source and signal, the call's policy.
    pub fn new(edge: &'a Edge, policy: &Policy) -> Self {
        Self {
            tokens: &edge.tokens,
            signal: edge.signal.as_ref(),
            client_request_id: policy.client_request_id.clone(),
            timeout_ms: policy.timeout_ms,
            on_response: edge.on_response.as_ref(),
            last_token: Default::default(),
            tokens_used: Default::default(),
        }
    }

    pub fn aborted(&self) -> bool {
        self.signal.is_some_and(AbortSignal::aborted)
    }

    pub fn abort_error(&self) -> Error {
        Error::Aborted {
            client_request_id: self.client_request_id.clone(),
        }
    }

    /// Asks for a token and sends `req` once.
    pub async fn send(&self, req: &Request) -> Result<Outcome, Failure> {
        self.send_parsed(req).await.map(|sent| sent.outcome)
    }

    /// [`Session::send`], also handing back the body as `JSON.parse` made it.
    async fn send_parsed(&self, req: &Request) -> Result<Sent, Failure> {
        if self.aborted() {
            return Err(Failure::Error(self.abort_error()));
        }
        let token = match self.tokens.get().await {
            Ok(t) => t,
            Err(TokenFailure::Invalid(e)) => return Err(Failure::Error(e)),
            Err(TokenFailure::Thrown(thrown)) => return Err(Failure::Thrown(thrown)),
        };
        let body = req.body.as_ref().map(body_text);
        let sent = send(
            req,
            body.as_ref(),
            &token,
            &self.client_request_id,
            self.timeout_ms,
            self.signal,
        )
        .await;
        {
            let mut used = self.tokens_used.borrow_mut();
            if !used.contains(&token) {
                used.push(token.clone());
            }
        }
        if let (
            Some(f),
            Ok(Sent {
                outcome: Outcome::Response(r),
                ..
            }),
        ) = (self.on_response, &sent)
        {
            answers::report(f, req, r, &token);
        }
        *self.last_token.borrow_mut() = token;
        sent.map_err(|Aborted| Failure::Error(self.abort_error()))
    }

    /// Waits `ms`, cut short by the signal.
    pub async fn wait(&self, ms: u32) -> Result<(), Failure> {
        sleep(ms, self.signal)
            .await
            .map_err(|Aborted| Failure::Error(self.abort_error()))
    }

    /// Journal records scrubbed of every token this call used, ready for the journal.
    pub fn redacted(&self, records: Vec<Json>) -> Redacted {
        Redacted::new(records, &self.tokens_used.borrow())
    }

    /// The JS error for `failure`, with the token scrubbed from it.
    pub fn to_js_error(&self, failure: Failure) -> JsValue {
        match failure {
            Failure::Error(e) => error_to_js(&e.redact(&self.last_token.borrow())),
            Failure::Thrown(thrown) => thrown,
        }
    }

    /// Runs `op` to its end.
    pub async fn run(&self, op: &mut dyn Operation) -> Result<Success, Failure> {
        let mut action = op.start();
        let mut parsed = None;
        loop {
            action = match action {
                Action::Send(req) => {
                    let sent = self.send_parsed(&req).await?;
                    parsed = sent.parsed;
                    op.on_outcome(sent.outcome, now_ms())
                }
                Action::Wait(ms) => {
                    self.wait(ms).await?;
                    op.on_wait_over()
                }
                Action::Done(result) => return result.map(Success::Value).map_err(Failure::Error),
                // A JSON body that the machine checked was parsed: `parsed` is there.
                Action::Answered => {
                    return Ok(Success::Parsed(parsed.unwrap_or(JsValue::NULL)));
                }
            }
        }
    }

    /// Runs `op` and converts its end for JS: a result that is the last answer's body is the
    /// value `JSON.parse` made, never rebuilt.
    pub async fn drive(&self, op: &mut dyn Operation) -> Result<JsValue, JsValue> {
        match self.run(op).await {
            Ok(Success::Parsed(parsed)) => Ok(parsed),
            Ok(Success::Value(json)) => Ok(to_js(&json)),
            Err(failure) => Err(self.to_js_error(failure)),
        }
    }
}

/// `json` as JSON text: serialized through `serde-wasm-bindgen`, then `JSON.stringify` (once
/// per attempt: a resend is rare, and keeping the text would mean keeping and comparing the
/// body too).
fn body_text(json: &Json) -> JsValue {
    js_sys::JSON::stringify(&to_js(json))
        .map(JsValue::from)
        .unwrap_or(JsValue::NULL)
}
