//! Device run states and the run summary (read side, issue 20): `deviceRunStates` under a
//! script and under a user state, `$expand=managedDevice` with a nested `$select`, paging,
//! `$filter` on `runState`, and `runSummary` computed from what the mock holds.
//!
//! What is documented and what is assumed is said in `README.md` ("Device run states and the
//! run summary"); the sources are `/work/shared/GRAPH.md`, "Device run states and the run
//! summary" and "The resource".

use serde_json::{json, Map, Value};

use crate::clock;
use crate::encoding::{encode_component, paging, parse_query, percent_decode, query_param};
use crate::envelope::{Ctx, Out};
use crate::graph::GraphRequest;
use crate::resource::next_link;
use crate::state::{DeviceFilter, State, COLLECTIONS};

/// The `@odata.type` of a device run state.
pub(crate) const DEVICE_TYPE: &str = "#microsoft.graph.deviceManagementScriptDeviceState";
const DEVICE_TYPE_NAME: &str = "microsoft.graph.deviceManagementScriptDeviceState";
const SUMMARY_TYPE: &str = "#microsoft.graph.deviceManagementScriptRunSummary";

/// Properties of `microsoft.graph.managedDevice` (beta) that a nested `$select` may name.
const MANAGED_DEVICE_PROPS: &[&str] = &[
    "id",
    "userId",
    "deviceName",
    "managedDeviceName",
    "ownerType",
    "managedDeviceOwnerType",
    "managementState",
    "enrolledDateTime",
    "lastSyncDateTime",
    "chassisType",
    "operatingSystem",
    "osVersion",
    "deviceType",
    "complianceState",
    "jailBroken",
    "managementAgent",
    "easActivated",
    "easDeviceId",
    "easActivationDateTime",
    "aadRegistered",
    "azureADRegistered",
    "deviceEnrollmentType",
    "lostModeState",
    "emailAddress",
    "azureActiveDirectoryDeviceId",
    "azureADDeviceId",
    "deviceRegistrationState",
    "deviceCategoryDisplayName",
    "isSupervised",
    "isEncrypted",
    "userPrincipalName",
    "userDisplayName",
    "model",
    "manufacturer",
    "imei",
    "serialNumber",
    "phoneNumber",
    "wiFiMacAddress",
    "ethernetMacAddress",
    "meid",
    "totalStorageSpaceInBytes",
    "freeStorageSpaceInBytes",
    "physicalMemoryInBytes",
    "processorArchitecture",
    "joinType",
    "skuFamily",
    "skuNumber",
    "enrollmentProfileName",
    "autopilotEnrolled",
    "roleScopeTagIds",
    "notes",
    "udid",
    "iccid",
];

/// One stored `deviceManagementScriptDeviceState`. The six properties are kept verbatim as
/// seeded (any JSON), so a test can give the client a value of the wrong type.
#[derive(Clone, Debug)]
pub(crate) struct DeviceState {
    pub id: String,
    /// The user state it hangs under, if any (it is always listed under its script).
    pub user_state: Option<String>,
    pub run_state: Value,
    pub result_message: Value,
    pub last_state_update: Value,
    pub error_code: Value,
    pub error_description: Value,
    /// `None`: the device is gone (`"managedDevice": null` when expanded).
    pub managed_device: Option<Map<String, Value>>,
}

impl DeviceState {
    /// The object as Graph answers it, `managedDevice` shaped by `expand` (absent when `None`).
    fn graph_json(&self, expand: Option<&Expand>) -> Value {
        let mut v = json!({
            "@odata.type": DEVICE_TYPE,
            "id": self.id,
            "runState": self.run_state,
            "resultMessage": self.result_message,
            "lastStateUpdateDateTime": self.last_state_update,
            "errorCode": self.error_code,
            "errorDescription": self.error_description,
        });
        if let Some(e) = expand {
            v["managedDevice"] = match (&self.managed_device, &e.select) {
                (None, _) => Value::Null,
                (Some(d), None) => Value::Object(d.clone()),
                (Some(d), Some(fields)) => Value::Object(
                    fields
                        .iter()
                        .map(|f| (f.clone(), d.get(f).cloned().unwrap_or(Value::Null)))
                        .collect(),
                ),
            };
        }
        v
    }

    /// The control API's view: where it hangs, and the whole device.
    pub fn control_json(&self, collection: &str, script: &str) -> Value {
        let mut v = self.graph_json(Some(&Expand { select: None }));
        let obj = v.as_object_mut().expect("an object");
        obj.remove("@odata.type");
        obj.insert("scriptKind".into(), json!(collection));
        obj.insert("scriptId".into(), json!(script));
        obj.insert("userStateId".into(), json!(self.user_state));
        v
    }

    fn run_state(&self) -> Option<&str> {
        self.run_state.as_str()
    }
}

/// What a device route names.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// `.../deviceRunStates[/{item}]`, under the script or under `user`.
    Devices {
        user: Option<String>,
        item: Option<String>,
    },
    /// `.../runSummary`.
    Summary,
}

/// A device route: `/deviceManagement/{collection}/{scriptId}/` then `deviceRunStates[/{id}]`,
/// `userRunStates/{userStateId}/deviceRunStates[/{id}]` or `runSummary`.
#[derive(Clone, Debug)]
pub(crate) struct DeviceRoute {
    pub collection: &'static str,
    pub script: String,
    pub target: Target,
}

/// Parses a path below the version root.
pub(crate) fn parse_route(path: &str) -> Option<DeviceRoute> {
    let rest = path.strip_prefix("/deviceManagement/")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segs: Vec<&str> = rest.split('/').collect();
    let dec = |s: &str| percent_decode(s, false);
    let (coll, script, target) = match segs.as_slice() {
        [c, s, "deviceRunStates"] => (
            c,
            s,
            Target::Devices {
                user: None,
                item: None,
            },
        ),
        [c, s, "deviceRunStates", id] => (
            c,
            s,
            Target::Devices {
                user: None,
                item: Some(dec(id)),
            },
        ),
        [c, s, "userRunStates", u, "deviceRunStates"] => (
            c,
            s,
            Target::Devices {
                user: Some(dec(u)),
                item: None,
            },
        ),
        [c, s, "userRunStates", u, "deviceRunStates", id] => (
            c,
            s,
            Target::Devices {
                user: Some(dec(u)),
                item: Some(dec(id)),
            },
        ),
        [c, s, "runSummary"] => (c, s, Target::Summary),
        _ => return None,
    };
    let collection = COLLECTIONS.into_iter().find(|x| x == coll)?;
    let script = dec(script);
    let empty = |s: &Option<String>| s.as_deref() == Some("");
    if script.is_empty()
        || matches!(&target, Target::Devices { user, item } if empty(user) || empty(item))
    {
        return None;
    }
    Some(DeviceRoute {
        collection,
        script,
        target,
    })
}

type Failure = (u16, &'static str, String);

fn bad_request(message: impl Into<String>) -> Failure {
    (400, "BadRequest", message.into())
}

/// `$expand=managedDevice[($select=a,b)]`.
#[derive(Clone, Debug)]
struct Expand {
    /// `None`: every property of the device.
    select: Option<Vec<String>>,
}

fn parse_expand(value: &str) -> Result<Expand, Failure> {
    let value = value.trim();
    let (name, options) = match value.split_once('(') {
        None => (value, None),
        Some((n, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| bad_request(format!("Invalid $expand clause: {value}")))?;
            (n.trim(), Some(inner))
        }
    };
    if !name.eq_ignore_ascii_case("managedDevice") {
        return Err(bad_request(format!(
            "Could not find a property named '{name}' on type '{DEVICE_TYPE_NAME}'."
        )));
    }
    let Some(options) = options else {
        return Ok(Expand { select: None });
    };
    let mut select = None;
    for opt in options.split(';').map(str::trim).filter(|o| !o.is_empty()) {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        if !k.trim().eq_ignore_ascii_case("$select") {
            return Err(bad_request(format!(
                "The query option '{}' is not supported inside $expand here.",
                k.trim()
            )));
        }
        let mut fields: Vec<String> = Vec::new();
        for f in v.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if !MANAGED_DEVICE_PROPS.contains(&f) {
                return Err(bad_request(format!(
                    "Could not find a property named '{f}' on type 'microsoft.graph.managedDevice'."
                )));
            }
            if !fields.iter().any(|x| x == f) {
                fields.push(f.to_owned());
            }
        }
        select = Some(fields);
    }
    Ok(Expand { select })
}

/// `runState eq 'x'` clauses joined by `or` (a literal may be written
/// `microsoft.graph.runState'x'`); the wanted values.
fn parse_filter(f: &str) -> Option<Vec<String>> {
    let mut wanted = Vec::new();
    let mut rest = f.trim();
    loop {
        let (clause, tail) = match find_or(rest) {
            Some(at) => (&rest[..at], Some(rest[at + 4..].trim_start())),
            None => (rest, None),
        };
        let mut words = clause.split_whitespace();
        let (prop, op, lit) = (words.next()?, words.next()?, words.next()?);
        if words.next().is_some()
            || !prop.eq_ignore_ascii_case("runState")
            || !op.eq_ignore_ascii_case("eq")
        {
            return None;
        }
        let lit = lit
            .strip_prefix("microsoft.graph.runState")
            .unwrap_or(lit)
            .strip_prefix('\'')?
            .strip_suffix('\'')?;
        if lit.contains('\'') || lit.is_empty() {
            return None;
        }
        wanted.push(lit.to_owned());
        match tail {
            Some(t) => rest = t,
            None => return Some(wanted),
        }
    }
}

/// Byte position of the first ` or ` (any case) in `s`.
fn find_or(s: &str) -> Option<usize> {
    s.to_ascii_lowercase().find(" or ")
}

/// Runs a device route (GET; the caller answered anything else).
pub(crate) fn process(state: &State, req: &GraphRequest, route: &DeviceRoute, ctx: &Ctx) -> Out {
    let unknown =
        state.config.strict_scripts && !state.holds_script(route.collection, &route.script);
    if route.script.starts_with("missing") || unknown {
        let msg = format!("Resource not found for the segment '{}'.", route.collection);
        return ctx.error(404, "ResourceNotFound", &msg);
    }
    let result = match &route.target {
        Target::Summary => Ok(summary(state, req, route)),
        Target::Devices { user, item } => devices(state, req, route, user.as_deref(), item),
    };
    result.unwrap_or_else(|(status, code, message)| ctx.error(status, code, &message))
}

fn devices(
    state: &State,
    req: &GraphRequest,
    route: &DeviceRoute,
    user: Option<&str>,
    item: &Option<String>,
) -> Result<Out, Failure> {
    let key = (route.collection, route.script.clone());
    if let Some(u) = user {
        if !state.buckets.get(&key).is_some_and(|b| b.contains(u)) {
            return Err((
                404,
                "ResourceNotFound",
                format!(
                    "No microsoft.graph.deviceManagementScriptUserState with id '{u}' was found."
                ),
            ));
        }
    }
    let params = parse_query(&req.query);
    let expand_raw = query_param(&params, "$expand");
    let expand = expand_raw.map(parse_expand).transpose()?;
    let empty = Vec::new();
    let all = state.devices.get(&key).unwrap_or(&empty);
    let in_scope = |d: &&DeviceState| user.is_none() || d.user_state.as_deref() == user;
    if let Some(id) = item {
        return all
            .iter()
            .filter(in_scope)
            .find(|d| d.id == *id)
            .map(|d| Out::json(200, &d.graph_json(expand.as_ref())))
            .ok_or_else(|| {
                (
                    404,
                    "ResourceNotFound",
                    format!("No {DEVICE_TYPE_NAME} with id '{id}' was found."),
                )
            });
    }
    let (top, skip) = paging(&params).map_err(bad_request)?;
    let page_size = state.config.page_size(top).map_err(bad_request)?;
    let filter_raw = query_param(&params, "$filter");
    let wanted = match (filter_raw, state.config.device_filter) {
        (None, _) | (Some(_), DeviceFilter::Ignored) => None,
        (Some(_), DeviceFilter::Rejected) => {
            return Err(bad_request(
                "The query specified in the URI is not valid. $filter is not supported on this resource.",
            ))
        }
        (Some(f), DeviceFilter::Supported) => Some(
            parse_filter(f).ok_or_else(|| bad_request(format!("Invalid filter clause: {f}")))?,
        ),
    };
    let matching: Vec<&DeviceState> = all
        .iter()
        .filter(in_scope)
        .filter(|d| {
            wanted
                .as_ref()
                .is_none_or(|w| d.run_state().is_some_and(|r| w.iter().any(|x| x == r)))
        })
        .collect();
    let total = matching.len();
    let value: Vec<Value> = matching
        .into_iter()
        .skip(skip)
        .take(page_size)
        .map(|d| d.graph_json(expand.as_ref()))
        .collect();
    let path = devices_path(route, user);
    let mut body = json!({
        "@odata.context": format!("{}/$metadata#{}", req.base, context_path(route, user)),
        "value": value,
    });
    if skip.saturating_add(page_size) < total {
        let mut shaped = Vec::new();
        if let Some(e) = expand_raw {
            shaped.push(format!("$expand={}", encode_component(e)));
        }
        if let Some(f) = filter_raw {
            shaped.push(format!("$filter={}", encode_component(f)));
        }
        let shaped = (!shaped.is_empty()).then(|| shaped.join("&"));
        body["@odata.nextLink"] =
            json!(next_link(state, req, &path, shaped, top, skip + page_size));
    }
    Ok(Out::json(200, &body))
}

fn devices_path(route: &DeviceRoute, user: Option<&str>) -> String {
    let mut p = format!(
        "/deviceManagement/{}/{}",
        route.collection,
        encode_component(&route.script)
    );
    if let Some(u) = user {
        p.push_str(&format!("/userRunStates/{}", encode_component(u)));
    }
    p.push_str("/deviceRunStates");
    p
}

fn context_path(route: &DeviceRoute, user: Option<&str>) -> String {
    let mut p = format!(
        "deviceManagement/{}('{}')",
        route.collection,
        encode_component(&route.script)
    );
    if let Some(u) = user {
        p.push_str(&format!("/userRunStates('{}')", encode_component(u)));
    }
    p.push_str("/deviceRunStates");
    p
}

/// Counts: devices by `runState` (`success`; `fail` or `scriptError`), users by their user
/// state's counts (any error device: an error user; else any success device: a success user).
fn summary(state: &State, req: &GraphRequest, route: &DeviceRoute) -> Out {
    let key = (route.collection, route.script.clone());
    let (mut ok_dev, mut err_dev) = (0i64, 0i64);
    for d in state.devices.get(&key).into_iter().flatten() {
        match d.run_state() {
            Some("success") => ok_dev += 1,
            Some("fail" | "scriptError") => err_dev += 1,
            _ => {}
        }
    }
    let (mut ok_users, mut err_users) = (0i64, 0i64);
    for u in state.buckets.get(&key).into_iter().flat_map(|b| b.iter()) {
        if u.error_device_count > 0 {
            err_users += 1;
        } else if u.success_device_count > 0 {
            ok_users += 1;
        }
    }
    let clamp = |n: i64| n.min(i32::MAX as i64);
    Out::json(
        200,
        &json!({
            "@odata.context": format!(
                "{}/$metadata#deviceManagement/{}('{}')/runSummary/$entity",
                req.base,
                route.collection,
                encode_component(&route.script)
            ),
            "@odata.type": SUMMARY_TYPE,
            "id": route.script,
            "successDeviceCount": clamp(ok_dev),
            "errorDeviceCount": clamp(err_dev),
            "successUserCount": clamp(ok_users),
            "errorUserCount": clamp(err_users),
        }),
    )
}

/// Fields a seeded device run state may carry (besides where it hangs).
const DEVICE_FIELDS: [&str; 7] = [
    "id",
    "runState",
    "resultMessage",
    "lastStateUpdateDateTime",
    "errorCode",
    "errorDescription",
    "managedDevice",
];

/// Reads one seeded device run state. `upn` fills a made-up device's `userPrincipalName`;
/// `n` numbers its name.
pub(crate) fn parse_device(
    obj: &Map<String, Value>,
    collection: &str,
    user_state: Option<String>,
    upn: Option<&str>,
    extra: &[&str],
    n: usize,
) -> Result<DeviceState, String> {
    for key in obj.keys() {
        if !DEVICE_FIELDS.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            return Err(format!("unknown device run state field '{key}'"));
        }
    }
    let id = match obj.get("id") {
        None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
        Some(Value::String(s)) if !s.is_empty() && !s.contains('/') => s.clone(),
        Some(_) => {
            return Err("a device run state's id must be a non-empty string without '/'".into())
        }
    };
    let get = |k: &str, default: Value| obj.get(k).cloned().unwrap_or(default);
    let now = format!("{}Z", clock::graph_date(std::time::SystemTime::now()));
    let managed_device = match obj.get("managedDevice") {
        Some(Value::Null) => None,
        Some(Value::Object(d)) => {
            let mut d = d.clone();
            if !d.contains_key("id") {
                d.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
            }
            Some(d)
        }
        Some(_) => return Err("managedDevice must be an object or null".into()),
        None => {
            let mac = collection != COLLECTIONS[0];
            let mut d = Map::new();
            d.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
            d.insert(
                "deviceName".into(),
                json!(if mac {
                    format!("MacBook-{n:04}")
                } else {
                    format!("DESKTOP-{n:04}")
                }),
            );
            d.insert(
                "operatingSystem".into(),
                json!(if mac { "macOS" } else { "Windows" }),
            );
            d.insert("userPrincipalName".into(), json!(upn));
            Some(d)
        }
    };
    Ok(DeviceState {
        id,
        user_state,
        run_state: get("runState", json!("success")),
        result_message: get("resultMessage", Value::Null),
        last_state_update: get("lastStateUpdateDateTime", json!(now)),
        error_code: get("errorCode", json!(0)),
        error_description: get("errorDescription", Value::Null),
        managed_device,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = parse_route("/deviceManagement/deviceShellScripts/s1/deviceRunStates").unwrap();
        assert_eq!(r.collection, "deviceShellScripts");
        assert!(matches!(
            r.target,
            Target::Devices {
                user: None,
                item: None
            }
        ));
        let r = parse_route(
            "/deviceManagement/deviceManagementScripts/s1/userRunStates/u%201/deviceRunStates/d1",
        )
        .unwrap();
        assert!(matches!(
            r.target,
            Target::Devices { user: Some(ref u), item: Some(ref d) } if u == "u 1" && d == "d1"
        ));
        assert!(matches!(
            parse_route("/deviceManagement/deviceManagementScripts/s1/runSummary")
                .unwrap()
                .target,
            Target::Summary
        ));
        assert!(parse_route("/deviceManagement/other/s1/runSummary").is_none());
        assert!(parse_route("/deviceManagement/deviceShellScripts/s1/userRunStates/u").is_none());
        assert!(parse_route("/deviceManagement/deviceShellScripts/s1/runSummary/x").is_none());
    }

    #[test]
    fn expands_and_filters() {
        assert!(parse_expand("managedDevice").unwrap().select.is_none());
        let e = parse_expand("managedDevice($select=id,deviceName, operatingSystem)").unwrap();
        assert_eq!(
            e.select.unwrap(),
            vec!["id", "deviceName", "operatingSystem"]
        );
        assert!(parse_expand("managedDevice($select=colour)").is_err());
        assert!(parse_expand("user").is_err());
        assert!(parse_expand("managedDevice($select=id").is_err());
        assert_eq!(
            parse_filter("runState eq 'fail' or runState eq microsoft.graph.runState'scriptError'")
                .unwrap(),
            vec!["fail", "scriptError"]
        );
        assert!(parse_filter("runState ne 'fail'").is_none());
        assert!(parse_filter("errorCode eq 1").is_none());
        assert!(parse_filter("runState eq 'a' and runState eq 'b'").is_none());
    }
}
