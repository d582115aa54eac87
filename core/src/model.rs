//! The resource: a `deviceManagementScriptUserState`, as sent and as received.

use crate::json::{Json, Map};

/// The `@odata.type` of the resource.
pub const ODATA_TYPE: &str = "#microsoft.graph.deviceManagementScriptUserState";

/// The longest `userPrincipalName` accepted, in characters.
pub const MAX_UPN_CHARS: usize = 1024;

/// A user state to create, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStateInput {
    /// `successDeviceCount`, 0 or more.
    pub success_device_count: i32,
    /// `errorDeviceCount`, 0 or more.
    pub error_device_count: i32,
    /// `userPrincipalName`, as given.
    pub user_principal_name: String,
    /// Sent through when the caller gave one (the seed lists `id` among the properties).
    pub id: Option<String>,
}

impl UserStateInput {
    /// The request body: `@odata.type` and the given fields.
    pub fn to_json(&self) -> Json {
        let mut body = Map::new();
        body.insert("@odata.type", ODATA_TYPE.into());
        if let Some(id) = &self.id {
            body.insert("id", id.as_str().into());
        }
        body.insert("successDeviceCount", self.success_device_count.into());
        body.insert("errorDeviceCount", self.error_device_count.into());
        body.insert(
            "userPrincipalName",
            self.user_principal_name.as_str().into(),
        );
        Json::Object(body)
    }

    /// Whether an object read back from the service is this input, created: the same id when
    /// one was given, else the same user principal name (compared without regard to ASCII
    /// case, as Entra ID compares them).
    pub fn is_created_as(&self, state: &Json) -> bool {
        match &self.id {
            Some(id) => state.get("id").and_then(Json::as_str) == Some(id),
            None => state
                .get("userPrincipalName")
                .and_then(Json::as_str)
                .is_some_and(|upn| upn.eq_ignore_ascii_case(&self.user_principal_name)),
        }
    }
}

/// Checks that a body from the service is a user state: an object with a non-empty string
/// `id`, Int32 counts and a string or null `userPrincipalName`. Other fields are kept, and
/// an unknown field is never a failure. The error says what is wrong.
pub fn check_user_state(value: &Json) -> Result<(), String> {
    let Json::Object(map) = value else {
        return Err(format!(
            "expected a user state object, got {}",
            value.kind()
        ));
    };
    match map.get("id") {
        Some(Json::String(id)) if !id.is_empty() => {}
        _ => return Err("the user state has no string id".into()),
    }
    for count in ["successDeviceCount", "errorDeviceCount"] {
        match map.get(count) {
            None | Some(Json::Null) => {}
            Some(v) if v.as_i32().is_some() => {}
            Some(_) => return Err(format!("the user state's {count} is not an Int32")),
        }
    }
    match map.get("userPrincipalName") {
        None | Some(Json::Null) | Some(Json::String(_)) => Ok(()),
        Some(_) => Err("the user state's userPrincipalName is not a string".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn body_matches_the_seed() {
        let input = UserStateInput {
            success_device_count: 2,
            error_device_count: 0,
            user_principal_name: "User Principal Name value".into(),
            id: None,
        };
        assert_eq!(
            serde_json::to_string(&input.to_json()).unwrap(),
            r##"{"@odata.type":"#microsoft.graph.deviceManagementScriptUserState","successDeviceCount":2,"errorDeviceCount":0,"userPrincipalName":"User Principal Name value"}"##
        );
    }

    #[test]
    fn reads_the_seed_response_and_tolerates_extra_fields() {
        let seed = json(
            r##"{"@odata.type":"#microsoft.graph.deviceManagementScriptUserState","id":"d5a29103-9103-d5a2-0391-a2d50391a2d5","successDeviceCount":2,"errorDeviceCount":0,"userPrincipalName":"User Principal Name value","newField":{"x":[1]}}"##,
        );
        assert_eq!(check_user_state(&seed), Ok(()));
        assert!(check_user_state(&json(r#"{"id":""}"#)).is_err());
        assert!(check_user_state(&json(r#"{"id":"a","successDeviceCount":"2"}"#)).is_err());
        assert!(check_user_state(&json(r#"{"id":"a","userPrincipalName":5}"#)).is_err());
        assert!(check_user_state(&json(r#"[{"id":"a"}]"#)).is_err());
    }

    #[test]
    fn matches_created_objects_by_id_or_upn() {
        let mut input = UserStateInput {
            success_device_count: 1,
            error_device_count: 1,
            user_principal_name: "Ada@Contoso.com".into(),
            id: None,
        };
        assert!(input.is_created_as(&json(r#"{"id":"x","userPrincipalName":"ada@contoso.com"}"#)));
        assert!(!input.is_created_as(&json(r#"{"id":"x","userPrincipalName":"bob@contoso.com"}"#)));
        input.id = Some("k".into());
        assert!(!input.is_created_as(&json(r#"{"id":"x","userPrincipalName":"ada@contoso.com"}"#)));
        assert!(input.is_created_as(&json(r#"{"id":"k","userPrincipalName":"other"}"#)));
    }
}
