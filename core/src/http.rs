//! Requests and answers as plain data, so the call state machines can be driven by any
//! transport: `fetch` in the browser and Node, or a script of answers in a native test.

use crate::json::Json;

/// The HTTP methods this crate sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request to send. The transport adds `Authorization`, `Accept: application/json`,
/// `client-request-id`, and `Content-Type: application/json` when there is a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The whole URL, on a checked Graph root.
    pub url: String,
    /// The JSON body, if any.
    pub body: Option<Json>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: String) -> Self {
        Self {
            method: Method::Get,
            url,
            body: None,
        }
    }
}

/// What came back as the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Zero bytes.
    Empty,
    /// JSON text, parsed.
    Json(Json),
    /// Bytes that are not JSON (an HTML proxy page, a truncated document).
    NotJson,
}

/// An answer: status, headers (names in lower case) and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The headers the platform lets the edge read, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Response {
    /// The first value of header `name` (give it in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The service answered (any status).
    Response(Response),
    /// No answer: refused, dropped, blocked. The text is the platform's description.
    Network(String),
    /// No answer within the attempt's time limit.
    Timeout,
}
