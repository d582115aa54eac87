//! `createUserState` as a state machine, with the rule that keeps a create exactly-once.
//!
//! A create has no idempotency key. A 429 means the POST was not processed, so it is resent
//! after the wait. A 5xx, a timeout or a dropped connection may have created the object, so
//! the call first waits (`Retry-After` or backoff), then lists the script's user states and
//! resolves with the object when it is there (matched by `id` when the caller gave one, else
//! by `userPrincipalName`); only when it is not there is the POST sent again. When the
//! look-up itself cannot finish, the call rejects with the create's own failure, because
//! whether the object exists is then unknown. A 401 is answered by asking the token function
//! once more and resending once.

use crate::call::{failure_error, Action, Operation};
use crate::error::Error;
use crate::graph;
use crate::http::{Body, Method, Outcome, Request};
use crate::json::Json;
use crate::model::check_user_state;
use crate::retry::{
    backoff_ms, classify, throttle_backoff_ms, wait_ms, Failure, Rng, MAX_WAIT_SECONDS,
};
use crate::single::{may_follow, Policy};
use crate::validate::CreateRequest;

/// A `createUserState` call in progress.
#[derive(Debug)]
pub struct Create {
    req: CreateRequest,
    client_request_id: String,
    /// Whether the token comes from a function that can be asked again after a 401.
    refreshable: bool,
    refreshed: bool,
    /// POSTs resent so far.
    resends: u32,
    /// Failed look-up requests so far.
    lookup_failures: u32,
    /// Look-up pages read so far.
    lookup_pages: u32,
    rng: Rng,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    /// The POST is out, or will be once a wait is over.
    Posting,
    /// Waiting before the first look-up, holding the create's own failure.
    BeforeLookup(Error),
    /// Listing the script's user states: the page asked for, and the create's failure.
    Looking { url: String, uncertain: Error },
}

impl Create {
    /// A create of `req`, not started yet.
    pub fn new(req: CreateRequest, policy: Policy) -> Self {
        let Policy {
            client_request_id,
            refreshable,
            seed,
            ..
        } = policy;
        Self {
            req,
            client_request_id,
            refreshable,
            refreshed: false,
            resends: 0,
            lookup_failures: 0,
            lookup_pages: 0,
            rng: Rng::new(seed),
            phase: Phase::Posting,
        }
    }

    fn collection_url(&self) -> String {
        let o = &self.req.options;
        o.endpoint
            .user_run_states(o.script_kind, &self.req.script_id)
    }

    fn post(&mut self) -> Action {
        self.phase = Phase::Posting;
        Action::Send(Request {
            method: Method::Post,
            url: self.collection_url(),
            body: Some(self.req.user_state.to_json()),
        })
    }

    fn failures(&self) -> u32 {
        self.resends + self.lookup_failures
    }

    /// How long to wait before the next attempt: what the service said, or backoff. `None`
    /// when the service asks for more than this call waits by itself.
    fn wait_for(&mut self, retry_after: Option<f64>, throttled: bool) -> Option<u32> {
        let n = self.failures() + 1;
        match retry_after {
            Some(s) if s > MAX_WAIT_SECONDS => None,
            Some(s) => Some(wait_ms(s)),
            None if throttled => Some(throttle_backoff_ms(n, &mut self.rng)),
            None => Some(backoff_ms(n, &mut self.rng)),
        }
    }

    fn on_post(&mut self, outcome: Outcome, now_ms: f64) -> Action {
        let o = &self.req.options;
        if let Outcome::Response(r) = &outcome {
            if matches!(r.status, 200 | 201) {
                return Action::Done(graph::user_state(r, now_ms));
            }
        }
        let error = failure_error(&outcome, o.timeout_ms, &self.client_request_id, now_ms);
        match classify(&outcome, now_ms) {
            Failure::Unauthorized if self.refreshable && !self.refreshed => {
                self.refreshed = true;
                self.post()
            }
            Failure::Throttled(after) if self.resends < o.max_retries => {
                match self.wait_for(after, true) {
                    Some(ms) => {
                        self.resends += 1;
                        Action::Wait(ms)
                    }
                    None => Action::Done(Err(error)),
                }
            }
            Failure::Uncertain(after) => match self.wait_for(after, false) {
                Some(ms) => {
                    self.phase = Phase::BeforeLookup(error);
                    Action::Wait(ms)
                }
                None => Action::Done(Err(error)),
            },
            _ => Action::Done(Err(error)),
        }
    }

    fn look(&mut self, url: String, uncertain: Error) -> Action {
        self.phase = Phase::Looking {
            url: url.clone(),
            uncertain,
        };
        Action::Send(Request::get(url))
    }

    fn on_lookup(
        &mut self,
        url: String,
        uncertain: Error,
        outcome: Outcome,
        now_ms: f64,
    ) -> Action {
        let give_up = Action::Done(Err(uncertain.clone()));
        if let Outcome::Response(r) = &outcome {
            if r.status == 200 {
                let Body::Json(page) = &r.body else {
                    return give_up;
                };
                let Some(Json::Array(items)) = page.get("value") else {
                    return give_up;
                };
                if let Some(found) = items.iter().find(|s| self.req.user_state.is_created_as(s)) {
                    // Something for this user that is not a readable user state may still be
                    // ours: resending could make a second one, so the outcome stays unknown.
                    return match check_user_state(found) {
                        Ok(()) => Action::Done(Ok(found.clone())),
                        Err(_) => give_up,
                    };
                }
                self.lookup_pages += 1;
                return match page.get("@odata.nextLink").and_then(Json::as_str) {
                    Some(next)
                        if self.req.options.endpoint.check_next_link(next).is_ok()
                            && may_follow(&url, next, self.lookup_pages) =>
                    {
                        self.look(next.to_owned(), uncertain)
                    }
                    Some(_) => give_up,
                    None if self.resends < self.req.options.max_retries => {
                        // Not created: now a resend cannot make a second object.
                        self.resends += 1;
                        self.post()
                    }
                    None => give_up,
                };
            }
        }
        let failure = classify(&outcome, now_ms);
        match failure {
            Failure::Unauthorized if self.refreshable && !self.refreshed => {
                self.refreshed = true;
                self.look(url, uncertain)
            }
            Failure::Throttled(after) | Failure::Uncertain(after)
                if self.lookup_failures < self.req.options.max_retries.max(1) =>
            {
                match self.wait_for(after, matches!(failure, Failure::Throttled(_))) {
                    Some(ms) => {
                        self.lookup_failures += 1;
                        self.phase = Phase::Looking { url, uncertain };
                        Action::Wait(ms)
                    }
                    None => give_up,
                }
            }
            _ => give_up,
        }
    }
}

impl Operation for Create {
    fn start(&mut self) -> Action {
        self.post()
    }

    fn on_outcome(&mut self, outcome: Outcome, now_ms: f64) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Posting) {
            Phase::Looking { url, uncertain } => self.on_lookup(url, uncertain, outcome, now_ms),
            Phase::Posting | Phase::BeforeLookup(_) => self.on_post(outcome, now_ms),
        }
    }

    fn on_wait_over(&mut self) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Posting) {
            Phase::Posting => self.post(),
            Phase::BeforeLookup(uncertain) => {
                let url = self.collection_url();
                self.look(url, uncertain)
            }
            Phase::Looking { url, uncertain } => self.look(url, uncertain),
        }
    }
}
