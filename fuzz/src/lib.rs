//! Helpers shared by the fuzz targets: JSON from raw bytes, an independent judge of origins
//! (the WHATWG URL parser that `fetch` uses), a switch for findings already reported, and the
//! pieces of the simulated Graph the bulk targets share (the fuzzer's byte stream, answers,
//! list pages), and journals kept as text.

use intune_core::bulk::Bulk;
use intune_core::http::{Body, Response};
use intune_core::journal::MAX_RECORD_DEPTH;
use intune_core::json::deserialize_within;
use intune_core::call::Policy;
use intune_core::validate::BulkRequest;
use intune_core::{Error, Json};

/// A record as a journal keeps it: one line of compact JSON text.
pub fn record_text(record: &Json) -> String {
    serde_json::to_string(record).unwrap()
}

/// A bulk machine resumed from a journal's text, one record a line, each read as the edge
/// reads it (`JSON.parse`; here serde_json with exact numbers), at most `MAX_RECORD_DEPTH`
/// deep.
pub fn resumed<S: AsRef<str>>(
    req: BulkRequest,
    policy: Policy,
    lines: &[S],
) -> Result<Bulk, Error> {
    let records = lines
        .iter()
        .map(|line| {
            let mut de = serde_json::Deserializer::from_str(line.as_ref());
            deserialize_within(&mut de, MAX_RECORD_DEPTH)
                .and_then(|v| de.end().map(|()| v))
                .map_err(|e| format!("is not JSON ({e})"))
        })
        .collect();
    Bulk::with_records(req, policy, records)
}

/// The fuzzer's input as a stream of choices; 0 once it runs out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
}

/// Graph's error envelope.
pub fn error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"code": code, "message": message}})
}

/// An answer with a JSON body (or none).
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

/// The input as JSON text, parsed into the crate's own value type (what the tests and the
/// edge hand the core). `None` when it is not JSON, or nests too deep.
pub fn json(data: &[u8]) -> Option<Json> {
    serde_json::from_slice(data).ok()
}

/// `(scheme, host, port)` as a browser's URL parser sees them, the port made explicit.
pub fn whatwg_origin(text: &str) -> Option<(String, String, u16)> {
    let u = url::Url::parse(text).ok()?;
    Some((
        u.scheme().to_owned(),
        u.host_str()?.to_owned(),
        u.port_or_known_default()?,
    ))
}

/// Whether `origin` (as `Endpoint::origin` prints it) is one the README allows: one of the
/// four Graph roots over https, or http(s) to 127.0.0.1, localhost or [::1] with an optional
/// port from 1 to 65535 written without leading zeros. Written independently of
/// `endpoint.rs` on purpose.
pub fn is_allowed_origin(origin: &str) -> bool {
    const ROOTS: [&str; 4] = [
        "https://graph.microsoft.com",
        "https://graph.microsoft.us",
        "https://dod-graph.microsoft.us",
        "https://microsoftgraph.chinacloudapi.cn",
    ];
    if ROOTS.contains(&origin) {
        return true;
    }
    let rest = match origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    for host in ["127.0.0.1", "localhost", "[::1]"] {
        if let Some(after) = rest.strip_prefix(host) {
            if after.is_empty() {
                return true;
            }
            if let Some(port) = after.strip_prefix(':') {
                return !port.is_empty()
                    && !port.starts_with('0')
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && port.parse::<u16>().is_ok_and(|p| p > 0);
            }
        }
    }
    false
}

/// Whether a finding already reported is to be let through, so that a long run can look
/// for others: `FUZZ_ALLOW=name,name` (the names are in fuzz/README.md). Nothing is allowed
/// by default.
pub fn allowed(finding: &str) -> bool {
    std::env::var("FUZZ_ALLOW")
        .map(|v| v.split(',').any(|f| f.trim() == finding))
        .unwrap_or(false)
}

use intune_core::http::Outcome;

/// Reads a transcript of answers, the hand-writable input format of the targets that take
/// HTTP answers (see fuzz/README.md):
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
