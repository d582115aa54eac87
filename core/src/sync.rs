//! `syncUserStates`: plan against the server, then apply: the creates through the bulk
//! machine (its exactly-once look-up), then the updates (PATCH) and, with `deleteExtra`, the
//! deletes (DELETE) through [`Writes`], all in `$batch` requests and paced by one write budget.
//!
//! Three stages, one after the other, each a machine of its own driven through this one:
//! 1. **Listing**: every page of the script's user states ([`List`], the retries of every
//!    read). A list that cannot be read ends the sync with that error, nothing written.
//! 2. **Creating**: a [`Bulk`] run of the plan's `create` items. Its look-up after an
//!    uncertain create never takes an object the plan listed for the item's (an object the
//!    plan matched to another item, or left as extra, existed before the run).
//! 3. **Writing**: a [`Writes`] run of the plan's updates and then deletes, with the budget
//!    the creates learnt.
//!
//! **Cut anywhere, run again, exact**: whatever a sync did before it stopped is on the server
//! or not, and the next sync plans against the server: a create that landed is then matched
//! (unchanged), an update that landed is unchanged, a delete that landed is gone from the
//! list. The one gap is a create committed after the next sync's list was read (a commit
//! still landing when the run was cut): [`Sync::after_cut`] makes the next sync wait before
//! it lists, as a bulk run resumed from its journal does before its look-up.
//!
//! The machine does no I/O and reads no clock: [`Sync::poll`] and [`Sync::on_outcome`] as
//! for [`Bulk`].

use crate::bulk::{Bulk, Poll, Progress};
use crate::call::{Action, Operation, Policy};
use crate::endpoint::with_query;
use crate::error::Error;
use crate::http::Outcome;
use crate::json::{Json, Map};
use crate::list::List;
use crate::plan::{check_listing, object_id, plan, Plan};
use crate::retry::{backoff_ms, Rng, MAX_TIMER_MS};
use crate::validate::{BulkRequest, CallOptions, SyncRequest, MAX_TOP};
use crate::writes::{Write, Writes};

/// What a sync did for one input item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    /// The item had no object; it was created.
    Created,
    /// The item's object differed; it was updated.
    Updated,
    /// The item's object already held its values.
    Unchanged,
}

impl SyncAction {
    /// `"created"`, `"updated"` or `"unchanged"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncAction::Created => "created",
            SyncAction::Updated => "updated",
            SyncAction::Unchanged => "unchanged",
        }
    }
}

/// How a sync ended: the plan, one result per input item (in input order), one per deletion
/// (in the plan's `extra` order; none without `deleteExtra`), and the counts.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The plan the sync applied.
    pub plan: Plan,
    /// One per input item, in input order: what was done and the object, or why not.
    pub results: Vec<Result<(SyncAction, Json), Error>>,
    /// `(id, result)` per object the sync was to delete.
    pub deletions: Vec<(String, Result<(), Error>)>,
    /// 429s answered, inner and outer.
    pub throttled: u32,
    /// The answer that stopped the writes, if one did: the creates' (as
    /// [`Bulk::stopped`], see `bulk/stop.rs`), or else the updates' and deletes' (a 403, 405,
    /// 501 or 400 `No method match route template`, see [`Writes::stopped`]). That phase sent
    /// nothing more, and every write of it not settled failed with this same error.
    pub stopped: Option<Error>,
}

impl SyncOutcome {
    fn count(&self, action: SyncAction) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r, Ok((a, _)) if *a == action))
            .count()
    }

    /// Items created.
    pub fn created(&self) -> usize {
        self.count(SyncAction::Created)
    }

    /// Items updated.
    pub fn updated(&self) -> usize {
        self.count(SyncAction::Updated)
    }

    /// Items whose object already held their values.
    pub fn unchanged(&self) -> usize {
        self.count(SyncAction::Unchanged)
    }

    /// Objects deleted.
    pub fn deleted(&self) -> usize {
        self.deletions.iter().filter(|d| d.1.is_ok()).count()
    }

    /// Items that failed (invalid ones included) and deletions that failed.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.is_err()).count()
            + self.deletions.iter().filter(|d| d.1.is_err()).count()
    }
}

/// A tag's stage, in its top bits, so an answer from an earlier stage is never taken for one
/// of the current stage's.
const STAGE_SHIFT: u32 = 48;

#[derive(Debug)]
enum Stage {
    /// Waiting before the list (a run cut short may still have creates landing).
    Settling {
        until: Option<f64>,
        ms: u32,
    },
    Listing {
        list: Box<List>,
        /// The list's next step, not yet taken.
        next: Option<Action>,
        /// A wait of the list's in progress, until then.
        waiting_until: Option<f64>,
        in_flight: bool,
    },
    Creating(Box<Bulk>),
    Writing(Box<Writes>),
    Done,
}

/// A `syncUserStates` run.
#[derive(Debug)]
pub struct Sync {
    script_id: String,
    options: CallOptions,
    policy: Policy,
    concurrency: u32,
    delete_extra: bool,
    items: Vec<Result<crate::model::UserStateInput, crate::error::ValidationError>>,
    stage: Stage,
    stage_no: u64,
    plan: Option<Plan>,
    /// Every listed object's id and place in `server`, sorted by id (for the unchanged
    /// items' objects).
    listed: Vec<(String, usize)>,
    /// The list as read.
    server: Vec<Json>,
    /// The creates' results, in plan order, once they are in.
    created: Vec<Result<Json, Error>>,
    /// The writes' results, updates then deletes in plan order, once they are in.
    written: Vec<Result<Json, Error>>,
    /// Writes handed to [`Writes`]: updates first, then deletes.
    deletes: usize,
    throttled: u32,
    /// The answer that stopped the writes: the creates', else the updates' and deletes'.
    stopped: Option<Error>,
    /// How the sync ended early: the list's failure, or an abort before the plan.
    failure: Option<Error>,
    aborted: bool,
    /// `planUserStates`: end once the plan is made, writing nothing.
    plan_only: bool,
}

impl Sync {
    /// A sync of `req` under `policy`.
    pub fn new(req: SyncRequest, policy: Policy) -> Self {
        Self {
            script_id: req.script_id,
            options: req.options,
            policy,
            concurrency: req.concurrency,
            delete_extra: req.delete_extra,
            items: req.items,
            stage: Stage::Settling { until: None, ms: 0 },
            stage_no: 0,
            plan: None,
            listed: Vec::new(),
            server: Vec::new(),
            created: Vec::new(),
            written: Vec::new(),
            deletes: 0,
            throttled: 0,
            stopped: None,
            failure: None,
            aborted: false,
            plan_only: false,
        }
    }

    /// A sync run after one that was cut short (its journal says so): it waits a moment
    /// before it lists, so that a create the cut run had in flight has landed and is matched
    /// rather than made again.
    pub fn after_cut(mut self) -> Self {
        let mut rng = Rng::new(self.policy.seed);
        self.stage = Stage::Settling {
            until: None,
            ms: backoff_ms(2, &mut rng),
        };
        self
    }

    /// The client request id every request of the sync carries.
    pub fn client_request_id(&self) -> &str {
        &self.policy.client_request_id
    }

    /// The time limit of one attempt.
    pub fn timeout_ms(&self) -> u32 {
        self.policy.timeout_ms
    }

    /// A sync that ends once its plan is made: `planUserStates`, which writes nothing.
    pub fn plan_only(mut self) -> Self {
        self.plan_only = true;
        self
    }

    /// The plan of a [`Sync::plan_only`] run, or the error that kept it from being made.
    pub fn into_plan(self) -> Result<Plan, Error> {
        let aborted = Error::Aborted {
            client_request_id: self.policy.client_request_id,
        };
        self.plan.ok_or_else(|| self.failure.unwrap_or(aborted))
    }

    /// The plan, once the list has been read.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    /// Whether the sync has ended (every write settled, or the list failed, or aborted).
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// How far the sync is: every input item and every deletion, the unchanged and invalid
    /// ones done from the plan on. Before the plan: nothing done of the items.
    pub fn progress(&self) -> Progress {
        let total = self.items.len() + self.plan.as_ref().map_or(0, |p| self.deletions_of(p));
        let Some(plan) = &self.plan else {
            return Progress {
                total,
                ..Progress::default()
            };
        };
        let mut p = Progress {
            total,
            done: plan.unchanged.len() + plan.invalid.len(),
            succeeded: plan.unchanged.len(),
            failed: plan.invalid.len(),
        };
        let add = |p: &mut Progress, q: Progress| {
            p.done += q.done;
            p.succeeded += q.succeeded;
            p.failed += q.failed;
        };
        let settled = |rs: &[Result<Json, Error>]| Progress {
            done: rs.len(),
            total: 0,
            succeeded: rs.iter().filter(|r| r.is_ok()).count(),
            failed: rs.iter().filter(|r| r.is_err()).count(),
        };
        match &self.stage {
            Stage::Creating(bulk) => add(&mut p, bulk.progress()),
            Stage::Writing(w) => {
                add(&mut p, settled(&self.created));
                add(&mut p, w.progress());
            }
            _ => {
                add(&mut p, settled(&self.created));
                add(&mut p, settled(&self.written));
            }
        }
        p
    }

    fn deletions_of(&self, plan: &Plan) -> usize {
        if self.delete_extra {
            plan.extra.len()
        } else {
            0
        }
    }

    fn tag(&self, inner: u64) -> u64 {
        (self.stage_no << STAGE_SHIFT) | inner
    }

    /// What to send now, and when to look again (`append` is always empty: the edge keeps
    /// the journal's marks itself).
    pub fn poll(&mut self, now: f64) -> Poll {
        loop {
            match &mut self.stage {
                Stage::Settling { until, ms } => match *until {
                    None if *ms > 0 => {
                        *until = Some(now + f64::from(*ms));
                    }
                    Some(at) if now < at => {
                        let ms = ((at - now).ceil() as u32).saturating_add(1);
                        return Poll {
                            wake_in_ms: Some(ms.min(MAX_TIMER_MS)),
                            ..Poll::default()
                        };
                    }
                    _ => self.start_listing(),
                },
                Stage::Listing {
                    list,
                    next,
                    waiting_until,
                    in_flight,
                } => {
                    if *in_flight {
                        return Poll::default();
                    }
                    if let Some(at) = *waiting_until {
                        if now < at {
                            let ms = ((at - now).ceil() as u32).saturating_add(1);
                            return Poll {
                                wake_in_ms: Some(ms.min(MAX_TIMER_MS)),
                                ..Poll::default()
                            };
                        }
                        *waiting_until = None;
                        *next = Some(list.on_wait_over());
                    }
                    match next.take() {
                        Some(Action::Send(request)) => {
                            *in_flight = true;
                            let tag = self.tag(1);
                            return Poll {
                                sends: vec![(tag, request)],
                                ..Poll::default()
                            };
                        }
                        Some(Action::Wait(ms)) => {
                            *waiting_until = Some(now + f64::from(ms));
                        }
                        Some(Action::Done(result)) => self.after_list(result),
                        // A list ends with its items, never with a bare answer; were it to,
                        // nothing is known, and nothing is written.
                        Some(Action::Answered) => self.after_list(Err(not_a_list())),
                        None => return Poll::default(),
                    }
                }
                Stage::Creating(bulk) => {
                    let mut poll = bulk.poll(now);
                    poll.append.clear();
                    if !bulk.is_done() {
                        let stage = self.stage_no;
                        for (tag, _) in &mut poll.sends {
                            *tag |= stage << STAGE_SHIFT;
                        }
                        return poll;
                    }
                    self.after_creates();
                }
                Stage::Writing(writes) => {
                    let mut poll = writes.poll(now);
                    if !writes.is_done() {
                        let stage = self.stage_no;
                        for (tag, _) in &mut poll.sends {
                            *tag |= stage << STAGE_SHIFT;
                        }
                        return poll;
                    }
                    self.end_writes();
                }
                Stage::Done => return Poll::default(),
            }
        }
    }

    fn start_listing(&mut self) {
        let o = &self.options;
        let top = MAX_TOP.to_string();
        let first = with_query(
            o.endpoint.user_run_states(o.script_kind, &self.script_id),
            &[("$top", Some(&top))],
        );
        let mut list = Box::new(List::new(first, o.endpoint.clone(), self.policy.clone()));
        let next = Some(list.start());
        self.stage_no += 1;
        self.stage = Stage::Listing {
            list,
            next,
            waiting_until: None,
            in_flight: false,
        };
    }

    fn after_list(&mut self, result: Result<Json, Error>) {
        let server = match result.and_then(|listed| {
            let Json::Array(server) = listed else {
                return Ok(Vec::new());
            };
            check_listing(&server).map(|()| server)
        }) {
            Ok(server) => server,
            Err(e) => {
                self.failure = Some(e);
                self.stage = Stage::Done;
                return;
            }
        };
        let plan = plan(&self.items, &server);
        let mut listed: Vec<(String, usize)> = server
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((object_id(s)?.to_owned(), k)))
            .collect();
        listed.sort_unstable();
        listed.dedup_by(|later, first| later.0 == first.0);
        let existing = listed.iter().map(|(id, _)| id.clone()).collect();
        self.server = server;
        let req = BulkRequest {
            script_id: self.script_id.clone(),
            items: plan
                .create
                .iter()
                .map(|c| Ok(c.user_state.clone()))
                .collect(),
            concurrency: self.concurrency,
            options: self.options.clone(),
        };
        let bulk = Bulk::new(req, self.policy.clone()).with_existing(existing);
        self.listed = listed;
        self.plan = Some(plan);
        self.stage_no += 1;
        self.stage = if self.plan_only {
            Stage::Done
        } else {
            Stage::Creating(Box::new(bulk))
        };
    }

    fn after_creates(&mut self) {
        let Stage::Creating(mut bulk) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        self.throttled += bulk.throttled();
        let plan = self.plan.as_ref().expect("planned before creating");
        let mut writes: Vec<Write> = plan
            .update
            .iter()
            .map(|u| Write::Update {
                id: u.id.clone(),
                changes: u.changes.clone(),
            })
            .collect();
        if self.delete_extra {
            writes.extend(plan.extra.iter().filter_map(|e| {
                Some(Write::Delete {
                    id: object_id(e)?.to_owned(),
                })
            }));
        }
        self.deletes = writes.len() - plan.update.len();
        let writes = if self.aborted {
            None
        } else {
            let w = Writes::after(&mut bulk, writes, self.concurrency);
            // The run's first write goes alone: here, when there were no creates.
            Some(if bulk.progress().total == 0 {
                w.first_alone()
            } else {
                w
            })
        };
        self.stopped = bulk.stopped().cloned();
        self.created = bulk.into_results();
        self.stage_no += 1;
        if let Some(writes) = writes {
            self.stage = Stage::Writing(Box::new(writes));
        }
    }

    /// The writes are done (or aborted): their results, their 429s, and their stop if the
    /// creates did not stop first.
    fn end_writes(&mut self) {
        let Stage::Writing(writes) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return;
        };
        self.throttled += writes.throttled();
        if self.stopped.is_none() {
            self.stopped = writes.stopped().cloned();
        }
        self.written = writes.into_results();
    }

    /// Reports how the request sent under `tag` ended.
    pub fn on_outcome(&mut self, tag: u64, outcome: Outcome, now: f64) {
        if tag >> STAGE_SHIFT != self.stage_no {
            return;
        }
        let inner = tag & ((1 << STAGE_SHIFT) - 1);
        match &mut self.stage {
            Stage::Listing {
                list,
                next,
                in_flight,
                ..
            } if *in_flight => {
                *in_flight = false;
                *next = Some(list.on_outcome(outcome, now));
            }
            Stage::Creating(bulk) => bulk.on_outcome(inner, outcome, now),
            Stage::Writing(writes) => writes.on_outcome(inner, outcome, now),
            _ => {}
        }
    }

    /// Ends the sync: whatever is not settled fails with `AbortError`.
    pub fn abort(&mut self) {
        self.aborted = true;
        match &mut self.stage {
            Stage::Creating(bulk) => {
                bulk.abort();
                self.after_creates();
                self.stage = Stage::Done;
            }
            Stage::Writing(writes) => {
                writes.abort();
                self.end_writes();
            }
            Stage::Done => {}
            _ => {
                self.failure = Some(Error::Aborted {
                    client_request_id: self.policy.client_request_id.clone(),
                });
                self.stage = Stage::Done;
            }
        }
    }

    /// The outcome, or the error that ended the sync before it had a plan (the list could
    /// not be read, or it was aborted first): then nothing was written.
    pub fn into_outcome(self) -> Result<SyncOutcome, Error> {
        let aborted = || Error::Aborted {
            client_request_id: self.policy.client_request_id.clone(),
        };
        let Some(plan) = self.plan else {
            return Err(self.failure.unwrap_or_else(aborted));
        };
        let mut results: Vec<Option<Result<(SyncAction, Json), Error>>> =
            (0..self.items.len()).map(|_| None).collect();
        let object = |id: &str| {
            self.listed
                .binary_search_by(|(k, _)| k.as_str().cmp(id))
                .map(|at| self.server[self.listed[at].1].clone())
                .unwrap_or(Json::Null)
        };
        for u in &plan.unchanged {
            results[u.index] = Some(Ok((SyncAction::Unchanged, object(&u.id))));
        }
        for v in &plan.invalid {
            results[v.index] = Some(Err(Error::Validation(v.error.clone())));
        }
        let mut created = self.created.into_iter();
        for c in &plan.create {
            let r = created.next().unwrap_or_else(|| Err(aborted()));
            results[c.index] = Some(r.map(|s| (SyncAction::Created, s)));
        }
        let mut written = self.written.into_iter();
        for u in &plan.update {
            let r = written.next().unwrap_or_else(|| Err(aborted()));
            results[u.index] = Some(r.map(|answer| {
                let state = match answer {
                    Json::Null => applied(&u.before, &u.changes.fields_json()),
                    object => object,
                };
                (SyncAction::Updated, state)
            }));
        }
        let mut deletions = Vec::new();
        if self.delete_extra {
            for e in &plan.extra {
                let id = object_id(e).unwrap_or_default().to_owned();
                let r = written.next().unwrap_or_else(|| Err(aborted()));
                deletions.push((id, r.map(|_| ())));
            }
        }
        let results = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(aborted())))
            .collect();
        Ok(SyncOutcome {
            plan,
            results,
            deletions,
            throttled: self.throttled,
            stopped: self.stopped,
        })
    }
}

fn not_a_list() -> Error {
    Error::from(crate::error::GraphError {
        status: 200,
        code: crate::error::INVALID_RESPONSE.to_owned(),
        message: "the list of user states ended without its items".to_owned(),
        request_id: None,
        client_request_id: None,
        date: None,
        retry_after: None,
    })
}

/// `before` with `changes` set: the object after a PATCH answered 204.
fn applied(before: &Json, changes: &Json) -> Json {
    let mut out = match before {
        Json::Object(m) => m.clone(),
        _ => Map::new(),
    };
    if let Json::Object(c) = changes {
        for (k, v) in &c.0 {
            out.insert(k.as_str(), v.clone());
        }
    }
    Json::Object(out)
}
