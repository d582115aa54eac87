//! Graph request pipeline: auth, routing, write budget, faults, then the resource operations.

use std::time::{Duration, Instant};

use crate::devices::{self, Target};
use crate::encoding::percent_decode;
use crate::envelope::{route_missing, Ctx, Out};
use crate::faults::RuleOp;
use crate::resource;
use crate::scripts;
use crate::state::{LogEntry, State, COLLECTIONS};

/// A Graph request, standalone or an inner `$batch` request.
#[derive(Clone, Debug)]
pub(crate) struct GraphRequest {
    /// Upper-case method.
    pub method: String,
    /// Path below the version root, starting with `/`.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    /// Lower-cased header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Absolute version root for links, e.g. `http://127.0.0.1:8080/beta`.
    pub base: String,
    /// `/beta` or `/v1.0`.
    pub version: &'static str,
    /// Part of a `$batch`.
    pub inner: bool,
    /// For an inner request: the outer `$batch` request's `client-request-id`, echoed when
    /// the inner request carries none of its own.
    pub batch_client_request_id: Option<String>,
    /// For an inner request: the request log `seq` of its outer `$batch`.
    pub outer_seq: Option<u64>,
}

impl GraphRequest {
    /// First value of a (lower-case) header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A Graph answer plus what to do with the connection.
#[derive(Debug)]
pub(crate) struct GraphReply {
    pub out: Out,
    pub ctx: Ctx,
    /// Close the connection without answering.
    pub drop: bool,
    pub delay: Option<Duration>,
    /// The request log `seq` of this request.
    pub seq: u64,
}

/// Where a request points.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    pub collection: &'static str,
    pub script: String,
    /// `None` for the `userRunStates` collection itself.
    pub item: Option<String>,
}

/// The operations of the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    List,
    Create,
    Get,
    Update,
    Delete,
}

impl Op {
    pub fn is_write(self) -> bool {
        matches!(self, Op::Create | Op::Update | Op::Delete)
    }
    pub fn rule_op(self) -> RuleOp {
        match self {
            Op::List => RuleOp::List,
            Op::Create => RuleOp::Create,
            Op::Get => RuleOp::Get,
            Op::Update => RuleOp::Update,
            Op::Delete => RuleOp::Delete,
        }
    }
}

/// Parses `/deviceManagement/{collection}/{scriptId}/userRunStates[/{id}]`.
pub(crate) fn parse_route(path: &str) -> Option<Route> {
    let rest = path.strip_prefix('/')?;
    let segs: Vec<&str> = rest.split('/').collect();
    let (coll, script, item) = match segs.as_slice() {
        ["deviceManagement", coll, script, "userRunStates"] => (coll, script, None),
        ["deviceManagement", coll, script, "userRunStates", ""] => (coll, script, None),
        ["deviceManagement", coll, script, "userRunStates", id] => (coll, script, Some(*id)),
        _ => return None,
    };
    let collection = COLLECTIONS.into_iter().find(|c| c == coll)?;
    let script = percent_decode(script, false);
    if script.is_empty() {
        return None;
    }
    Some(Route {
        collection,
        script,
        item: item.map(|i| percent_decode(i, false)),
    })
}

fn op_for(method: &str, route: &Route) -> Option<Op> {
    match (method, route.item.is_some()) {
        ("GET", false) => Some(Op::List),
        ("POST", false) => Some(Op::Create),
        ("GET", true) => Some(Op::Get),
        ("PATCH", true) => Some(Op::Update),
        ("DELETE", true) => Some(Op::Delete),
        _ => None,
    }
}

/// Checks `Authorization: Bearer <token>`; never echoes the token.
pub(crate) fn check_auth(ctx: &Ctx, auth: Option<&str>) -> Result<(), Out> {
    let token = auth
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .unwrap_or("");
    if token.is_empty() {
        Err(ctx.error(401, "InvalidAuthenticationToken", "Access token is empty."))
    } else if token.starts_with("expired") {
        Err(ctx.error(
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        ))
    } else if token.starts_with("forbidden") {
        Err(ctx.error(
            403,
            "Forbidden",
            "Application is not authorized to perform this operation.",
        ))
    } else {
        Ok(())
    }
}

/// Logs the request (with `script` and the `request-id` it is answered with), counts it, and
/// returns its log `seq`.
pub(crate) fn log_request(
    state: &mut State,
    req: &GraphRequest,
    script: Option<String>,
    write: bool,
    ctx: &Ctx,
) -> u64 {
    state.log(LogEntry {
        method: req.method.clone(),
        path: format!("{}{}", req.version, req.path),
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: String::from_utf8_lossy(&req.body).into_owned(),
        batch: req.inner,
        script_id: script,
        request_id: ctx.request_id.clone(),
        seq: 0,
        outer: req.outer_seq,
        write,
        received_ms: 0.0,
        answered_ms: None,
        status: None,
        dropped: false,
    })
}

/// POST, PATCH and DELETE: the methods that write.
fn is_write_method(method: &str) -> bool {
    matches!(method, "POST" | "PATCH" | "DELETE")
}

/// Handles one Graph request: log, auth, route, write budget, fault, processing.
pub(crate) fn handle(state: &mut State, req: &GraphRequest) -> GraphReply {
    let ctx = Ctx::new(
        req.header("client-request-id")
            .or(req.batch_client_request_id.as_deref()),
    );
    let route = parse_route(&req.path);
    let device_route = route
        .is_none()
        .then(|| devices::parse_route(&req.path))
        .flatten();
    let scripts_route = (route.is_none() && device_route.is_none())
        .then(|| scripts::parse_route(&req.path))
        .flatten();
    let logged = match (&route, &device_route, &scripts_route) {
        (Some(r), _, _) => Some(r.script.clone()),
        (None, Some(d), _) => Some(d.script.clone()),
        (None, None, Some(s)) => s.item.clone(),
        (None, None, None) => None,
    };
    let write = route.is_some() && is_write_method(&req.method);
    let seq = log_request(state, req, logged, write, &ctx);
    let reply = |out: Out| GraphReply {
        out,
        ctx: ctx.clone(),
        drop: false,
        delay: None,
        seq,
    };
    if let Err(out) = check_auth(&ctx, req.header("authorization")) {
        return reply(out);
    }
    if let Some(target) = scripts_route {
        if req.method != "GET" {
            let msg = format!(
                "The HTTP method '{}' is not allowed on this resource.",
                req.method
            );
            return reply(ctx.error(405, "MethodNotAllowed", &msg));
        }
        let script = target.item.clone();
        return with_faults(
            state,
            req,
            ctx.clone(),
            seq,
            script.as_deref(),
            RuleOp::Scripts,
            |state, _| scripts::process(state, req, &target, &ctx),
        );
    }
    if let Some(target) = device_route {
        // Reads only: Intune's docs list writes for device run states too, but the service
        // answers such writes as a route it does not have (GRAPH.md; assumed for these).
        if req.method != "GET" {
            return reply(route_missing(&ctx, &req.method, &req.path));
        }
        let op = match target.target {
            Target::Summary => RuleOp::Summary,
            Target::Devices { .. } => RuleOp::Devices,
        };
        let script = target.script.clone();
        return with_faults(
            state,
            req,
            ctx.clone(),
            seq,
            Some(&script),
            op,
            |state, _| devices::process(state, req, &target, &ctx),
        );
    }
    let Some(route) = route else {
        let msg = format!(
            "Resource not found for the segment '{}'.",
            last_segment(&req.path)
        );
        return reply(ctx.error(404, "ResourceNotFound", &msg));
    };
    let refused = write && state.config.refuse_writes.covers(&route.script);
    let script = Some(route.script.as_str());
    let Some(op) = op_for(&req.method, &route) else {
        if refused {
            state.count(script, |c| c.refused += 1);
            return reply(route_missing(&ctx, &req.method, &req.path));
        }
        let msg = format!(
            "The HTTP method '{}' is not allowed on this resource.",
            req.method
        );
        return reply(ctx.error(405, "MethodNotAllowed", &msg));
    };
    if op.is_write() {
        if let Err(secs) = state.admit_write(Instant::now()) {
            state.count(script, |c| c.throttled += 1);
            let out = ctx
                .error_for(429, None, None)
                .with_header("Retry-After", secs.to_string());
            return reply(out);
        }
    }
    with_faults(
        state,
        req,
        ctx.clone(),
        seq,
        script,
        op.rule_op(),
        |state, commit| {
            if refused {
                if commit {
                    state.count(Some(&route.script), |c| c.refused += 1);
                }
                return route_missing(&ctx, &req.method, &req.path);
            }
            resource::process(state, req, &route, op, &ctx, commit)
        },
    )
}

/// Answers with `process` (`commit` false: a dry run that stores nothing), unless a fault rule
/// for `op` on `script` matches: then that rule shapes the answer.
fn with_faults(
    state: &mut State,
    req: &GraphRequest,
    ctx: Ctx,
    seq: u64,
    script: Option<&str>,
    op: RuleOp,
    mut process: impl FnMut(&mut State, bool) -> Out,
) -> GraphReply {
    let rule_at = state
        .faults
        .iter()
        .position(|r| r.matches(script, Some(op)));
    let Some(at) = rule_at else {
        return GraphReply {
            out: process(state, true),
            ctx,
            drop: false,
            delay: None,
            seq,
        };
    };
    let rule = take_rule(state, at);
    state.count(script, |c| c.faults += 1);
    if rule.refuse {
        state.count(script, |c| c.refused += 1);
    }
    let processed = rule.processes().then(|| process(state, true));
    let out = rule.answer(
        &ctx,
        processed,
        || process(state, false),
        || route_missing(&ctx, &req.method, &req.path),
    );
    if out.status == 429 && !rule.drop {
        state.count(script, |c| c.throttled += 1);
    }
    GraphReply {
        out,
        ctx,
        drop: rule.drop,
        delay: rule.delay(),
        seq,
    }
}

/// Takes one use of the rule at `at`, removing it when used up.
pub(crate) fn take_rule(state: &mut State, at: usize) -> crate::faults::FaultRule {
    let rule = state.faults[at].clone();
    if state.faults[at].times <= 1 {
        state.faults.remove(at);
    } else {
        state.faults[at].times -= 1;
    }
    rule
}

fn last_segment(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_routes() {
        let r = parse_route("/deviceManagement/deviceManagementScripts/s1/userRunStates").unwrap();
        assert_eq!(
            (r.collection, r.script.as_str(), r.item),
            ("deviceManagementScripts", "s1", None)
        );
        let r = parse_route("/deviceManagement/deviceShellScripts/s1/userRunStates/").unwrap();
        assert!(r.item.is_none());
        let r = parse_route(
            "/deviceManagement/deviceCustomAttributeShellScripts/s%201/userRunStates/a",
        )
        .unwrap();
        assert_eq!((r.script.as_str(), r.item.as_deref()), ("s 1", Some("a")));
        assert!(parse_route("/deviceManagement/other/s1/userRunStates").is_none());
        assert!(parse_route("/deviceManagement/deviceShellScripts/s1").is_none());
        assert!(parse_route("/deviceManagement/deviceShellScripts/s1/userRunStates/a/b").is_none());
    }
}
