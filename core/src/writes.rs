//! A sync's updates and deletes: PATCH and DELETE of known objects through JSON `$batch`,
//! paced by the write budget the run learnt while creating ([`Writes::after`]).
//!
//! Both writes are idempotent, so no look-up is needed before a resend:
//! - an inner (or outer) 429 means not processed: the write waits its `Retry-After` and goes
//!   back in the queue; most of a batch (or the whole `$batch`) throttled means the budget is
//!   spent, as in a bulk run (`bulk/pace.rs`);
//! - an inner 5xx, a missing inner answer, or an outer 5xx, timeout or dropped connection
//!   leaves the write uncertain: it is resent after the wait (at most `maxRetries` times), and
//!   a DELETE that then answers 404 was done by the attempt before: it counts as deleted;
//! - a 401 is answered once per write by asking the token function again;
//! - a 403, 405, 501 or 400 `No method match route template` (inner or outer) stops the run:
//!   nothing more is sent, every write not settled fails with it, and [`Writes::stopped`]
//!   says so;
//! - anything else fails that write alone.
//!
//! Like [`crate::bulk::Bulk`], it does no I/O and reads no clock: the edge asks
//! [`Writes::poll`] what to send and when to wake, and reports each answer with
//! [`Writes::on_outcome`].

use crate::batch::{self, BATCH_SIZE};
use crate::bulk::machine::{
    self, inner_failure, no_answer, pair, read_batch, spent, BatchAnswer, Hold, Paired,
};
use crate::bulk::pace::Pacer;
use crate::bulk::{stops_run, Bulk, Poll, Progress, MAX_THROTTLES_PER_ITEM};
use crate::call::Policy;
use crate::endpoint::{relative_user_run_states, Endpoint, ScriptKind};
use crate::error::Error;
use crate::graph;
use crate::http::{Body, Method, Outcome, Request, Response};
use crate::json::Json;
use crate::retry::{backoff_ms, wait_until_ms, Failure, Rng};
use crate::validate::Changes;
use std::collections::VecDeque;

/// One write of a sync.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// PATCH the object `id` with `changes`.
    Update {
        /// The object's id.
        id: String,
        /// The fields to set.
        changes: Changes,
    },
    /// DELETE the object `id`.
    Delete {
        /// The object's id.
        id: String,
    },
}

#[derive(Debug)]
struct Op {
    write: Write,
    result: Option<Result<Json, Error>>,
    resends: u32,
    throttles: u32,
    refreshed: bool,
    /// An attempt may have been processed (a DELETE's later 404 is then a success).
    uncertain: bool,
    ready_at: f64,
}

#[derive(Debug)]
struct Flight {
    tag: u64,
    ops: Vec<usize>,
    sent_at: f64,
    era: u32,
}

/// The updates and deletes of a sync.
#[derive(Debug)]
pub struct Writes {
    endpoint: Endpoint,
    kind: ScriptKind,
    script_id: String,
    policy: Policy,
    ops: Vec<Op>,
    queue: VecDeque<usize>,
    flights: Vec<Flight>,
    next_tag: u64,
    hold: Hold,
    pacer: Pacer,
    max_in_flight: usize,
    throttled: u32,
    settled: (usize, usize),
    rng: Rng,
    /// The first write goes alone and nothing else goes until its answer is in.
    first_pending: bool,
    /// The answer that said no write of the run can succeed ([`Writes::stopped`]).
    stopped: Option<Error>,
}

impl Writes {
    /// The writes of a sync whose creates ran in `creates`: the same budget, learnt or not.
    pub fn after(creates: &mut Bulk, writes: Vec<Write>, concurrency: u32) -> Self {
        let (endpoint, kind, script_id, policy) = creates.target();
        Self::with_pacer(
            (endpoint, kind, script_id, policy),
            writes,
            concurrency,
            creates.take_pacer(),
        )
    }

    /// The writes alone, with a fresh budget.
    pub fn new(
        target: (Endpoint, ScriptKind, String, Policy),
        writes: Vec<Write>,
        concurrency: u32,
    ) -> Self {
        Self::with_pacer(target, writes, concurrency, Pacer::new())
    }

    fn with_pacer(
        (endpoint, kind, script_id, policy): (Endpoint, ScriptKind, String, Policy),
        writes: Vec<Write>,
        concurrency: u32,
        pacer: Pacer,
    ) -> Self {
        let ops: Vec<Op> = writes
            .into_iter()
            .map(|write| Op {
                write,
                result: None,
                resends: 0,
                throttles: 0,
                refreshed: false,
                uncertain: false,
                ready_at: 0.0,
            })
            .collect();
        Self {
            queue: (0..ops.len()).collect(),
            ops,
            endpoint,
            kind,
            script_id,
            rng: Rng::new(policy.seed ^ 0x5752_4954_4553),
            policy,
            flights: Vec::new(),
            next_tag: 0,
            hold: Hold::new(),
            pacer,
            max_in_flight: concurrency.max(1) as usize,
            throttled: 0,
            settled: (0, 0),
            first_pending: false,
            stopped: None,
        }
    }

    /// Sends its first write alone, and the rest once that answer is in (a run that cannot
    /// succeed learns it from one request). For a sync with no creates, whose first write
    /// this is.
    pub fn first_alone(mut self) -> Self {
        self.first_pending = true;
        self
    }

    /// The answer that stopped the run, if one did (see the module docs): the first such, with
    /// which every write not settled then failed.
    pub fn stopped(&self) -> Option<&Error> {
        self.stopped.as_ref()
    }

    /// 429s seen, inner and outer.
    pub fn throttled(&self) -> u32 {
        self.throttled
    }

    /// Writes settled so far.
    pub fn progress(&self) -> Progress {
        let (succeeded, failed) = self.settled;
        Progress {
            done: succeeded + failed,
            total: self.ops.len(),
            succeeded,
            failed,
        }
    }

    /// Every write has its result.
    pub fn is_done(&self) -> bool {
        self.settled.0 + self.settled.1 == self.ops.len()
    }

    /// Ends the run: every write not settled fails with `AbortError` (one in flight may have
    /// been done; a sync run again plans against what the server holds).
    pub fn abort(&mut self) {
        let id = self.policy.client_request_id.clone();
        for i in 0..self.ops.len() {
            if self.ops[i].result.is_none() {
                self.set_result(
                    i,
                    Err(Error::Aborted {
                        client_request_id: id.clone(),
                    }),
                );
            }
        }
        self.queue.clear();
        self.flights.clear();
    }

    /// Each write's result, in the order given: the updated object (or `null` for a 204) for
    /// an update, `null` for a delete.
    pub fn into_results(self) -> Vec<Result<Json, Error>> {
        let id = self.policy.client_request_id;
        self.ops
            .into_iter()
            .map(|op| {
                op.result.unwrap_or_else(|| {
                    Err(Error::Aborted {
                        client_request_id: id.clone(),
                    })
                })
            })
            .collect()
    }

    fn set_result(&mut self, i: usize, result: Result<Json, Error>) {
        match result {
            Ok(_) => self.settled.0 += 1,
            Err(_) => self.settled.1 += 1,
        }
        self.ops[i].result = Some(result);
    }

    fn in_flight(&self) -> (usize, usize, Option<f64>) {
        let writes = self.flights.iter().map(|f| f.ops.len()).sum();
        let oldest = self.flights.iter().map(|f| f.sent_at).reduce(f64::min);
        (self.flights.len(), writes, oldest)
    }

    /// What to send now, and when to look again (`append` is always empty).
    pub fn poll(&mut self, now: f64) -> Poll {
        let mut poll = Poll::default();
        let mut wake = f64::INFINITY;
        while !self.queue.is_empty() {
            let (batches, writes, oldest) = self.in_flight();
            if batches >= self.max_in_flight || (self.first_pending && batches > 0) {
                break;
            }
            if now < self.hold.not_before {
                wake = wake.min(self.hold.not_before);
                break;
            }
            let ready = match machine::ready(&self.queue, BATCH_SIZE, now, |i| self.ops[i].ready_at)
            {
                Ok(ready) => ready,
                Err(soonest) => {
                    wake = wake.min(soonest);
                    break;
                }
            };
            let (free, frees_at) = self.pacer.allowance(now, writes, oldest, ready);
            if free == 0 {
                if let Some(at) = frees_at {
                    wake = wake.min(at);
                }
                break;
            }
            let most = if self.first_pending { 1 } else { BATCH_SIZE };
            let ops = machine::take_ready(&mut self.queue, free.min(most), now, |i| {
                self.ops[i].ready_at
            });
            let request = self.batch_request(&ops);
            self.next_tag += 1;
            self.flights.push(Flight {
                tag: self.next_tag,
                ops,
                sent_at: now,
                era: self.pacer.era(),
            });
            poll.sends.push((self.next_tag, request));
        }
        poll.wake_in_ms = machine::wake_in_ms(wake, now);
        poll
    }

    fn batch_request(&self, ops: &[usize]) -> Request {
        let base = relative_user_run_states(self.kind, &self.script_id);
        let inner = ops.iter().map(|&i| {
            let (method, id, body) = match &self.ops[i].write {
                Write::Update { id, changes } => (Method::Patch, id, Some(changes.to_json())),
                Write::Delete { id } => (Method::Delete, id, None),
            };
            let mut url = base.clone();
            url.push('/');
            crate::endpoint::push_segment(&mut url, id);
            batch::Inner {
                id: i,
                method,
                url,
                body,
            }
        });
        batch::request(&self.endpoint, inner)
    }

    /// Reports how the request sent under `tag` ended.
    pub fn on_outcome(&mut self, tag: u64, outcome: Outcome, now: f64) {
        let Some(pos) = self.flights.iter().position(|f| f.tag == tag) else {
            return;
        };
        let flight = self.flights.swap_remove(pos);
        self.first_pending = false;
        let (error, failure) = match read_batch(&outcome, &self.policy, now) {
            BatchAnswer::Inner(responses) => return self.on_inner(flight, responses, now),
            BatchAnswer::Failed(error, failure) => (error, failure),
        };
        match failure {
            Failure::Throttled(after) => {
                self.budget_met(after, flight.era, now);
                for i in flight.ops.into_iter().rev() {
                    self.throttle(i, &error, now);
                }
            }
            Failure::Uncertain(after) => {
                // A body that is no `$batch` answer included.
                self.pacer.taken(flight.sent_at, now, flight.ops.len());
                for i in flight.ops {
                    self.uncertain(i, error.clone(), after, now);
                }
            }
            Failure::Unauthorized => {
                for i in flight.ops.into_iter().rev() {
                    self.unauthorized(i, &error);
                }
            }
            Failure::Final => {
                for i in flight.ops {
                    self.set_result(i, Err(error.clone()));
                }
                self.stop_if_hopeless(&error);
            }
        }
    }

    fn on_inner(&mut self, flight: Flight, responses: Vec<(usize, Response)>, now: f64) {
        let Paired {
            answers,
            missing,
            counted,
        } = pair(&flight.ops, responses);
        let mut stop: Option<Error> = None;
        let mut requeue = Vec::new();
        for (i, resp) in answers {
            let delete = matches!(self.ops[i].write, Write::Delete { .. });
            match resp.status {
                200 | 204 if delete => {
                    self.set_result(i, Ok(Json::Null));
                    continue;
                }
                404 if delete && self.ops[i].uncertain => {
                    self.set_result(i, Ok(Json::Null));
                    continue;
                }
                204 => {
                    self.set_result(i, Ok(Json::Null));
                    continue;
                }
                200 if resp.body == Body::Empty => {
                    self.set_result(i, Ok(Json::Null));
                    continue;
                }
                200 => {
                    let result = graph::user_state(&resp, now);
                    self.set_result(i, result);
                    continue;
                }
                _ => {}
            }
            let (error, failure) = inner_failure(resp, now);
            match failure {
                Failure::Throttled(after) => requeue.push((i, error, after)),
                Failure::Uncertain(after) => self.uncertain(i, error, after, now),
                Failure::Unauthorized => self.unauthorized(i, &error),
                Failure::Final => {
                    self.set_result(i, Err(error.clone()));
                    stop = stop.or(hopeless(&error).then_some(error));
                }
            }
        }
        self.pacer.taken(flight.sent_at, now, counted);
        if let Some(after) = spent(&requeue, flight.ops.len()) {
            self.budget_met(after, flight.era, now);
        } else if !requeue.is_empty() {
            self.pacer.refused(flight.sent_at, now);
        }
        for (i, error, after) in requeue.into_iter().rev() {
            let wait = self.wait_ms(after, self.ops[i].throttles + 1);
            self.throttle(i, &error, now + wait);
        }
        for i in missing {
            let e = no_answer("the $batch answer had no response for this write");
            self.uncertain(i, e, None, now);
        }
        if let Some(error) = stop {
            self.stop_if_hopeless(&error);
        }
    }

    /// After an answer that says no write of this run can succeed (403, 405, 501, or 400 `No
    /// method match route template`: the service has no such write route in this tenant),
    /// nothing more is sent: every write not settled fails with that answer.
    fn stop_if_hopeless(&mut self, error: &Error) {
        if !hopeless(error) {
            return;
        }
        if self.stopped.is_none() {
            self.stopped = Some(error.clone());
        }
        self.queue.clear();
        self.flights.clear();
        for i in 0..self.ops.len() {
            if self.ops[i].result.is_none() {
                self.set_result(i, Err(error.clone()));
            }
        }
    }

    fn wait_ms(&mut self, retry_after: Option<f64>, attempt: u32) -> f64 {
        match retry_after {
            Some(s) => wait_until_ms(s),
            None => f64::from(backoff_ms(attempt, &mut self.rng)),
        }
    }

    /// The write may have been done: resent after the wait, within `maxRetries`.
    fn uncertain(&mut self, i: usize, error: Error, after: Option<f64>, now: f64) {
        let op = &mut self.ops[i];
        op.uncertain = true;
        if op.resends >= self.policy.max_retries {
            self.set_result(i, Err(error));
            return;
        }
        op.resends += 1;
        let attempt = op.resends;
        let wait = self.wait_ms(after, attempt);
        self.ops[i].ready_at = now + wait;
        self.queue.push_back(i);
    }

    fn throttle(&mut self, i: usize, error: &Error, ready_at: f64) {
        self.throttled += 1;
        let op = &mut self.ops[i];
        op.throttles += 1;
        op.ready_at = ready_at;
        if op.throttles > MAX_THROTTLES_PER_ITEM {
            self.set_result(i, Err(error.clone()));
        } else {
            self.queue.push_front(i);
        }
    }

    fn unauthorized(&mut self, i: usize, error: &Error) {
        let op = &mut self.ops[i];
        if self.policy.refreshable && !op.refreshed {
            op.refreshed = true;
            self.queue.push_front(i);
        } else {
            self.set_result(i, Err(error.clone()));
        }
    }

    fn budget_met(&mut self, retry_after: Option<f64>, sent_era: u32, now: f64) {
        self.hold
            .budget_met(&mut self.pacer, &mut self.rng, retry_after, sent_era, now);
    }
}

/// Whether a failed write's answer says the run cannot succeed: the bulk run's rule
/// ([`stops_run`]: 403, no permission; 405 and 501, no such method; 400 `No method match route
/// template`, no such route in this tenant; GRAPH.md, "Documented writes that a tenant may
/// refuse") but for a 404, which is not: an object gone since the plan fails alone, and the
/// next sync plans it again.
fn hopeless(error: &Error) -> bool {
    match error {
        Error::Graph(g) => g.status != 404 && stops_run(g),
        _ => false,
    }
}
