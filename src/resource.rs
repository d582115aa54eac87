//! The rest of the resource: get, update, delete and list, each resent on 429, 5xx,
//! timeouts and dropped connections (they are idempotent).

use crate::driver::{start, Resolve};
use crate::prepare::policy;
use intune_core::error::Error;
use intune_core::http::{Method, Request};
use intune_core::list::List;
use intune_core::single::{Expect, Single};
use intune_core::validate::{self, ItemRequest, ListRequest};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

fn item_url(req: &ItemRequest) -> String {
    let o = &req.options;
    o.endpoint
        .user_run_state(o.script_kind, &req.script_id, &req.user_state_id)
}

/// The first page's URL of a list request, with `$top` and `$filter` when given.
pub(crate) fn first_page(req: &ListRequest) -> String {
    let o = &req.options;
    o.endpoint.user_run_states_page(
        o.script_kind,
        &req.script_id,
        req.top,
        req.filter.as_deref(),
    )
}

/// Reads one user state: `GET …/userRunStates/{userStateId}`.
#[wasm_bindgen(js_name = getUserState, unchecked_return_type = "Promise<DeviceManagementScriptUserState>")]
pub fn get_user_state(
    #[wasm_bindgen(unchecked_param_type = "UserStateRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::item_request(json, "a getUserState request").map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            let get = Request::get(item_url(&req));
            (Box::new(Single::new(get, Expect::UserState, p.clone())), p)
        },
        Resolve::Result,
    )
}

/// Changes the given fields of a user state: `PATCH …/userRunStates/{userStateId}` with only
/// those fields. Resolves to the updated object when the service returns one (200), or to
/// `null` when it answers 204.
#[wasm_bindgen(js_name = updateUserState, unchecked_return_type = "Promise<DeviceManagementScriptUserState | null>")]
pub fn update_user_state(
    #[wasm_bindgen(unchecked_param_type = "UpdateUserStateRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::update_request(json).map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            let o = &req.options;
            let patch = Request {
                method: Method::Patch,
                url: o
                    .endpoint
                    .user_run_state(o.script_kind, &req.script_id, &req.user_state_id),
                body: Some(req.changes.to_json()),
            };
            let op = Single::new(patch, Expect::UserStateOrNothing, p.clone());
            (Box::new(op), p)
        },
        Resolve::Result,
    )
}

/// Deletes a user state: `DELETE …/userRunStates/{userStateId}`. Resolves to `undefined`. A
/// 404 on a resend after an uncertain first attempt counts as deleted.
#[wasm_bindgen(js_name = deleteUserState, unchecked_return_type = "Promise<void>")]
pub fn delete_user_state(
    #[wasm_bindgen(unchecked_param_type = "UserStateRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::item_request(json, "a deleteUserState request").map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            let delete = Request {
                method: Method::Delete,
                url: item_url(&req),
                body: None,
            };
            (Box::new(Single::new(delete, Expect::Nothing, p.clone())), p)
        },
        Resolve::Undefined,
    )
}

/// Lists every user state of a script, following `@odata.nextLink` page by page (a link to
/// any other host is an error, and the token never goes there).
#[wasm_bindgen(js_name = listUserStates, unchecked_return_type = "Promise<DeviceManagementScriptUserState[]>")]
pub fn list_user_states(
    #[wasm_bindgen(unchecked_param_type = "ListUserStatesRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::list_request(json).map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            let op = List::new(first_page(&req), req.options.endpoint.clone(), p.clone());
            (Box::new(op), p)
        },
        Resolve::Result,
    )
}
