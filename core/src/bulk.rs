//! `createUserStates`: many creates through JSON `$batch`, exactly-once under throttling and
//! faults, paced to what the service allows, and resumable from a journal.
//!
//! The rules are the single create's, per item, except that a run waits out every
//! `Retry-After` however long (a single call hands a wait over two minutes back to the
//! caller; a run has no caller to hand it to until it ends, and the signal can stop it):
//! - an inner (or outer) 429 means not processed: the item goes back in the queue after its
//!   `Retry-After`; when most of a batch (or the whole `$batch`) is throttled the service's
//!   write budget is spent, and the whole run waits and from then on keeps to the budget it
//!   learnt (see `bulk/pace.rs`);
//! - an inner 5xx, a missing inner answer, or an outer 5xx, timeout or dropped connection
//!   leaves items uncertain: after a wait, one look-up (a list of the script's user states)
//!   settles every uncertain item at once, found ones resolving with the object, absent ones
//!   going back in the queue;
//! - a 401 is answered once per item by asking the token function again;
//! - an answer that says the run cannot succeed (a 401 after that, 403, 404, 405, 501, 400
//!   `No method match route template`; inner or outer) stops the run (see `bulk/stop.rs`);
//! - any other failure fails that item alone.
//!
//! The run's first write goes alone, and the rest only once its answer is in, so a run that
//! cannot succeed learns it from one request (see `bulk/stop.rs`).
//!
//! The machine does no I/O and reads no clock: the edge asks [`Bulk::poll`] what to append
//! to the journal and what to send now, and when to wake, and reports each answer with
//! [`Bulk::on_outcome`]. A run made with [`Bulk::with_records`] writes journal records
//! (see [`crate::journal`]) and resumes from them.

mod answers;
pub(crate) mod machine;
pub(crate) mod pace;
mod records;
mod resume;
mod settle;
mod stop;

pub use pace::Budget;
pub use stop::{stop_error, stops_run, NO_ROUTE};

use crate::batch;
use crate::call::Policy;
use crate::endpoint::{relative_user_run_states, Endpoint, ScriptKind};
use crate::error::Error;
use crate::http::{Method, Outcome, Request};
use crate::journal::{self, Header, Record};
use crate::json::Json;
use crate::lookup::Listing;
use crate::model::UserStateInput;
use crate::retry::{backoff_ms, wait_until_ms, Rng};
use crate::validate::BulkRequest;
use machine::Hold;
use pace::Pacer;
use std::collections::VecDeque;
use stop::Probe;

pub use crate::batch::BATCH_SIZE;

/// Most 429s one item takes before it fails with the last one.
pub const MAX_THROTTLES_PER_ITEM: u32 = 20;

/// How far the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
}

/// What to do now, in this order: append `append` to the journal (each record as one line of
/// compact JSON text; wait until they are durable), then send `sends` (each with a tag to
/// report its outcome under); call [`Bulk::poll`] again after `wake_in_ms` if no answer comes
/// first. `append` is always empty for a run made with [`Bulk::new`].
#[derive(Debug, Default)]
pub struct Poll {
    pub append: Vec<Json>,
    pub sends: Vec<(u64, Request)>,
    pub wake_in_ms: Option<u32>,
}

#[derive(Debug)]
struct Item {
    input: Option<UserStateInput>,
    result: Option<Result<Json, Error>>,
    resends: u32,
    throttles: u32,
    refreshed: bool,
    /// Not to be sent before this time (its own `Retry-After`).
    ready_at: f64,
    /// The failure that made the item uncertain, reported if it cannot be settled.
    last_error: Option<Error>,
    /// In flight when an earlier run of the journal stopped: if the look-up does not find
    /// it, it is sent again whatever `maxRetries` says (the crash was no answer).
    resumed: bool,
}

#[derive(Debug)]
enum Flight {
    /// `era`: the pacer's when it was sent.
    Batch {
        items: Vec<usize>,
        sent_at: f64,
        era: u32,
        /// The run's first write, sent alone.
        probe: bool,
    },
    Page,
}

/// A running look-up: the items it settles, and the list being read.
#[derive(Debug)]
struct Lookup {
    items: Vec<usize>,
    listing: Listing,
    /// When to (re)send the page; `None` while it is in flight.
    retry_at: Option<f64>,
}

/// The journal side of a run: records not handed out yet, and what is still to be written.
#[derive(Debug)]
struct Journal {
    pending: Vec<Json>,
    next_flight: u64,
    finished: bool,
}

/// A `createUserStates` run.
#[derive(Debug)]
pub struct Bulk {
    endpoint: Endpoint,
    kind: ScriptKind,
    script_id: String,
    policy: Policy,
    items: Vec<Item>,
    queue: VecDeque<usize>,
    uncertain: Vec<usize>,
    lookup_at: f64,
    lookup: Option<Lookup>,
    flights: Vec<(u64, Flight)>,
    next_tag: u64,
    /// No new batch before its time (a `Retry-After` for the whole run).
    hold: Hold,
    pacer: Pacer,
    max_in_flight: usize,
    throttled: u32,
    /// Items settled so far: (succeeded, failed), kept as results are set so that progress
    /// costs nothing per poll.
    settled: (usize, usize),
    rng: Rng,
    journal: Option<Journal>,
    /// Resumed with uncertain items: nothing is sent until their look-up has ended.
    resuming: bool,
    /// The look-up for a resume's uncertain items is still to be scheduled (at the first poll).
    resume_lookup: bool,
    /// The first write alone: until one answer is in, one write at a time.
    probe: Probe,
    /// The answer that said the run cannot succeed, as every unsettled item reports it.
    stopped: Option<Error>,
    aborted: bool,
    /// Ids of objects that existed before the run, sorted ([`Bulk::with_existing`]).
    existing: Vec<(String, usize)>,
}

impl Bulk {
    /// A run without a journal.
    pub fn new(req: BulkRequest, policy: Policy) -> Self {
        let items: Vec<Item> = req
            .items
            .into_iter()
            .map(|input| {
                let (input, result) = match input {
                    Ok(input) => (Some(input), None),
                    Err(e) => (None, Some(Err(Error::Validation(e)))),
                };
                Item {
                    input,
                    result,
                    resends: 0,
                    throttles: 0,
                    refreshed: false,
                    ready_at: 0.0,
                    last_error: None,
                    resumed: false,
                }
            })
            .collect();
        let mut bulk = Self {
            endpoint: req.options.endpoint,
            kind: req.options.script_kind,
            script_id: req.script_id,
            rng: Rng::new(policy.seed),
            policy,
            items,
            queue: VecDeque::new(),
            uncertain: Vec::new(),
            lookup_at: 0.0,
            lookup: None,
            flights: Vec::new(),
            next_tag: 0,
            hold: Hold::new(),
            pacer: Pacer::new(),
            max_in_flight: req.concurrency as usize,
            throttled: 0,
            settled: (0, 0),
            journal: None,
            resuming: false,
            resume_lookup: false,
            probe: Probe::Due,
            stopped: None,
            aborted: false,
            existing: Vec::new(),
        };
        bulk.settled.1 = bulk.items.iter().filter(|i| i.result.is_some()).count();
        bulk.queue_unsettled();
        bulk
    }

    /// Queues, in input order, every item with no result that is not waiting for the look-up
    /// of a resumed run.
    fn queue_unsettled(&mut self) {
        self.queue.clear();
        for (i, item) in self.items.iter().enumerate() {
            if item.result.is_none() && !item.resumed {
                self.queue.push_back(i);
            }
        }
    }

    /// A run that keeps a journal: `records` is everything the journal holds, in the order
    /// it was appended (empty for a new run), each record as its JSON value or why its text is
    /// not one. A journal of an unfinished run of this request is resumed, one of a finished
    /// run gives its results without sending anything (see [`crate::journal`]). A journal of
    /// another run, or one that cannot be read, is a `ValidationError` on `journal`; nothing
    /// is to be sent then.
    pub fn with_records(
        req: BulkRequest,
        policy: Policy,
        records: Vec<journal::Line>,
    ) -> Result<Self, Error> {
        let header = Header::of(&req);
        let mut bulk = Self::new(req, policy);
        bulk.replay(header, records)?;
        Ok(bulk)
    }

    /// 429s seen so far, inner and outer (this session's: a resumed run starts at 0).
    pub fn throttled(&self) -> u32 {
        self.throttled
    }

    /// The write budget the run keeps to, once the service has said it was spent.
    pub fn budget(&self) -> Option<Budget> {
        self.pacer.budget()
    }

    /// Where the run writes, and its policy (a sync's writes after its creates go there too).
    pub(crate) fn target(&self) -> (Endpoint, ScriptKind, String, Policy) {
        (
            self.endpoint.clone(),
            self.kind,
            self.script_id.clone(),
            self.policy.clone(),
        )
    }

    /// The pacer, for the writes that follow this run's creates in a sync: one run, one
    /// write budget. The run is over; a fresh pacer is left in its place.
    pub(crate) fn take_pacer(&mut self) -> Pacer {
        std::mem::replace(&mut self.pacer, Pacer::new())
    }

    /// Objects that existed before this run (a sync's plan listed them): a look-up never takes
    /// one of them for an item's create.
    pub fn with_existing(mut self, ids: Vec<String>) -> Self {
        // Sorted as (String, usize): the sort every look-up table of the crate uses.
        let mut ids: Vec<(String, usize)> = ids.into_iter().map(|id| (id, 0)).collect();
        ids.sort_unstable();
        self.existing = ids;
        self
    }

    /// Counts include items settled by an earlier run of the journal.
    pub fn progress(&self) -> Progress {
        let (succeeded, failed) = self.settled;
        Progress {
            done: succeeded + failed,
            total: self.items.len(),
            succeeded,
            failed,
        }
    }

    fn all_settled(&self) -> bool {
        self.settled.0 + self.settled.1 == self.items.len()
    }

    /// Sets item `i`'s result (it has none yet), and counts it.
    fn set_result(&mut self, i: usize, result: Result<Json, Error>) {
        match result {
            Ok(_) => self.settled.0 += 1,
            Err(_) => self.settled.1 += 1,
        }
        self.items[i].result = Some(result);
    }

    /// Every item has its result and, with a journal, every record (the last being
    /// `finished`) has been handed out by [`Bulk::poll`]. After [`Bulk::abort`], at once.
    pub fn is_done(&self) -> bool {
        self.all_settled()
            && (self.aborted
                || (self.stopped.is_some()
                    && self.journal.as_ref().is_none_or(|j| j.pending.is_empty()))
                || self
                    .journal
                    .as_ref()
                    .is_none_or(|j| j.finished && j.pending.is_empty()))
    }

    /// Ends the run: every item not settled yet fails with `AbortError`. Items whose create
    /// was in flight may exist on the service; the error says the call was aborted, not that
    /// nothing was created. The journal stays unfinished (a later run resumes it); records
    /// not handed out yet are still there for [`Bulk::take_records`].
    pub fn abort(&mut self) {
        self.aborted = true;
        let id = self.policy.client_request_id.clone();
        for item in self.items.iter_mut().filter(|i| i.result.is_none()) {
            item.result = Some(Err(Error::Aborted {
                client_request_id: id.clone(),
            }));
            self.settled.1 += 1;
        }
        self.queue.clear();
        self.uncertain.clear();
        self.lookup = None;
        self.flights.clear();
    }

    /// Each item's result, in input order.
    pub fn into_results(self) -> Vec<Result<Json, Error>> {
        let id = self.policy.client_request_id;
        self.items
            .into_iter()
            .map(|i| {
                i.result.unwrap_or_else(|| {
                    Err(Error::Aborted {
                        client_request_id: id.clone(),
                    })
                })
            })
            .collect()
    }

    fn tag(&mut self, flight: Flight) -> u64 {
        self.next_tag += 1;
        self.flights.push((self.next_tag, flight));
        self.next_tag
    }

    /// Batches in flight, the writes they carry, and when the oldest of them was sent.
    fn in_flight(&self) -> (usize, usize, Option<f64>) {
        let mut out = (0, 0, None::<f64>);
        for (_, f) in &self.flights {
            if let Flight::Batch { items, sent_at, .. } = f {
                out.0 += 1;
                out.1 += items.len();
                out.2 = Some(out.2.map_or(*sent_at, |t| t.min(*sent_at)));
            }
        }
        out
    }

    /// What to append to the journal, what to send now, and when to look again.
    pub fn poll(&mut self, now: f64) -> Poll {
        let mut poll = Poll::default();
        let mut wake = f64::INFINITY;
        // After a stop, no write: the answers still coming in and the look-up are heard out.
        self.end_stopped();
        if std::mem::take(&mut self.resume_lookup) {
            // A commit of the interrupted run may still be landing: wait as after a 5xx.
            self.schedule_lookup(None, now);
        }

        // Settle uncertain items once their wait is over.
        if self.lookup.is_none() && !self.uncertain.is_empty() {
            if now >= self.lookup_at {
                let url = self.endpoint.user_run_states(self.kind, &self.script_id);
                self.lookup = Some(Lookup {
                    items: std::mem::take(&mut self.uncertain),
                    listing: Listing::new(url),
                    retry_at: Some(now),
                });
            } else {
                wake = wake.min(self.lookup_at);
            }
        }
        if let Some(lookup) = &mut self.lookup {
            match lookup.retry_at {
                Some(at) if now >= at => {
                    lookup.retry_at = None;
                    let request = lookup.listing.request();
                    let tag = self.tag(Flight::Page);
                    poll.sends.push((tag, request));
                }
                Some(at) => wake = wake.min(at),
                None => {}
            }
        }

        while !self.resuming && self.stopped.is_none() && !self.queue.is_empty() {
            let (batches, writes, oldest) = self.in_flight();
            if batches >= self.max_in_flight {
                break;
            }
            if now < self.hold.not_before {
                wake = wake.min(self.hold.not_before);
                break;
            }
            let ready =
                match machine::ready(&self.queue, BATCH_SIZE, now, |i| self.items[i].ready_at) {
                    Ok(ready) => ready,
                    Err(soonest) => {
                        wake = wake.min(soonest);
                        break;
                    }
                };
            let probe = self.probe != Probe::Passed;
            if probe && self.probe == Probe::Flying {
                // The rest waits for the first write's answer.
                break;
            }
            let (free, frees_at) = self.pacer.allowance(now, writes, oldest, ready);
            if free == 0 {
                if let Some(at) = frees_at {
                    wake = wake.min(at);
                }
                break;
            }
            let max = if probe { 1 } else { free.min(BATCH_SIZE) };
            let batch = machine::take_ready(&mut self.queue, max, now, |i| self.items[i].ready_at);
            if probe {
                self.probe = Probe::Flying;
            }
            let request = self.batch_request(&batch);
            if let Some(j) = &mut self.journal {
                // Write-ahead: the edge appends this before it sends the batch.
                j.pending.push(
                    Record::Send {
                        flight: j.next_flight,
                        items: batch.clone(),
                    }
                    .to_json(),
                );
                j.next_flight += 1;
            }
            let tag = self.tag(Flight::Batch {
                items: batch,
                sent_at: now,
                era: self.pacer.era(),
                probe,
            });
            poll.sends.push((tag, request));
        }
        poll.append = self.take_records();
        poll.wake_in_ms = machine::wake_in_ms(wake, now);
        poll
    }

    fn batch_request(&self, batch: &[usize]) -> Request {
        let url = relative_user_run_states(self.kind, &self.script_id);
        let creates = batch.iter().filter_map(|&i| {
            let input = self.items[i].input.as_ref()?;
            Some(batch::Inner {
                id: i,
                method: Method::Post,
                url: url.clone(),
                body: Some(input.to_json()),
            })
        });
        batch::request(&self.endpoint, creates)
    }

    /// Reports how the request sent under `tag` ended.
    pub fn on_outcome(&mut self, tag: u64, outcome: Outcome, now: f64) {
        let Some(pos) = self.flights.iter().position(|(t, _)| *t == tag) else {
            return;
        };
        match self.flights.swap_remove(pos).1 {
            Flight::Batch {
                items,
                sent_at,
                era,
                probe,
            } => {
                let first = if probe { items.first().copied() } else { None };
                let throttles = first.map(|i| self.items[i].throttles);
                self.on_batch(items, (sent_at, era), outcome, now);
                if let Some(i) = first {
                    // Settled by its answer, or throttled (the service took the write in and
                    // said when; the pacer governs from here): the rest may go. Uncertain,
                    // or to be sent again with a token asked for anew: it goes alone again.
                    let throttled = throttles != Some(self.items[i].throttles);
                    self.probe = match self.items[i].result {
                        _ if self.stopped.is_some() => Probe::Due,
                        Some(_) => Probe::Passed,
                        None if throttled => Probe::Passed,
                        None => Probe::Due,
                    };
                }
            }
            Flight::Page => self.on_page(outcome, now),
        }
        self.end_stopped();
    }

    /// How long to wait: all of the service's `Retry-After` (however long), or backoff step
    /// `attempt` when it gave none.
    fn wait_ms(&mut self, retry_after: Option<f64>, attempt: u32) -> f64 {
        match retry_after {
            Some(s) => wait_until_ms(s),
            None => f64::from(backoff_ms(attempt, &mut self.rng)),
        }
    }
}
