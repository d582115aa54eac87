//! Lists: every page of a collection read with the retries of every read ([`Single`]),
//! following `@odata.nextLink` on the same endpoint only; resolves to the array of every item.

use crate::call::{Action, Operation, Policy};
use crate::endpoint::Endpoint;
use crate::http::{Outcome, Request};
use crate::json::Json;
use crate::single::{invalid_page, may_follow, next_link, Expect, Single};
use crate::validate::ScriptsRequest;

/// All pages of a list, one [`Single`] per page; resolves to the array of every item.
#[derive(Debug)]
pub struct List {
    page: Single,
    url: String,
    pages: u32,
    endpoint: Endpoint,
    items: Vec<Json>,
}

impl List {
    pub fn new(first_page: String, endpoint: Endpoint, policy: Policy) -> Self {
        Self {
            page: Single::new(Request::get(first_page.clone()), Expect::Page, policy),
            url: first_page,
            pages: 0,
            endpoint,
            items: Vec::new(),
        }
    }

    /// Every script of the request's kind (`listScripts`): the same paging machine, from the
    /// first page [`Endpoint::scripts`] names.
    pub fn scripts(req: &ScriptsRequest, policy: Policy) -> Self {
        let o = &req.options;
        List::new(
            o.endpoint.scripts(o.script_kind),
            o.endpoint.clone(),
            policy,
        )
    }

    fn after_page(&mut self, action: Action) -> Action {
        let Action::Done(Ok(page)) = action else {
            return action;
        };
        if let Some(Json::Array(items)) = page.get("value") {
            self.items.extend(items.iter().cloned());
        }
        self.pages += 1;
        match next_link(&page, &self.endpoint) {
            Ok(Some(url)) if !may_follow(&self.url, &url, self.pages) => Action::Done(Err(invalid_page(
                "its @odata.nextLink repeats the page just read, or the list runs past 10000 pages",
            ))),
            Ok(Some(url)) => {
                let policy = self.page.policy().clone();
                self.page = Single::new(Request::get(url.clone()), Expect::Page, policy);
                self.url = url;
                self.page.start()
            }
            Ok(None) => Action::Done(Ok(Json::Array(std::mem::take(&mut self.items)))),
            Err(e) => Action::Done(Err(e)),
        }
    }
}

impl Operation for List {
    fn start(&mut self) -> Action {
        self.page.start()
    }

    fn on_outcome(&mut self, outcome: Outcome, now_ms: f64) -> Action {
        let action = self.page.on_outcome(outcome, now_ms);
        self.after_page(action)
    }

    fn on_wait_over(&mut self) -> Action {
        self.page.on_wait_over()
    }
}
