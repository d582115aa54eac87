//! Shared helpers for the browser tests: building requests as JS would, reading a rejected
//! call's error the way JS sees it, and scripting `graph-mock` through its control API.
#![allow(dead_code)]

pub mod api;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// The stand-in's root, fixed when the tests are built (`make test` starts it first).
pub const MOCK: &str = match option_env!("GRAPH_MOCK_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:4010",
};

pub const TOKEN: &str = "test-token-4f1c9e7a2b";

#[wasm_bindgen(inline_js = r#"
export async function mockCall(base, path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(base + path, init);
  const t = await r.text();
  return t ? JSON.parse(t) : null;
}
export function parse(text) { return JSON.parse(text); }
export function ownProps(e) {
  const out = {};
  for (const k of Object.getOwnPropertyNames(e)) if (k !== "stack") out[k] = e[k];
  return JSON.stringify(out) + String(e) + String(e.message);
}
export function isPlainObject(v) { return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype; }
export function delay(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function tokenFn(tokens) { let i = 0; const f = () => tokens[Math.min(i++, tokens.length - 1)]; f.calls = () => i; return f; }
export function asyncTokenFn(token) { return async () => token; }
export function throwingTokenFn() { return () => { const e = new Error("no account"); e.name = "InteractionRequiredAuthError"; throw e; }; }
export function calls(f) { return f.calls(); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = mockCall)]
    async fn mock_call(base: &str, path: &str, body: JsValue) -> JsValue;
    pub fn parse(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = ownProps)]
    pub fn own_props(e: &JsValue) -> String;
    #[wasm_bindgen(js_name = isPlainObject)]
    pub fn is_plain_object(v: &JsValue) -> bool;
    async fn delay(ms: u32);
    #[wasm_bindgen(js_name = tokenFn)]
    pub fn token_fn(tokens: Vec<String>) -> js_sys::Function;
    #[wasm_bindgen(js_name = asyncTokenFn)]
    pub fn async_token_fn(token: &str) -> js_sys::Function;
    #[wasm_bindgen(js_name = throwingTokenFn)]
    pub fn throwing_token_fn() -> js_sys::Function;
    pub fn calls(f: &js_sys::Function) -> u32;
}

pub async fn sleep(ms: u32) {
    delay(ms).await
}

/// GET a control route.
pub async fn mock_get(path: &str) -> JsValue {
    mock_call(MOCK, path, JsValue::UNDEFINED).await
}

/// POST JSON text to a control route.
pub async fn mock_post(path: &str, json: &str) -> JsValue {
    mock_call(MOCK, path, parse(json)).await
}

/// Queues fault rules (JSON text: a rule or an array of rules).
pub async fn fault(rules: &str) {
    mock_post("/_mock/faults", rules).await;
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

pub fn get_f64(v: &JsValue, key: &str) -> Option<f64> {
    get(v, key).as_f64()
}

/// Counters for one script.
pub async fn stats(script: &str) -> JsValue {
    mock_get(&format!(
        "/_mock/stats?scriptId={}",
        js_sys::encode_uri_component(script)
    ))
    .await
}

pub async fn objects(script: &str) -> js_sys::Array {
    mock_get(&format!(
        "/_mock/objects?scriptId={}",
        js_sys::encode_uri_component(script)
    ))
    .await
    .into()
}

pub async fn requests(script: &str) -> js_sys::Array {
    mock_get(&format!(
        "/_mock/requests?scriptId={}",
        js_sys::encode_uri_component(script)
    ))
    .await
    .into()
}

/// A request object as a JS caller writes it: `fields` is JSON text merged over a valid
/// request for `script` against the stand-in.
pub fn request(script: &str, fields: &str) -> JsValue {
    let base = format!(
        r#"{{"token":"{TOKEN}","scriptId":"{script}","baseUrl":"{MOCK}","userState":{{"successDeviceCount":2,"errorDeviceCount":0,"userPrincipalName":"ada@contoso.com"}}}}"#
    );
    let req = parse(&base);
    let extra = parse(fields);
    Object::assign(
        req.unchecked_ref::<Object>(),
        extra.unchecked_ref::<Object>(),
    )
    .into()
}

pub fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(target, &key.into(), &value.into()).unwrap();
}

/// The rejection of a call that must fail, checked to be a real `Error` without the token
/// anywhere in it.
pub fn rejected(result: Result<JsValue, JsValue>, token: &str) -> JsValue {
    let err = result.expect_err("the call resolved but should have rejected");
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    let text = own_props(&err);
    assert!(
        !text.contains(token),
        "the token leaked into the error: {text}"
    );
    err
}

pub fn name(err: &JsValue) -> String {
    get_str(err, "name").unwrap_or_default()
}

/// Puts back a config that [`config`] returned.
pub async fn restore_config(before: &JsValue) {
    let text = js_sys::JSON::stringify(before)
        .unwrap()
        .as_string()
        .unwrap();
    mock_post("/_mock/config", &text).await;
}

/// Sets graph-mock's config (JSON text) and returns the previous one.
pub async fn config(json: &str) -> JsValue {
    let before = mock_get("/_mock/config").await;
    mock_post("/_mock/config", json).await;
    before
}

/// What Graph does not expose to a browser, and graph-mock does not by default (its
/// `exposeHeaders`), exposed for a test about reading them; returns the config to restore.
pub async fn expose_retry_after_and_date() -> JsValue {
    config(r#"{"exposeHeaders":"request-id, client-request-id, Retry-After, Date"}"#).await
}

/// A request with only the common options and `fields` (JSON text) for `script`.
pub fn call(script: &str, fields: &str) -> JsValue {
    let req = parse(&format!(
        r#"{{"token":"{TOKEN}","scriptId":"{script}","baseUrl":"{MOCK}"}}"#
    ));
    Object::assign(
        req.unchecked_ref::<Object>(),
        parse(fields).unchecked_ref::<Object>(),
    )
    .into()
}

/// `n` distinct user states as a JS array.
pub fn user_states(n: usize, prefix: &str) -> js_sys::Array {
    (0..n)
        .map(|i| {
            parse(&format!(
                r#"{{"userPrincipalName":"{prefix}{i}@contoso.com","successDeviceCount":{},"errorDeviceCount":{}}}"#,
                i % 5,
                i % 3
            ))
        })
        .collect()
}

#[wasm_bindgen(inline_js = r#"
export function recorder(list) { return (p) => { list.push({ ...p }); }; }
export function answersRecorder(list) {
  return (r) => { list.push({ keys: Object.getOwnPropertyNames(r).sort().join(","), text: JSON.stringify(r), undefinedIds: r.requestId === undefined && r.clientRequestId === undefined, ...r }); };
}
export function throwingCallback(list) { return (r) => { list.push(r); throw new Error("the callback broke"); }; }
export function log(text) { console.log(text); }
export function memoryJournal(lines) {
  return {
    read: async () => lines.slice(),
    append: async (records) => { for (const r of records) lines.push(r); },
    clear: async () => { lines.length = 0; },
  };
}
"#)]
extern "C" {
    /// A journal kept in `lines` (an array of the record strings, in order).
    #[wasm_bindgen(js_name = memoryJournal)]
    pub fn memory_journal(lines: &js_sys::Array) -> JsValue;
    /// `console.log`, which the test runner prints.
    pub fn log(text: &str);
    /// An `onProgress` callback that copies each report into `list`.
    pub fn recorder(list: &js_sys::Array) -> js_sys::Function;
    /// An `onResponse` callback that keeps each argument in `list`, with its own property
    /// names (`keys`, sorted, comma-joined) and its JSON text (`text`).
    #[wasm_bindgen(js_name = answersRecorder)]
    pub fn answers_recorder(list: &js_sys::Array) -> js_sys::Function;
    /// A callback that records its argument, then throws.
    #[wasm_bindgen(js_name = throwingCallback)]
    pub fn throwing_callback(list: &js_sys::Array) -> js_sys::Function;
}
