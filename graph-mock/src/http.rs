//! HTTP layer: dispatch to preflight, control API, Graph or static files; CORS; connection policy.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::graph::{GraphReply, GraphRequest};
use crate::{batch, control, graph, static_files, App};

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// A finished answer before CORS and connection headers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON reply (control API).
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(v).unwrap_or_default(),
        }
    }

    /// A reply without body.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A plain-text reply.
    pub fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }
}

const VERSIONS: [&str; 2] = ["/beta", "/v1.0"];

/// The hyper service: one request in, one response (or a dropped connection) out.
pub(crate) async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let origin = req
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if req.method() == hyper::Method::OPTIONS {
        let keep_alive = app.lock().config.keep_alive;
        return Ok(finish(preflight(), origin.as_deref(), keep_alive, None));
    }
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in req.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match headers.iter_mut().find(|(name, _)| name == k.as_str()) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(&v);
            }
            None => headers.push((k.as_str().to_string(), v)),
        }
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Err(DropConnection),
    };

    let version = VERSIONS
        .into_iter()
        .find(|v| path == *v || path.starts_with(&format!("{v}/")));
    let reply = if let Some(version) = version {
        let host = headers
            .iter()
            .find(|(k, _)| k == "host")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| app.local_addr.to_string());
        let greq = GraphRequest {
            method,
            path: path[version.len()..].to_string(),
            query,
            headers,
            body,
            base: format!("http://{host}{version}"),
            version,
            inner: false,
            batch_client_request_id: None,
            outer_seq: None,
        };
        let is_batch = matches!(greq.path.as_str(), "/$batch" | "/%24batch");
        let r = {
            let mut state = app.lock();
            if is_batch {
                batch::handle(&mut state, &greq)
            } else {
                graph::handle(&mut state, &greq)
            }
        };
        let seq = r.seq;
        let answered = graph_reply(r).await;
        app.lock()
            .mark_answered(seq, answered.as_ref().ok().map(|a| a.status));
        answered?
    } else if path == "/_mock" || path.starts_with("/_mock/") {
        control::handle(&app, &method, &path, &query, &body)
    } else {
        static_files::serve(app.opts.static_dir.as_deref(), &method, &path)
    };
    let (keep_alive, expose) = {
        let app = app.lock();
        (app.config.keep_alive, app.config.expose_headers.clone())
    };
    Ok(finish(reply, origin.as_deref(), keep_alive, Some(&expose)))
}

/// Applies delay/drop and turns a Graph answer into a reply with Graph's headers.
async fn graph_reply(r: GraphReply) -> Result<Reply, DropConnection> {
    if let Some(d) = r.delay {
        tokio::time::sleep(d).await;
    }
    if r.drop {
        return Err(DropConnection);
    }
    let mut headers = r.ctx.standard_headers();
    if let Some(ct) = r.out.content_type {
        headers.push(("Content-Type".into(), ct));
    }
    headers.extend(r.out.headers);
    Ok(Reply {
        status: r.out.status,
        headers,
        body: r.out.body,
    })
}

fn preflight() -> Reply {
    let mut r = Reply::empty(204);
    r.headers.extend([
        (
            "Access-Control-Allow-Methods".to_string(),
            "GET, POST, PATCH, DELETE, OPTIONS".to_string(),
        ),
        (
            "Access-Control-Allow-Headers".into(),
            "Authorization, Content-Type, client-request-id, Accept".into(),
        ),
        ("Access-Control-Max-Age".into(), "600".into()),
    ]);
    r
}

/// Adds CORS and connection headers and builds the hyper response. `expose` is the
/// `Access-Control-Expose-Headers` of an actual answer (`None` for a preflight).
fn finish(
    reply: Reply,
    origin: Option<&str>,
    keep_alive: bool,
    expose: Option<&str>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            h.append(k, v);
        }
    }
    let allow_origin = origin
        .and_then(|o| HeaderValue::from_str(o).ok())
        .unwrap_or(HeaderValue::from_static("*"));
    h.insert("access-control-allow-origin", allow_origin);
    h.insert("vary", HeaderValue::from_static("Origin"));
    if let Some(v) = expose.filter(|v| !v.is_empty()) {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert("access-control-expose-headers", v);
        }
    }
    if !keep_alive {
        h.insert("connection", HeaderValue::from_static("close"));
    }
    resp
}
