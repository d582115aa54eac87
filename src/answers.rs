//! What `onResponse` is told: the status and the two request ids of every answer, and of
//! every inner answer of a `$batch`. Nothing else crosses: not the token, the URL, a body or
//! any other header.

use crate::convert::to_js;
use intune_core::batch;
use intune_core::http::{Body, Request, Response};
use js_sys::Function;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// `{ status, requestId, clientRequestId }`, an id `undefined` when the answer has none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answered {
    status: u16,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    request_id: JsValue,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    client_request_id: JsValue,
}

/// Tells `f` about `r`, the answer to `req`, and when `req` was a `$batch`, about each inner
/// answer, with the ids in that answer's own headers (read by `intune_core::batch`, where they lie,
/// without copying the bodies). Whatever `f` throws
/// is ignored.
pub fn report(f: &Function, req: &Request, r: &Response, token: &str) {
    let ids = |name: &str| r.header(name);
    tell(
        f,
        r.status,
        ids("request-id"),
        ids("client-request-id"),
        token,
    );
    let inner = match &r.body {
        Body::Json(body) if batch::is_batch(req) => batch::answers(body),
        _ => None,
    };
    for answer in inner.into_iter().flatten() {
        let Some(status) = answer.status() else {
            continue;
        };
        let id = |name: &str| answer.header(name);
        let status = u16::try_from(status).unwrap_or_default();
        tell(f, status, id("request-id"), id("client-request-id"), token);
    }
}

fn tell(f: &Function, status: u16, request_id: Option<&str>, client: Option<&str>, token: &str) {
    // An id is the service's; one that carries the token (an echo gone wrong) is left out.
    let js = |id: Option<&str>| match id {
        Some(v) if !(token.len() >= 8 && intune_core::text::find(v, token).is_some()) => {
            JsValue::from_str(v)
        }
        _ => JsValue::UNDEFINED,
    };
    let answered = Answered {
        status,
        request_id: js(request_id),
        client_request_id: js(client),
    };
    // A throwing callback is the caller's business; the call goes on.
    let _ = f.call1(&JsValue::UNDEFINED, &to_js(&answered));
}
