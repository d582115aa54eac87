//! The fault matrix: every operation against every fault graph-mock can inject, in headless
//! Chrome. For each cell: what the caller gets, how many objects the server holds afterwards
//! (never more than asked, never silently fewer), and that the token appears nowhere.
//! The table it builds must be the one in docs/fault-matrix.md, so the two cannot drift.
#![cfg(target_arch = "wasm32")]

mod support;

use support::api::{
    create_user_state, create_user_states, delete_user_state, get_user_state, list_user_states,
    update_user_state,
};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

/// A promise an export returned, awaited.
async fn settle(p: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

wasm_bindgen_test_configure!(run_in_browser);

const OPS: [&str; 8] = [
    "create", "list", "get", "update", "delete", "bulk", "devices", "summary",
];

/// The committed table this test must build (between its two markers).
const DOC: &str = include_str!("../docs/fault-matrix.md");

/// (row name, fault rule fields or "" for a token that expires)
const FAULTS: [(&str, &str); 14] = [
    ("429, `Retry-After: 0`", r#""status":429,"retryAfter":"0""#),
    (
        "429, `Retry-After: 0.2`",
        r#""status":429,"retryAfter":"0.2""#,
    ),
    (
        "429, `Retry-After:` HTTP-date",
        r#""status":429,"retryAfter":"date+1""#,
    ),
    ("503 before commit", r#""status":503,"retryAfter":"0""#),
    (
        "503 after commit",
        r#""status":503,"retryAfter":"0","commit":true"#,
    ),
    ("504", r#""status":504"#),
    ("timeout, after commit", r#""delayMs":900"#),
    (
        "dropped connection, after commit",
        r#""drop":true,"commit":true"#,
    ),
    ("502 with an empty body", r#""status":502,"body":"empty""#),
    ("502 with an HTML body", r#""status":502,"body":"html""#),
    (
        "502 with truncated JSON",
        r#""status":502,"body":"truncated""#,
    ),
    (
        "502 with the wrong content type",
        r#""status":502,"contentType":"text/plain""#,
    ),
    ("401, then a fresh token from the function", ""),
    ("403 (final)", r#""status":403"#),
];

/// The table in docs/fault-matrix.md, between `<!-- fault-matrix:start -->` and `:end`.
fn committed_table() -> &'static str {
    let start = "<!-- fault-matrix:start -->\n";
    let from = DOC
        .find(start)
        .expect("docs/fault-matrix.md has no start marker")
        + start.len();
    let to = DOC[from..]
        .find("<!-- fault-matrix:end -->")
        .expect("docs/fault-matrix.md has no end marker");
    DOC[from..from + to].trim_end()
}

/// The rule's `op` for an operation: bulk faults hit each inner create.
fn rule_op(op: &str) -> &str {
    match op {
        "bulk" => "create",
        other => other,
    }
}

/// Objects on the server after `op` (one seeded beforehand for reads and writes); for a bulk
/// run, exactly the items it reports as created.
fn expected_objects(op: &str, ok: bool, bulk_created: u32) -> u32 {
    match (op, ok) {
        ("create", true) => 1,
        ("create", false) => 0,
        ("bulk", _) => bulk_created,
        ("delete", true) => 0,
        _ => 1,
    }
}

/// What `op` gave, the items a bulk run created, and whether it stopped (issue 17: an answer
/// that says the run cannot succeed).
async fn run(
    op: &str,
    script: &str,
    id: &str,
    token: JsValue,
) -> (Result<JsValue, JsValue>, u32, bool) {
    let base = call(script, r#"{"timeoutMs":400}"#);
    set(&base, "token", token);
    match op {
        "create" => {
            set(
                &base,
                "userState",
                parse(
                    r#"{"userPrincipalName":"m@contoso.com","successDeviceCount":1,"errorDeviceCount":0}"#,
                ),
            );
            (create_user_state(base).await, 0, false)
        }
        "list" => (list_user_states(base).await, 0, false),
        "devices" => (
            settle(intune_script_user_state::list_device_run_states(base)).await,
            0,
            false,
        ),
        "summary" => (
            settle(intune_script_user_state::get_run_summary(base)).await,
            0,
            false,
        ),
        "get" => {
            set(&base, "userStateId", id);
            (get_user_state(base).await, 0, false)
        }
        "update" => {
            set(&base, "userStateId", id);
            set(&base, "changes", parse(r#"{"errorDeviceCount":4}"#));
            (update_user_state(base).await, 0, false)
        }
        "delete" => {
            set(&base, "userStateId", id);
            (delete_user_state(base).await, 0, false)
        }
        _ => {
            set(&base, "userStates", user_states(3, &format!("{script}-")));
            let out = match create_user_states(base).await {
                Ok(out) => out,
                Err(e) => return (Err(e), 0, false),
            };
            // A bulk run resolves; it succeeded when every item did.
            let created = get_f64(&out, "succeeded").unwrap_or(0.0) as u32;
            let stopped = !get(&out, "stopped").is_undefined();
            let results: js_sys::Array = get(&out, "results").into();
            match results
                .iter()
                .find(|r| get(r, "ok").as_bool() != Some(true))
            {
                None => (Ok(out), created, stopped),
                Some(r) => (Err(get(&r, "error")), created, stopped),
            }
        }
    }
}

#[wasm_bindgen_test]
async fn every_operation_against_every_fault() {
    // The Retry-After rows are about its forms: exposed here, as Node and same-origin pages
    // see them (tests/browser.rs covers a browser that cannot read them).
    let before = expose_retry_after_and_date().await;
    let mut table = vec![
        "| fault | create | list | get | update | delete | bulk (3 items) | device run states | run summary |".to_owned(),
        format!("|---|{}", "---|".repeat(OPS.len())),
    ];
    let mut wrong = Vec::new();
    for (f, (fault_name, rule)) in FAULTS.iter().enumerate() {
        let mut row = format!("| {fault_name} |");
        for op in OPS {
            let script = format!("m{f}-{op}");
            let mut id = String::new();
            if !matches!(op, "create" | "bulk") {
                let seeded = create_user_state(request(&script, r#"{"userState":{"userPrincipalName":"seed@contoso.com","successDeviceCount":1,"errorDeviceCount":0}}"#))
                    .await
                    .expect("seeded");
                id = get_str(&seeded, "id").unwrap();
            }
            let secret = format!("matrix-token-{f}-{op}-secret");
            let token: JsValue = if rule.is_empty() {
                token_fn(vec![format!("expired-{secret}"), secret.clone()]).into()
            } else {
                fault(&format!(
                    r#"{{"scriptId":"{script}","op":"{}",{rule}}}"#,
                    rule_op(op)
                ))
                .await;
                secret.clone().into()
            };
            let (result, bulk_created, stopped) = run(op, &script, &id, token).await;
            let final_fault = fault_name.contains("final");
            let cell = match &result {
                Ok(_) => "resolves".to_owned(),
                Err(e) => {
                    let text = own_props(e);
                    if text.contains(&secret) {
                        wrong.push(format!("{fault_name} / {op}: the token leaked: {text}"));
                    }
                    match get_f64(e, "status") {
                        Some(s) => format!(
                            "`{}` {} `{}`",
                            name(e),
                            s,
                            get_str(e, "code").unwrap_or_default()
                        ),
                        None => format!("`{}`", name(e)),
                    }
                }
            };
            let held = objects(&script).await.length();
            let ok = result.is_ok();
            if ok == final_fault {
                wrong.push(format!("{fault_name} / {op}: got {cell}"));
            }
            let expected = expected_objects(op, ok, bulk_created);
            if held != expected {
                wrong.push(format!(
                    "{fault_name} / {op}: {held} objects on the server, expected {expected}"
                ));
            }
            let cell = if op == "bulk" && stopped {
                format!(
                    "stopped after its first write: {bulk_created} of 3 created, the others {cell}"
                )
            } else if op == "bulk" && !ok {
                format!("{bulk_created} of 3 created, one {cell}")
            } else {
                cell
            };
            row.push_str(&format!(" {cell}, {held} held |"));
        }
        table.push(row);
    }
    log(&table.join("\n"));
    restore_config(&before).await;
    assert!(
        wrong.is_empty(),
        "{}\n\n{}",
        wrong.join("\n"),
        table.join("\n")
    );
    let built = table.join("\n");
    assert!(
        built == committed_table(),
        "the fault matrix is not the one in docs/fault-matrix.md; if the change is meant, \
         put this table there:\n{built}"
    );
}
