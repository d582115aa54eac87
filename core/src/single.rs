//! Reads and idempotent writes (GET, PATCH, DELETE) as a state machine: resent on 429, 5xx,
//! timeouts and dropped connections after the wait the service asked for (or backoff), a 401
//! answered once by asking the token function again. Lists are pages of such reads.

use crate::call::{failure_error, Action, Operation, Policy};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::graph;
use crate::http::{Body, Method, Outcome, Request, Response};
use crate::json::Json;
use crate::retry::{
    backoff_ms, classify, throttle_backoff_ms, wait_ms, Failure, Rng, MAX_WAIT_SECONDS,
};

/// What a successful answer must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 200 with a user state (GET).
    UserState,
    /// 200 with a user state, or 204 (PATCH); resolves to the object or `null`.
    UserStateOrNothing,
    /// 204 or 200 (DELETE); resolves to `null`. A 404 after an uncertain first attempt means
    /// that attempt deleted it.
    Nothing,
    /// 200 with `{"value": [...]}` (one page of a list).
    Page,
}

/// One idempotent request, resent until it succeeds or the rules say stop.
#[derive(Debug)]
pub struct Single {
    request: Request,
    expect: Expect,
    policy: Policy,
    rng: Rng,
    retries: u32,
    refreshed: bool,
    /// An earlier attempt may have been processed.
    uncertain: bool,
}

impl Single {
    pub fn new(request: Request, expect: Expect, policy: Policy) -> Self {
        Self {
            request,
            expect,
            rng: Rng::new(policy.seed),
            policy,
            retries: 0,
            refreshed: false,
            uncertain: false,
        }
    }

    fn send(&self) -> Action {
        Action::Send(self.request.clone())
    }

    /// The policy it runs under (a list runs each page under its first page's).
    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The end of the call when `r` is a success: `Answered` when the result is `r`'s body.
    fn success(&self, r: &Response, now_ms: f64) -> Option<Action> {
        let invalid = |why: &str| Err(Error::from(graph::invalid_body(r, why, now_ms)));
        let state = || match graph::check_answer(r, now_ms) {
            Ok(()) => Action::Answered,
            Err(e) => Action::Done(Err(e)),
        };
        Some(match (self.expect, r.status) {
            (Expect::UserState, 200) => state(),
            (Expect::UserStateOrNothing, 204) => Action::Done(Ok(Json::Null)),
            (Expect::UserStateOrNothing, 200) if r.body == Body::Empty => {
                Action::Done(Ok(Json::Null))
            }
            (Expect::UserStateOrNothing, 200) => state(),
            (Expect::Nothing, 200 | 204) => Action::Done(Ok(Json::Null)),
            (Expect::Nothing, 404) if self.uncertain && self.request.method == Method::Delete => {
                Action::Done(Ok(Json::Null))
            }
            (Expect::Page, 200) => Action::Done(match &r.body {
                Body::Json(page) if matches!(page.get("value"), Some(Json::Array(_))) => {
                    Ok(page.clone())
                }
                _ => {
                    invalid("its body is not a page of a collection (an object with a value array)")
                }
            }),
            _ => return None,
        })
    }
}

impl Operation for Single {
    fn start(&mut self) -> Action {
        self.send()
    }

    fn on_outcome(&mut self, outcome: Outcome, now_ms: f64) -> Action {
        if let Outcome::Response(r) = &outcome {
            if let Some(end) = self.success(r, now_ms) {
                return end;
            }
        }
        let error = failure_error(
            &outcome,
            self.policy.timeout_ms,
            &self.policy.client_request_id,
            now_ms,
        );
        let failure = classify(&outcome, now_ms);
        match failure {
            Failure::Unauthorized if self.policy.refreshable && !self.refreshed => {
                self.refreshed = true;
                self.send()
            }
            Failure::Throttled(after) | Failure::Uncertain(after)
                if self.retries < self.policy.max_retries =>
            {
                let wait = match after {
                    Some(s) if s > MAX_WAIT_SECONDS => return Action::Done(Err(error)),
                    Some(s) => wait_ms(s),
                    None if matches!(failure, Failure::Throttled(_)) => {
                        throttle_backoff_ms(self.retries + 1, &mut self.rng)
                    }
                    None => backoff_ms(self.retries + 1, &mut self.rng),
                };
                self.uncertain |= matches!(failure, Failure::Uncertain(_));
                self.retries += 1;
                Action::Wait(wait)
            }
            _ => Action::Done(Err(error)),
        }
    }

    fn on_wait_over(&mut self) -> Action {
        self.send()
    }
}

/// Most pages one list (or look-up) reads before it gives up.
pub const MAX_PAGES: u32 = 10_000;

/// Whether a list that has read `pages` pages may go on from `current` to `next`: not the same
/// page again (a service stuck on one link would keep a call alive forever), and not past
/// [`MAX_PAGES`].
pub fn may_follow(current: &str, next: &str, pages: u32) -> bool {
    next != current && pages < MAX_PAGES
}

/// The `@odata.nextLink` of a page, checked to stay on `endpoint`. A link elsewhere is an
/// `invalidResponse` error: the token is never sent to another host.
pub fn next_link(page: &Json, endpoint: &Endpoint) -> Result<Option<String>, Error> {
    match page.get("@odata.nextLink") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(link)) => match endpoint.check_next_link(link) {
            Ok(()) => Ok(Some(link.clone())),
            Err(rule) => Err(invalid_page(&format!("its @odata.nextLink {rule}"))),
        },
        Some(_) => Err(invalid_page("its @odata.nextLink is not a string")),
    }
}

pub(crate) fn invalid_page(why: &str) -> Error {
    Error::from(crate::error::GraphError {
        status: 200,
        code: crate::error::INVALID_RESPONSE.to_owned(),
        message: format!("the service answered 200 but {why}"),
        request_id: None,
        client_request_id: None,
        date: None,
        retry_after: None,
    })
}
