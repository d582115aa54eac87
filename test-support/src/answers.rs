//! Answers as a test scripts them: JSON from text, responses, Graph's error envelope, list
//! pages, and transcripts (the hand-writable answer format of the fuzz targets' seeds).

use intune_core::http::{Body, Outcome, Response};
use intune_core::Json;

/// `text` read as JSON into the core's value type; panics if it is not JSON.
pub fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

/// A response with a JSON body (or none).
pub fn resp(status: u16, headers: &[(&str, &str)], body: Option<Json>) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.map_or(Body::Empty, Body::Json),
    }
}

/// A scripted answer: `body` is JSON text, or empty for no body.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    Outcome::Response(resp(
        status,
        headers,
        (!body.is_empty()).then(|| json(body)),
    ))
}

/// A response with a `serde_json` body (or none) and owned header pairs.
pub fn response(
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<serde_json::Value>,
) -> Response {
    Response {
        status,
        headers,
        body: body.map_or(Body::Empty, |v| {
            Body::Json(serde_json::from_value(v).unwrap())
        }),
    }
}

/// Graph's error envelope.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"code": code, "message": message}})
}

/// The page of `objects` that a list `url` asks for (`$skiptoken` is the offset), `page` at a
/// time, with an `@odata.nextLink` under `root` while more remain.
pub fn list_page(objects: &[Json], url: &str, root: &str, page: usize) -> serde_json::Value {
    let skip: usize = url
        .split("$skiptoken=")
        .nth(1)
        .map_or(0, |s| s.parse().unwrap());
    let end = (skip + page).min(objects.len());
    let mut out = serde_json::json!({
        "value": serde_json::to_value(Json::Array(objects[skip.min(end)..end].to_vec())).unwrap()
    });
    if end < objects.len() {
        out["@odata.nextLink"] = format!(
            "{root}/beta/deviceManagement/deviceManagementScripts/s/userRunStates?$skiptoken={end}"
        )
        .into();
    }
    out
}

/// Reads a transcript of answers, the hand-writable input format of the fuzz targets that
/// take HTTP answers (see fuzz/README.md):
///
/// ```text
/// preamble (target-specific settings)
/// > 503
/// retry-after: 2.128
/// content-type: application/json
///
/// {"error":{"code":"ServiceUnavailable","message":"busy"}}
/// > timeout
/// > network
/// ```
///
/// Each `> ` line starts an outcome: `timeout`, `network`, or a status followed by header
/// lines, an empty line and the body (none: an empty body; text that is not JSON: `NotJson`,
/// as the edge reports it). Returns the preamble and the outcomes.
pub fn transcript(text: &str) -> (&str, Vec<Outcome>) {
    let start = if text.starts_with("> ") {
        0
    } else {
        text.find("\n> ").map_or(text.len(), |i| i + 1)
    };
    let preamble = text[..start].trim_end_matches('\n');
    let mut outcomes = Vec::new();
    for block in text[start..].split("\n> ") {
        let block = block.strip_prefix("> ").unwrap_or(block);
        if block.is_empty() {
            continue;
        }
        let (first, rest) = block.split_once('\n').unwrap_or((block, ""));
        let status = match first.trim() {
            "timeout" => {
                outcomes.push(Outcome::Timeout);
                continue;
            }
            "network" => {
                outcomes.push(Outcome::Network("connection reset".into()));
                continue;
            }
            s => match s.parse::<u16>() {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        let (head, body) = match rest.strip_prefix('\n') {
            Some(body) => ("", body),
            None => rest.split_once("\n\n").unwrap_or((rest, "")),
        };
        let headers = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let body = body.trim_end_matches('\n');
        let body = if body.is_empty() {
            Body::Empty
        } else {
            match serde_json::from_str(body) {
                Ok(j) => Body::Json(j),
                Err(_) => Body::NotJson,
            }
        };
        outcomes.push(Outcome::Response(Response {
            status,
            headers,
            body,
        }));
    }
    (preamble, outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_transcript() {
        let (pre, o) = transcript(
            "maxRetries=1\n> 429\nRetry-After: 2\n\n{\"error\":{}}\n> timeout\n> 201\n\n{\"id\":\"x\"}\n> 502\n\n<html>\n",
        );
        assert_eq!(pre, "maxRetries=1");
        assert_eq!(o.len(), 4);
        let Outcome::Response(r) = &o[0] else {
            panic!()
        };
        assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
        assert!(matches!(r.body, Body::Json(_)));
        assert_eq!(o[1], Outcome::Timeout);
        let Outcome::Response(r) = &o[3] else {
            panic!()
        };
        assert_eq!(r.body, Body::NotJson);
        let (pre, o) = transcript("> 204\n");
        assert_eq!((pre, o.len()), ("", 1));
    }
}
