//! `syncUserStates`: runs the core's sync machine (list, plan, creates, updates, deletes) with
//! several `$batch` requests in flight, waking for its timers, reporting progress, and marking
//! the journal so that a run after a cut one waits for its last creates to land.

use crate::batched::{drive, item_error, ItemFailed};
use crate::caller_journal::hold_journal;
use crate::convert::{error_to_js, to_js};
use crate::driver::{promise, Failure, Session};
use crate::plan_user_states::plan_to_js;
use crate::prepare::{policy, prepare_with, read_items, Edge};
use intune_core::error::Error;
use intune_core::journal::Line;
use intune_core::json::{Json, Map};
use intune_core::sync::Sync;
use intune_core::validate::{self, SyncRequest};
use js_sys::{Array, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// `{ ok: true, action, userState }` or `{ ok: false, error }`.
#[derive(Serialize)]
#[serde(untagged)]
enum ItemOut {
    Done {
        ok: bool,
        action: &'static str,
        #[serde(rename = "userState")]
        user_state: Json,
    },
    Failed(ItemFailed),
}

/// `{ ok: true, id }` or `{ ok: false, id, error }`.
#[derive(Serialize)]
#[serde(untagged)]
enum DeletionOut {
    Done {
        ok: bool,
        id: String,
    },
    Failed {
        ok: bool,
        id: String,
        #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
        error: JsValue,
    },
}

#[derive(Serialize)]
struct SyncOut {
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    plan: JsValue,
    created: u32,
    updated: u32,
    unchanged: u32,
    deleted: u32,
    failed: u32,
    throttled: u32,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    results: JsValue,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    deletions: JsValue,
}

/// A sync's journal mark: `{"sync": "started", "scriptId": …}` before it lists, `{"sync":
/// "finished"}` once it has ended.
fn mark(what: &str, script_id: Option<&str>) -> Json {
    let mut m = Map::new();
    m.insert("sync", what.into());
    if let Some(s) = script_id {
        m.insert("scriptId", s.into());
    }
    Json::Object(m)
}

/// Whether the journal's records say a sync was cut short (started, never finished). A
/// journal of another kind of run (a createUserStates journal) is refused.
fn cut_short(records: &[Line]) -> Result<bool, Error> {
    let mut cut = false;
    for (i, r) in records.iter().enumerate() {
        if r.is_err() && i + 1 == records.len() {
            // A torn last line: the process died while appending it.
            return Ok(true);
        }
        match r.as_ref().ok().and_then(|r| r.get("sync")).and_then(Json::as_str) {
            Some("started") => cut = true,
            Some("finished") => cut = false,
            _ => {
                return Err(Error::field(
                    "journal",
                    format!("holds a different run (record {} is not a syncUserStates record): give a sync its own journal", i + 1),
                ))
            }
        }
    }
    Ok(cut)
}

/// Plans the items against the script's user states, then applies the plan: creates the
/// missing (exactly once, as `createUserStates` does), updates the changed with PATCH and,
/// with `deleteExtra: true`, deletes the service's objects no item matched, all in `$batch`
/// requests paced by one write budget. PATCH and DELETE are resent after an uncertain
/// attempt (a DELETE then answered 404 counts as deleted). Resolves to `{ plan, created,
/// updated, unchanged, deleted, failed, throttled, results, deletions }`: `results[i]` for
/// input `i`, `{ ok: true, action: "created" | "updated" | "unchanged", userState }` or `{ ok:
/// false, error }`; `deletions` one per object to delete, `{ ok, id, error? }`. A sync cut
/// short at any point and run again (with its journal or none) ends with exactly one object
/// per input user holding the input's values; run again, it sends no write. Rejects (nothing
/// written) for a bad request or when the list cannot be read.
///
/// @example
/// const out = await syncUserStates({ token, scriptId, userStates, deleteExtra: false });
/// console.log(`${out.created} created, ${out.updated} updated, ${out.unchanged} unchanged`);
#[wasm_bindgen(js_name = syncUserStates, unchecked_return_type = "Promise<SyncResult>")]
pub fn sync_user_states(
    #[wasm_bindgen(unchecked_param_type = "SyncUserStatesRequest")] request: JsValue,
) -> Promise {
    promise(Box::pin(async move {
        // Read 5,000 items at a time with a turn of the event loop between (Ctrl-C is heard).
        let user_states = read_items(&request).await?;
        let (req, edge) = prepare_with(&request, user_states, |json| {
            validate::sync_request(json, true).map_err(Error::Validation)
        })?;
        let held = hold_journal(&edge).await?;
        let out = run(req, &edge).await;
        if let Some(held) = held {
            held.release().await;
        }
        out
    }))
}

/// The sync itself, with the journal (if any) held.
async fn run(req: SyncRequest, edge: &Edge) -> Result<JsValue, JsValue> {
    let p = policy(&req.options, &edge.tokens);
    let session = Session::new(edge, &p);
    let script_id = req.script_id.clone();
    let mut sync = Sync::new(req, p);
    if let Some(journal) = &edge.journal {
        let records = journal.read().await.map_err(|e| error_to_js(&e))?;
        if cut_short(&records).map_err(|e| error_to_js(&e))? {
            sync = sync.after_cut();
        }
        journal
            .append(session.redacted(vec![mark("started", Some(&script_id))]))
            .await?;
    }
    // No journal here: a sync's poll appends nothing (its marks are written above and
    // below).
    let stopped_by = drive(&mut sync, &session, None, edge.on_progress.as_ref()).await;
    let finished = !session.aborted() && stopped_by.is_none();
    let outcome = match sync.into_outcome() {
        Ok(outcome) => outcome,
        Err(e) => {
            return Err(match (&e, stopped_by) {
                (Error::Aborted { .. }, Some(why)) => why,
                _ => session.to_js_error(Failure::Error(e)),
            })
        }
    };
    if let (true, Some(journal)) = (finished, &edge.journal) {
        journal
            .append(session.redacted(vec![mark("finished", None)]))
            .await?;
    }
    let error = |e: Error| item_error(&session, &stopped_by, e);
    let counts = (
        outcome.created() as u32,
        outcome.updated() as u32,
        outcome.unchanged() as u32,
        outcome.deleted() as u32,
        outcome.failed() as u32,
    );
    let plan = plan_to_js(&outcome.plan);
    // As `createUserStates` reports its own: the items it left unsent carry the same error.
    let stopped = outcome
        .stopped
        .map(|e| session.to_js_error(Failure::Error(e)));
    let results = Array::new();
    for r in outcome.results {
        let item = match r {
            Ok((action, user_state)) => ItemOut::Done {
                ok: true,
                action: action.as_str(),
                user_state,
            },
            Err(e) => ItemOut::Failed(ItemFailed::new(error(e))),
        };
        results.push(&to_js(&item));
    }
    let deletions = Array::new();
    for (id, r) in outcome.deletions {
        let d = match r {
            Ok(()) => DeletionOut::Done { ok: true, id },
            Err(e) => DeletionOut::Failed {
                ok: false,
                id,
                error: error(e),
            },
        };
        deletions.push(&to_js(&d));
    }
    let out = to_js(&SyncOut {
        plan,
        created: counts.0,
        updated: counts.1,
        unchanged: counts.2,
        deleted: counts.3,
        failed: counts.4,
        throttled: outcome.throttled,
        results: results.into(),
        deletions: deletions.into(),
    });
    if let Some(stopped) = stopped {
        let _ = Reflect::set(&out, &"stopped".into(), &stopped);
    }
    Ok(out)
}
