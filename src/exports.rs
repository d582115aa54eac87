//! `createUserState` and `validateUserState`.

use crate::convert::{from_js, problems_to_js};
use crate::driver::{start, Resolve};
use crate::prepare::policy;
use intune_core::error::{Error, FieldError};
use intune_core::validate;
use intune_core::Create;
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

/// Creates a device management script user state: `POST
/// {graph}/beta/deviceManagement/deviceManagementScripts/{scriptId}/userRunStates`.
///
/// Resolves to the created object as the service returned it. Rejects with an `Error` whose
/// `name` is `ValidationError` (nothing was sent), `GraphError`, `NetworkError`,
/// `TimeoutError` or `AbortError`. A 429 is resent after its `Retry-After`; after a 5xx, a
/// timeout or a dropped connection the script's user states are looked up first, so the
/// create happens at most once.
///
/// @example
/// const state = await createUserState({
///   token, scriptId,
///   userState: { userPrincipalName: "ada@contoso.com", successDeviceCount: 2, errorDeviceCount: 0 },
/// });
#[wasm_bindgen(js_name = createUserState, unchecked_return_type = "Promise<DeviceManagementScriptUserState>")]
pub fn create_user_state(
    #[wasm_bindgen(unchecked_param_type = "CreateUserStateRequest")] request: JsValue,
) -> Promise {
    start(
        &request,
        |json| validate::create_request(json).map_err(Error::Validation),
        |req, edge| {
            let p = policy(&req.options, &edge.tokens);
            (Box::new(Create::new(req, p.clone())), p)
        },
        Resolve::Result,
    )
}

/// Checks a user state with the rules `createUserState` applies, without sending anything.
/// Returns every broken rule as `{ field, message }` (field names without the `userState.`
/// prefix); an empty array means valid.
#[wasm_bindgen(js_name = validateUserState, unchecked_return_type = "FieldProblem[]")]
pub fn validate_user_state(
    #[wasm_bindgen(unchecked_param_type = "unknown")] user_state: JsValue,
) -> Array {
    let problems = match from_js(&user_state, "userState") {
        Ok(json) => validate::user_state_problems(&json),
        Err(Error::Validation(v)) => v.errors,
        Err(e) => vec![FieldError::new("userState", e.to_string())],
    };
    problems_to_js(&problems).unchecked_into()
}
