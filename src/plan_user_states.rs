//! `planUserStates`: reads every user state of the script and says what an import of the
//! given items would change ([`intune_core::plan`]); writes nothing.

use crate::convert::{error_to_js, to_js};
use crate::driver::{promise, Failure, Session, Success};
use crate::prepare::{policy, prepare};
use intune_core::endpoint::with_query;
use intune_core::error::{Error, GraphError, INVALID_RESPONSE};
use intune_core::json::Json;
use intune_core::list::List;
use intune_core::plan::{check_listing, plan, Plan};
use intune_core::validate::{self, SyncRequest, MAX_TOP};
use intune_core::Policy;
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

/// Reads every user state of the request's script (every page, the largest the list allows)
/// and plans the request's items against them. A list holding an object without an id is a
/// `GraphError` (`invalidResponse`).
pub(crate) async fn read_and_plan(
    session: &Session<'_>,
    req: &SyncRequest,
    policy: &Policy,
) -> Result<Plan, Failure> {
    let o = &req.options;
    let top = MAX_TOP.to_string();
    let first = with_query(
        o.endpoint.user_run_states(o.script_kind, &req.script_id),
        &[("$top", Some(&top))],
    );
    let mut list = List::new(first, o.endpoint.clone(), policy.clone());
    // A list always ends with the array of its items (a value, never a parsed body).
    let Success::Value(Json::Array(server)) = session.run(&mut list).await? else {
        return Err(Failure::Error(Error::from(GraphError {
            status: 200,
            code: INVALID_RESPONSE.to_owned(),
            message: "the list of user states ended without its items".to_owned(),
            request_id: None,
            client_request_id: None,
            date: None,
            retry_after: None,
        })));
    };
    check_listing(&server).map_err(Failure::Error)?;
    Ok(plan(&req.items, &server))
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
        let (req, edge) = prepare(&request, |json| {
            validate::sync_request(json, false).map_err(Error::Validation)
        })?;
        let p = policy(&req.options, &edge.tokens);
        let session = Session::new(&edge, &p);
        let plan = read_and_plan(&session, &req, &p)
            .await
            .map_err(|f| session.to_js_error(f))?;
        Ok(plan_to_js(&plan))
    }))
}
