//! The bulk import's CSV reader, the one the admin page and the command line both use.
//!
//! RFC 4180 records (a header row, quoted fields with `""` for a quote, line breaks inside
//! quotes, CRLF, LF or a lone CR, an optional UTF-8 BOM, blank lines skipped) are split by the
//! `csv-core` crate. `csv-core` never fails: it prefers *a* parse to none. A file with broken
//! quoting is more likely a mistake than data, so [`records`] checks each field as it was
//! written and refuses a quote inside an unquoted field, text after a closing quote and a
//! quoted field that is never closed, naming the line. [`read_user_states`] then reads the
//! header (the three columns in any order, names in any case, and optionally an `id` column, as
//! `list --format csv` and the page's Export CSV write it) and each row with the rules of
//! [`validate::user_state_problems`], as the page's preview and the command show them.

use crate::json::{Json, Map};
use crate::validate;
use csv_core::{ReadFieldResult, Reader};
use serde::Serialize;
use std::fmt;

/// The columns a user-state CSV must have, in any order.
pub const COLUMNS: [&str; 3] = [
    "userPrincipalName",
    "successDeviceCount",
    "errorDeviceCount",
];

/// The optional column naming the user state's `id` (used by a sync to match, never sent).
pub const ID_COLUMN: &str = "id";

/// The header as the messages show it.
const HEADER: &str = "userPrincipalName,successDeviceCount,errorDeviceCount";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One record and the line (1-based) it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line the record starts on, from 1.
    pub line: usize,
    /// Its fields, unquoted.
    pub fields: Vec<String>,
}

/// Text that is not CSV, and the line where that shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong there.
    pub message: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Line {}: {}", self.line, self.message)
    }
}

const QUOTE_IN_UNQUOTED: &str =
    "a quote inside an unquoted field; quote the whole field and write inner quotes twice";
const TEXT_AFTER_QUOTE: &str =
    "text after a closing quote; write a quote inside a quoted field twice";
const NOT_CLOSED: &str = "a quoted field is not closed";

/// The line an offset of the input is on, counted forward (offsets asked never go back).
/// A line ends at LF, at CRLF (one break) or at a lone CR.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl Lines<'_> {
    fn line_at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.bytes.len());
        while self.at < end {
            let b = self.bytes[self.at];
            if b == b'\n' || (b == b'\r' && self.bytes.get(self.at + 1) != Some(&b'\n')) {
                self.line += 1;
            }
            self.at += 1;
        }
        self.line
    }
}

/// Checks one field as it was written: `raw` is the field's bytes from `start`, then the
/// delimiter or line break that ended it, if any (`csv-core` consumes at most one).
fn check_quoting(raw: &[u8], start: usize, lines: &mut Lines<'_>) -> Result<(), CsvError> {
    let error = |lines: &mut Lines<'_>, at: usize, message| {
        Err(CsvError {
            line: lines.line_at(at),
            message,
        })
    };
    if raw.first() == Some(&b'"') {
        let mut i = 1;
        loop {
            match raw.get(i) {
                None => return error(lines, start, NOT_CLOSED),
                Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        match &raw[i + 1..] {
            [] | [b','] | [b'\r'] | [b'\n'] => Ok(()),
            _ => error(lines, start + i, TEXT_AFTER_QUOTE),
        }
    } else if let Some(q) = raw.iter().position(|&b| b == b'"') {
        error(lines, start + q, QUOTE_IN_UNQUOTED)
    } else {
        Ok(())
    }
}

/// Splits CSV text into records, each with the line it starts on. Blank lines are skipped (a
/// line holding only `""` is a record with one empty field). A leading BOM is dropped.
pub fn records(text: &str) -> Result<Vec<Record>, CsvError> {
    let input = text.as_bytes();
    // csv-core drops a BOM at the very start itself, counted in what it consumed.
    let bom = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let mut reader = Reader::new();
    let mut lines = Lines {
        bytes: input,
        at: 0,
        line: 1,
    };
    let mut out = [0u8; 1024];
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut record_line = 1;
    let mut pos = 0;
    loop {
        let field_at = pos;
        let mut value = Vec::new();
        let result = loop {
            let (result, nin, nout) = reader.read_field(&input[pos..], &mut out);
            pos += nin;
            value.extend_from_slice(&out[..nout]);
            match result {
                // Input left (or none: an empty slice tells csv-core the text has ended).
                ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
                done => break done,
            }
        };
        let ReadFieldResult::Field { record_end } = result else {
            break;
        };
        let mut start = if field_at == 0 { bom } else { field_at };
        if fields.is_empty() {
            // What csv-core skipped before a record: blank lines, the LF of a CRLF.
            while matches!(input.get(start), Some(b'\r' | b'\n')) && start < pos {
                start += 1;
            }
            record_line = lines.line_at(start);
        }
        check_quoting(&input[start..pos], start, &mut lines)?;
        // csv-core only removes ASCII quotes from UTF-8 text, so the value stays UTF-8.
        let Ok(value) = String::from_utf8(value) else {
            return Err(CsvError {
                line: lines.line_at(start),
                message: "text that is not UTF-8",
            });
        };
        fields.push(value);
        if record_end {
            records.push(Record {
                line: record_line,
                fields: std::mem::take(&mut fields),
            });
        }
    }
    Ok(records)
}

/// One data row of a user-state CSV: the user state as typed (counts not coerced), what is
/// wrong with it (then it is not imported) and what may go wrong (a repeated user).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The line the row starts on, from 1.
    pub line: usize,
    #[serde(rename = "userState")]
    /// The user state as typed (the counts not coerced to numbers).
    pub user_state: Json,
    /// What is wrong with it; a row with problems is not imported.
    pub problems: Vec<String>,
    /// What may go wrong (a user already in an earlier row).
    pub warnings: Vec<String>,
}

/// A user-state CSV read: every row, or why the file as a whole cannot be used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserStatesCsv {
    /// Every data row, in order.
    pub rows: Vec<Row>,
    /// Why the file as a whole cannot be used (then `rows` is empty).
    pub error: Option<String>,
}

impl UserStatesCsv {
    fn unusable(why: impl Into<String>) -> Self {
        Self {
            rows: Vec::new(),
            error: Some(why.into()),
        }
    }
}

/// Whitespace as JavaScript's `String.prototype.trim` sees it (not quite Rust's: U+FEFF is
/// in, U+0085 is out).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// A count as the user typed it, not coerced: empty is `null` (required), a plain decimal
/// (`-?digits(.digits)?`) is that number (`2.5`, `-1`: the rules then name the problem), and
/// anything else (`0x10`, `1e3`, `two`) stays a string for the rules to refuse.
pub fn count_from_text(text: Option<&str>) -> Json {
    let t = text.unwrap_or("").trim_matches(is_js_space);
    if t.is_empty() {
        return Json::Null;
    }
    match decimal(t) {
        Some(n) => Json::Number(n),
        None => Json::String(t.to_owned()),
    }
}

/// `-?\d+(\.\d+)?` as a number, close to what `Number(text)` gives; `None` for anything
/// else. Read by hand (a float parser would be most of the module's number code): whole numbers
/// below 2^53 are exact, and so is a fraction that is one in binary (`2.5`); any other fraction
/// comes from its first 17 significant digits, within a few units in the last place of
/// `Number`'s. The rules refuse every fraction, so only its being one has to be right.
fn decimal(t: &str) -> Option<f64> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut n = whole
        .bytes()
        .fold(0.0, |n: f64, b| n * 10.0 + f64::from(b - b'0'));
    // The fraction as m / 10^scale, m of at most 17 significant digits.
    let (mut m, mut significant, mut scale) = (0u64, 0, 0);
    for b in fraction.bytes() {
        if significant == 17 {
            break;
        }
        m = m * 10 + u64::from(b - b'0');
        scale += 1;
        if m > 0 {
            significant += 1;
        }
    }
    if m > 0 {
        let mut part = m as f64;
        for _ in 0..scale {
            part /= 10.0;
        }
        n += part;
    }
    Some(if negative { -n } else { n })
}

/// What a field's rule looks like to a person: `User principal name must not be empty`.
fn describe(problem: &crate::error::FieldError) -> String {
    let label = match problem.field.as_str() {
        "userPrincipalName" => "User principal name",
        "successDeviceCount" => "Success device count",
        "errorDeviceCount" => "Error device count",
        "id" => "Id",
        other => other,
    };
    format!("{label} {}", problem.message)
}

/// Where each of [`COLUMNS`] is in the header, and the [`ID_COLUMN`] when there is one:
/// `None` unless the header names exactly those three, or those and `id`. Names are trimmed
/// and compared ignoring ASCII case (no other letter lowercases to one of these ASCII names,
/// and Unicode's case tables would cost the module kilobytes).
fn column_index(header: &Record) -> Option<([usize; 3], Option<usize>)> {
    let position = |column: &str| {
        header
            .fields
            .iter()
            .position(|f| f.trim_matches(is_js_space).eq_ignore_ascii_case(column))
    };
    let id = position(ID_COLUMN);
    if header.fields.len() != COLUMNS.len() + usize::from(id.is_some()) {
        return None;
    }
    let mut index = [0; 3];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        *slot = position(column)?;
    }
    Some((index, id))
}

/// Reads a user-state CSV. `error` says why the file as a whole cannot be used (broken
/// quoting, empty, a wrong header, no rows); otherwise every data row is returned in file
/// order, and those without problems are ready to import.
pub fn read_user_states(text: &str) -> UserStatesCsv {
    let records = match records(text) {
        Ok(r) => r,
        Err(e) => return UserStatesCsv::unusable(e.to_string()),
    };
    let Some((header, data)) = records.split_first() else {
        return UserStatesCsv::unusable("The file is empty.");
    };
    let Some((index, id_at)) = column_index(header) else {
        let mut found = String::new();
        for (i, f) in header.fields.iter().enumerate() {
            if i > 0 {
                found.push(',');
            }
            found.push_str(f);
        }
        return UserStatesCsv::unusable(format!(
            "Line {}: the header must be {HEADER} (in any order, optionally with id), found {found}",
            header.line
        ));
    };
    if data.is_empty() {
        return UserStatesCsv::unusable("The file has a header but no rows.");
    }
    let mut rows: Vec<Row> = data
        .iter()
        .map(|record| {
            let cell = |column: usize| record.fields.get(index[column]).map(String::as_str);
            let mut state = Map::new();
            state.insert(COLUMNS[0], Json::from(cell(0).unwrap_or("")));
            state.insert(COLUMNS[1], count_from_text(cell(1)));
            state.insert(COLUMNS[2], count_from_text(cell(2)));
            // An empty id cell is a row without an id (a user the list did not have).
            let id = id_at
                .and_then(|at| record.fields.get(at))
                .map(|id| id.trim_matches(is_js_space))
                .filter(|id| !id.is_empty());
            if let Some(id) = id {
                state.insert(ID_COLUMN, Json::from(id));
            }
            let user_state = Json::Object(state);
            let n = record.fields.len();
            let expected = header.fields.len();
            let problems = if n != expected {
                let s = if n == 1 { "" } else { "s" };
                vec![format!("has {n} field{s}, expected {expected}")]
            } else {
                validate::user_state_problems(&user_state)
                    .iter()
                    .map(describe)
                    .collect()
            };
            Row {
                line: record.line,
                user_state,
                problems,
                warnings: Vec::new(),
            }
        })
        .collect();
    // One user state per user, compared as createUserStates compares them (ASCII case
    // ignored), and by id as a sync compares them: sorted by user, every good row after the
    // first of its user is warned, once. (A sort keeps a hash table's code out of the module.)
    let mut users: Vec<(String, usize)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if !r.problems.is_empty() {
            continue;
        }
        if let Some(upn) = r.user_state.get(COLUMNS[0]).and_then(Json::as_str) {
            users.push((format!("u{}", upn.to_ascii_lowercase()), i));
        }
        if let Some(id) = r.user_state.get(ID_COLUMN).and_then(Json::as_str) {
            users.push((format!("i{id}"), i));
        }
    }
    users.sort_unstable();
    for same in users.chunk_by(|a, b| a.0 == b.0) {
        let first = rows[same[0].1].line;
        for (key, i) in &same[1..] {
            if !rows[*i].warnings.is_empty() {
                continue;
            }
            let what = if key.starts_with('i') {
                "id"
            } else {
                "user principal name"
            };
            rows[*i].warnings.push(format!(
                "same {what} as line {first}: a script has one user state per user, so this row will fail"
            ));
        }
    }
    UserStatesCsv { rows, error: None }
}

#[cfg(test)]
mod tests;
