//! The JavaScript API: `createUserState` and `validateUserState`, with their TypeScript types.

use super::convert::{error_to_js, from_js, problems_to_js};
use super::driver::drive;
use super::global::random_bytes;
use super::token::TokenSource;
use crate::create::Create;
use crate::error::{Error, FieldError};
use crate::{uuid, validate};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r##"
/** A national cloud: which Graph root and sign-in authority to use. */
export type Cloud = "global" | "usgov" | "usgovdod" | "china";

/** The collection a script lives in. */
export type ScriptKind = "deviceManagementScripts" | "deviceShellScripts" | "deviceCustomAttributeShellScripts";

/** An access token (without "Bearer "), or a function asked for one before every attempt. */
export type TokenSource = string | (() => string | Promise<string>);

/** Options every call takes. */
export interface CallOptions {
  /** Access token, or a function returning one; a function is asked again once after a 401. */
  token: TokenSource;
  /** Default "global". */
  cloud?: Cloud;
  /** Overrides `cloud`: a Graph root over https, or http(s)://127.0.0.1 | localhost | [::1] with any port. */
  baseUrl?: string;
  /** Default "deviceManagementScripts". */
  scriptKind?: ScriptKind;
  /** Stops the call; it then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Time limit of one attempt in ms, 1 to 600000. Default 30000. */
  timeoutMs?: number;
  /** Resends after the first attempt, 0 to 10. Default 3. */
  maxRetries?: number;
  /** A GUID sent as client-request-id on every request of the call. Default: a fresh UUID v4. */
  clientRequestId?: string;
}

/** A user state to create. */
export interface UserStateInput {
  /** Integer, 0 to 2147483647. */
  successDeviceCount: number;
  /** Integer, 0 to 2147483647. */
  errorDeviceCount: number;
  /** Non-empty, no control characters, at most 1024 characters. */
  userPrincipalName: string;
  /** Sent through when given. */
  id?: string;
  "@odata.type"?: "#microsoft.graph.deviceManagementScriptUserState";
}

export interface CreateUserStateRequest extends CallOptions {
  /** The deviceManagementScriptId. */
  scriptId: string;
  userState: UserStateInput;
}

/** A user state as the service returned it, with any fields it added. */
export interface DeviceManagementScriptUserState {
  "@odata.type"?: string;
  id: string;
  successDeviceCount: number;
  errorDeviceCount: number;
  userPrincipalName: string | null;
  [property: string]: unknown;
}

/** One broken input rule. */
export interface FieldProblem {
  /** The path of the field, like "userState.successDeviceCount". */
  field: string;
  /** The rule, like "must be a whole number". */
  message: string;
}

/** Bad input; nothing was sent. */
export interface ValidationError extends Error {
  name: "ValidationError";
  /** The first broken rule's field. */
  field: string;
  /** Every broken rule. */
  errors: FieldProblem[];
}

/** The service answered with a failure. */
export interface GraphError extends Error {
  name: "GraphError";
  status: number;
  /** Graph's error code, or "invalidResponse" when the body was not what Graph sends. */
  code: string;
  requestId?: string;
  clientRequestId?: string;
  date?: string;
  /** Seconds the service asked to wait, when it said. */
  retryAfter?: number;
}

/** No answer: refused, dropped, blocked by CORS. */
export interface NetworkError extends Error {
  name: "NetworkError";
  clientRequestId: string;
}

/** An attempt got no answer within timeoutMs. */
export interface TimeoutError extends Error {
  name: "TimeoutError";
  clientRequestId: string;
  timeoutMs: number;
}

/** The signal fired. */
export interface AbortError extends Error {
  name: "AbortError";
  clientRequestId: string;
}

/** What a call rejects with (or whatever a token function threw). */
export type UserStateError = ValidationError | GraphError | NetworkError | TimeoutError | AbortError;
"##;

/// The options the edge reads itself: the token source and the signal.
fn edge_options(request: &JsValue) -> Result<(TokenSource, Option<AbortSignal>), Error> {
    let get = |key: &str| Reflect::get(request, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let signal = match get("signal") {
        s if s.is_undefined() || s.is_null() => None,
        s => Some(
            s.dyn_into::<AbortSignal>()
                .map_err(|_| Error::field("signal", "must be an AbortSignal"))?,
        ),
    };
    Ok((TokenSource::from_js(get("token"))?, signal))
}

/// The request without `token` and `signal`, as JSON for the core's rules.
fn request_json(request: &JsValue) -> Result<crate::json::Json, Error> {
    if !request.is_object() || Array::is_array(request) {
        return Err(Error::field("request", "must be an object"));
    }
    let copy = Object::assign(&Object::new(), request.unchecked_ref());
    for key in ["token", "signal"] {
        let _ = Reflect::delete_property(&copy, &key.into());
    }
    from_js(&copy, "request")
}

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
pub async fn create_user_state(
    #[wasm_bindgen(unchecked_param_type = "CreateUserStateRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let prepared = request_json(&request).and_then(|json| {
        let req = validate::create_request(&json).map_err(Error::Validation)?;
        let (tokens, signal) = edge_options(&request)?;
        Ok((req, tokens, signal))
    });
    let (req, tokens, signal) = prepared.map_err(|e| error_to_js(&e))?;
    let bytes = random_bytes();
    let client_request_id = req
        .options
        .client_request_id
        .clone()
        .unwrap_or_else(|| uuid::v4(bytes));
    let seed = u64::from_le_bytes([
        bytes[0], bytes[3], bytes[5], bytes[7], bytes[9], bytes[11], bytes[13], bytes[15],
    ]);
    let mut op = Create::new(req, client_request_id, tokens.refreshable(), seed);
    drive(&mut op, &tokens, signal.as_ref()).await
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
    problems_to_js(&problems)
}
