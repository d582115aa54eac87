//! Helpers of the fuzz targets' own: JSON from raw bytes, an independent judge of origins
//! (the WHATWG URL parser that `fetch` uses), a switch for findings already reported and the
//! fuzzer's byte stream. What they share with the native tests (answers, list pages,
//! transcripts, journals kept as text) is the test-support crate's, re-exported here.

use intune_core::Json;
pub use test_support::answers::{error_body, list_page, response, transcript};
pub use test_support::journal::{line, resumed};

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
