//! A bulk run's answers: each `$batch` answer (or its failure) read item by item, by the
//! rules in the module's docs: created, throttled, uncertain, refused, or final.

use super::{Bulk, MAX_THROTTLES_PER_ITEM};
use crate::batch;
use crate::error::{Error, GraphError};
use crate::graph;
use crate::http::{Outcome, Response};
use crate::retry::{backoff_ms, classify, wait_until_ms, Failure};

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
        if let Outcome::Response(r) = &outcome {
            if r.status == 200 {
                match batch::responses(r) {
                    Some(responses) => return self.on_inner(items, sent, responses, now),
                    None => {
                        let e = Error::from(graph::invalid_body(
                            r,
                            "its body is not a $batch answer",
                            now,
                        ));
                        self.pacer.taken(sent_at, now, items.len());
                        return self.all_uncertain(&items, e, None, now);
                    }
                }
            }
        }
        let error = crate::call::failure_error(
            &outcome,
            self.policy.timeout_ms,
            &self.policy.client_request_id,
            now,
        );
        match classify(&outcome, now) {
            Failure::Throttled(after) => {
                self.budget_met(after, sent.1, now);
                for i in items.into_iter().rev() {
                    self.throttle_item(i, &error, now);
                }
            }
            Failure::Uncertain(after) => {
                // Whatever it did, the service may have counted these writes.
                self.pacer.taken(sent_at, now, items.len());
                self.all_uncertain(&items, error, after, now)
            }
            Failure::Unauthorized => {
                for i in items.into_iter().rev() {
                    self.unauthorized_item(i, &error);
                }
            }
            Failure::Final => {
                for i in items {
                    self.finish(i, Err(error.clone()));
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
        let mut answered = vec![false; items.len()];
        let mut uncertain_after: Option<f64> = None;
        let mut any_uncertain = false;
        let mut requeue = Vec::new();
        let mut taken = 0;
        for (id, resp) in responses {
            let Some(k) = items.iter().position(|&i| i == id) else {
                continue;
            };
            if answered[k] {
                continue;
            }
            answered[k] = true;
            let i = items[k];
            if !matches!(resp.status, 429 | 401) {
                taken += 1;
            }
            if matches!(resp.status, 200 | 201) {
                let result = graph::user_state(&resp, now);
                self.finish(i, result);
                continue;
            }
            let error = Error::from(graph::error_from(&resp, now));
            match classify(&Outcome::Response(resp), now) {
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
                Failure::Final => self.finish(i, Err(error)),
            }
        }
        let missing: Vec<usize> = items
            .iter()
            .zip(&answered)
            .filter(|(_, a)| !**a)
            .map(|(&i, _)| i)
            .collect();
        // An unanswered write may have been counted too.
        self.pacer.taken(sent_at, now, taken + missing.len());
        // Most of the batch throttled: the service's budget is spent, so the whole run waits
        // and keeps to the budget from then on. A few scattered 429s: only those items wait
        // their Retry-After.
        if requeue.len() * 2 > items.len() {
            let after = requeue
                .iter()
                .filter_map(|r| r.2)
                .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))));
            self.budget_met(after, era, now);
        } else if !requeue.is_empty() {
            self.pacer.refused(sent_at, now);
        }
        for (i, error, after) in requeue.into_iter().rev() {
            let wait = self.wait_ms(after, self.items[i].throttles + 1);
            self.throttle_item(i, &error, now + wait);
        }
        for &i in &missing {
            let e = Error::from(GraphError {
                status: 200,
                code: crate::error::INVALID_RESPONSE.to_owned(),
                message: "the $batch answer had no response for this item".to_owned(),
                request_id: None,
                client_request_id: None,
                date: None,
                retry_after: None,
            });
            self.make_uncertain(i, e);
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
        } else {
            self.finish(i, Err(error.clone()));
        }
    }

    /// The service says its write budget is spent (a `$batch` answered 429, or most of one):
    /// the whole run waits what it said, and keeps to the budget learnt from it.
    pub(super) fn budget_met(&mut self, retry_after: Option<f64>, sent_era: u32, now: f64) {
        let wait = match retry_after {
            Some(s) => wait_until_ms(s),
            None => {
                // One step per burst of 429s, not per batch of it.
                if now - self.last_blind >= 500.0 {
                    self.blind += 1;
                    self.last_blind = now;
                }
                f64::from(backoff_ms(self.blind, &mut self.rng))
            }
        };
        self.not_before = self.not_before.max(now + wait);
        self.pacer.budget_met(sent_era, now, wait);
    }
}
