//! `createUserStates`: runs the core's bulk machine with several `$batch` requests in flight,
//! waking for the machine's timers, and reports progress as items settle.

use super::convert::to_js;
use super::driver::{Failure, Session};
use super::global::now_ms;
use super::prepare::{policy, prepare};
use crate::bulk::{Bulk, Progress};
use crate::error::Error;
use crate::validate;
use futures_util::future::{select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use js_sys::{Array, Function, Object, Reflect};
use std::pin::pin;
use wasm_bindgen::prelude::*;

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &key.into(), &value.into());
}

fn report(on_progress: Option<&Function>, p: Progress) {
    if let Some(f) = on_progress {
        let o = Object::new();
        set(&o, "done", p.done as u32);
        set(&o, "total", p.total as u32);
        set(&o, "succeeded", p.succeeded as u32);
        set(&o, "failed", p.failed as u32);
        // A throwing callback is the caller's business; the run goes on.
        let _ = f.call1(&JsValue::UNDEFINED, &o);
    }
}

/// Creates many user states through JSON `$batch` (20 per request, a few requests in
/// flight), exactly-once under throttling and faults, slowing down when the service throttles.
///
/// Every item is checked first: invalid ones are reported in place and never sent. Resolves to
/// `{ succeeded, failed, throttled, results }`, `results[i]` being `{ ok: true, userState }` or
/// `{ ok: false, error }` for input `i`; it never rejects for one bad item. `onProgress` is
/// called as items settle. `signal` stops the run at once: items already created are reported
/// as created, the rest fail with `AbortError`. If the token function throws, the run stops and
/// the unsettled items fail with what it threw.
#[wasm_bindgen(js_name = createUserStates, unchecked_return_type = "Promise<BulkResult>")]
pub async fn create_user_states(
    #[wasm_bindgen(unchecked_param_type = "CreateUserStatesRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::bulk_request(json).map_err(Error::Validation)
    })?;
    let p = policy(&req.options, &edge.tokens);
    let session = Session::new(&edge, &p);
    let mut bulk = Bulk::new(req, p);
    let mut stopped_by: Option<JsValue> = None;
    let mut in_flight = FuturesUnordered::new();
    let mut reported = None;

    loop {
        if session.aborted() {
            bulk.abort();
            break;
        }
        let poll = bulk.poll(now_ms());
        for (tag, request) in poll.sends {
            let session = &session;
            in_flight.push(async move { (tag, session.send(&request).await) });
        }
        let progress = bulk.progress();
        if reported != Some(progress) {
            report(edge.on_progress.as_ref(), progress);
            reported = Some(progress);
        }
        if bulk.is_done() {
            break;
        }
        let event = match (in_flight.is_empty(), poll.wake_in_ms) {
            (true, None) => {
                // Nothing in flight and nothing to wait for: cannot happen; end rather than hang.
                bulk.abort();
                break;
            }
            (true, Some(ms)) => session.wait(ms).await.err().map(Err),
            (false, None) => in_flight.next().await.map(Ok),
            (false, Some(ms)) => match select(in_flight.next(), pin!(session.wait(ms))).await {
                Either::Left((answer, _)) => answer.map(Ok),
                Either::Right((waited, _)) => waited.err().map(Err),
            },
        };
        match event {
            None => {}
            Some(Ok((tag, Ok(outcome)))) => bulk.on_outcome(tag, outcome, now_ms()),
            Some(Ok((_, Err(failure)))) | Some(Err(failure)) => {
                if !session.aborted() {
                    // The token source failed: stop, and say why on every unsettled item.
                    stopped_by = Some(session.to_js_error(failure));
                }
                bulk.abort();
                break;
            }
        }
    }
    drop(in_flight);
    let progress = bulk.progress();
    if reported != Some(progress) {
        report(edge.on_progress.as_ref(), progress);
    }

    let throttled = bulk.throttled();
    let results: Array = bulk
        .into_results()
        .into_iter()
        .map(|result| {
            let o = Object::new();
            match result {
                Ok(state) => {
                    set(&o, "ok", true);
                    set(&o, "userState", to_js(&state));
                }
                Err(e) => {
                    set(&o, "ok", false);
                    let error = match (&e, &stopped_by) {
                        (Error::Aborted { .. }, Some(why)) => why.clone(),
                        _ => session.to_js_error(Failure::Error(e)),
                    };
                    set(&o, "error", error);
                }
            }
            JsValue::from(o)
        })
        .collect();
    let out = Object::new();
    set(&out, "succeeded", progress.succeeded as u32);
    set(&out, "failed", progress.failed as u32);
    set(&out, "throttled", throttled);
    set(&out, "results", results);
    Ok(out.into())
}
