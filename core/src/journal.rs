#![doc = include_str!("../../docs/journal.md")]

use crate::error::{Error, GraphError};
use crate::json::{Json, Map};
use crate::model::{check_user_state, UserStateInput};
use crate::validate::BulkRequest;
use crate::ValidationError;

/// The record format this module writes and reads.
pub const VERSION: u32 = 1;

/// Deepest nesting a record may have: a service object (at most [`crate::json::MAX_DEPTH`]
/// deep) inside a record.
pub const MAX_RECORD_DEPTH: usize = crate::json::MAX_DEPTH + 2;

/// What a run is, as the header records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub root: String,
    pub kind: String,
    pub script: String,
    pub total: usize,
    pub digest: String,
}

impl Header {
    pub fn of(req: &BulkRequest) -> Self {
        let root = req.options.endpoint.origin().to_owned();
        let kind = req.options.script_kind.name().to_owned();
        let digest = digest(&root, &kind, &req.script_id, &req.items);
        Header {
            root,
            kind,
            script: req.script_id.clone(),
            total: req.items.len(),
            digest,
        }
    }
}

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    Header(Header),
    Send { flight: u64, items: Vec<usize> },
    Created { item: usize, object: Json },
    Failed { item: usize, error: Error },
    Finished { succeeded: usize, failed: usize },
}

fn num(n: usize) -> Json {
    Json::Number(n as f64)
}

fn object(members: Vec<(&str, Json)>) -> Json {
    Json::Object(Map(members
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()))
}

/// Each record's members, in order; the first names the kind of record.
const HEADER: &[&str] = &["v", "root", "kind", "script", "total", "digest"];
const SEND: &[&str] = &["send", "items"];
const CREATED: &[&str] = &["created", "object"];
const FAILED: &[&str] = &["failed", "error"];
const FINISHED: &[&str] = &["finished", "succeeded", "failed"];

/// An object of the members `keys` with `values`, in that order.
fn members(keys: &[&str], values: Vec<Json>) -> Json {
    let mut map = Map::new();
    for (k, v) in keys.iter().zip(values) {
        map.0.push(((*k).to_owned(), v));
    }
    Json::Object(map)
}

impl Record {
    /// The record as a JSON object, its members in the documented order.
    pub fn to_json(&self) -> Json {
        let (keys, values) = match self {
            Record::Header(h) => (
                HEADER,
                vec![
                    num(VERSION as usize),
                    h.root.as_str().into(),
                    h.kind.as_str().into(),
                    h.script.as_str().into(),
                    num(h.total),
                    h.digest.as_str().into(),
                ],
            ),
            Record::Send { flight, items } => {
                let mut indices = Vec::new();
                for &i in items {
                    indices.push(num(i));
                }
                (
                    SEND,
                    vec![Json::Number(*flight as f64), Json::Array(indices)],
                )
            }
            Record::Created { item, object } => (CREATED, vec![num(*item), object.clone()]),
            Record::Failed { item, error } => (FAILED, vec![num(*item), error_json(error)]),
            Record::Finished { succeeded, failed } => (
                FINISHED,
                vec![Json::Bool(true), num(*succeeded), num(*failed)],
            ),
        };
        members(keys, values)
    }

    /// Reads one record; the error says what is wrong with it.
    pub fn from_json(value: Json) -> Result<Record, String> {
        let Json::Object(map) = &value else {
            return Err("is not a JSON object".into());
        };
        let keys: Vec<&str> = map.keys().collect();
        let index = |key: &str| -> Result<usize, String> {
            map.get(key)
                .and_then(as_index)
                .ok_or_else(|| format!("has no whole number \"{key}\""))
        };
        let record = match keys.first().copied() {
            Some("v") => {
                let text = |key: &str| -> Result<String, String> {
                    map.get(key)
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| format!("has no string \"{key}\""))
                };
                let v = index("v")?;
                if v != VERSION as usize {
                    return Err(format!(
                        "is in journal format version {v}; this version reads {VERSION}"
                    ));
                }
                expect_keys(&keys, HEADER)?;
                Record::Header(Header {
                    root: text("root")?,
                    kind: text("kind")?,
                    script: text("script")?,
                    total: index("total")?,
                    digest: text("digest")?,
                })
            }
            Some("send") => {
                expect_keys(&keys, SEND)?;
                let Some(Json::Array(items)) = map.get("items") else {
                    return Err("has no \"items\" array".into());
                };
                let mut indices = Vec::new();
                for i in items {
                    indices.push(as_index(i).ok_or("has an item that is not an index")?);
                }
                let items = indices;
                if items.is_empty() {
                    return Err("sends no items".into());
                }
                Record::Send {
                    flight: index("send")? as u64,
                    items,
                }
            }
            Some("created") => {
                expect_keys(&keys, CREATED)?;
                check_user_state(&map.0[1].1).map_err(|e| format!("holds no user state: {e}"))?;
                let item = index("created")?;
                // The members are exactly `created` and `object`: the object is the last.
                let object = match value {
                    Json::Object(mut map) => map.0.pop().map_or(Json::Null, |(_, v)| v),
                    _ => Json::Null,
                };
                return Ok(Record::Created { item, object });
            }
            Some("failed") => {
                expect_keys(&keys, FAILED)?;
                let error = map
                    .get("error")
                    .and_then(read_error)
                    .ok_or("holds no error this version can rebuild")?;
                Record::Failed {
                    item: index("failed")?,
                    error,
                }
            }
            Some("finished") => {
                expect_keys(&keys, FINISHED)?;
                if map.get("finished") != Some(&Json::Bool(true)) {
                    return Err("has a \"finished\" that is not true".into());
                }
                Record::Finished {
                    succeeded: index("succeeded")?,
                    failed: index("failed")?,
                }
            }
            _ => return Err("is not a journal record".into()),
        };
        Ok(record)
    }
}

fn expect_keys(keys: &[&str], expected: &[&str]) -> Result<(), String> {
    if keys == expected {
        Ok(())
    } else {
        Err(format!(
            "has the members {}, not {}",
            quoted(keys),
            quoted(expected)
        ))
    }
}

/// `["a", "b"]`, quoted by hand (`{:?}` would bring `str`'s Debug escaping into the module).
fn quoted(keys: &[&str]) -> String {
    let mut out = String::from("[");
    for (k, key) in keys.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(key);
        out.push('"');
    }
    out.push(']');
    out
}

fn as_index(v: &Json) -> Option<usize> {
    match *v {
        Json::Number(n) if n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&n) => {
            Some(n as usize)
        }
        _ => None,
    }
}

/// What a `failed` record keeps of an error: its name and the fields that rebuild it.
fn error_json(error: &Error) -> Json {
    let opt = |v: &Option<String>| v.as_deref().map_or(Json::Null, Json::from);
    match error {
        Error::Graph(g) => object(vec![
            ("name", "GraphError".into()),
            ("status", num(usize::from(g.status))),
            ("code", g.code.as_str().into()),
            ("message", g.message.as_str().into()),
            ("requestId", opt(&g.request_id)),
            ("clientRequestId", opt(&g.client_request_id)),
        ]),
        Error::Network {
            message,
            client_request_id,
        } => object(vec![
            ("name", "NetworkError".into()),
            ("message", message.as_str().into()),
            ("clientRequestId", client_request_id.as_str().into()),
        ]),
        Error::Timeout {
            ms,
            client_request_id,
        } => object(vec![
            ("name", "TimeoutError".into()),
            ("message", error.to_string().into()),
            ("timeoutMs", num(*ms as usize)),
            ("clientRequestId", client_request_id.as_str().into()),
        ]),
        // Never recorded as a final failure (see the module docs); kept readable anyway.
        Error::Validation(_) | Error::Aborted { .. } => object(vec![
            ("name", error.name().into()),
            ("message", error.to_string().into()),
        ]),
    }
}

fn read_error(v: &Json) -> Option<Error> {
    let text = |key: &str| v.get(key).and_then(Json::as_str).map(str::to_owned);
    let opt_text = |key: &str| match v.get(key) {
        None | Some(Json::Null) => Some(None),
        Some(Json::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    };
    match v.get("name").and_then(Json::as_str)? {
        "GraphError" => Some(Error::from(GraphError {
            status: u16::try_from(v.get("status").and_then(as_index)?).ok()?,
            code: text("code")?,
            message: text("message")?,
            request_id: opt_text("requestId")?,
            client_request_id: opt_text("clientRequestId")?,
            date: None,
            retry_after: None,
        })),
        "NetworkError" => Some(Error::Network {
            message: text("message")?,
            client_request_id: text("clientRequestId")?,
        }),
        "TimeoutError" => Some(Error::Timeout {
            ms: u32::try_from(v.get("timeoutMs").and_then(as_index)?).ok()?,
            client_request_id: text("clientRequestId")?,
        }),
        _ => None,
    }
}

/// 128-bit FNV-1a over the run's identity and every item's body, in order. Not a defence
/// against someone forging a journal (nothing here is); a guard against resuming one run
/// with another's journal by mistake.
pub(crate) fn digest(
    root: &str,
    kind: &str,
    script: &str,
    items: &[Result<UserStateInput, ValidationError>],
) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u128::from(b);
            // `h * PRIME` (PRIME is 2^88 + 0x13b), as a shift and a small product: a u128
            // product is several 64-bit ones in wasm, and every byte of every item goes
            // through here.
            h = (h << 88).wrapping_add(h.wrapping_mul(PRIME & 0xffff));
        }
    };
    // Each part ends with a byte no part holds (NUL is refused in every one of them; an
    // item's JSON text escapes it), so no two different runs feed the same bytes.
    for part in ["intune-script-user-state journal v1", root, kind, script] {
        feed(part.as_bytes());
        feed(&[0]);
    }
    feed(format!("{}", items.len()).as_bytes());
    feed(&[0]);
    for item in items {
        match item {
            Ok(input) => feed(body_text(&input.to_json()).as_bytes()),
            Err(_) => feed(b"!"),
        }
        feed(&[0]);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::new();
    for b in h.to_be_bytes() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// `s` as a JSON string: `"`, `\\` and control characters escaped, the rest as it is.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let mut rest = s;
    while let Some(i) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        // `get`, not indexing: `i` is an ASCII byte's place, and no panic path is linked in.
        out.push_str(rest.get(..i).unwrap_or_default());
        match rest.as_bytes().get(i).copied().unwrap_or_default() {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(c >> 4)] as char);
                out.push(HEX[usize::from(c & 15)] as char);
            }
        }
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out.push('"');
}

/// An item's body as compact JSON text, as `serde_json` writes it (a test holds it to that):
/// bodies are flat objects of strings and Int32s, so the module needs no general JSON writer
/// for the digest.
fn body_text(body: &Json) -> String {
    let mut out = String::from("{");
    for (k, (key, value)) in body.as_object().into_iter().flat_map(|m| &m.0).enumerate() {
        if k > 0 {
            out.push(',');
        }
        write_string(key, &mut out);
        out.push(':');
        match value {
            Json::String(s) => write_string(s, &mut out),
            Json::Number(n) => out.push_str(&format!("{}", *n as i32)),
            // Never in a body (validated user states hold strings and Int32s only).
            _ => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// The journal cannot be read: record `n` (counted from 1) `why`.
pub(crate) fn unreadable(n: usize, why: impl std::fmt::Display) -> Error {
    Error::field(
        "journal",
        format!("cannot be read: record {n} {why}; nothing was sent"),
    )
}

/// The journal's first record, read against the header of the run the request is: an error
/// when it is not a header or holds another run. Replaying the rest is
/// `Bulk::with_records`' (`bulk/resume.rs`), by the rules above.
pub(crate) fn check_header(first: Line, ours: &Header) -> Result<(), Error> {
    let header = match first.and_then(Record::from_json) {
        Ok(Record::Header(h)) => h,
        Ok(_) => return Err(unreadable(1, "is not a journal header")),
        Err(why) => return Err(unreadable(1, why)),
    };
    match difference(&header, ours) {
        None => Ok(()),
        Some(why) => Err(Error::field(
            "journal",
            format!(
                "holds a different run ({why}); nothing was sent: clear it, or pass the journal of this run"
            ),
        )),
    }
}

/// A record as a journal gives it back: its JSON value, or why its text is not one (a phrase
/// that follows "record N", such as `is not JSON (…)`).
pub type Line = Result<Json, String>;

/// What differs between a journal's header and the request's, in the caller's terms.
fn difference(journal: &Header, ours: &Header) -> Option<String> {
    let quoted = |a: &str, b: &str| format!("\"{a}\", not \"{b}\"");
    if journal.root != ours.root {
        Some(format!("Graph root {}", quoted(&journal.root, &ours.root)))
    } else if journal.kind != ours.kind {
        Some(format!("scriptKind {}", quoted(&journal.kind, &ours.kind)))
    } else if journal.script != ours.script {
        Some(format!(
            "scriptId {}",
            quoted(&journal.script, &ours.script)
        ))
    } else if journal.total != ours.total {
        Some(format!("{} items, not {}", journal.total, ours.total))
    } else if journal.digest != ours.digest {
        Some("the same script and number of items, but other items or another order".into())
    } else {
        None
    }
}

/// Replaces every occurrence of `secret` (at least 8 bytes; see [`Error::redact`]) in any of
/// `record`'s texts (keys too) by `[redacted]`. The edge runs each record through this for
/// every token it used before appending it. A record without the secret stays as it is.
pub fn redact(record: &mut Json, secret: &str) {
    if secret.len() < 8 {
        return;
    }
    fn scrub(v: &mut Json, secret: &str) {
        let fix = |s: &mut String| crate::text::scrub(s, secret);
        match v {
            Json::String(s) => fix(s),
            Json::Array(items) => items.iter_mut().for_each(|i| scrub(i, secret)),
            Json::Object(map) => {
                for (k, v) in &mut map.0 {
                    fix(k);
                    scrub(v, secret);
                }
            }
            _ => {}
        }
    }
    scrub(record, secret);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::bulk_request;

    fn request(items: &str) -> BulkRequest {
        let text = format!(r#"{{"scriptId":"s1","userStates":{items}}}"#);
        bulk_request(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    /// A record as the journal keeps it: one line of compact JSON.
    fn write(record: &Record) -> String {
        serde_json::to_string(&record.to_json()).unwrap()
    }

    /// A line of a journal as a record (the edge reads it with `JSON.parse`).
    fn read(line: &str) -> Result<Record, String> {
        let mut de = serde_json::Deserializer::from_str(line);
        crate::json::deserialize_within(&mut de, MAX_RECORD_DEPTH)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| format!("is not JSON ({e})"))
            .and_then(Record::from_json)
    }

    /// `redact` on a record's text, as the edge does it before the record becomes text.
    fn redacted(line: &str, secret: &str) -> String {
        let mut value: Json = serde_json::from_str(line).unwrap();
        redact(&mut value, secret);
        serde_json::to_string(&value).unwrap()
    }

    const TWO: &str = r#"[{"userPrincipalName":"ada@contoso.com","successDeviceCount":2,"errorDeviceCount":0},{"userPrincipalName":"","successDeviceCount":1,"errorDeviceCount":0}]"#;

    #[test]
    fn the_header_and_its_digest_are_pinned() {
        // Changing either orphans every journal written so far: that needs a new VERSION.
        let h = Header::of(&request(TWO));
        assert_eq!(
            write(&Record::Header(h.clone())),
            format!(
                r#"{{"v":1,"root":"https://graph.microsoft.com","kind":"deviceManagementScripts","script":"s1","total":2,"digest":"{}"}}"#,
                h.digest
            )
        );
        assert_eq!(h.digest, "d532a91827b815a34b2d9cee4b85a71f");
        assert_eq!(
            read(&write(&Record::Header(h.clone()))),
            Ok(Record::Header(h))
        );
    }

    #[test]
    fn bodies_are_digested_as_their_json_text() {
        for (id, upn) in [
            (None, "ada@contoso.com"),
            (Some("k\"1"), "b\u{1}\\\u{e9}😀@contoso.com"),
        ] {
            let input = UserStateInput {
                success_device_count: i32::MAX,
                error_device_count: 0,
                user_principal_name: upn.into(),
                id: id.map(str::to_owned),
            };
            let body = input.to_json();
            assert_eq!(body_text(&body), serde_json::to_string(&body).unwrap());
        }
    }

    #[test]
    fn a_record_with_other_members_says_which() {
        assert_eq!(
            read(r#"{"send":1,"items":[0],"at":2}"#),
            Err(r#"has the members ["send", "items", "at"], not ["send", "items"]"#.into())
        );
    }

    #[test]
    fn failed_records_rebuild_each_kind_of_final_error() {
        let graph = Error::Graph(Box::new(GraphError {
            status: 403,
            code: "Forbidden".into(),
            message: "no \"access\"\n".into(),
            request_id: Some("r1".into()),
            client_request_id: None,
            date: Some("Sun, 29 Nov 2026 13:00:00 GMT".into()),
            retry_after: Some(3.0),
        }));
        let network = Error::Network {
            message: "connection reset".into(),
            client_request_id: "c".into(),
        };
        let timeout = Error::Timeout {
            ms: 400,
            client_request_id: "c".into(),
        };
        for error in [graph, network, timeout] {
            let text = write(&Record::Failed {
                item: 7,
                error: error.clone(),
            });
            assert!(!text.contains("2026") && !text.contains("retry"), "{text}");
            let Ok(Record::Failed {
                item: 7,
                error: back,
            }) = read(&text)
            else {
                panic!("{text}")
            };
            let expected = match error {
                Error::Graph(mut g) => {
                    g.date = None;
                    g.retry_after = None;
                    Error::Graph(g)
                }
                e => e,
            };
            assert_eq!(back, expected);
        }
    }

    #[test]
    fn redact_takes_the_secret_out_of_every_text_and_keeps_the_rest() {
        let secret = "eyJ0eXAiOiJKV1Q\"iLCJh";
        let record = write(&Record::Created {
            item: 1,
            object: serde_json::from_value(serde_json::json!({
                "id": "x", "userPrincipalName": "ada@contoso.com",
                "note": format!("by {secret}"), secret: 1
            }))
            .unwrap(),
        });
        let clean = redacted(&record, secret);
        assert!(!clean.contains(secret) && !clean.contains("eyJ0eXAiOiJKV1Q\\\"iLCJh"));
        assert!(clean.contains(r#""note":"by [redacted]""#), "{clean}");
        assert!(matches!(read(&clean), Ok(Record::Created { item: 1, .. })));
        let untouched = write(&Record::Send {
            flight: 3,
            items: vec![0, 1],
        });
        assert_eq!(redacted(&untouched, secret), untouched);
        assert_eq!(redacted(&record, "short"), record);
    }
}
