//! A bulk run's answers: each `$batch` answer (or its failure) read item by item, by the
//! rules in the module's docs: created, throttled, uncertain, refused, or final.

use super::machine::{inner_failure, no_answer, pair, read_batch, spent, BatchAnswer, Paired};
use super::{Bulk, MAX_THROTTLES_PER_ITEM};
use crate::error::Error;
use crate::graph;
use crate::http::{Outcome, Response};
use crate::retry::Failure;

impl Bulk {
    /// `sent`: when the batch went out, and in which era of the pacer.
    pub(super) fn on_batch(
        &mut self,
        items: Vec<usize>,
        sent: (f64, u32),
        outcome: Outcome,
        now: f64,
    ) {
        let sent_at = sent.0;
        let (error, failure) = match read_batch(&outcome, &self.policy, now) {
            BatchAnswer::Inner(responses) => return self.on_inner(items, sent, responses, now),
            BatchAnswer::Failed(error, failure) => (error, failure),
        };
        match failure {
            Failure::Throttled(after) => {
                self.budget_met(after, sent.1, now);
                for i in items.into_iter().rev() {
                    self.throttle_item(i, &error, now);
                }
            }
            Failure::Uncertain(after) => {
                // Whatever it did (a body that is no `$batch` answer included), the service
                // may have counted these writes.
                self.pacer.taken(sent_at, now, items.len());
                self.all_uncertain(&items, error, after, now)
            }
            Failure::Unauthorized => {
                for i in items.into_iter().rev() {
                    self.unauthorized_item(i, &error);
                }
            }
            Failure::Final => {
                if !self.stop_on(&error) {
                    for i in items {
                        self.finish(i, Err(error.clone()));
                    }
                }
            }
        }
    }

    pub(super) fn on_inner(
        &mut self,
        items: Vec<usize>,
        (sent_at, era): (f64, u32),
        responses: Vec<(usize, Response)>,
        now: f64,
    ) {
        let Paired {
            answers,
            missing,
            counted,
        } = pair(&items, responses);
        let mut uncertain_after: Option<f64> = None;
        let mut any_uncertain = false;
        let mut requeue = Vec::new();
        for (i, resp) in answers {
            if matches!(resp.status, 200 | 201) {
                let result = graph::user_state(&resp, now);
                self.finish(i, result);
                continue;
            }
            let (error, failure) = inner_failure(resp, now);
            match failure {
                Failure::Throttled(after) => requeue.push((i, error, after)),
                Failure::Uncertain(after) => {
                    any_uncertain = true;
                    uncertain_after = match (uncertain_after, after) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    self.make_uncertain(i, error);
                }
                Failure::Unauthorized => self.unauthorized_item(i, &error),
                Failure::Final => {
                    if !self.stop_on(&error) {
                        self.finish(i, Err(error))
                    }
                }
            }
        }
        // An unanswered write may have been counted too.
        self.pacer.taken(sent_at, now, counted);
        // Most of the batch throttled: the service's budget is spent, so the whole run waits
        // and keeps to the budget from then on. A few scattered 429s: only those items wait
        // their Retry-After.
        // The first write, alone, throttled says little about the budget: it waits as a
        // scattered 429 does, and the rest go.
        let lone_probe = self.probe == super::Probe::Flying;
        if let Some(after) = spent(&requeue, items.len()).filter(|_| !lone_probe) {
            self.budget_met(after, era, now);
        } else if !requeue.is_empty() {
            self.pacer.refused(sent_at, now);
        }
        for (i, error, after) in requeue.into_iter().rev() {
            let wait = self.wait_ms(after, self.items[i].throttles + 1);
            self.throttle_item(i, &error, now + wait);
        }
        for &i in &missing {
            self.make_uncertain(
                i,
                no_answer("the $batch answer had no response for this item"),
            );
        }
        if any_uncertain || !missing.is_empty() {
            self.schedule_lookup(uncertain_after, now);
        }
    }

    pub(super) fn make_uncertain(&mut self, i: usize, error: Error) {
        self.items[i].last_error = Some(error);
        self.uncertain.push(i);
    }

    pub(super) fn all_uncertain(
        &mut self,
        items: &[usize],
        error: Error,
        after: Option<f64>,
        now: f64,
    ) {
        for &i in items {
            self.make_uncertain(i, error.clone());
        }
        self.schedule_lookup(after, now);
    }

    pub(super) fn throttle_item(&mut self, i: usize, error: &Error, ready_at: f64) {
        self.throttled += 1;
        let item = &mut self.items[i];
        item.throttles += 1;
        item.ready_at = ready_at;
        if item.throttles > MAX_THROTTLES_PER_ITEM {
            self.finish(i, Err(error.clone()));
        } else {
            self.queue.push_front(i);
        }
    }

    pub(super) fn unauthorized_item(&mut self, i: usize, error: &Error) {
        let item = &mut self.items[i];
        if self.policy.refreshable && !item.refreshed {
            item.refreshed = true;
            self.queue.push_front(i);
        } else if let Error::Graph(g) = error {
            // Refused again after the token was asked for anew (or it cannot be): no write
            // of this run will be accepted.
            self.stop(g);
        } else {
            self.finish(i, Err(error.clone()));
        }
    }

    /// The service says its write budget is spent (a `$batch` answered 429, or most of one):
    /// the whole run waits what it said, and keeps to the budget learnt from it.
    pub(super) fn budget_met(&mut self, retry_after: Option<f64>, sent_era: u32, now: f64) {
        self.hold
            .budget_met(&mut self.pacer, &mut self.rng, retry_after, sent_era, now);
    }
}
