//! A bulk run's look-up: every uncertain item settled at once by one list of the script's
//! user states, by the rules of [`crate::lookup`].

use super::{Bulk, Lookup};
use crate::error::Error;
use crate::http::Outcome;
use crate::json::Json;
use crate::lookup::{matches, Found, Next, Page, Retry};

impl Bulk {
    /// The look-up waits for the service's `Retry-After`, or backoff, so that a slow commit
    /// has landed before it is looked for.
    pub(super) fn schedule_lookup(&mut self, after: Option<f64>, now: f64) {
        let wait = self.wait_ms(after, 2);
        self.lookup_at = self.lookup_at.max(now + wait);
    }

    pub(super) fn on_page(&mut self, outcome: Outcome, now: f64) {
        let Some(mut lookup) = self.lookup.take() else {
            return;
        };
        match lookup.listing.read(&outcome, &self.endpoint) {
            Page::States { states, next } => {
                self.match_page(&mut lookup, states);
                match next {
                    Next::More => {
                        lookup.retry_at = Some(now);
                        self.lookup = Some(lookup);
                    }
                    Next::End => self.requeue_unfound(lookup.items),
                    Next::Unusable => self.fail_unsettled(lookup.items),
                }
            }
            Page::Unreadable => self.fail_unsettled(lookup.items),
            Page::Failed => {
                let may_refresh = self.policy.refreshable && lookup.listing.failures() == 0;
                match lookup
                    .listing
                    .retry(&outcome, now, self.policy.max_retries, may_refresh)
                {
                    Retry::Refresh => {
                        lookup.retry_at = Some(now);
                        self.lookup = Some(lookup);
                    }
                    Retry::Wait { retry_after, .. } => {
                        let wait = self.wait_ms(retry_after, lookup.listing.failures());
                        lookup.retry_at = Some(now + wait);
                        self.lookup = Some(lookup);
                    }
                    Retry::GiveUp => self.fail_unsettled(lookup.items),
                }
            }
        }
    }

    /// Whether an object with this id already settled an item: an object is never matched
    /// twice. Looked at only for an object that matches an item being looked for (rare: two
    /// items never share a user), so it costs nothing per page.
    pub(super) fn claimed(&self, id: &str) -> bool {
        if self
            .existing
            .binary_search_by(|e| e.0.as_str().cmp(id))
            .is_ok()
        {
            return true;
        }
        self.items.iter().any(|item| match &item.result {
            Some(Ok(object)) => object.get("id").and_then(Json::as_str) == Some(id),
            _ => false,
        })
    }

    /// Resolves the look-up's items found on this page (each object at most once).
    pub(super) fn match_page(&mut self, lookup: &mut Lookup, states: &[Json]) {
        for state in states {
            let found = lookup.items.iter().enumerate().find_map(|(k, &i)| {
                let item = &self.items[i];
                if item.result.is_some() {
                    return None;
                }
                matches(item.input.as_ref()?, state).map(|found| (k, found))
            });
            let Some((k, found)) = found else { continue };
            let id = state.get("id").and_then(Json::as_str);
            if id.is_some_and(|id| self.claimed(id)) {
                continue;
            }
            let i = lookup.items.swap_remove(k);
            match found {
                Found::Object => self.finish(i, Ok(state.clone())),
                // It may be ours, so sending again could make a second one. Unknown it stays.
                Found::Unreadable => self.fail_unsettled(vec![i]),
            }
        }
    }

    /// Items the look-up did not find were not created: send them again, within budget.
    pub(super) fn requeue_unfound(&mut self, items: Vec<usize>) {
        self.resuming = false;
        for i in items {
            let item = &mut self.items[i];
            if item.result.is_some() {
                continue;
            }
            if std::mem::take(&mut item.resumed) {
                self.queue.push_back(i);
            } else if item.resends < self.policy.max_retries {
                item.resends += 1;
                self.queue.push_back(i);
            } else {
                let error = item.last_error.take().unwrap_or_else(unsettled);
                self.finish(i, Err(error));
            }
        }
    }

    /// The look-up could not finish: whether these exist is unknown; each fails with the
    /// failure that made it uncertain.
    pub(super) fn fail_unsettled(&mut self, items: Vec<usize>) {
        self.resuming = false;
        for i in items {
            let item = &mut self.items[i];
            if item.result.is_none() {
                let error = item.last_error.take().unwrap_or_else(unsettled);
                self.finish(i, Err(error));
            }
        }
    }
}

fn unsettled() -> Error {
    Error::Network {
        message: "the look-up after an uncertain create failed".to_owned(),
        client_request_id: String::new(),
    }
}
