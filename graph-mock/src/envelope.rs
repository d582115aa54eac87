//! Per-request identity (request ids, clock) and Graph's error envelope.

use std::time::SystemTime;

use serde_json::json;

use crate::clock;

/// Content type of every Graph JSON body.
pub(crate) const JSON: &str = "application/json";

/// A Graph answer before the connection-level headers are added.
#[derive(Clone, Debug)]
pub(crate) struct Out {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// Extra headers (`Location`, `Retry-After`, ...).
    pub headers: Vec<(String, String)>,
}

impl Out {
    /// A JSON body with the given status.
    pub fn json(status: u16, body: &impl serde::Serialize) -> Out {
        Out {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
            content_type: Some(JSON.into()),
            headers: Vec::new(),
        }
    }

    /// No body at all (204).
    pub fn empty(status: u16) -> Out {
        Out {
            status,
            body: Vec::new(),
            content_type: None,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Out {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Identity and clock of one Graph request (inner batch requests get their own).
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub request_id: String,
    pub client_request_id: String,
    pub now: SystemTime,
}

impl Ctx {
    /// Fresh ids; echoes `client-request-id` when the request had one.
    pub fn new(client_request_id: Option<&str>) -> Ctx {
        Ctx {
            request_id: uuid::Uuid::new_v4().to_string(),
            client_request_id: client_request_id
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            now: SystemTime::now(),
        }
    }

    /// Graph's error envelope with the given status, code and message.
    pub fn error(&self, status: u16, code: &str, message: &str) -> Out {
        let mut inner = json!({
            "date": clock::graph_date(self.now),
            "request-id": self.request_id,
            "client-request-id": self.client_request_id,
        });
        if status == 429 {
            inner["code"] = json!("429");
        }
        Out::json(
            status,
            &json!({"error": {"code": code, "message": message, "innerError": inner}}),
        )
    }

    /// Envelope with the default code and message for `status`, either overridable.
    pub fn error_for(&self, status: u16, code: Option<&str>, message: Option<&str>) -> Out {
        let (c, m) = default_error(status);
        self.error(status, code.unwrap_or(c), message.unwrap_or(m))
    }

    /// Headers every Graph response carries.
    pub fn standard_headers(&self) -> Vec<(String, String)> {
        vec![
            ("request-id".into(), self.request_id.clone()),
            ("client-request-id".into(), self.client_request_id.clone()),
            ("Date".into(), clock::http_date(self.now)),
        ]
    }
}

/// The code Graph answers a documented-but-absent route with (GRAPH.md, "Documented writes
/// that a tenant may refuse").
pub(crate) const NO_ROUTE: &str = "No method match route template";

/// Graph's answer to a route it does not have: 400 `No method match route template`, the
/// message naming the OData template and verb of the request, as in the reports GRAPH.md cites
/// (`~/singleton/navigation/key/navigation` for a collection, `.../navigation/key` for one object).
pub(crate) fn route_missing(ctx: &Ctx, method: &str, path: &str) -> Out {
    let mut template = String::from("~");
    let mut request = String::from("/DeviceFE/StatelessDeviceFEService");
    let segs = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| crate::encoding::percent_decode(s, false));
    for (i, s) in segs.enumerate() {
        if i == 0 {
            template.push_str("/singleton");
            request.push('/');
            request.push_str(&s);
        } else if i % 2 == 1 {
            template.push_str("/navigation");
            request.push('/');
            request.push_str(&s);
        } else {
            template.push_str("/key");
            request.push_str(&format!("('{s}')"));
        }
    }
    let message = format!(
        "No OData route exists that match template {template} with http verb {method} for request {request}."
    );
    ctx.error(400, NO_ROUTE, &message)
}

/// Graph's usual code and a plausible message for an error status.
pub(crate) fn default_error(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("BadRequest", "The request is malformed or incorrect."),
        401 => ("InvalidAuthenticationToken", "Access token is empty."),
        403 => (
            "Forbidden",
            "Caller does not have the required permissions.",
        ),
        404 => ("ResourceNotFound", "Resource not found."),
        405 => (
            "MethodNotAllowed",
            "The HTTP method is not allowed on this resource.",
        ),
        409 => ("Conflict", "The resource already exists."),
        412 => ("PreconditionFailed", "A precondition failed."),
        415 => ("UnsupportedMediaType", "The content type is not supported."),
        429 => ("TooManyRequests", "Too many requests. Please retry later."),
        500 => ("InternalServerError", "An internal server error occurred."),
        502 => ("BadGateway", "Bad gateway."),
        503 => (
            "ServiceUnavailable",
            "The service is temporarily unavailable.",
        ),
        504 => ("GatewayTimeout", "The gateway timed out."),
        _ => ("UnknownError", "An error occurred."),
    }
}

/// Reason phrase for an HTML proxy page.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}
