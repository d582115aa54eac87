//! The calls' requests as the input rules ([`crate::validate`]) hand them over: checked,
//! typed, and free of the edge's parts (the token, the signal, the callbacks).

use crate::endpoint::{Endpoint, ScriptKind};
use crate::error::ValidationError;
use crate::json::{Json, Map};
use crate::model::{UserStateInput, ODATA_TYPE};

/// The options every call shares, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOptions {
    pub endpoint: Endpoint,
    pub script_kind: ScriptKind,
    pub timeout_ms: u32,
    pub max_retries: u32,
    /// The caller's `clientRequestId`; the edge makes a fresh UUID when it is `None`.
    pub client_request_id: Option<String>,
}

/// A checked `createUserState` request (the token and signal are the edge's).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub script_id: String,
    pub user_state: UserStateInput,
    pub options: CallOptions,
}

/// A request about one user state: `getUserState`, `deleteUserState`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRequest {
    pub script_id: String,
    pub user_state_id: String,
    pub options: CallOptions,
}

/// The fields an update changes; at least one is set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub success_device_count: Option<i32>,
    pub error_device_count: Option<i32>,
    pub user_principal_name: Option<String>,
}

impl Changes {
    /// The PATCH body: `@odata.type` and only the given fields.
    pub fn to_json(&self) -> Json {
        let mut body = Map::new();
        body.insert("@odata.type", ODATA_TYPE.into());
        if let Some(n) = self.success_device_count {
            body.insert("successDeviceCount", n.into());
        }
        if let Some(n) = self.error_device_count {
            body.insert("errorDeviceCount", n.into());
        }
        if let Some(upn) = &self.user_principal_name {
            body.insert("userPrincipalName", upn.as_str().into());
        }
        Json::Object(body)
    }
}

/// A checked `updateUserState` request.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRequest {
    pub script_id: String,
    pub user_state_id: String,
    pub changes: Changes,
    pub options: CallOptions,
}

/// A checked `listUserStates` request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub script_id: String,
    /// `$top`: the page size asked for.
    pub top: Option<u32>,
    /// `$filter`, passed to the service as given.
    pub filter: Option<String>,
    pub options: CallOptions,
}

/// A checked `listScripts` request: the common options only (`scriptKind` says which
/// collection).
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptsRequest {
    pub options: CallOptions,
}

/// A checked `createUserStates` request. Each item is checked on its own: a bad one is
/// reported in its place and does not stop the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    pub script_id: String,
    pub items: Vec<Result<UserStateInput, ValidationError>>,
    pub concurrency: u32,
    pub options: CallOptions,
}

/// A checked `planUserStates` or `syncUserStates` request. Each item is checked on its own,
/// as in `createUserStates`: a bad one is reported in its place and does not stop the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRequest {
    /// The script whose user states are synced.
    pub script_id: String,
    /// Each item as the rules checked it, in input order.
    pub items: Vec<Result<UserStateInput, ValidationError>>,
    /// `syncUserStates` only: delete the server's objects no item matched. Default `false`.
    pub delete_extra: bool,
    /// `$batch` requests in flight at most (`syncUserStates`).
    pub concurrency: u32,
    /// The common options.
    pub options: CallOptions,
}
