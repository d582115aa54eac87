//! The one loop that runs a machine of many `$batch` requests (`createUserStates`' bulk run,
//! `syncUserStates`' sync): several requests in flight, waking for the machine's timers,
//! write-ahead journal records before each send, progress as items settle.

use crate::caller_journal::Journal;
use crate::convert::to_js;
use crate::driver::{Failure, Session};
use crate::global::now_ms;
use futures_util::future::{select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use intune_core::bulk::{Bulk, Poll, Progress};
use intune_core::error::Error;
use intune_core::http::Outcome;
use intune_core::sync::Sync;
use js_sys::Function;
use serde::Serialize;
use std::pin::pin;
use wasm_bindgen::prelude::*;

/// A machine the loop runs: told the time and each answer, it says what to send and when to
/// wake.
pub trait Batched {
    fn poll(&mut self, now: f64) -> Poll;
    fn on_outcome(&mut self, tag: u64, outcome: Outcome, now: f64);
    fn is_done(&self) -> bool;
    fn abort(&mut self);
    fn progress(&self) -> Progress;
}

macro_rules! batched {
    ($t:ty) => {
        impl Batched for $t {
            fn poll(&mut self, now: f64) -> Poll {
                <$t>::poll(self, now)
            }
            fn on_outcome(&mut self, tag: u64, outcome: Outcome, now: f64) {
                <$t>::on_outcome(self, tag, outcome, now)
            }
            fn is_done(&self) -> bool {
                <$t>::is_done(self)
            }
            fn abort(&mut self) {
                <$t>::abort(self)
            }
            fn progress(&self) -> Progress {
                <$t>::progress(self)
            }
        }
    };
}
batched!(Bulk);
batched!(Sync);

/// What `onProgress` receives.
#[derive(Serialize)]
struct ProgressOut {
    done: u32,
    total: u32,
    succeeded: u32,
    failed: u32,
}

fn report(on_progress: Option<&Function>, p: Progress) {
    if let Some(f) = on_progress {
        let out = ProgressOut {
            done: p.done as u32,
            total: p.total as u32,
            succeeded: p.succeeded as u32,
            failed: p.failed as u32,
        };
        // A throwing callback is the caller's business; the run goes on.
        let _ = f.call1(&JsValue::UNDEFINED, &to_js(&out));
    }
}

/// `{ ok: false, error }`: an item that failed, in `createUserStates`' and `syncUserStates`'
/// results alike.
#[derive(Serialize)]
pub struct ItemFailed {
    ok: bool,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    error: JsValue,
}

impl ItemFailed {
    pub fn new(error: JsValue) -> Self {
        ItemFailed { ok: false, error }
    }
}

/// The JS error of an item that did not settle: what stopped the run (`stopped_by`, as
/// [`drive`] handed it back) for an item aborted because of it, else the item's own error.
pub fn item_error(session: &Session<'_>, stopped_by: &Option<JsValue>, e: Error) -> JsValue {
    match (&e, stopped_by) {
        (Error::Aborted { .. }, Some(why)) => why.clone(),
        _ => session.to_js_error(Failure::Error(e)),
    }
}

/// Runs `run` until it is done, aborted by the signal, or stopped: by what the token function
/// or the journal's `append` threw, which is handed back (the run is then aborted). Progress
/// is reported whenever it changes, the last time after the loop.
pub async fn drive(
    run: &mut dyn Batched,
    session: &Session<'_>,
    journal: Option<&Journal>,
    on_progress: Option<&Function>,
) -> Option<JsValue> {
    let mut stopped_by: Option<JsValue> = None;
    let mut in_flight = FuturesUnordered::new();
    let mut reported = None;
    loop {
        if session.aborted() {
            run.abort();
            break;
        }
        let poll = run.poll(now_ms());
        if let Some(journal) = journal {
            // Write-ahead: what this poll's $batch requests carry is durable before they go.
            if let Err(thrown) = journal.append(session.redacted(poll.append)).await {
                stopped_by = Some(thrown);
                run.abort();
                break;
            }
        }
        for (tag, request) in poll.sends {
            in_flight.push(async move { (tag, session.send(&request).await) });
        }
        let progress = run.progress();
        if reported != Some(progress) {
            report(on_progress, progress);
            reported = Some(progress);
        }
        if run.is_done() {
            break;
        }
        let event = match (in_flight.is_empty(), poll.wake_in_ms) {
            (true, None) => {
                // Nothing in flight and nothing to wait for: cannot happen; end rather than hang.
                run.abort();
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
            Some(Ok((tag, Ok(outcome)))) => run.on_outcome(tag, outcome, now_ms()),
            Some(Ok((_, Err(failure)))) | Some(Err(failure)) => {
                if !session.aborted() {
                    // The token source failed: stop, and say why on every unsettled item.
                    stopped_by = Some(session.to_js_error(failure));
                }
                run.abort();
                break;
            }
        }
    }
    drop(in_flight);
    let progress = run.progress();
    if reported != Some(progress) {
        report(on_progress, progress);
    }
    stopped_by
}
