//! Reading Graph's answers: the error envelope, and the ids support needs from any failure,
//! whatever shape the body came in.

use crate::error::{Error, GraphError, INVALID_RESPONSE};
use crate::http::{Body, Response};
use crate::json::Json;
use crate::model::check_user_state;
use crate::retry::retry_after;

/// The `GraphError` for a failed answer. Branches on nothing but structure: `code` comes from
/// `error.code` when the body is Graph's envelope, else it is `invalidResponse`; request ids
/// come from `innerError` (at any of the first few levels) or else the headers.
pub fn error_from(resp: &Response, now_ms: f64) -> GraphError {
    let envelope = match &resp.body {
        Body::Json(body) => body.get("error").filter(|e| e.as_object().is_some()),
        _ => None,
    };
    let text = |v: Option<&Json>| v.and_then(Json::as_str).map(str::to_owned);
    let (code, message) = match envelope.map(|e| (text(e.get("code")), text(e.get("message")))) {
        Some((Some(code), message)) if !code.is_empty() => (code, message.unwrap_or_default()),
        _ => (INVALID_RESPONSE.to_owned(), describe_unexpected(resp)),
    };
    let inner = |key: &str| envelope.and_then(|e| find_inner(e, key, 3));
    GraphError {
        status: resp.status,
        code,
        message,
        request_id: inner("request-id").or_else(|| resp.header("request-id").map(str::to_owned)),
        client_request_id: inner("client-request-id")
            .or_else(|| resp.header("client-request-id").map(str::to_owned)),
        date: inner("date").or_else(|| resp.header("date").map(str::to_owned)),
        retry_after: retry_after(resp, now_ms),
    }
}

/// An `invalidResponse` error for an answer whose status was fine but whose body was not.
pub fn invalid_body(resp: &Response, what: &str, now_ms: f64) -> GraphError {
    let mut err = error_from(resp, now_ms);
    err.code = INVALID_RESPONSE.to_owned();
    err.message = format!("the service answered {} but {what}", resp.status);
    err
}

/// The user state a successful answer carries, or the `invalidResponse` error saying why
/// its body is not one.
pub fn user_state(resp: &Response, now_ms: f64) -> Result<Json, Error> {
    check_answer(resp, now_ms)?;
    match &resp.body {
        Body::Json(state) => Ok(state.clone()),
        _ => Err(Error::from(invalid_body(
            resp,
            "its body is not a user state",
            now_ms,
        ))),
    }
}

/// Whether a successful answer's body is a user state: the `invalidResponse` error saying why
/// not, when it is not. Nothing is copied.
pub fn check_answer(resp: &Response, now_ms: f64) -> Result<(), Error> {
    let why = match &resp.body {
        Body::Json(state) => match check_user_state(state) {
            Ok(()) => return Ok(()),
            Err(why) => why,
        },
        _ => "its body is not a user state".to_owned(),
    };
    Err(Error::from(invalid_body(resp, &why, now_ms)))
}

/// Looks for `key` (a string) in `innerError`/`innererror`, then in their own inner errors.
fn find_inner(error: &Json, key: &str, levels: usize) -> Option<String> {
    let inner = error
        .get("innerError")
        .or_else(|| error.get("innererror"))?;
    match inner.get(key).and_then(Json::as_str) {
        Some(v) => Some(v.to_owned()),
        None if levels > 1 => find_inner(inner, key, levels - 1),
        None => None,
    }
}

fn describe_unexpected(resp: &Response) -> String {
    let body = match resp.body {
        Body::Empty => "an empty body".to_owned(),
        Body::Json(_) => "JSON that is not a Graph error".to_owned(),
        Body::NotJson => match resp.header("content-type") {
            Some(ct) => format!(
                "a body that is not JSON ({})",
                ct.split(';').next().unwrap_or(ct).trim()
            ),
            None => "a body that is not JSON".to_owned(),
        },
    };
    format!("the service answered {} with {body}", resp.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: Body) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        }
    }

    fn json(text: &str) -> Body {
        Body::Json(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn reads_the_envelope() {
        let r = resp(
            403,
            &[("request-id", "hdr-req")],
            json(
                r#"{"error":{"code":"Forbidden","message":"No licence","innerError":{"request-id":"r1","client-request-id":"c1","date":"2026-11-29T13:00:00"}}}"#,
            ),
        );
        let e = error_from(&r, 0.0);
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (403, "Forbidden", "No licence")
        );
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        assert_eq!(e.client_request_id.as_deref(), Some("c1"));
        assert_eq!(e.date.as_deref(), Some("2026-11-29T13:00:00"));
        assert_eq!(e.retry_after, None);
    }

    #[test]
    fn nested_inner_errors_and_lower_case_key() {
        let r = resp(
            429,
            &[("retry-after", "2.128")],
            json(
                r#"{"error":{"code":"TooManyRequests","message":"slow down","innererror":{"code":"429","innerError":{"request-id":"deep"}}}}"#,
            ),
        );
        let e = error_from(&r, 0.0);
        assert_eq!(e.request_id.as_deref(), Some("deep"));
        assert_eq!(e.retry_after, Some(2.128));
    }

    #[test]
    fn bodies_that_are_not_envelopes_keep_status_and_header_ids() {
        let headers = [
            ("request-id", "r9"),
            ("client-request-id", "c9"),
            ("content-type", "text/html; charset=utf-8"),
        ];
        for (body, says) in [
            (Body::Empty, "an empty body"),
            (Body::NotJson, "a body that is not JSON (text/html)"),
            (
                json(r#"{"error":"nope"}"#),
                "JSON that is not a Graph error",
            ),
            (
                json(r#"{"error":{"code":""}}"#),
                "JSON that is not a Graph error",
            ),
            (json("[1,2]"), "JSON that is not a Graph error"),
        ] {
            let e = error_from(&resp(502, &headers, body), 0.0);
            assert_eq!(e.code, INVALID_RESPONSE);
            assert_eq!(e.status, 502);
            assert_eq!(e.message, format!("the service answered 502 with {says}"));
            assert_eq!(e.request_id.as_deref(), Some("r9"));
            assert_eq!(e.client_request_id.as_deref(), Some("c9"));
        }
    }
}
