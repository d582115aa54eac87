//! `listUserStatePages`: an async iterator of pages, for callers who want items as they
//! arrive. Each `next()` reads one page with the same retry rules as every read.

use crate::convert::{error_to_js, to_js};
use crate::driver::{promise, Session, Success};
use crate::prepare::{policy, prepare, Edge};
use crate::resource::first_page;
use intune_core::endpoint::Endpoint;
use intune_core::error::Error;
use intune_core::http::Request;
use intune_core::json::Json;
use intune_core::single::{next_link, Expect, Single};
use intune_core::validate;
use intune_core::Policy;
use js_sys::{Object, Promise, Reflect, Symbol};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

struct State {
    edge: Edge,
    policy: Policy,
    endpoint: Endpoint,
    /// The next page to read; `None` once the last one was read.
    next: RefCell<Option<String>>,
    busy: Cell<bool>,
}

/// Pages of user states: `for await (const page of listUserStatePages(...))`.
#[wasm_bindgen]
pub struct UserStatePages {
    state: Rc<State>,
}

impl std::fmt::Debug for UserStatePages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserStatePages")
    }
}

/// An iterator result: `{ value, done }`.
#[derive(Serialize)]
struct Step {
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    value: JsValue,
    done: bool,
}

fn step(value: JsValue, done: bool) -> JsValue {
    to_js(&Step { value, done })
}

#[wasm_bindgen]
impl UserStatePages {
    /// The next page: `{ value: DeviceManagementScriptUserState[], done: false }`, then
    /// `{ value: undefined, done: true }` after the last.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<IteratorResult<DeviceManagementScriptUserState[], undefined>>"
    )]
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        promise(Box::pin(async move {
            if state.busy.replace(true) {
                let e = Error::field(
                    "next",
                    "is already waiting for a page: await it before asking again",
                );
                return Err(error_to_js(&e));
            }
            let result = read_page(&state).await;
            state.busy.set(false);
            result
        }))
    }
}

async fn read_page(state: &State) -> Result<JsValue, JsValue> {
    let Some(url) = state.next.borrow_mut().take() else {
        return Ok(step(JsValue::UNDEFINED, true));
    };
    let p = &state.policy;
    let session = Session::new(&state.edge, p);
    let mut op = Single::new(Request::get(url), Expect::Page, p.clone());
    let page = match session.run(&mut op).await {
        Ok(Success::Value(page)) => page,
        // A page is never the machine's `Answered` (it reads the page's items); no items.
        Ok(Success::Parsed(_)) => Json::Null,
        Err(f) => return Err(session.to_js_error(f)),
    };
    let next = next_link(&page, &state.endpoint).map_err(|e| error_to_js(&e))?;
    *state.next.borrow_mut() = next;
    let items = page
        .get("value")
        .cloned()
        .unwrap_or(Json::Array(Vec::new()));
    Ok(step(to_js(&items), false))
}

thread_local! {
    static ITERABLE: Cell<bool> = const { Cell::new(false) };
}

/// Makes the class async-iterable: `[Symbol.asyncIterator]` is `Object.prototype.valueOf`,
/// a built-in that returns `this`, so no code is evaluated and no closure is kept.
fn make_iterable(instance: &JsValue) {
    if ITERABLE.with(|done| done.replace(true)) {
        return;
    }
    let proto = Object::get_prototype_of(instance);
    let object_prototype = Object::get_prototype_of(&Object::new());
    let value_of = Reflect::get(&object_prototype, &"valueOf".into()).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::set(&proto, &Symbol::async_iterator(), &value_of);
}

/// Lists the user states of a script page by page, as an async iterator: `for await (const
/// page of listUserStatePages({ token, scriptId }))`. Follows `@odata.nextLink` on the same
/// host only. Bad input throws a `ValidationError` at once.
#[wasm_bindgen(js_name = listUserStatePages, unchecked_return_type = "UserStatePages & AsyncIterable<DeviceManagementScriptUserState[]>")]
pub fn list_user_state_pages(
    #[wasm_bindgen(unchecked_param_type = "ListUserStatesRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::list_request(json).map_err(Error::Validation)
    })?;
    let policy = policy(&req.options, &edge.tokens);
    let pages = UserStatePages {
        state: Rc::new(State {
            next: RefCell::new(Some(first_page(&req))),
            endpoint: req.options.endpoint,
            edge,
            policy,
            busy: Cell::new(false),
        }),
    };
    let instance = JsValue::from(pages);
    make_iterable(&instance);
    Ok(instance)
}
