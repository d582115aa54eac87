//! `createUserStates`: runs the core's bulk machine with several `$batch` requests in flight,
//! waking for the machine's timers, and reports progress as items settle.

use crate::batched::{drive, item_error, ItemFailed};
use crate::caller_journal::hold_journal;
use crate::convert::{error_to_js, to_js};
use crate::driver::{promise, Failure, Session};
use crate::prepare::{policy, prepare_with, read_items, Edge};
use crate::transport::sleep;
use intune_core::bulk::Bulk;
use intune_core::error::Error;
use intune_core::json::Json;
use intune_core::validate::{self, BulkRequest};
use js_sys::{Array, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// What the run resolves to; `results` is the array of [`ItemOut`]s, made a chunk at a time.
#[derive(Serialize)]
struct BulkOut {
    succeeded: u32,
    failed: u32,
    throttled: u32,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    results: JsValue,
}

/// Results turned into JS values between two turns of the event loop: a signal (Ctrl-C,
/// SIGTERM) is heard between chunks, however many items the run has.
const RESULTS_PER_TURN: usize = 5_000;

/// `{ ok: true, userState }` or `{ ok: false, error }`, the error a real JS `Error` (or what
/// the token function threw) passed through as it is.
#[derive(Serialize)]
#[serde(untagged)]
enum ItemOut {
    Created {
        ok: bool,
        #[serde(rename = "userState")]
        user_state: Json,
    },
    Failed(ItemFailed),
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
pub fn create_user_states(
    #[wasm_bindgen(unchecked_param_type = "CreateUserStatesRequest")] request: JsValue,
) -> Promise {
    promise(Box::pin(async move {
        let user_states = read_items(&request).await?;
        let (req, edge) = prepare_with(&request, user_states, |json| {
            validate::bulk_request(json).map_err(Error::Validation)
        })?;
        let held = hold_journal(&edge).await?;
        let out = run(req, &edge).await;
        if let Some(held) = held {
            held.release().await;
        }
        out
    }))
}

/// The run itself, with the journal (if any) held.
async fn run(req: BulkRequest, edge: &Edge) -> Result<JsValue, JsValue> {
    let p = policy(&req.options, &edge.tokens);
    let session = Session::new(edge, &p);
    let mut bulk = match &edge.journal {
        None => Bulk::new(req, p),
        Some(journal) => {
            let records = journal.read().await.map_err(|e| error_to_js(&e))?;
            Bulk::with_records(req, p, records).map_err(|e| error_to_js(&e))?
        }
    };
    let stopped_by = drive(
        &mut bulk,
        &session,
        edge.journal.as_ref(),
        edge.on_progress.as_ref(),
    )
    .await;
    if let (Some(journal), None) = (&edge.journal, &stopped_by) {
        // Stopped by the signal: what settled meanwhile saves the next run a look-up
        // (best effort: the journal is consistent without it).
        let _ = journal.append(session.redacted(bulk.take_records())).await;
    }
    let progress = bulk.progress();

    let throttled = bulk.throttled();
    let stopped = bulk
        .stopped()
        .map(|e| session.to_js_error(Failure::Error(e.clone())));
    let results = Array::new();
    for (i, result) in bulk.into_results().into_iter().enumerate() {
        if i > 0 && i % RESULTS_PER_TURN == 0 {
            let _ = sleep(0, None).await;
        }
        let item = match result {
            Ok(user_state) => ItemOut::Created {
                ok: true,
                user_state,
            },
            Err(e) => ItemOut::Failed(ItemFailed::new(item_error(&session, &stopped_by, e))),
        };
        results.push(&to_js(&item));
    }
    let out = to_js(&BulkOut {
        succeeded: progress.succeeded as u32,
        failed: progress.failed as u32,
        throttled,
        results: results.into(),
    });
    if let Some(stopped) = stopped {
        let _ = Reflect::set(&out, &"stopped".into(), &stopped);
    }
    Ok(out)
}
