//! What every export does first: read the token source and signal off the request, check the
//! rest with the core's rules, and settle the client request id.

use crate::caller_journal::Journal;
use crate::convert::{error_to_js, from_js_within, object_from_js};
use crate::global::{name, random_bytes};
use crate::token::TokenSource;
use crate::transport::sleep;
use intune_core::error::Error;
use intune_core::json::{Json, MAX_DEPTH};
use intune_core::validate::CallOptions;
use intune_core::Policy;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

/// The parts of a request the edge keeps for itself.
pub struct Edge {
    pub tokens: TokenSource,
    pub signal: Option<AbortSignal>,
    /// `onProgress`, for bulk imports.
    pub on_progress: Option<Function>,
    /// `onResponse`, told the status and ids of every answer (every call takes it).
    pub on_response: Option<Function>,
    /// `journal`, for bulk imports.
    pub journal: Option<Journal>,
}

/// Fields that hold JS objects (functions, a signal) and never reach the core's rules.
const EDGE_FIELDS: [&str; 5] = ["token", "signal", "onProgress", "onResponse", "journal"];
/// [`EDGE_FIELDS`] and a bulk request's `userStates`, when [`read_items`] has read them.
const EDGE_FIELDS_AND_ITEMS: [&str; 6] = [
    "token",
    "signal",
    "onProgress",
    "onResponse",
    "journal",
    USER_STATES,
];
const USER_STATES: &str = "userStates";

/// The optional callback `field` of `request`: absent, `undefined` or `null` is none.
fn callback(request: &JsValue, field: &'static str) -> Result<Option<Function>, Error> {
    match get(request, field) {
        f if f.is_undefined() || f.is_null() => Ok(None),
        f => f
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| Error::field(field, "must be a function")),
    }
}

fn get(request: &JsValue, key: &'static str) -> JsValue {
    Reflect::get(request, &name(key)).unwrap_or(JsValue::UNDEFINED)
}

#[inline(never)]
fn edge(request: &JsValue) -> Result<Edge, Error> {
    let signal = match get(request, "signal") {
        s if s.is_undefined() || s.is_null() => None,
        s => Some(
            s.dyn_into::<AbortSignal>()
                .map_err(|_| Error::field("signal", "must be an AbortSignal"))?,
        ),
    };
    let on_progress = callback(request, "onProgress")?;
    let on_response = callback(request, "onResponse")?;
    Ok(Edge {
        tokens: TokenSource::from_js(get(request, "token"))?,
        signal,
        on_progress,
        on_response,
        journal: Journal::from_js(get(request, "journal"))?,
    })
}

/// Reads `request`: the edge's parts, and the rest checked by `check`. Any problem is the JS
/// `ValidationError` to reject with; nothing has been sent.
pub fn prepare<T>(
    request: &JsValue,
    check: impl FnOnce(&Json) -> Result<T, Error>,
) -> Result<(T, Edge), JsValue> {
    prepare_with(request, None, check)
}

/// [`prepare`], with `userStates` read already (by [`read_items`]) rather than walked again.
pub fn prepare_with<T>(
    request: &JsValue,
    user_states: Option<Json>,
    check: impl FnOnce(&Json) -> Result<T, Error>,
) -> Result<(T, Edge), JsValue> {
    let checked = check(&request_json(request, user_states)?).map_err(|e| error_to_js(&e))?;
    Ok((checked, read_edge(request)?))
}

/// `request` as JSON data without the edge's fields, `user_states` put in their place: the
/// part of [`prepare_with`] that does not depend on the call (made once, not once per export).
#[inline(never)]
fn request_json(request: &JsValue, user_states: Option<Json>) -> Result<Json, JsValue> {
    if !request.is_object() || Array::is_array(request) {
        return Err(error_to_js(&Error::field("request", "must be an object")));
    }
    let skip: &[&str] = match user_states {
        Some(_) => &EDGE_FIELDS_AND_ITEMS,
        None => &EDGE_FIELDS,
    };
    let mut json = object_from_js(request, "request", skip).map_err(|e| error_to_js(&e))?;
    if let (Json::Object(map), Some(items)) = (&mut json, user_states) {
        map.insert(USER_STATES, items);
    }
    Ok(json)
}

/// The array `request.userStates` as JSON data, read a chunk of items at a time with a turn of
/// the event loop between (a signal is heard while 100,000 items are read); `None` when it is
/// not an array (the rules then say what it is). An item that is not JSON data is the
/// `ValidationError` [`prepare`] would give.
pub async fn read_items(request: &JsValue) -> Result<Option<Json>, JsValue> {
    if !request.is_object() {
        return Ok(None);
    }
    let value = get(request, USER_STATES);
    if !Array::is_array(&value) {
        return Ok(None);
    }
    let items: &Array = value.unchecked_ref();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 && i % ITEMS_PER_TURN == 0 {
            let _ = sleep(0, None).await;
        }
        // As deep as the item lies in the request: request, array, item.
        match from_js_within(&item, MAX_DEPTH - 2) {
            Ok(json) => out.push(json),
            Err(rule) => return Err(error_to_js(&Error::field("request", rule))),
        }
    }
    Ok(Some(Json::Array(out)))
}

/// Items read between two turns of the event loop.
const ITEMS_PER_TURN: usize = 5_000;

/// The edge's parts of `request`, once for every export.
#[inline(never)]
fn read_edge(request: &JsValue) -> Result<Edge, JsValue> {
    edge(request).map_err(|e| error_to_js(&e))
}

/// The client request id (the caller's, or a fresh UUID) and the retry policy of a call.
pub fn policy(options: &CallOptions, tokens: &TokenSource) -> Policy {
    Policy::new(options, tokens.refreshable(), random_bytes())
}
