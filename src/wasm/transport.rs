//! One attempt over `fetch`, with a time limit and the caller's `AbortSignal`, and waits that
//! the signal cuts short. No Rust closure crosses into JS: the timer and the abort listener
//! are `AbortController.abort` and a promise's `resolve`, bound and removed again afterwards,
//! so nothing leaks however many calls run.

use super::convert::thrown_text;
use super::global::{clear_timeout, fetch, set_timeout};
use crate::http::{Body, Outcome, Request, Response};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ReferrerPolicy, RequestCredentials, RequestInit, RequestRedirect,
};

/// The caller's signal fired.
pub struct Aborted;

/// An attempt's outcome, and the body as `JSON.parse` gave it when it was JSON (so a result
/// that is exactly that body can be handed to the caller without being rebuilt).
pub struct Sent {
    pub outcome: Outcome,
    pub parsed: Option<JsValue>,
}

impl Sent {
    fn failed(outcome: Outcome) -> Self {
        Sent {
            outcome,
            parsed: None,
        }
    }
}

/// The headers kept from an answer.
const KEPT_HEADERS: [&str; 5] = [
    "request-id",
    "client-request-id",
    "date",
    "retry-after",
    "content-type",
];

/// Registers `f` as a one-time `abort` listener on `signal`; the guard removes it again.
struct Listener<'a> {
    signal: Option<&'a AbortSignal>,
    f: Function,
}

impl<'a> Listener<'a> {
    fn new(signal: Option<&'a AbortSignal>, f: Function) -> Self {
        if let Some(s) = signal {
            let _ = s.add_event_listener_with_callback("abort", &f);
        }
        Self { signal, f }
    }
}

impl Drop for Listener<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.signal {
            let _ = s.remove_event_listener_with_callback("abort", &self.f);
        }
    }
}

/// A running `setTimeout`, cleared when dropped.
struct Timer(JsValue);

impl Timer {
    fn new(f: &Function, ms: u32) -> Self {
        Timer(set_timeout(f, ms))
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

fn is_aborted(signal: Option<&AbortSignal>) -> bool {
    signal.is_some_and(AbortSignal::aborted)
}

/// Sends `req` once and reads the whole answer within `timeout_ms`.
pub async fn send(
    req: &Request,
    token: &str,
    client_request_id: &str,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<Sent, Aborted> {
    if is_aborted(signal) {
        return Err(Aborted);
    }
    let controller = match AbortController::new() {
        Ok(c) => c,
        Err(e) => return Ok(Sent::failed(Outcome::Network(thrown_text(&e)))),
    };
    let abort = Reflect::get(&controller, &"abort".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .map(|f| f.bind0(&controller));
    let Some(abort) = abort else {
        return Ok(Sent::failed(Outcome::Network(
            "AbortController has no abort method".into(),
        )));
    };
    let _timer = Timer::new(&abort, timeout_ms);
    let _listener = Listener::new(signal, abort.clone());

    let outcome = exchange(req, token, client_request_id, &controller.signal()).await;
    if is_aborted(signal) {
        return Err(Aborted);
    }
    let (outcome, parsed) = match outcome {
        Ok((response, parsed)) => (Outcome::Response(response), parsed),
        Err(_) if controller.signal().aborted() => (Outcome::Timeout, None),
        Err(thrown) => (Outcome::Network(thrown_text(&thrown)), None),
    };
    Ok(Sent { outcome, parsed })
}

/// The fetch and the body read, both under `signal`.
async fn exchange(
    req: &Request,
    token: &str,
    client_request_id: &str,
    signal: &AbortSignal,
) -> Result<(Response, Option<JsValue>), JsValue> {
    let headers = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&headers, &k.into(), &v.into());
    set("Authorization", &format!("Bearer {token}"))?;
    set("Accept", "application/json")?;
    set("client-request-id", client_request_id)?;

    let init = RequestInit::new();
    init.set_method(req.method.as_str());
    if let Some(body) = &req.body {
        set("Content-Type", "application/json")?;
        let text = js_sys::JSON::stringify(&super::convert::to_js(body))?;
        init.set_body(&text);
    }
    init.set_headers(&headers);
    init.set_signal(Some(signal));
    init.set_credentials(RequestCredentials::Omit);
    init.set_redirect(RequestRedirect::Error);
    init.set_referrer_policy(ReferrerPolicy::NoReferrer);

    let response: web_sys::Response = JsFuture::from(fetch(&req.url, &init)?).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let headers = response.headers();
    let kept = KEPT_HEADERS
        .iter()
        .filter_map(|name| match headers.get(name) {
            Ok(Some(v)) => Some((name.to_string(), v)),
            _ => None,
        })
        .collect();
    let (body, parsed) = parse_body(&text);
    let response = Response {
        status: response.status(),
        headers: kept,
        body,
    };
    Ok((response, parsed))
}

fn parse_body(text: &str) -> (Body, Option<JsValue>) {
    if text.is_empty() {
        return (Body::Empty, None);
    }
    match js_sys::JSON::parse(text) {
        Ok(v) => match super::convert::from_js(&v, "body") {
            Ok(json) => (Body::Json(json), Some(v)),
            Err(_) => (Body::NotJson, None),
        },
        Err(_) => (Body::NotJson, None),
    }
}

/// Waits `ms`, or less if `signal` fires.
pub async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<(), Aborted> {
    if is_aborted(signal) {
        return Err(Aborted);
    }
    let mut resolve = None;
    let promise = Promise::new(&mut |res, _rej| resolve = Some(res));
    if let Some(resolve) = resolve {
        let _timer = Timer::new(&resolve, ms);
        let _listener = Listener::new(signal, resolve.clone());
        let _ = JsFuture::from(promise).await;
    }
    if is_aborted(signal) {
        Err(Aborted)
    } else {
        Ok(())
    }
}
