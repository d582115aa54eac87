//! JSON batching, the one home of the `$batch` wire format: the request that carries up to
//! [`BATCH_SIZE`] inner requests, and the inner answers read back from its 200.
//!
//! `POST {root}/beta/$batch` with `{"requests":[{"id":"0","method":"POST","url":"/deviceManagement/…",
//! "headers":{"Content-Type":"application/json"},"body":{…}}, …]}`: inner urls are relative to
//! the version (GRAPH.md, "JSON batching"), ids are strings (here the decimal index of what the
//! caller sends, an item of a run). The answer `{"responses":[{"id","status","headers","body"}]}`
//! comes in any order, and each inner answer succeeds or fails on its own.

use crate::endpoint::Endpoint;
use crate::http::{Body, Method, Request, Response};
use crate::json::{Json, Map};

/// Most inner requests in one `$batch` (Graph's limit).
pub const BATCH_SIZE: usize = 20;

/// One inner request: `method` to `url` (relative to the version root), with `body` when it
/// has one, under the id `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Inner {
    pub id: usize,
    pub method: Method,
    pub url: String,
    pub body: Option<Json>,
}

/// The `$batch` request carrying `inner`, in that order.
pub fn request(endpoint: &Endpoint, inner: impl IntoIterator<Item = Inner>) -> Request {
    let requests = inner
        .into_iter()
        .map(|inner| {
            let mut r = Map::new();
            r.insert("id", inner.id.to_string().into());
            r.insert("method", inner.method.as_str().into());
            r.insert("url", inner.url.into());
            if let Some(body) = inner.body {
                let mut headers = Map::new();
                headers.insert("Content-Type", "application/json".into());
                r.insert("headers", Json::Object(headers));
                r.insert("body", body);
            }
            Json::Object(r)
        })
        .collect();
    let mut body = Map::new();
    body.insert("requests", Json::Array(requests));
    Request {
        method: Method::Post,
        url: endpoint.batch(),
        body: Some(Json::Object(body)),
    }
}

/// Whether `req` is a `$batch` request (its answer carries inner answers).
pub fn is_batch(req: &Request) -> bool {
    req.method == Method::Post && req.url.ends_with("/$batch")
}

/// One inner answer of a `$batch` answer, read where it lies (nothing is copied).
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a>(&'a Json);

impl<'a> Answer<'a> {
    /// The id, when it is a decimal string that fits a `usize`.
    pub fn id(self) -> Option<usize> {
        self.0.get("id")?.as_str()?.parse().ok()
    }

    /// The status as the answer gives it, when it is an Int32.
    pub fn status(self) -> Option<i32> {
        self.0.get("status")?.as_i32()
    }

    /// The first header named `name` (any case) with a string value.
    pub fn header(self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every header with a string value.
    fn headers(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let map = self.0.get("headers").and_then(Json::as_object);
        map.into_iter()
            .flat_map(|m| m.0.iter())
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
    }

    /// The inner answer as a [`Response`] (its body copied): `None` when its id or status is
    /// not readable.
    pub fn to_response(self) -> Option<(usize, Response)> {
        let id = self.id()?;
        let status = u16::try_from(self.status()?).ok()?;
        let headers = self
            .headers()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .collect();
        let body = match self.0.get("body") {
            None | Some(Json::Null) => Body::Empty,
            Some(v) => Body::Json(v.clone()),
        };
        Some((
            id,
            Response {
                status,
                headers,
                body,
            },
        ))
    }
}

/// The inner answers of a `$batch` answer's body, in the order they came: `None` when the
/// body is not `{"responses": [...]}`.
pub fn answers(body: &Json) -> Option<impl Iterator<Item = Answer<'_>>> {
    match body.get("responses") {
        Some(Json::Array(responses)) => Some(responses.iter().map(Answer)),
        _ => None,
    }
}

/// The inner responses of a `$batch` answer: `(id, response)`. `None` when the body is not
/// `{"responses": [...]}`. Inner answers whose id is not a decimal number or whose status is
/// not one are skipped (what they answered then counts as unanswered).
pub fn responses(r: &Response) -> Option<Vec<(usize, Response)>> {
    let Body::Json(body) = &r.body else {
        return None;
    };
    Some(answers(body)?.filter_map(Answer::to_response).collect())
}
