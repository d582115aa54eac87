//! The rest of the resource: get, update, delete and list, each resent on 429, 5xx,
//! timeouts and dropped connections (they are idempotent).

use super::driver::Session;
use super::prepare::{policy, prepare, Edge};
use crate::endpoint::with_query;
use crate::error::Error;
use crate::http::{Method, Request};
use crate::single::{Expect, List, Single};
use crate::validate::{self, CallOptions, ItemRequest, ListRequest};
use wasm_bindgen::prelude::*;

async fn single(
    options: &CallOptions,
    edge: &Edge,
    request: Request,
    expect: Expect,
) -> Result<JsValue, JsValue> {
    let p = policy(options, &edge.tokens);
    let session = Session::new(edge, &p);
    session.drive(&mut Single::new(request, expect, p)).await
}

fn item_url(req: &ItemRequest) -> String {
    let o = &req.options;
    o.endpoint
        .user_run_state(o.script_kind, &req.script_id, &req.user_state_id)
}

/// The first page's URL of a list request, with `$top` and `$filter` when given.
pub(super) fn first_page(req: &ListRequest) -> String {
    let o = &req.options;
    let top = req.top.map(|n| n.to_string());
    with_query(
        o.endpoint.user_run_states(o.script_kind, &req.script_id),
        &[("$top", top.as_deref()), ("$filter", req.filter.as_deref())],
    )
}

/// Reads one user state: `GET …/userRunStates/{userStateId}`.
#[wasm_bindgen(js_name = getUserState, unchecked_return_type = "Promise<DeviceManagementScriptUserState>")]
pub async fn get_user_state(
    #[wasm_bindgen(unchecked_param_type = "UserStateRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::item_request(json, "a getUserState request").map_err(Error::Validation)
    })?;
    single(
        &req.options,
        &edge,
        Request::get(item_url(&req)),
        Expect::UserState,
    )
    .await
}

/// Changes the given fields of a user state: `PATCH …/userRunStates/{userStateId}` with only
/// those fields. Resolves to the updated object when the service returns one (200), or to
/// `null` when it answers 204.
#[wasm_bindgen(js_name = updateUserState, unchecked_return_type = "Promise<DeviceManagementScriptUserState | null>")]
pub async fn update_user_state(
    #[wasm_bindgen(unchecked_param_type = "UpdateUserStateRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::update_request(json).map_err(Error::Validation)
    })?;
    let o = &req.options;
    let url = o
        .endpoint
        .user_run_state(o.script_kind, &req.script_id, &req.user_state_id);
    let patch = Request {
        method: Method::Patch,
        url,
        body: Some(req.changes.to_json()),
    };
    single(&req.options, &edge, patch, Expect::UserStateOrNothing).await
}

/// Deletes a user state: `DELETE …/userRunStates/{userStateId}`. Resolves to `undefined`. A
/// 404 on a resend after an uncertain first attempt counts as deleted.
#[wasm_bindgen(js_name = deleteUserState, unchecked_return_type = "Promise<void>")]
pub async fn delete_user_state(
    #[wasm_bindgen(unchecked_param_type = "UserStateRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::item_request(json, "a deleteUserState request").map_err(Error::Validation)
    })?;
    let delete = Request {
        method: Method::Delete,
        url: item_url(&req),
        body: None,
    };
    single(&req.options, &edge, delete, Expect::Nothing)
        .await
        .map(|_| JsValue::UNDEFINED)
}

/// Lists every user state of a script, following `@odata.nextLink` page by page (a link to
/// any other host is an error, and the token never goes there).
#[wasm_bindgen(js_name = listUserStates, unchecked_return_type = "Promise<DeviceManagementScriptUserState[]>")]
pub async fn list_user_states(
    #[wasm_bindgen(unchecked_param_type = "ListUserStatesRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let (req, edge) = prepare(&request, |json| {
        validate::list_request(json).map_err(Error::Validation)
    })?;
    let p = policy(&req.options, &edge.tokens);
    let session = Session::new(&edge, &p);
    let mut op = List::new(first_page(&req), req.options.endpoint.clone(), p);
    session.drive(&mut op).await
}
