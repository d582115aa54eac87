//! Input rules. Every rule names the field it guards (`userState.successDeviceCount`), and no
//! value is coerced: `"2"`, `1.5`, `NaN`, `-1`, `null` and unknown fields are all refused.

use crate::endpoint::{check_segment, Cloud, Endpoint, ScriptKind};
use crate::error::{FieldError, ValidationError};
use crate::json::{Json, Map};
use crate::model::{UserStateInput, MAX_UPN_CHARS, ODATA_TYPE};
pub use crate::request::{
    BulkRequest, CallOptions, Changes, CreateRequest, ItemRequest, ListRequest, ScriptsRequest,
    SyncRequest, UpdateRequest,
};

/// Default time one attempt may take.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Longest `timeoutMs` accepted.
pub const MAX_TIMEOUT_MS: u32 = 600_000;
/// Default number of resends after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Largest `maxRetries` accepted.
pub const MAX_RETRIES: u32 = 10;

/// The members of an object being checked, remembering which were read so the rest can be
/// reported as unknown.
struct Fields<'a> {
    map: &'a Map,
    prefix: &'a str,
    known: Vec<&'static str>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map, prefix: &'a str) -> Self {
        Self {
            map,
            prefix,
            known: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The value of `name`; `null` counts as absent.
    fn get(&mut self, name: &'static str) -> Option<&'a Json> {
        self.known.push(name);
        self.map.get(name).filter(|v| **v != Json::Null)
    }

    fn fail(&mut self, name: &str, message: impl Into<String>) {
        let field = self.path(name);
        self.errors.push(FieldError::new(field, message));
    }

    fn required<T>(
        &mut self,
        name: &'static str,
        check: impl FnOnce(&Json) -> Result<T, String>,
    ) -> Option<T> {
        match self.get(name) {
            None => {
                self.fail(name, "is required");
                None
            }
            Some(v) => self.checked(name, v, check),
        }
    }

    fn optional<T>(
        &mut self,
        name: &'static str,
        check: impl FnOnce(&Json) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.get(name)?;
        self.checked(name, v, check)
    }

    fn checked<T>(
        &mut self,
        name: &str,
        v: &Json,
        check: impl FnOnce(&Json) -> Result<T, String>,
    ) -> Option<T> {
        check(v).map_err(|m| self.fail(name, m)).ok()
    }

    /// Reports the members nobody asked for, and hands back the errors.
    fn finish(mut self, what: &str) -> Vec<FieldError> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.known.contains(k))
            .map(str::to_owned)
            .collect();
        for key in unknown {
            self.fail(&key, format!("is not a property of {what}"));
        }
        self.errors
    }
}

fn object<'a>(value: &'a Json, field: &str) -> Result<&'a Map, FieldError> {
    value
        .as_object()
        .ok_or_else(|| FieldError::new(field, format!("must be an object, not {}", value.kind())))
}

fn string(v: &Json) -> Result<&str, String> {
    v.as_str()
        .ok_or_else(|| format!("must be a string, not {}", v.kind()))
}

/// A device count: a whole number from 0 to 2147483647.
fn count(v: &Json) -> Result<i32, String> {
    let Json::Number(n) = *v else {
        return Err(format!("must be a number, not {}", v.kind()));
    };
    if !n.is_finite() || n.fract() != 0.0 {
        return Err("must be a whole number".into());
    }
    if !(0.0..=f64::from(i32::MAX)).contains(&n) {
        return Err(format!("must be between 0 and {}", i32::MAX));
    }
    Ok(n as i32)
}

fn user_principal_name(v: &Json) -> Result<String, String> {
    let upn = string(v)?;
    if upn.trim().is_empty() {
        Err("must not be empty".into())
    } else if upn.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else if upn.chars().count() > MAX_UPN_CHARS {
        Err(format!("must be at most {MAX_UPN_CHARS} characters"))
    } else {
        Ok(upn.to_owned())
    }
}

fn segment(v: &Json) -> Result<String, String> {
    let s = string(v)?;
    check_segment(s).map_err(str::to_owned)?;
    Ok(s.to_owned())
}

fn whole_in(v: &Json, min: u32, max: u32) -> Result<u32, String> {
    match *v {
        Json::Number(n) if n.fract() == 0.0 && (f64::from(min)..=f64::from(max)).contains(&n) => {
            Ok(n as u32)
        }
        Json::Number(_) => Err(format!("must be a whole number from {min} to {max}")),
        _ => Err(format!("must be a number, not {}", v.kind())),
    }
}

/// Checks a user state to create. Field paths start with `prefix` (`userState`, or empty).
pub fn user_state(value: &Json, prefix: &str) -> Result<UserStateInput, Vec<FieldError>> {
    let map = object(
        value,
        if prefix.is_empty() {
            "userState"
        } else {
            prefix
        },
    )
    .map_err(|e| vec![e])?;
    let mut f = Fields::new(map, prefix);
    let success = f.required("successDeviceCount", count);
    let error = f.required("errorDeviceCount", count);
    let upn = f.required("userPrincipalName", user_principal_name);
    let id = f.optional("id", segment);
    f.optional("@odata.type", |v| match v.as_str() {
        Some(ODATA_TYPE) => Ok(()),
        _ => Err(format!("must be \"{ODATA_TYPE}\" when given")),
    });
    let errors = f.finish("a user state");
    match (success, error, upn) {
        (Some(success_device_count), Some(error_device_count), Some(user_principal_name))
            if errors.is_empty() =>
        {
            Ok(UserStateInput {
                success_device_count,
                error_device_count,
                user_principal_name,
                id,
            })
        }
        _ => Err(errors),
    }
}

/// The problems of a user state as `validateUserState` reports them: empty when valid.
pub fn user_state_problems(value: &Json) -> Vec<FieldError> {
    user_state(value, "").err().unwrap_or_default()
}

/// A token as given (the string, or what a token function returned): printable ASCII with
/// no spaces and no `Bearer ` prefix. The message never repeats the token.
pub fn token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        Err("must not be empty")
    } else if token
        .as_bytes()
        .get(..7)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"bearer "))
    {
        Err("must be the access token alone, without the \"Bearer \" prefix")
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Err("must contain only printable ASCII characters without spaces")
    } else {
        Ok(())
    }
}

/// A `clientRequestId`: a GUID (8-4-4-4-12 hexadecimal digits).
fn guid(v: &Json) -> Result<String, String> {
    let s = string(v)?;
    let groups: Vec<&str> = s.split('-').collect();
    let shape = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
    if shape
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Ok(s.to_owned())
    } else {
        Err("must be a GUID like 0f8fad5b-d9cb-469f-a165-70867728950e".into())
    }
}

/// Reads the common options from `f`.
fn call_options(f: &mut Fields) -> Option<CallOptions> {
    let cloud = f.optional("cloud", |v| {
        let name = string(v)?;
        Cloud::from_name(name).ok_or_else(|| {
            "must be one of \"global\", \"usgov\", \"usgovdod\", \"china\"".to_owned()
        })
    });
    let base = f.optional("baseUrl", |v| {
        Endpoint::from_base_url(string(v)?).map_err(str::to_owned)
    });
    let script_kind = f.optional("scriptKind", |v| {
        ScriptKind::from_name(string(v)?).ok_or_else(|| {
            "must be one of \"deviceManagementScripts\", \"deviceShellScripts\", \"deviceCustomAttributeShellScripts\"".to_owned()
        })
    });
    let timeout_ms = f.optional("timeoutMs", |v| whole_in(v, 1, MAX_TIMEOUT_MS));
    let max_retries = f.optional("maxRetries", |v| whole_in(v, 0, MAX_RETRIES));
    let client_request_id = f.optional("clientRequestId", guid);
    Some(CallOptions {
        endpoint: base.unwrap_or_else(|| Endpoint::cloud(cloud.unwrap_or(Cloud::Global))),
        script_kind: script_kind.unwrap_or_default(),
        timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        max_retries: max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
        client_request_id,
    })
}

/// Reads a request object: `read` takes the call's own fields, then the common options are
/// read and every field nobody read is reported as unknown.
fn request<T>(
    value: &Json,
    what: &str,
    read: impl FnOnce(&mut Fields) -> Option<T>,
) -> Result<(T, CallOptions), ValidationError> {
    let map = object(value, "request").map_err(|e| ValidationError { errors: vec![e] })?;
    let mut f = Fields::new(map, "");
    let own = read(&mut f);
    let options = call_options(&mut f);
    let errors = f.finish(what);
    match (own, options) {
        (Some(own), Some(options)) if errors.is_empty() => Ok((own, options)),
        _ => Err(ValidationError { errors }),
    }
}

/// A required nested value checked by `check`, whose errors join the request's.
fn nested<T>(
    f: &mut Fields,
    name: &'static str,
    check: impl FnOnce(&Json) -> Result<T, Vec<FieldError>>,
) -> Option<T> {
    match f.get(name) {
        None => {
            f.fail(name, "is required");
            None
        }
        Some(v) => check(v).map_err(|e| f.errors.extend(e)).ok(),
    }
}

/// Checks a whole `createUserState` request object.
pub fn create_request(value: &Json) -> Result<CreateRequest, ValidationError> {
    let ((script_id, user_state), options) = request(value, "a createUserState request", |f| {
        let script_id = f.required("scriptId", segment);
        let state = nested(f, "userState", |v| user_state(v, "userState"));
        Some((script_id?, state?))
    })?;
    Ok(CreateRequest {
        script_id,
        user_state,
        options,
    })
}

/// Checks a `getUserState` or `deleteUserState` request (`what` names it in errors).
pub fn item_request(value: &Json, what: &str) -> Result<ItemRequest, ValidationError> {
    let ((script_id, user_state_id), options) = request(value, what, |f| {
        let script_id = f.required("scriptId", segment);
        let id = f.required("userStateId", segment);
        Some((script_id?, id?))
    })?;
    Ok(ItemRequest {
        script_id,
        user_state_id,
        options,
    })
}

/// Checks `changes`: the same rules as a create, every field optional, at least one given.
pub fn changes(value: &Json, prefix: &str) -> Result<Changes, Vec<FieldError>> {
    let map = object(value, prefix).map_err(|e| vec![e])?;
    let mut f = Fields::new(map, prefix);
    let changes = Changes {
        success_device_count: f.optional("successDeviceCount", count),
        error_device_count: f.optional("errorDeviceCount", count),
        user_principal_name: f.optional("userPrincipalName", user_principal_name),
    };
    let given = map.0.iter().any(|(_, v)| *v != Json::Null);
    let mut errors = f.finish(
        "the changes of a user state (successDeviceCount, errorDeviceCount, userPrincipalName)",
    );
    if errors.is_empty() && !given {
        errors.push(FieldError::new(prefix, "must change at least one field"));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// Checks an `updateUserState` request.
pub fn update_request(value: &Json) -> Result<UpdateRequest, ValidationError> {
    let ((script_id, user_state_id, changes), options) =
        request(value, "an updateUserState request", |f| {
            let script_id = f.required("scriptId", segment);
            let id = f.required("userStateId", segment);
            let changes = nested(f, "changes", |v| changes(v, "changes"));
            Some((script_id?, id?, changes?))
        })?;
    Ok(UpdateRequest {
        script_id,
        user_state_id,
        changes,
        options,
    })
}

/// Largest `top` (page size) accepted.
pub const MAX_TOP: u32 = 999;

/// Checks a `listUserStates` / `listUserStatePages` request.
pub fn list_request(value: &Json) -> Result<ListRequest, ValidationError> {
    let ((script_id, top, filter), options) = request(value, "a listUserStates request", |f| {
        let script_id = f.required("scriptId", segment);
        let top = f.optional("top", |v| whole_in(v, 1, MAX_TOP));
        let filter = f.optional("filter", |v| {
            let s = string(v)?;
            if s.trim().is_empty() || s.chars().count() > 2048 || s.chars().any(char::is_control) {
                Err("must be an OData $filter expression of 1 to 2048 characters without control characters".to_owned())
            } else {
                Ok(s.to_owned())
            }
        });
        Some((script_id?, top, filter))
    })?;
    Ok(ListRequest {
        script_id,
        top,
        filter,
        options,
    })
}

/// Checks a `listScripts` request. A `scriptId` (or any field but the common options) is
/// refused, naming it.
pub fn scripts_request(value: &Json) -> Result<ScriptsRequest, ValidationError> {
    let ((), options) = request(value, "a listScripts request", |_| Some(()))?;
    Ok(ScriptsRequest { options })
}

/// Most user states one `createUserStates` call takes.
pub const MAX_BULK_ITEMS: usize = 100_000;
/// Most `$batch` requests a bulk import keeps in flight.
pub const MAX_CONCURRENCY: u32 = 8;
/// Default `concurrency`.
pub const DEFAULT_CONCURRENCY: u32 = 4;

/// Checks a `createUserStates` request. A second item for the same user (same `id`, or same
/// `userPrincipalName` ignoring ASCII case) is refused: a script has one user state per user,
/// and the look-up that keeps creates exactly-once matches on that.
pub fn bulk_request(value: &Json) -> Result<BulkRequest, ValidationError> {
    let req = items_request(value, Items::Create)?;
    Ok(BulkRequest {
        script_id: req.script_id,
        items: req.items,
        concurrency: req.concurrency,
        options: req.options,
    })
}

/// Which request of many items is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    /// `createUserStates`: `concurrency`; a user is its id, else its name.
    Create,
    /// `planUserStates`: no option of its own; a user is its id and its name.
    Plan,
    /// `syncUserStates`: `concurrency`, `deleteExtra`; as a plan.
    Sync,
}

/// Reads a request of many items: the three share one reader (their fields are read in this
/// order, so the first error is the first of these).
fn items_request(value: &Json, kind: Items) -> Result<SyncRequest, ValidationError> {
    let what = match kind {
        Items::Create => "a createUserStates request",
        Items::Plan => "a planUserStates request",
        Items::Sync => "a syncUserStates request",
    };
    let ((script_id, items, concurrency, delete_extra), options) = request(value, what, |f| {
        let script_id = f.required("scriptId", segment);
        let mut concurrency = None;
        let mut delete_extra = None;
        if kind != Items::Plan {
            concurrency = f.optional("concurrency", |v| whole_in(v, 1, MAX_CONCURRENCY));
        }
        if kind == Items::Sync {
            delete_extra = f.optional("deleteExtra", |v| match v {
                Json::Bool(b) => Ok(*b),
                other => Err(format!("must be a boolean, not {}", other.kind())),
            });
        }
        let items = nested(f, "userStates", |v| match v {
            Json::Array(items) if items.len() <= MAX_BULK_ITEMS => {
                Ok(one_per_user(check_items(items), kind != Items::Create))
            }
            Json::Array(_) => Err(vec![FieldError::new(
                "userStates",
                format!("must hold at most {MAX_BULK_ITEMS} items"),
            )]),
            other => Err(vec![FieldError::new(
                "userStates",
                format!("must be an array, not {}", other.kind()),
            )]),
        });
        Some((
            script_id?,
            items?,
            concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            delete_extra.unwrap_or(false),
        ))
    })?;
    Ok(SyncRequest {
        script_id,
        items,
        delete_extra,
        concurrency,
        options,
    })
}

/// Each item checked on its own with the rules of a user state, its errors under
/// `userStates[i]`.
fn check_items(items: &[Json]) -> Vec<Result<UserStateInput, ValidationError>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            user_state(item, &format!("userStates[{i}]"))
                .map_err(|errors| ValidationError { errors })
        })
        .collect()
}

/// One user state per user: sorted by user, every valid item after the first of its user is
/// refused, naming that first one. A user is the `id` when an item gives one, else the
/// `userPrincipalName` ignoring ASCII case; with `both`, an item with an `id` is also that
/// name's user (a sync matches by either). (A sort keeps a hash table's code out of the module.)
fn one_per_user(
    mut checked: Vec<Result<UserStateInput, ValidationError>>,
    both: bool,
) -> Vec<Result<UserStateInput, ValidationError>> {
    let mut users: Vec<(String, usize)> = Vec::new();
    for (i, c) in checked.iter().enumerate() {
        let Ok(input) = c else { continue };
        if let Some(id) = &input.id {
            users.push((format!("id:{id}"), i));
        }
        if input.id.is_none() || both {
            let upn = input.user_principal_name.to_ascii_lowercase();
            users.push((format!("upn:{upn}"), i));
        }
    }
    users.sort_unstable();
    for pair in users.chunk_by(|a, b| a.0 == b.0) {
        let first = pair[0].1;
        for &(ref key, i) in &pair[1..] {
            if checked[i].is_err() {
                continue;
            }
            let field = if key.starts_with("id:") {
                "id"
            } else {
                "userPrincipalName"
            };
            checked[i] = Err(ValidationError {
                errors: vec![FieldError::new(
                    format!("userStates[{i}].{field}"),
                    format!("repeats the user of userStates[{first}]: a script has one user state per user"),
                )],
            });
        }
    }
    checked
}

/// Checks a `planUserStates` request (`sync`: false) or a `syncUserStates` request (which
/// also takes `deleteExtra`, `concurrency` and `onProgress`). The items follow the rules and
/// limits of `createUserStates`; a repeated user (same `id`, or same `userPrincipalName`
/// ignoring ASCII case, whether or not the items give ids) is refused naming the first item
/// of that user.
pub fn sync_request(value: &Json, sync: bool) -> Result<SyncRequest, ValidationError> {
    items_request(value, if sync { Items::Sync } else { Items::Plan })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    fn request(user_state: &str, extra: &str) -> Json {
        json(&format!(
            r#"{{"scriptId":"s1","userState":{user_state}{extra}}}"#
        ))
    }

    const GOOD: &str =
        r#"{"successDeviceCount":2,"errorDeviceCount":0,"userPrincipalName":"ada@contoso.com"}"#;

    fn first_error(value: &Json) -> FieldError {
        create_request(value).unwrap_err().first().clone()
    }

    #[test]
    fn accepts_a_good_request_with_defaults() {
        let req = create_request(&request(GOOD, "")).unwrap();
        assert_eq!(req.script_id, "s1");
        assert_eq!(req.user_state.success_device_count, 2);
        assert_eq!(req.options.endpoint, Endpoint::cloud(Cloud::Global));
        assert_eq!(req.options.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(req.options.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(req.options.client_request_id, None);
    }

    #[test]
    fn reads_every_option() {
        let req = create_request(&request(
            GOOD,
            r#","cloud":"china","baseUrl":null,"timeoutMs":5,"maxRetries":0,"scriptKind":"deviceShellScripts","clientRequestId":"0F8FAD5B-D9CB-469F-A165-70867728950E""#,
        ))
        .unwrap();
        assert_eq!(req.options.endpoint, Endpoint::cloud(Cloud::China));
        assert_eq!(req.options.script_kind, ScriptKind::DeviceShellScripts);
        assert_eq!((req.options.timeout_ms, req.options.max_retries), (5, 0));
        let req = create_request(&request(
            GOOD,
            r#","cloud":"usgov","baseUrl":"http://localhost:1""#,
        ))
        .unwrap();
        assert_eq!(req.options.endpoint.origin(), "http://localhost:1");
    }

    #[test]
    fn every_count_rule_names_its_field() {
        for (value, rule) in [
            (r#""2""#, "must be a number, not a string"),
            ("1.5", "must be a whole number"),
            ("-1", "must be between 0 and 2147483647"),
            ("2147483648", "must be between 0 and 2147483647"),
            ("null", "is required"),
            ("true", "must be a number, not a boolean"),
            ("[1]", "must be a number, not an array"),
        ] {
            for field in ["successDeviceCount", "errorDeviceCount"] {
                let state = GOOD.replacen(
                    &format!(
                        r#""{field}":{}"#,
                        if field.starts_with('s') { 2 } else { 0 }
                    ),
                    &format!(r#""{field}":{value}"#),
                    1,
                );
                let err = first_error(&request(&state, ""));
                assert_eq!(
                    err,
                    FieldError::new(format!("userState.{field}"), rule),
                    "{field} = {value}"
                );
            }
        }
        assert_eq!(
            first_error(&request(
                r#"{"errorDeviceCount":0,"userPrincipalName":"a"}"#,
                ""
            )),
            FieldError::new("userState.successDeviceCount", "is required")
        );
    }

    #[test]
    fn nan_and_infinity_are_refused() {
        // JSON text cannot carry them; JS objects can.
        let mut state = json(GOOD);
        if let Json::Object(m) = &mut state {
            m.insert("successDeviceCount", Json::Number(f64::NAN));
            m.insert("errorDeviceCount", Json::Number(f64::INFINITY));
        }
        let errors = user_state(&state, "userState").unwrap_err();
        assert_eq!(
            errors[0],
            FieldError::new("userState.successDeviceCount", "must be a whole number")
        );
        assert_eq!(
            errors[1],
            FieldError::new("userState.errorDeviceCount", "must be a whole number")
        );
    }

    #[test]
    fn upn_rules() {
        let long = "a".repeat(MAX_UPN_CHARS + 1);
        for (value, rule) in [
            (r#""""#.to_owned(), "must not be empty".to_owned()),
            (r#""   ""#.to_owned(), "must not be empty".to_owned()),
            (
                r#""a\u0000b""#.to_owned(),
                "must not contain control characters".to_owned(),
            ),
            (
                r#""a\nb""#.to_owned(),
                "must not contain control characters".to_owned(),
            ),
            (
                format!(r#""{long}""#),
                format!("must be at most {MAX_UPN_CHARS} characters"),
            ),
            ("7".to_owned(), "must be a string, not a number".to_owned()),
            ("null".to_owned(), "is required".to_owned()),
        ] {
            let state = GOOD.replace(r#""ada@contoso.com""#, &value);
            assert_eq!(
                first_error(&request(&state, "")),
                FieldError::new("userState.userPrincipalName", rule)
            );
        }
        let max = "é".repeat(MAX_UPN_CHARS);
        assert!(create_request(&request(&GOOD.replace("ada@contoso.com", &max), "")).is_ok());
    }

    #[test]
    fn unknown_fields_are_errors() {
        let state = GOOD.replace('}', r#","extra":1}"#);
        assert_eq!(
            first_error(&request(&state, "")),
            FieldError::new("userState.extra", "is not a property of a user state")
        );
        assert_eq!(
            first_error(&request(GOOD, r#","maxRetry":2"#)),
            FieldError::new("maxRetry", "is not a property of a createUserState request")
        );
    }

    #[test]
    fn odata_type_and_id() {
        let typed = GOOD.replace(
            '}',
            r##","@odata.type":"#microsoft.graph.deviceManagementScriptUserState","id":"k1"}"##,
        );
        assert_eq!(
            create_request(&request(&typed, ""))
                .unwrap()
                .user_state
                .id
                .as_deref(),
            Some("k1")
        );
        let wrong = GOOD.replace('}', r##","@odata.type":"#microsoft.graph.user"}"##);
        assert_eq!(
            first_error(&request(&wrong, "")).field,
            "userState.@odata.type"
        );
        let dots = GOOD.replace('}', r#","id":".."}"#);
        assert_eq!(first_error(&request(&dots, "")).field, "userState.id");
    }

    #[test]
    fn top_level_rules() {
        let cases = [
            (r#"{"userState":{}}"#, "scriptId", "is required"),
            (
                r#"{"scriptId":"..","userState":{}}"#,
                "scriptId",
                "must not be . or ..",
            ),
            (
                r#"{"scriptId":"","userState":{}}"#,
                "scriptId",
                "must not be empty",
            ),
            (r#"{"scriptId":"s"}"#, "userState", "is required"),
            (
                r#"{"scriptId":"s","userState":[]}"#,
                "userState",
                "must be an object, not an array",
            ),
        ];
        for (text, field, message) in cases {
            assert_eq!(
                first_error(&json(text)),
                FieldError::new(field, message),
                "{text}"
            );
        }
        for (extra, field) in [
            (r#","cloud":"mars""#, "cloud"),
            (r#","cloud":1"#, "cloud"),
            (
                r#","baseUrl":"https://graph.microsoft.com.evil.example""#,
                "baseUrl",
            ),
            (r#","timeoutMs":0"#, "timeoutMs"),
            (r#","timeoutMs":1.5"#, "timeoutMs"),
            (r#","maxRetries":11"#, "maxRetries"),
            (r#","maxRetries":"3""#, "maxRetries"),
            (r#","clientRequestId":"not-a-guid""#, "clientRequestId"),
            (r#","scriptKind":"x""#, "scriptKind"),
        ] {
            assert_eq!(first_error(&request(GOOD, extra)).field, field, "{extra}");
        }
        assert_eq!(
            create_request(&json("[]")).unwrap_err().first(),
            &FieldError::new("request", "must be an object, not an array")
        );
    }

    #[test]
    fn all_problems_are_listed() {
        let problems = user_state_problems(&json(
            r#"{"successDeviceCount":-1,"errorDeviceCount":"x","userPrincipalName":"","z":0}"#,
        ));
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "successDeviceCount",
                "errorDeviceCount",
                "userPrincipalName",
                "z"
            ]
        );
        assert!(user_state_problems(&json(GOOD)).is_empty());
        assert_eq!(
            user_state_problems(&json("5"))[0],
            FieldError::new("userState", "must be an object, not a number")
        );
    }

    #[test]
    fn scripts_requests_take_the_common_options_only() {
        let req = scripts_request(&json(
            r#"{"scriptKind":"deviceShellScripts","cloud":"china","maxRetries":1}"#,
        ))
        .unwrap();
        assert_eq!(req.options.script_kind, ScriptKind::DeviceShellScripts);
        assert_eq!(req.options.endpoint, Endpoint::cloud(Cloud::China));
        assert_eq!(req.options.max_retries, 1);
        assert_eq!(
            scripts_request(&json("{}")).unwrap().options.script_kind,
            ScriptKind::DeviceManagementScripts
        );
        for (text, field) in [
            (r#"{"scriptId":"s"}"#, "scriptId"),
            (r#"{"top":5}"#, "top"),
            (r#"{"scriptKind":"deviceScripts"}"#, "scriptKind"),
            (r#"{"baseUrl":"https://evil.example"}"#, "baseUrl"),
        ] {
            let err = scripts_request(&json(text)).unwrap_err();
            assert_eq!(err.first().field, field, "{text}");
        }
        assert_eq!(
            scripts_request(&json(r#"{"scriptId":"s"}"#))
                .unwrap_err()
                .first()
                .message,
            "is not a property of a listScripts request"
        );
    }

    #[test]
    fn token_rules_never_echo_the_token() {
        // "123456é" once panicked here (a byte slice inside a UTF-8 character; found by the
        // validate_request fuzz target).
        for bad in [
            "",
            "Bearer abc.def",
            "bearer abc",
            "a b",
            "abc\n",
            "tök",
            "123456é",
            "BEARER xyz",
        ] {
            let msg = token(bad).unwrap_err();
            assert!(bad.is_empty() || !msg.contains(bad), "{msg}");
        }
        assert!(token("eyJ0eXAi.eyJhdWQi.sig-_").is_ok());
    }
}
