//! The reader against the cases the page's old JavaScript reader was tested with
//! (tests/page/units.test.mjs), and the rules it adds.

use super::*;

fn rec(line: usize, fields: &[&str]) -> Record {
    Record {
        line,
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

const HEADER: &str = "userPrincipalName,successDeviceCount,errorDeviceCount";

fn problems(text: &str) -> Vec<(usize, Vec<String>)> {
    let read = read_user_states(text);
    assert_eq!(read.error, None, "{text:?}");
    read.rows
        .into_iter()
        .map(|r| (r.line, r.problems))
        .collect()
}

fn state(upn: &str, success: Json, errors: Json) -> Json {
    let mut m = Map::new();
    m.insert("userPrincipalName", Json::from(upn));
    m.insert("successDeviceCount", success);
    m.insert("errorDeviceCount", errors);
    Json::Object(m)
}

#[test]
fn records_with_their_line_crlf_lf_lone_cr_and_a_bom() {
    let both = vec![rec(1, &["a", "b"]), rec(2, &["1", "2"])];
    assert_eq!(records("\u{FEFF}a,b\r\n1,2\r\n").unwrap(), both);
    assert_eq!(records("a,b\n1,2").unwrap(), both);
    assert_eq!(
        records("a\r1\r").unwrap(),
        vec![rec(1, &["a"]), rec(2, &["1"])]
    );
    // Only the first BOM is dropped, as the page did.
    assert_eq!(
        records("\u{FEFF}\u{FEFF}a").unwrap(),
        vec![rec(1, &["\u{FEFF}a"])]
    );
}

#[test]
fn quoted_fields_doubled_quotes_line_breaks_and_blank_lines() {
    let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n\"two\r\nlines\",3\n\"\",\n";
    assert_eq!(
        records(text).unwrap(),
        vec![
            rec(1, &["a", "b"]),
            rec(2, &["x, y", "say \"hi\""]),
            rec(4, &["two\r\nlines", "3"]),
            rec(6, &["", ""]),
        ]
    );
    assert_eq!(records("\"\"\n").unwrap(), vec![rec(1, &[""])]);
    assert_eq!(records("").unwrap(), vec![]);
    assert_eq!(records("\n\r\n\r").unwrap(), vec![]);
    assert_eq!(
        records("a,\n,\n").unwrap(),
        vec![rec(1, &["a", ""]), rec(2, &["", ""])]
    );
    assert_eq!(records("a,").unwrap(), vec![rec(1, &["a", ""])]);
    assert_eq!(
        records("\n\n  \nx").unwrap(),
        vec![rec(3, &["  "]), rec(4, &["x"])]
    );
}

#[test]
fn a_field_longer_than_the_output_buffer_is_whole() {
    let long = "é".repeat(3000);
    let text = format!("\"{long}\",{long}\n");
    assert_eq!(records(&text).unwrap(), vec![rec(1, &[&long, &long])]);
}

#[test]
fn broken_quoting_names_the_line() {
    let err = |text: &str| records(text).unwrap_err();
    assert_eq!(
        err("a,b\n1,2\n\"open,3\n4,5"),
        CsvError {
            line: 3,
            message: NOT_CLOSED
        }
    );
    assert_eq!(err("a\n\"x\"y\n").line, 2);
    assert_eq!(err("a\n\"x\"y\n").message, TEXT_AFTER_QUOTE);
    assert_eq!(err("a\nab\"c\n").message, QUOTE_IN_UNQUOTED);
    assert_eq!(err("a\nab\"c\n").line, 2);
    // The line the stray text is on.
    assert_eq!(err("a\n\"multi\nline\"z\n").line, 3);
    assert_eq!(err("a\r\n\r\nb,\"x\"\"").line, 3);
    assert_eq!(
        err("a\n\"x\"y\n").to_string(),
        "Line 2: text after a closing quote; write a quote inside a quoted field twice"
    );
}

#[test]
fn good_rows_become_user_states_with_numbers() {
    let text =
        format!("\u{FEFF}{HEADER}\r\nada@contoso.com,2,0\r\n\"o'brien, pat@contoso.com\",0,1\r\n");
    let read = read_user_states(&text);
    assert_eq!(read.error, None);
    assert_eq!(
        read.rows,
        vec![
            Row {
                line: 2,
                user_state: state("ada@contoso.com", Json::Number(2.0), Json::Number(0.0)),
                problems: vec![],
                warnings: vec![],
            },
            Row {
                line: 3,
                user_state: state("o'brien, pat@contoso.com", 0.into(), 1.into()),
                problems: vec![],
                warnings: vec![],
            },
        ]
    );
}

#[test]
fn columns_in_any_order_and_names_in_any_case() {
    let read = read_user_states(
        "ErrorDeviceCount, userprincipalname ,successDeviceCount\n4,ada@contoso.com,5\n",
    );
    assert_eq!(read.error, None);
    assert_eq!(
        read.rows[0].user_state,
        state("ada@contoso.com", 5.into(), 4.into())
    );
}

#[test]
fn each_bad_row_is_reported_with_its_line_by_the_packages_rules() {
    let text = [
        HEADER,
        "ok@contoso.com,1,1",
        ",1,1",
        "a@contoso.com,2.5,0",
        "b@contoso.com,,0",
        "c@contoso.com,0x10,0",
        "d@contoso.com,-1,0",
        "e@contoso.com,1",
        "f@contoso.com,1,1,extra",
        "g@contoso.com, 7 ,2147483648",
        "h",
    ]
    .join("\n");
    let by_line = problems(&text);
    let expect: Vec<(usize, Vec<&str>)> = vec![
        (2, vec![]),
        (3, vec!["User principal name must not be empty"]),
        (4, vec!["Success device count must be a whole number"]),
        (5, vec!["Success device count is required"]),
        (
            6,
            vec!["Success device count must be a number, not a string"],
        ),
        (
            7,
            vec!["Success device count must be between 0 and 2147483647"],
        ),
        (8, vec!["has 2 fields, expected 3"]),
        (9, vec!["has 4 fields, expected 3"]),
        (
            10,
            vec!["Error device count must be between 0 and 2147483647"],
        ),
        (11, vec!["has 1 field, expected 3"]),
    ];
    let expect: Vec<(usize, Vec<String>)> = expect
        .into_iter()
        .map(|(l, p)| (l, p.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(by_line, expect);
    let rows = read_user_states(&text).rows;
    assert_eq!(
        rows[2].user_state.get("successDeviceCount"),
        Some(&Json::Number(2.5))
    );
    assert_eq!(
        rows[3].user_state.get("successDeviceCount"),
        Some(&Json::Null)
    );
    assert_eq!(
        rows[4].user_state.get("successDeviceCount"),
        Some(&Json::from("0x10"))
    );
    assert_eq!(
        rows[6].user_state.get("errorDeviceCount"),
        Some(&Json::Null)
    );
    assert_eq!(rows[9].user_state, state("h", Json::Null, Json::Null));
}

#[test]
fn counts_as_typed() {
    let n = |t: &str| count_from_text(Some(t));
    assert_eq!(n(""), Json::Null);
    assert_eq!(n(" \u{A0}\u{FEFF} "), Json::Null);
    assert_eq!(count_from_text(None), Json::Null);
    assert_eq!(n(" 7 "), Json::Number(7.0));
    assert_eq!(n("-1"), Json::Number(-1.0));
    assert_eq!(n("2.5"), Json::Number(2.5));
    assert_eq!(n("2.0"), Json::Number(2.0));
    assert_eq!(n("0.1"), Json::Number(0.1));
    assert_eq!(n("0.05"), Json::Number(0.05));
    assert_eq!(n("007"), Json::Number(7.0));
    assert_eq!(n("2147483647"), Json::Number(2_147_483_647.0));
    for kept in ["0x10", "1e3", "two", "+1", "1.", ".5", "--1", "1,5", "١"] {
        assert_eq!(n(kept), Json::from(kept), "{kept}");
    }
    // A fraction, however small, is still a fraction (until Number would round it away).
    let tiny = n("0.0000000000000001");
    assert!(
        matches!(tiny, Json::Number(x) if x > 0.0 && x < 1e-15),
        "{tiny:?}"
    );
    assert_eq!(n(&format!("0.{}1", "0".repeat(400))), Json::Number(0.0));
}

#[test]
fn a_line_break_inside_quotes_keeps_later_lines_right() {
    let by_line = problems(&format!(
        "{HEADER}\n\"x\ny@contoso.com\",1,1\nz@contoso.com,1.5,0\n"
    ));
    assert_eq!(by_line[0].0, 2);
    assert_eq!(
        by_line[0].1,
        vec!["User principal name must not contain control characters"]
    );
    assert_eq!(by_line[1].0, 4);
}

#[test]
fn a_repeated_user_is_warned_not_dropped() {
    let read = read_user_states(&format!(
        "{HEADER}\nada@contoso.com,1,0\nbob@contoso.com,1,0\nADA@contoso.com,2,0\nada@contoso.com,x,0\n"
    ));
    let warnings: Vec<_> = read.rows.iter().map(|r| r.warnings.clone()).collect();
    assert_eq!(warnings[0], Vec::<String>::new());
    assert_eq!(warnings[1], Vec::<String>::new());
    assert_eq!(
        warnings[2],
        vec!["same user principal name as line 2: a script has one user state per user, so this row will fail"]
    );
    assert_eq!(warnings[3], Vec::<String>::new(), "a bad row is not warned");
}

#[test]
fn whole_file_problems() {
    let error = |t: &str| read_user_states(t).error.unwrap();
    assert_eq!(error(""), "The file is empty.");
    assert_eq!(error("\u{FEFF}\r\n\r\n"), "The file is empty.");
    assert_eq!(
        error(&format!("{HEADER}\r\n")),
        "The file has a header but no rows."
    );
    assert_eq!(
        error("upn,success,errors\na,1,1\n"),
        "Line 1: the header must be userPrincipalName,successDeviceCount,errorDeviceCount (in any order, optionally with id), found upn,success,errors"
    );
    assert!(error(&format!("{HEADER},notes\na,1,1,x\n")).starts_with("Line 1: the header must be"));
    assert!(error(&format!("\n\n{HEADER},{HEADER}\n")).starts_with("Line 3: the header must be"));
    assert!(
        error("userPrincipalName,userPrincipalName,errorDeviceCount\na,1,1")
            .starts_with("Line 1: the header")
    );
    assert!(
        error(&format!("{HEADER}\n\"a,1,1\n")).starts_with("Line 2: a quoted field is not closed")
    );
    assert!(read_user_states(&format!("{HEADER}\n")).rows.is_empty());
}

#[test]
fn rows_serialize_as_the_page_reads_them() {
    let read = read_user_states(&format!("{HEADER}\nada@contoso.com,2,\n"));
    let json = serde_json::to_value(&read).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "rows": [{
                "line": 2,
                "userState": { "userPrincipalName": "ada@contoso.com", "successDeviceCount": 2, "errorDeviceCount": null },
                "problems": ["Error device count is required"],
                "warnings": [],
            }],
            "error": null,
        })
    );
}

#[test]
fn an_optional_id_column_as_list_writes_it() {
    let read = read_user_states(
        "id,userPrincipalName,successDeviceCount,errorDeviceCount\r\n\
         k1,ada@x.com,2,0\r\n\
         ,new@x.com,1,1\r\n\
         k1,bob@x.com,1,1\r\n\
         ..,eve@x.com,1,1\r\n\
         k2,ada@x.com,1\r\n",
    );
    assert_eq!(read.error, None);
    let json = serde_json::to_value(&read.rows).unwrap();
    assert_eq!(
        json[0]["userState"],
        serde_json::json!({"userPrincipalName": "ada@x.com", "successDeviceCount": 2, "errorDeviceCount": 0, "id": "k1"})
    );
    // An empty id cell: no id.
    assert_eq!(
        json[1]["userState"],
        serde_json::json!({"userPrincipalName": "new@x.com", "successDeviceCount": 1, "errorDeviceCount": 1})
    );
    assert_eq!(read.rows[1].problems, Vec::<String>::new());
    assert_eq!(
        read.rows[2].warnings,
        vec!["same id as line 2: a script has one user state per user, so this row will fail"]
    );
    assert_eq!(read.rows[3].problems, vec!["Id must not be . or .."]);
    assert_eq!(read.rows[4].problems, vec!["has 3 fields, expected 4"]);
    // In any place and any case, once.
    let read =
        read_user_states("errorDeviceCount,ID,successDeviceCount,userPrincipalName\n0, k ,1,a\n");
    assert_eq!(
        read.rows[0].user_state.get("id").and_then(Json::as_str),
        Some("k")
    );
    assert!(read_user_states(
        "id,id,userPrincipalName,successDeviceCount,errorDeviceCount\na,a,a,1,1\n"
    )
    .error
    .unwrap()
    .starts_with("Line 1: the header must be"));
    assert!(
        read_user_states("id,userPrincipalName,successDeviceCount\na,a,1\n")
            .error
            .is_some()
    );
}
