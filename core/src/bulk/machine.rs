//! What the two `$batch` write machines share: [`Bulk`](super::Bulk) (a run's creates) and
//! [`Writes`](crate::writes::Writes) (a sync's updates and deletes). Both queue their writes,
//! send them in `$batch` requests paced by one [`Pacer`], and read each answer by the same
//! rules (see the module docs of `bulk.rs` and `writes.rs`); what a write's success or an
//! uncertain write means differs, and stays in each machine.

use super::pace::Pacer;
use crate::call::{failure_error, Policy};
use crate::error::{Error, GraphError, INVALID_RESPONSE};
use crate::graph;
use crate::http::{Outcome, Response};
use crate::retry::{backoff_ms, classify, wait_until_ms, Failure, Rng, MAX_TIMER_MS};
use std::collections::VecDeque;

/// A run's wait as a whole: no new batch before `not_before` (a `Retry-After` for the whole
/// run), and the budgets met without one, for the backoff that stands in for it.
#[derive(Debug)]
pub(crate) struct Hold {
    pub(crate) not_before: f64,
    blind: u32,
    last_blind: f64,
}

impl Hold {
    pub(crate) fn new() -> Self {
        Self {
            not_before: 0.0,
            blind: 0,
            last_blind: f64::NEG_INFINITY,
        }
    }

    /// The service says its write budget is spent (a `$batch` answered 429, or most of one):
    /// the whole run waits what it said, and `pacer` keeps to the budget learnt from it.
    pub(crate) fn budget_met(
        &mut self,
        pacer: &mut Pacer,
        rng: &mut Rng,
        retry_after: Option<f64>,
        sent_era: u32,
        now: f64,
    ) {
        let wait = match retry_after {
            Some(s) => wait_until_ms(s),
            None => {
                // One step per burst of 429s, not per batch of it.
                if now - self.last_blind >= 500.0 {
                    self.blind += 1;
                    self.last_blind = now;
                }
                f64::from(backoff_ms(self.blind, rng))
            }
        };
        self.not_before = self.not_before.max(now + wait);
        pacer.budget_met(sent_era, now, wait);
    }
}

/// How many of the first `max` queued writes may go at `now` (`ready_at` says when each may),
/// or, if none may, when the first of them may (`Err`).
pub(crate) fn ready(
    queue: &VecDeque<usize>,
    max: usize,
    now: f64,
    ready_at: impl Fn(usize) -> f64,
) -> Result<usize, f64> {
    let ready = queue
        .iter()
        .filter(|&&i| ready_at(i) <= now)
        .take(max)
        .count();
    if ready > 0 {
        return Ok(ready);
    }
    Err(queue
        .iter()
        .map(|&i| ready_at(i))
        .fold(f64::INFINITY, f64::min))
}

/// Up to `max` queued writes whose own wait is over, in queue order.
/// Only the front of the queue is looked at: up to the batch, and the writes before it that
/// still wait (throttled ones, which go back to the front, so never more than were in
/// flight), so a batch costs the same at the start of a run as at its end.
pub(crate) fn take_ready(
    queue: &mut VecDeque<usize>,
    max: usize,
    now: f64,
    ready_at: impl Fn(usize) -> f64,
) -> Vec<usize> {
    let mut batch = Vec::new();
    let mut waiting = Vec::new();
    while batch.len() < max {
        let Some(i) = queue.pop_front() else {
            break;
        };
        if ready_at(i) <= now {
            batch.push(i);
        } else {
            waiting.push(i);
        }
    }
    for i in waiting.into_iter().rev() {
        queue.push_front(i);
    }
    batch
}

/// When to poll again to wake at `wake` (none if never): longer than one timer can wait, at
/// the limit, and poll again then.
pub(crate) fn wake_in_ms(wake: f64, now: f64) -> Option<u32> {
    if !wake.is_finite() {
        return None;
    }
    let ms = ((wake - now).max(0.0).ceil() as u32).saturating_add(1);
    Some(ms.min(MAX_TIMER_MS))
}

/// How a `$batch` request ended, for the writes it carried.
pub(crate) enum BatchAnswer {
    /// A `$batch` answer: one inner answer per write (by its id), as read.
    Inner(Vec<(usize, Response)>),
    /// No `$batch` answer: every write it carried shares this error and this reading. A 200
    /// whose body is no `$batch` answer leaves them uncertain (the service may have done
    /// them), with no wait of its own.
    Failed(Error, Failure),
}

/// Reads how a `$batch` request ended (see [`BatchAnswer`]).
pub(crate) fn read_batch(outcome: &Outcome, policy: &Policy, now: f64) -> BatchAnswer {
    if let Outcome::Response(r) = outcome {
        if r.status == 200 {
            return match crate::batch::responses(r) {
                Some(responses) => BatchAnswer::Inner(responses),
                None => BatchAnswer::Failed(
                    Error::from(graph::invalid_body(
                        r,
                        "its body is not a $batch answer",
                        now,
                    )),
                    Failure::Uncertain(None),
                ),
            };
        }
    }
    let error = failure_error(outcome, policy.timeout_ms, &policy.client_request_id, now);
    BatchAnswer::Failed(error, classify(outcome, now))
}

/// A `$batch` answer matched to the writes of the request it answers.
pub(crate) struct Paired {
    /// Each write's inner answer (its index, the answer), in the answer's order; an answer
    /// for no write of the request, or a second one for a write, is dropped.
    pub(crate) answers: Vec<(usize, Response)>,
    /// The writes of the request it has no answer for, in the request's order.
    pub(crate) missing: Vec<usize>,
    /// The writes the service may have counted against its budget: every one answered other
    /// than 429 or 401, and every one not answered.
    pub(crate) counted: usize,
}

/// Matches the inner answers `responses` to the writes `sent` (see [`Paired`]).
pub(crate) fn pair(sent: &[usize], responses: Vec<(usize, Response)>) -> Paired {
    let mut answered = vec![false; sent.len()];
    let mut answers = Vec::with_capacity(sent.len());
    let mut counted = 0;
    for (id, resp) in responses {
        let Some(k) = sent.iter().position(|&i| i == id) else {
            continue;
        };
        if std::mem::replace(&mut answered[k], true) {
            continue;
        }
        if !matches!(resp.status, 429 | 401) {
            counted += 1;
        }
        answers.push((sent[k], resp));
    }
    let missing: Vec<usize> = sent
        .iter()
        .zip(&answered)
        .filter(|(_, a)| !**a)
        .map(|(&i, _)| i)
        .collect();
    counted += missing.len();
    Paired {
        answers,
        missing,
        counted,
    }
}

/// A failed inner answer: Graph's error, and how to take it.
pub(crate) fn inner_failure(resp: Response, now: f64) -> (Error, Failure) {
    let error = Error::from(graph::error_from(&resp, now));
    let failure = classify(&Outcome::Response(resp), now);
    (error, failure)
}

/// Whether the throttled writes of a batch (`throttled` of `sent`) say the service's budget is
/// spent, and if so the longest `Retry-After` among theirs: most of the batch throttled. A
/// few scattered 429s say only that those writes wait their own `Retry-After`.
pub(crate) fn spent<E>(throttled: &[(usize, E, Option<f64>)], sent: usize) -> Option<Option<f64>> {
    (throttled.len() * 2 > sent).then(|| throttled.iter().filter_map(|t| t.2).reduce(f64::max))
}

/// The error of a write the `$batch` answer had no answer for (`message` says so).
pub(crate) fn no_answer(message: &str) -> Error {
    Error::from(GraphError {
        status: 200,
        code: INVALID_RESPONSE.to_owned(),
        message: message.to_owned(),
        request_id: None,
        client_request_id: None,
        date: None,
        retry_after: None,
    })
}
