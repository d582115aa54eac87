//! "Is it already there?": the one look-up behind every exactly-once rule.
//!
//! A create has no idempotency key, so when an attempt may or may not have been processed
//! (a 5xx, a timeout, a dropped connection, a run cut short) the script's user states are
//! listed before anything is sent again:
//! - an object is the input's when it has the input's `id` (an input that gives one), else its
//!   `userPrincipalName` compared ignoring ASCII case ([`UserStateInput::is_created_as`]);
//! - `@odata.nextLink`s are followed only on the call's own endpoint (origin and `/beta`),
//!   never to the page just read, and for at most [`MAX_PAGES`] pages;
//! - what cannot be read means unknown, never absent: a page that is not a page, a link that
//!   cannot be followed, a failed request past its retries, or an object for the user that is
//!   not a readable user state. The caller then fails with the failure that made it look,
//!   and sends nothing again.
//!
//! [`Listing`] reads the pages of one list, [`matches`] says what one listed object means for
//! one input. The single create (`create.rs`) looks for one input, a bulk run (`bulk.rs`) for
//! every uncertain item at once; both read the same pages by the same rules.

use crate::endpoint::Endpoint;
use crate::http::{Body, Outcome, Request};
use crate::json::Json;
use crate::model::{check_user_state, UserStateInput};
use crate::retry::{classify, Failure};
use crate::single::{may_follow, next_link};

pub use crate::single::MAX_PAGES;

/// One list of a script's user states, page by page: the page to ask for next, and how many
/// pages and failed requests it has seen.
#[derive(Debug, Clone)]
pub struct Listing {
    url: String,
    pages: u32,
    failures: u32,
    refreshed: bool,
}

/// What an answer to a page request says.
#[derive(Debug)]
pub enum Page<'a> {
    /// A page of objects; `next` says what follows it.
    States { states: &'a [Json], next: Next },
    /// Not a readable page (a 200 whose body is not `{"value": [...]}`): unknown.
    Unreadable,
    /// Not a 200: [`Listing::retry`] says what now.
    Failed,
}

/// What follows a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Another page, which [`Listing::request`] now asks for.
    More,
    /// Nothing: the list is complete.
    End,
    /// A link that must not be followed (another host, the same page again, past
    /// [`MAX_PAGES`]): whatever was not found is unknown.
    Unusable,
}

/// What to do after a page request failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retry {
    /// Ask the token source again and send the page again now (a 401).
    Refresh,
    /// Send the page again after the wait: the answer's `Retry-After` in seconds when it gave
    /// one; `throttled` for a 429 (whose backoff is longer).
    Wait {
        retry_after: Option<f64>,
        throttled: bool,
    },
    /// Stop: whether the objects exist is unknown.
    GiveUp,
}

/// What one listed object means for one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The input, created: a readable user state.
    Object,
    /// Something for this input's user that is not a readable user state: it may be the
    /// input's, so sending it again could make a second one. Unknown.
    Unreadable,
}

/// What `state` says about `input`: `None` when it is another user's object.
pub fn matches(input: &UserStateInput, state: &Json) -> Option<Found> {
    if !input.is_created_as(state) {
        return None;
    }
    Some(match check_user_state(state) {
        Ok(()) => Found::Object,
        Err(_) => Found::Unreadable,
    })
}

impl Listing {
    /// A list from its first page (the collection's URL).
    pub fn new(first_page: String) -> Self {
        Self {
            url: first_page,
            pages: 0,
            failures: 0,
            refreshed: false,
        }
    }

    /// The request for the current page.
    pub fn request(&self) -> Request {
        Request::get(self.url.clone())
    }

    /// Failed requests so far (for the backoff step).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Reads the answer to the current page. On [`Next::More`] the listing moves on to the
    /// next page.
    pub fn read<'a>(&mut self, outcome: &'a Outcome, endpoint: &Endpoint) -> Page<'a> {
        let Outcome::Response(r) = outcome else {
            return Page::Failed;
        };
        if r.status != 200 {
            return Page::Failed;
        }
        let Body::Json(page) = &r.body else {
            return Page::Unreadable;
        };
        let Some(Json::Array(states)) = page.get("value") else {
            return Page::Unreadable;
        };
        self.pages += 1;
        let next = match next_link(page, endpoint) {
            Ok(None) => Next::End,
            Ok(Some(url)) if may_follow(&self.url, &url, self.pages) => {
                self.url = url;
                Next::More
            }
            Ok(Some(_)) | Err(_) => Next::Unusable,
        };
        Page::States { states, next }
    }

    /// After a failed page request: resend after a 429 or an uncertain failure, at most
    /// `max_retries` times (at least once); after a 401 once, when `may_refresh`; anything
    /// else gives up.
    pub fn retry(
        &mut self,
        outcome: &Outcome,
        now_ms: f64,
        max_retries: u32,
        may_refresh: bool,
    ) -> Retry {
        let failure = classify(outcome, now_ms);
        match failure {
            Failure::Unauthorized if may_refresh && !self.refreshed => {
                self.refreshed = true;
                Retry::Refresh
            }
            Failure::Throttled(after) | Failure::Uncertain(after)
                if self.failures < max_retries.max(1) =>
            {
                self.failures += 1;
                Retry::Wait {
                    retry_after: after,
                    throttled: matches!(failure, Failure::Throttled(_)),
                }
            }
            _ => Retry::GiveUp,
        }
    }
}
