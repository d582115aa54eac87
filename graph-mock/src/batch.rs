//! JSON batching: `POST /{version}/$batch` with up to 20 inner requests.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::envelope::{Ctx, Out};
use crate::graph::{self, check_auth, log_request, GraphReply, GraphRequest};
use crate::state::State;

/// Most inner requests one batch may carry.
const MAX_REQUESTS: usize = 20;

/// Handles an outer `$batch` request.
pub(crate) fn handle(state: &mut State, req: &GraphRequest) -> GraphReply {
    let ctx = Ctx::new(req.header("client-request-id"));
    let seq = log_request(state, req, None, false, &ctx);
    state.count(None, |c| c.batches += 1);
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
    if req.method != "POST" {
        return reply(ctx.error(405, "MethodNotAllowed", "Only POST is allowed on $batch."));
    }
    let inner = match parse(req) {
        Ok(inner) => inner,
        Err((status, code, msg)) => return reply(ctx.error(status, code, &msg)),
    };
    let Some(at) = state.faults.iter().position(|r| r.matches(None, None)) else {
        return run(state, inner, ctx, seq);
    };
    let rule = graph::take_rule(state, at);
    state.count(None, |c| c.faults += 1);
    let mut inner_drop = false;
    let mut inner_delay = None;
    let processed = rule.processes().then(|| {
        let r = run(state, inner, ctx.clone(), seq);
        inner_drop = r.drop;
        inner_delay = r.delay;
        r.out
    });
    let out = rule.answer(
        &ctx,
        processed,
        || Out::json(200, &json!({"responses": []})),
        || unreachable_refusal(&ctx),
    );
    if out.status == 429 && !rule.drop {
        state.count(None, |c| c.throttled += 1);
    }
    GraphReply {
        out,
        ctx,
        drop: rule.drop || inner_drop,
        delay: max_delay(rule.delay(), inner_delay),
        seq,
    }
}

/// `refuse` rules never match an outer batch (`parse_rules` refuses `op: "batch"` with it).
fn unreachable_refusal(ctx: &Ctx) -> Out {
    ctx.error_for(500, None, None)
}

type ParseError = (u16, &'static str, String);

/// Validates the batch body and builds the inner requests as `(id, request)`.
fn parse(outer: &GraphRequest) -> Result<Vec<(String, GraphRequest)>, ParseError> {
    let bad = |m: &str| (400, "BadRequest", m.to_string());
    let ct = outer.header("content-type").unwrap_or("");
    if !ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err((
            415,
            "UnsupportedMediaType",
            "The batch must be sent with Content-Type: application/json.".into(),
        ));
    }
    let body: Value = serde_json::from_slice(&outer.body)
        .map_err(|e| bad(&format!("Invalid JSON in the batch body: {e}")))?;
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("The batch body must have a 'requests' array."))?;
    if requests.is_empty() {
        return Err(bad("The batch must contain at least one request."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(bad(&format!(
            "The batch contains {} requests; the limit is {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let id = r
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("Every batch request needs a string 'id'."))?;
        if !ids.insert(id.to_string()) {
            return Err(bad(&format!("Duplicate batch request id '{id}'.")));
        }
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&format!("Batch request '{id}' has no 'method'.")))?
            .to_ascii_uppercase();
        let url = r
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&format!("Batch request '{id}' has no 'url'.")))?;
        let url = if url.starts_with('/') {
            url.to_string()
        } else {
            format!("/{url}")
        };
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(h) = r.get("headers") {
            let h = h
                .as_object()
                .ok_or_else(|| bad(&format!("Batch request '{id}' has invalid 'headers'.")))?;
            for (k, v) in h {
                let v = v
                    .as_str()
                    .ok_or_else(|| bad(&format!("Batch request '{id}' has invalid 'headers'.")))?;
                let k = k.to_ascii_lowercase();
                if k != "authorization" {
                    headers.push((k, v.to_string()));
                }
            }
        }
        if let Some(auth) = outer.header("authorization") {
            headers.push(("authorization".into(), auth.to_string()));
        }
        let body = match r.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
        };
        out.push((
            id.to_string(),
            GraphRequest {
                method,
                path: path.to_string(),
                query: query.to_string(),
                headers,
                body,
                base: outer.base.clone(),
                version: outer.version,
                inner: true,
                batch_client_request_id: outer.header("client-request-id").map(str::to_owned),
                outer_seq: None,
            },
        ));
    }
    Ok(out)
}

/// Runs every inner request and answers them in reverse order.
fn run(state: &mut State, inner: Vec<(String, GraphRequest)>, ctx: Ctx, seq: u64) -> GraphReply {
    let mut responses = Vec::with_capacity(inner.len());
    let mut drop = false;
    let mut delay = None;
    for (id, mut req) in inner {
        req.outer_seq = Some(seq);
        let r = graph::handle(state, &req);
        state.set_status(r.seq, r.out.status);
        let id = &id;
        drop |= r.drop;
        delay = max_delay(delay, r.delay);
        responses.push(inner_response(id, r.out, &r.ctx));
    }
    responses.reverse();
    GraphReply {
        out: Out::json(200, &json!({ "responses": responses })),
        ctx,
        drop,
        delay,
        seq,
    }
}

/// One inner answer. Its headers carry its own `request-id` and the `client-request-id` (the
/// inner request's, else the batch's), as an outer answer's do: GRAPH.md ("JSON batching") says
/// only that inner answers carry headers, and the package's `onResponse` reads ids from them.
fn inner_response(id: &str, out: Out, ctx: &Ctx) -> Value {
    let mut headers = Map::new();
    headers.insert("request-id".into(), json!(ctx.request_id));
    headers.insert("client-request-id".into(), json!(ctx.client_request_id));
    if let Some(ct) = &out.content_type {
        headers.insert("Content-Type".into(), json!(ct));
    }
    for (k, v) in &out.headers {
        headers.insert(k.clone(), json!(v));
    }
    let mut resp = json!({"id": id, "status": out.status, "headers": headers});
    if !out.body.is_empty() {
        resp["body"] = serde_json::from_slice(&out.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.body).into_owned()));
    }
    resp
}

fn max_delay(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}
