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

use crate::call::Policy;
use crate::call::{failure_error, Action, Operation};
use crate::error::Error;
use crate::graph;
use crate::http::{Method, Outcome, Request};
use crate::lookup::{matches, Found, Listing, Next, Page, Retry};
use crate::retry::{
    backoff_ms, classify, throttle_backoff_ms, wait_ms, Failure, Rng, MAX_WAIT_SECONDS,
};
use crate::validate::CreateRequest;

/// A `createUserState` call in progress.
#[derive(Debug)]
pub struct Create {
    req: CreateRequest,
    policy: Policy,
    refreshed: bool,
    /// POSTs resent so far.
    resends: u32,
    /// Failed look-up requests so far (of every look-up of the call).
    lookup_failures: u32,
    rng: Rng,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    /// The POST is out, or will be once a wait is over.
    Posting,
    /// Waiting before the first look-up, holding the create's own failure.
    BeforeLookup(Error),
    /// Listing the script's user states (see [`crate::lookup`]), holding the create's failure.
    Looking { listing: Listing, uncertain: Error },
}

impl Create {
    /// A create of `req`, not started yet.
    pub fn new(req: CreateRequest, policy: Policy) -> Self {
        Self {
            req,
            rng: Rng::new(policy.seed),
            policy,
            refreshed: false,
            resends: 0,
            lookup_failures: 0,
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
        let p = &self.policy;
        if let Outcome::Response(r) = &outcome {
            if matches!(r.status, 200 | 201) {
                return match graph::check_answer(r, now_ms) {
                    Ok(()) => Action::Answered,
                    Err(e) => Action::Done(Err(e)),
                };
            }
        }
        let error = failure_error(&outcome, p.timeout_ms, &p.client_request_id, now_ms);
        match classify(&outcome, now_ms) {
            Failure::Unauthorized if p.refreshable && !self.refreshed => {
                self.refreshed = true;
                self.post()
            }
            Failure::Throttled(after) if self.resends < p.max_retries => {
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

    fn look(&mut self, listing: Listing, uncertain: Error) -> Action {
        let request = listing.request();
        self.phase = Phase::Looking { listing, uncertain };
        Action::Send(request)
    }

    fn on_lookup(
        &mut self,
        mut listing: Listing,
        uncertain: Error,
        outcome: Outcome,
        now_ms: f64,
    ) -> Action {
        let (p, endpoint) = (&self.policy, &self.req.options.endpoint);
        let give_up = |uncertain: Error| Action::Done(Err(uncertain));
        match listing.read(&outcome, endpoint) {
            Page::States { states, next } => {
                let input = &self.req.user_state;
                let found = states
                    .iter()
                    .find_map(|s| matches(input, s).map(|found| (found, s)));
                match (found, next) {
                    (Some((Found::Object, state)), _) => Action::Done(Ok(state.clone())),
                    (Some((Found::Unreadable, _)), _) => give_up(uncertain),
                    (None, Next::More) => self.look(listing, uncertain),
                    (None, Next::End) if self.resends < p.max_retries => {
                        // Not created: now a resend cannot make a second object.
                        self.resends += 1;
                        self.post()
                    }
                    (None, Next::End | Next::Unusable) => give_up(uncertain),
                }
            }
            Page::Unreadable => give_up(uncertain),
            Page::Failed => {
                let may_refresh = p.refreshable && !self.refreshed;
                match listing.retry(&outcome, now_ms, p.max_retries, may_refresh) {
                    Retry::Refresh => {
                        self.refreshed = true;
                        self.look(listing, uncertain)
                    }
                    // The look-ups of one call share one budget of failures.
                    Retry::Wait { .. } if self.lookup_failures >= p.max_retries.max(1) => {
                        give_up(uncertain)
                    }
                    Retry::Wait {
                        retry_after,
                        throttled,
                    } => match self.wait_for(retry_after, throttled) {
                        Some(ms) => {
                            self.lookup_failures += 1;
                            self.phase = Phase::Looking { listing, uncertain };
                            Action::Wait(ms)
                        }
                        None => give_up(uncertain),
                    },
                    Retry::GiveUp => give_up(uncertain),
                }
            }
        }
    }
}

impl Operation for Create {
    fn start(&mut self) -> Action {
        self.post()
    }

    fn on_outcome(&mut self, outcome: Outcome, now_ms: f64) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Posting) {
            Phase::Looking { listing, uncertain } => {
                self.on_lookup(listing, uncertain, outcome, now_ms)
            }
            Phase::Posting | Phase::BeforeLookup(_) => self.on_post(outcome, now_ms),
        }
    }

    fn on_wait_over(&mut self) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Posting) {
            Phase::Posting => self.post(),
            Phase::BeforeLookup(uncertain) => {
                let listing = Listing::new(self.collection_url());
                self.look(listing, uncertain)
            }
            Phase::Looking { listing, uncertain } => self.look(listing, uncertain),
        }
    }
}
