//! Test control API under `/_mock` (no auth): reset, config, faults, stats, request log, objects.

use serde_json::{json, Value};

use crate::encoding::{parse_query, query_param};
use crate::faults::parse_rules;
use crate::http::Reply;
use crate::scripts;
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
        ("GET", "/_mock/requests") => Reply::json(200, &state.requests_json(script)),
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
        (_, p) if ROUTES.contains(&p) => error(405, &format!("{method} is not allowed on {p}")),
        (_, p) => error(404, &format!("no control route {p}")),
    }
}

const ROUTES: [&str; 7] = [
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
