//! Journals kept as text, one record a line, as the edge keeps them: written with
//! `JSON.stringify` and read with `JSON.parse` there, with serde_json (exact for every
//! double) here.

use intune_core::bulk::Bulk;
use intune_core::journal::MAX_RECORD_DEPTH;
use intune_core::json::deserialize_within;
use intune_core::validate::BulkRequest;
use intune_core::Policy;
use intune_core::{Error, Json};

/// A record as the journal keeps it: one line of compact JSON text.
pub fn line(record: &Json) -> String {
    serde_json::to_string(record).unwrap()
}

/// Records as the journal keeps them.
pub fn lines(records: Vec<Json>) -> Vec<String> {
    records.iter().map(line).collect()
}

/// A record as serde_json reads it (any JSON reader must read them).
pub fn record(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("record {text:?} is not JSON: {e}"))
}

/// A bulk machine resumed from a journal's text, one record a line, each read as the edge
/// reads it, at most [`MAX_RECORD_DEPTH`] deep.
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
