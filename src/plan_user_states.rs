//! `planUserStates`: reads every user state of the script and says what an import of the
//! given items would change ([`intune_core::plan`]); writes nothing.

use crate::batched::drive;
use crate::convert::{error_to_js, to_js};
use crate::driver::{promise, Failure, Session};
use crate::prepare::{policy, prepare_with, read_items};
use intune_core::error::Error;
use intune_core::plan::Plan;
use intune_core::sync::Sync;
use intune_core::validate;
use js_sys::{Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// `{ index, error }` of the plan's `invalid`, the error a real JS `ValidationError`.
#[derive(Serialize)]
struct InvalidOut {
    index: u32,
    #[serde(serialize_with = "serde_wasm_bindgen::preserve::serialize")]
    error: JsValue,
}

/// The plan as JS: `{ create, update, unchanged, extra, invalid }`.
pub(crate) fn plan_to_js(plan: &Plan) -> JsValue {
    let out = to_js(&plan.to_json());
    let invalid: Vec<InvalidOut> = plan
        .invalid
        .iter()
        .map(|v| InvalidOut {
            index: v.index as u32,
            error: error_to_js(&Error::Validation(v.error.clone())),
        })
        .collect();
    let _ = Reflect::set(&out, &"invalid".into(), &to_js(&invalid));
    out
}

/// Says what an import of `userStates` into the script would change, writing nothing: reads
/// every user state of the script (every page) and matches each item to the service's object,
/// by `id` when the item has one the service holds, else by `userPrincipalName` ignoring ASCII
/// case. Resolves to `{ create, update, unchanged, extra, invalid }`: `create` the items with
/// no object (`{ index, userState }`), `update` the items whose object differs in
/// `successDeviceCount`, `errorDeviceCount` or `userPrincipalName` (exact text) (`{ index, id,
/// before, changes }`, `changes` only the differing fields), `unchanged` (`{ index, id }`),
/// `extra` the service's objects no item matched (a second object of a matched user among
/// them), `invalid` the items the rules of `createUserStates` refuse (`{ index, error }`).
/// Every input index is in exactly one of `create`, `update`, `unchanged`, `invalid`. Rejects
/// with a `ValidationError` for a bad request, or the read's `GraphError`, `NetworkError`,
/// `TimeoutError` or `AbortError`.
///
/// @example
/// const plan = await planUserStates({ token, scriptId, userStates });
/// console.log(`${plan.create.length} to create, ${plan.update.length} to update`);
#[wasm_bindgen(js_name = planUserStates, unchecked_return_type = "Promise<UserStatesPlan>")]
pub fn plan_user_states(
    #[wasm_bindgen(unchecked_param_type = "PlanUserStatesRequest")] request: JsValue,
) -> Promise {
    promise(Box::pin(async move {
        // Read 5,000 items at a time with a turn of the event loop between (Ctrl-C is heard).
        let user_states = read_items(&request).await?;
        let (req, edge) = prepare_with(&request, user_states, |json| {
            validate::sync_request(json, false).map_err(Error::Validation)
        })?;
        let p = policy(&req.options, &edge.tokens);
        let session = Session::new(&edge, &p);
        // The sync's own listing and plan, stopped there: every page at $top=999, a list
        // holding an object without an id refused.
        let mut sync = Sync::new(req, p).plan_only();
        if let Some(thrown) = drive(&mut sync, &session, None, None).await {
            return Err(thrown);
        }
        let plan = sync
            .into_plan()
            .map_err(|e| session.to_js_error(Failure::Error(e)))?;
        Ok(plan_to_js(&plan))
    }))
}
