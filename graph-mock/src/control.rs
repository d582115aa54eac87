//! Test control API under `/_mock` (no auth): reset, config, faults, stats, request log, objects.

use serde_json::{json, Map, Value};

use crate::devices::{self, DeviceState};
use crate::encoding::{parse_query, query_param};
use crate::faults::parse_rules;
use crate::http::Reply;
use crate::scripts;
use crate::state::{State, UserState, COLLECTIONS, ODATA_TYPE};
use crate::App;

/// Handles a `/_mock/...` request.
pub(crate) fn handle(app: &App, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
    let params = parse_query(query);
    let script = query_param(&params, "scriptId");
    let mut state = app.lock();
    match (method, path.trim_end_matches('/')) {
        ("POST", "/_mock/reset") => {
            state.reset();
            Reply::empty(204)
        }
        ("GET", "/_mock/config") => Reply::json(200, &state.config.to_json()),
        ("POST", "/_mock/config") => match parse_json(body).and_then(|v| state.config.merge(&v)) {
            Ok(()) => Reply::json(200, &state.config.to_json()),
            Err(e) => error(400, &e),
        },
        ("POST", "/_mock/faults") => match parse_json(body).and_then(parse_rules) {
            Ok(rules) => {
                state.faults.extend(rules);
                Reply::empty(204)
            }
            Err(e) => error(400, &e),
        },
        ("GET", "/_mock/faults") => Reply::json(200, &json!(state.faults)),
        ("DELETE", "/_mock/faults") => {
            state.faults.clear();
            Reply::empty(204)
        }
        ("GET", "/_mock/stats") => Reply::json(200, &state.stats_json(script)),
        ("GET", "/_mock/requests") => {
            let since = match query_param(&params, "since").map(str::parse::<u64>) {
                None => 0,
                Some(Ok(n)) => n,
                Some(Err(_)) => return error(400, "since must be a log seq (an integer)"),
            };
            let writes = match query_param(&params, "write") {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return error(400, "write must be true or false"),
            };
            Reply::json(200, &state.requests_json(script, since, writes))
        }
        ("DELETE", "/_mock/requests") => {
            state.clear_log();
            Reply::empty(204)
        }
        ("POST", "/_mock/scripts") => match parse_json(body).and_then(scripts::parse_new) {
            Ok(new) => {
                let made = json!(new);
                match state.add_scripts(new) {
                    Ok(()) => Reply::json(201, &made),
                    Err(e) => error(409, &e),
                }
            }
            Err(e) => error(400, &e),
        },
        ("GET", "/_mock/scripts") => {
            let collection = query_param(&params, "collection");
            Reply::json(200, &json!(state.scripts(collection)))
        }
        ("DELETE", "/_mock/scripts") => {
            state.clear_scripts();
            Reply::empty(204)
        }
        ("GET", "/_mock/objects") => {
            let collection = query_param(&params, "collection");
            Reply::json(200, &json!(state.objects(script, collection)))
        }
        ("POST", "/_mock/objects") => match parse_json(body).and_then(parse_objects) {
            Ok(new) => {
                let made: Vec<&UserState> = new.iter().map(|(_, _, o, _)| o).collect();
                let made = json!(made);
                match state.seed_objects(new) {
                    Ok(()) => Reply::json(201, &made),
                    Err(e) => error(409, &e),
                }
            }
            Err(e) => error(400, &e),
        },
        ("DELETE", "/_mock/objects") => {
            state.clear_objects(script);
            Reply::empty(204)
        }
        ("POST", "/_mock/deviceRunStates") => {
            match parse_json(body)
                .map_err(|e| (400, e))
                .and_then(|v| parse_devices(&state, v))
            {
                Ok(new) => {
                    let made: Vec<Value> =
                        new.iter().map(|(c, s, d)| d.control_json(c, s)).collect();
                    for (c, s, d) in new {
                        state.devices.entry((c, s)).or_default().push(d);
                    }
                    Reply::json(201, &json!(made))
                }
                Err((status, e)) => error(status, &e),
            }
        }
        ("GET", "/_mock/deviceRunStates") => {
            let collection = query_param(&params, "collection");
            let user = query_param(&params, "userStateId");
            Reply::json(200, &devices_json(&state, script, collection, user))
        }
        ("DELETE", "/_mock/deviceRunStates") => {
            state
                .devices
                .retain(|(_, s), _| script.is_some_and(|x| x != s));
            Reply::empty(204)
        }
        (_, p) if ROUTES.contains(&p) => error(405, &format!("{method} is not allowed on {p}")),
        (_, p) => error(404, &format!("no control route {p}")),
    }
}

const ROUTES: [&str; 8] = [
    "/_mock/deviceRunStates",
    "/_mock/reset",
    "/_mock/config",
    "/_mock/faults",
    "/_mock/stats",
    "/_mock/requests",
    "/_mock/objects",
    "/_mock/scripts",
];

fn parse_json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

fn error(status: u16, message: &str) -> Reply {
    let code = match status {
        404 => "NotFound",
        409 => "Conflict",
        405 => "MethodNotAllowed",
        _ => "BadRequest",
    };
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

type Seeded = (&'static str, String, UserState, Vec<DeviceState>);
type SeededDevice = (&'static str, String, DeviceState);

/// One object or an array of them.
fn items(v: Value, what: &str) -> Result<Vec<Map<String, Value>>, String> {
    let items = match v {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(format!(
                "{what} must be a JSON object or an array of objects"
            ))
        }
    };
    items
        .into_iter()
        .map(|i| match i {
            Value::Object(o) => Ok(o),
            _ => Err(format!("each of the {what} must be a JSON object")),
        })
        .collect()
}

/// `scriptKind` (default `deviceManagementScripts`) and `scriptId` (required) of a seed.
fn parent(obj: &Map<String, Value>) -> Result<(&'static str, String), String> {
    let kind = match obj.get("scriptKind") {
        None | Some(Value::Null) => COLLECTIONS[0],
        Some(Value::String(k)) => COLLECTIONS
            .into_iter()
            .find(|c| c == k)
            .ok_or_else(|| format!("scriptKind must be one of {}", COLLECTIONS.join(", ")))?,
        Some(_) => return Err("scriptKind must be a string".into()),
    };
    let script = obj
        .get("scriptId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && !s.contains('/'))
        .ok_or("scriptId is required: a non-empty string without '/'")?;
    Ok((kind, script.to_owned()))
}

/// Reads `POST /_mock/objects`: user states with any values, each optionally with its device
/// run states (`deviceRunStates`). The counts default to what those devices say.
fn parse_objects(v: Value) -> Result<Vec<Seeded>, String> {
    const KNOWN: [&str; 8] = [
        "scriptKind",
        "scriptId",
        "id",
        "userPrincipalName",
        "successDeviceCount",
        "errorDeviceCount",
        "deviceRunStates",
        "@odata.type",
    ];
    let mut out = Vec::new();
    for obj in items(v, "user states")? {
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("unknown user state field '{k}'"));
        }
        let (kind, script) = parent(&obj)?;
        let id = match obj.get("id") {
            None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
            Some(Value::String(s)) if !s.is_empty() && !s.contains('/') => s.clone(),
            Some(_) => return Err("id must be a non-empty string without '/'".into()),
        };
        let upn = match obj.get("userPrincipalName") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("userPrincipalName must be a string or null".into()),
        };
        let seeds = match obj.get("deviceRunStates") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => items(v.clone(), "deviceRunStates")?,
        };
        let mut devs = Vec::with_capacity(seeds.len());
        for (n, d) in seeds.iter().enumerate() {
            devs.push(devices::parse_device(
                d,
                kind,
                Some(id.clone()),
                upn.as_deref(),
                &[],
                n + 1,
            )?);
        }
        let count = |key: &str, states: &[&str]| -> Result<i32, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(devs
                    .iter()
                    .filter(|d| d.run_state.as_str().is_some_and(|r| states.contains(&r)))
                    .count()
                    .min(i32::MAX as usize) as i32),
                Some(v) => v
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| format!("{key} must be an Int32")),
            }
        };
        let obj = UserState {
            odata_type: ODATA_TYPE,
            id,
            success_device_count: count("successDeviceCount", &["success"])?,
            error_device_count: count("errorDeviceCount", &["fail", "scriptError"])?,
            user_principal_name: upn,
        };
        out.push((kind, script, obj, devs));
    }
    Ok(out)
}

/// Reads `POST /_mock/deviceRunStates`: device run states under a script, each optionally
/// under one of its user states (`userStateId`, which must exist: 404 otherwise).
fn parse_devices(state: &State, v: Value) -> Result<Vec<SeededDevice>, (u16, String)> {
    let bad = |e: String| (400, e);
    let mut out = Vec::new();
    for (n, obj) in items(v, "device run states")
        .map_err(bad)?
        .iter()
        .enumerate()
    {
        let (kind, script) = parent(obj).map_err(bad)?;
        let user = match obj.get("userStateId") {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) => Some(u.clone()),
            Some(_) => return Err(bad("userStateId must be a string or null".into())),
        };
        let upn = match &user {
            None => None,
            Some(u) => {
                let found = state
                    .buckets
                    .get(&(kind, script.clone()))
                    .and_then(|b| b.get(u))
                    .ok_or_else(|| (404, format!("no user state '{u}' under {kind}/{script}")))?;
                found.user_principal_name.clone()
            }
        };
        let d = devices::parse_device(
            obj,
            kind,
            user,
            upn.as_deref(),
            &["scriptKind", "scriptId", "userStateId"],
            n + 1,
        )
        .map_err(bad)?;
        out.push((kind, script, d));
    }
    Ok(out)
}

/// `GET /_mock/deviceRunStates`: every stored device run state, by collection and script.
fn devices_json(
    state: &State,
    script: Option<&str>,
    collection: Option<&str>,
    user: Option<&str>,
) -> Value {
    let mut keys: Vec<&(&'static str, String)> = state
        .devices
        .keys()
        .filter(|(c, s)| {
            collection.is_none_or(|x| x == *c) && script.is_none_or(|x| x == s.as_str())
        })
        .collect();
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        for d in &state.devices[key] {
            if user.is_none_or(|u| d.user_state.as_deref() == Some(u)) {
                out.push(d.control_json(key.0, &key.1));
            }
        }
    }
    Value::Array(out)
}
