//! One attempt over `fetch`, with a time limit and the caller's `AbortSignal`, and waits that
//! the signal cuts short.
//!
//! Every request is a [`gloo_net::http::Request`] built from a `web_sys::Request` made here
//! (headers as a plain object, a string body, our own signal, `credentials: omit`,
//! `redirect: error`, no referrer): gloo-net's builder would parse the URL three more times
//! per request. It is sent through one `fetch` binding that catches everything, and the
//! answer is read as a
//! [`gloo_net::http::Response`]. gloo-net's own `send()` and `text()` trap (`unreachable!`,
//! `panic!`, `unwrap`) when `fetch` rejects with something that is not an `Error`, resolves
//! to something that is not a `Response`, or a body cannot be read; under `panic = "abort"`
//! that would kill the module, so those two steps are the edge's, and every such value ends
//! as a `NetworkError`.
//!
//! No Rust closure crosses into JS: the timer and the abort listener are
//! `AbortController.abort` and a promise's `resolve`, bound and removed again afterwards, so
//! nothing leaks however many calls run. The caller's signal never reaches `fetch`: it aborts
//! our own controller, with no reason, so whatever the caller aborted with (a string, an
//! object) fetch rejects with its own `AbortError`.

use crate::convert::{from_js, thrown_text, to_js};
use crate::global::{clear_timeout, name, set_timeout};
use gloo_net::http::{Request as HttpRequest, Response as HttpResponse};
use intune_core::http::{Body, Outcome, Request, Response};
use js_sys::{Function, JsString, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ReferrerPolicy, RequestCredentials, RequestInit, RequestRedirect,
};

#[wasm_bindgen]
extern "C" {
    /// `fetch(request)`, with a synchronous throw caught too.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_request(request: &web_sys::Request) -> Result<Promise, JsValue>;

    /// An answer's `Headers`, read with names that are JS strings already.
    type AnswerHeaders;
    #[wasm_bindgen(method, js_name = get)]
    fn get(this: &AnswerHeaders, name: &JsValue) -> Option<String>;

    /// `JSON.parse(text)` on the JS string itself, never copied into wasm memory and back.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub(super) fn json_parse(text: &JsString) -> Result<JsValue, JsValue>;
}

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

/// Registers `f` as an `abort` listener on `signal`; the guard removes it again.
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

/// `controller.abort` bound to `controller` with its reason fixed to `undefined`, so that an
/// event listener (which passes the event) or a timer aborts with the platform's own
/// `AbortError`.
fn abort_fn(controller: &AbortController) -> Option<Function> {
    Reflect::get(controller, &name("abort"))
        .ok()?
        .dyn_into::<Function>()
        .ok()
        .map(|f| JsValue::from(f.bind1(controller, &JsValue::UNDEFINED)).unchecked_into())
}

/// Sends `req` once and reads the whole answer within `timeout_ms`. `body` is the request's
/// body as JSON text, built once per call by the caller.
pub async fn send(
    req: &Request,
    body: Option<&JsValue>,
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
    let Some(abort) = abort_fn(&controller) else {
        return Ok(Sent::failed(Outcome::Network(
            "AbortController has no abort method".into(),
        )));
    };
    let _timer = Timer::new(&abort, timeout_ms);
    let _listener = Listener::new(signal, abort.clone());

    let outcome = exchange(req, body, token, client_request_id, &controller.signal()).await;
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

const JSON_TYPE: &str = "application/json";

/// The request's headers, as a plain object: `new Request` reads one faster than it copies a
/// `Headers` instance (BENCHMARKS.md, "Client CPU").
#[derive(Serialize)]
struct RequestHeaders<'a> {
    #[serde(rename = "Authorization")]
    authorization: &'a str,
    #[serde(rename = "Accept", with = "serde_wasm_bindgen::preserve")]
    accept: JsValue,
    #[serde(rename = "client-request-id")]
    client_request_id: &'a str,
    #[serde(
        rename = "Content-Type",
        with = "serde_wasm_bindgen::preserve",
        skip_serializing_if = "JsValue::is_undefined"
    )]
    content_type: JsValue,
}

/// The request as gloo-net's type: a `web_sys::Request` built in one go.
fn request(
    req: &Request,
    body: Option<&JsValue>,
    token: &str,
    client_request_id: &str,
    signal: &AbortSignal,
) -> Result<HttpRequest, JsValue> {
    let authorization = format!("Bearer {token}");
    let headers = RequestHeaders {
        authorization: &authorization,
        accept: name(JSON_TYPE),
        client_request_id,
        content_type: body.map_or(JsValue::UNDEFINED, |_| name(JSON_TYPE)),
    };
    let init = RequestInit::new();
    let _ = Reflect::set(&init, &name("method"), &name(req.method.as_str()));
    if let Some(body) = body {
        init.set_body(body);
    }
    init.set_headers(&to_js(&headers));
    init.set_signal(Some(signal));
    init.set_credentials(RequestCredentials::Omit);
    init.set_redirect(RequestRedirect::Error);
    init.set_referrer_policy(ReferrerPolicy::NoReferrer);
    web_sys::Request::new_with_str_and_init(&req.url, &init).map(HttpRequest::from)
}

/// The fetch and the body read, both under `signal`. Whatever `fetch` or the body does,
/// this returns: a thrown or rejected value of any type is an `Err`, an answer that is not a
/// `Response` is a `NetworkError`'s text.
async fn exchange(
    req: &Request,
    body: Option<&JsValue>,
    token: &str,
    client_request_id: &str,
    signal: &AbortSignal,
) -> Result<(Response, Option<JsValue>), JsValue> {
    let request: web_sys::Request = request(req, body, token, client_request_id, signal)?.into();
    let answer = JsFuture::from(fetch_request(&request)?).await?;
    let raw = answer
        .dyn_into::<web_sys::Response>()
        .map_err(|_| JsValue::from_str("fetch resolved to something that is not a Response"))?;
    let text = JsFuture::from(raw.text()?).await?;
    let response = HttpResponse::from(raw);
    let raw_headers = response.headers().into_raw();
    let headers: &AnswerHeaders = raw_headers.unchecked_ref();
    let kept = KEPT_HEADERS
        .iter()
        .filter_map(|&n| headers.get(&name(n)).map(|v| (n.to_string(), v)))
        .collect();
    let (body, parsed) = parse_body(&text);
    let response = Response {
        status: response.status(),
        headers: kept,
        body,
    };
    Ok((response, parsed))
}

/// The body text as the core reads it: empty, JSON, or not JSON.
fn parse_body(text: &JsValue) -> (Body, Option<JsValue>) {
    let Some(text) = text.dyn_ref::<JsString>().filter(|t| t.length() > 0) else {
        return (Body::Empty, None);
    };
    match json_parse(text) {
        Ok(v) => match from_js(&v, "body") {
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
