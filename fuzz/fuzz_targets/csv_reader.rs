//! The bulk import's CSV reader (`csv::delimiter`, `csv::records_with`,
//! `csv::read_user_states`) on any text.
//!
//! Input: the CSV text (bytes that are not UTF-8 are replaced, as a JS string would hold
//! them). If it starts with a NUL byte, the rest is data instead: records split at 0x01 and
//! fields at 0x02, written out as CSV with each delimiter in turn (comma, semicolon, tab; every
//! field quoted, quotes doubled, random-looking line ends) and read back.
//!
//! Invariants: nothing panics. With each delimiter, records start on increasing lines within
//! the text, and what was read, written back as CSV and read again gives the same fields; data
//! written with a delimiter reads back as written with it, and when its first record has
//! several fields `delimiter` finds that delimiter. `read_user_states` either says why the file
//! is unusable (a fixed sentence, or "Line N: ..." with N within the text) or gives rows on
//! increasing lines after the header; a row without problems passes the package's own
//! `validate::user_state` (what createUserStates will check) with counts in 0..=2147483647, and
//! only such rows carry warnings.
#![no_main]

use intune_core::csv::{delimiter, read_user_states, records_with, Record};
use intune_core::validate;
use libfuzzer_sys::fuzz_target;

/// The delimiters the reader takes.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// Every field quoted, inner quotes doubled, fields separated by `delimiter`; records ended by
/// `ends` in turn.
fn write(records: &[Vec<String>], delimiter: u8, ends: &[&str]) -> String {
    let separator = char::from(delimiter).to_string();
    let mut out = String::new();
    for (i, fields) in records.iter().enumerate() {
        let cells: Vec<String> = fields
            .iter()
            .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
            .collect();
        out.push_str(&cells.join(&separator));
        out.push_str(ends[i % ends.len()]);
    }
    out
}

fn fields_of(records: &[Record]) -> Vec<Vec<String>> {
    records.iter().map(|r| r.fields.clone()).collect()
}

fn line_count(text: &str) -> usize {
    let b = text.as_bytes();
    1 + (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

fuzz_target!(|data: &[u8]| {
    if let Some(rest) = data.strip_prefix(b"\0") {
        let text = String::from_utf8_lossy(rest);
        let data: Vec<Vec<String>> = text
            .split('\u{1}')
            .map(|r| r.split('\u{2}').map(str::to_owned).collect())
            .collect();
        for d in DELIMITERS {
            let csv = write(&data, d, &["\r\n", "\n", "\r"]);
            let back =
                records_with(&csv, d).unwrap_or_else(|e| panic!("{csv:?} written by us: {e}"));
            assert_eq!(fields_of(&back), data, "{csv:?}");
            if data[0].len() > 1 {
                assert_eq!(delimiter(&csv), d, "{csv:?}");
            }
        }
        return;
    }
    let text = String::from_utf8_lossy(data);
    let lines = line_count(&text);
    assert!(DELIMITERS.contains(&delimiter(&text)));
    for d in DELIMITERS {
        match records_with(&text, d) {
            Ok(read) => {
                let mut last = 0;
                for r in &read {
                    assert!(
                        r.line > last && r.line <= lines,
                        "line {} after {last} of {lines}",
                        r.line
                    );
                    assert!(!r.fields.is_empty());
                    last = r.line;
                }
                let data = fields_of(&read);
                let csv = write(&data, d, &["\n", "\r\n"]);
                let again = records_with(&csv, d).unwrap_or_else(|e| panic!("{csv:?}: {e}"));
                assert_eq!(fields_of(&again), data, "{csv:?}");
            }
            Err(e) => assert!(e.line >= 1 && e.line <= lines, "{e} of {lines} lines"),
        }
    }

    let out = read_user_states(&text);
    match &out.error {
        Some(why) => {
            assert!(out.rows.is_empty());
            if let Some(rest) = why.strip_prefix("Line ") {
                let n: usize = rest
                    .split(':')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect(why);
                assert!(n >= 1 && n <= lines, "{why} of {lines} lines");
            } else {
                assert!(
                    why == "The file is empty." || why == "The file has a header but no rows.",
                    "{why}"
                );
            }
        }
        None => {
            assert!(!out.rows.is_empty());
            let mut last = 1;
            for row in &out.rows {
                assert!(row.line > last && row.line <= lines);
                last = row.line;
                if row.problems.is_empty() {
                    let input = validate::user_state(&row.user_state, "")
                        .unwrap_or_else(|e| panic!("ready row {row:?} fails: {e:?}"));
                    assert!(input.success_device_count >= 0 && input.error_device_count >= 0);
                } else {
                    assert!(row.warnings.is_empty(), "{row:?}");
                }
            }
        }
    }
});
