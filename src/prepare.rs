//! What every export does first: read the token source and signal off the request, check the
//! rest with the core's rules, and settle the client request id.

use crate::caller_journal::Journal;
use crate::convert::{error_to_js, object_from_js};
use crate::global::{name, random_bytes};
use crate::token::TokenSource;
use intune_core::error::Error;
use intune_core::json::Json;
use intune_core::single::Policy;
use intune_core::uuid;
use intune_core::validate::CallOptions;
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
    let checked = check(&without_edge(request)?).map_err(|e| error_to_js(&e))?;
    Ok((checked, read_edge(request)?))
}

/// `request` as JSON data without the edge's fields: the part of [`prepare`] that does not
/// depend on the call, once for every export.
#[inline(never)]
fn without_edge(request: &JsValue) -> Result<Json, JsValue> {
    if !request.is_object() || Array::is_array(request) {
        return Err(error_to_js(&Error::field("request", "must be an object")));
    }
    object_from_js(request, "request", &EDGE_FIELDS).map_err(|e| error_to_js(&e))
}

/// The edge's parts of `request`, once for every export.
#[inline(never)]
fn read_edge(request: &JsValue) -> Result<Edge, JsValue> {
    edge(request).map_err(|e| error_to_js(&e))
}

/// The client request id (the caller's, or a fresh UUID) and the retry policy of a call.
pub fn policy(options: &CallOptions, tokens: &TokenSource) -> Policy {
    let bytes = random_bytes();
    let seed = u64::from_le_bytes([
        bytes[0], bytes[3], bytes[5], bytes[7], bytes[9], bytes[11], bytes[13], bytes[15],
    ]);
    Policy {
        client_request_id: options
            .client_request_id
            .clone()
            .unwrap_or_else(|| uuid::v4(bytes)),
        timeout_ms: options.timeout_ms,
        max_retries: options.max_retries,
        refreshable: tokens.refreshable(),
        seed,
    }
}
