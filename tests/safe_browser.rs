//! Issue 17 in headless Chrome against graph-mock: a 10,000-item createUserStates against a
//! service refusing the write (400 route, 403, 404 for the script) stops after one write; a
//! journal's `lock()` is taken before it is read, a refusal sends nothing, and the release is
//! called however the run ends.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::Array;
use support::api::create_user_states;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NO_ROUTE: &str = "No method match route template";

#[wasm_bindgen(inline_js = r#"
export function lockingJournal(lines, log, refuse) {
  return {
    read: async () => { log.push("read"); return lines.slice(); },
    append: async (records) => { for (const r of records) lines.push(r); },
    clear: async () => { lines.length = 0; },
    lock: async () => {
      log.push("lock");
      if (refuse) {
        const e = new Error("myJournal: the journal is in use by another run: tab 2");
        e.code = "JOURNAL_IN_USE";
        throw e;
      }
      return async () => { log.push("release"); };
    },
  };
}
export function abortedAfter(ms) { const c = new AbortController(); setTimeout(() => c.abort(), ms); return c.signal; }
export function tokenFailingAfter(n) { let i = 0; return () => { if (++i > n) throw new Error("no more tokens"); return "browser-test-token-2b4d6f80"; }; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = lockingJournal)]
    fn locking_journal(lines: &Array, log: &Array, refuse: bool) -> JsValue;
    #[wasm_bindgen(js_name = abortedAfter)]
    fn aborted_after(ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = tokenFailingAfter)]
    fn token_failing_after(n: u32) -> js_sys::Function;
}

fn bulk_request(script: &str, n: usize, prefix: &str) -> JsValue {
    let req = call(script, "{}");
    set(&req, "userStates", user_states(n, prefix));
    req
}

/// 10,000 items against `script`, refused as set up: one write, every item and the
/// result's `stopped` the same GraphError.
async fn assert_stopped(script: &str, status: f64, code: &str) {
    let out = create_user_states(bulk_request(script, 10_000, "r"))
        .await
        .expect("resolves");
    assert_eq!(get_f64(&out, "failed"), Some(10_000.0));
    let stopped = get(&out, "stopped");
    assert_eq!(name(&stopped), "GraphError");
    assert_eq!(get_f64(&stopped, "status"), Some(status));
    assert_eq!(get_str(&stopped, "code").as_deref(), Some(code));
    let message = get_str(&stopped, "message").unwrap();
    assert!(message.contains("The run stopped"), "{message}");
    let results: Array = get(&out, "results").into();
    for r in results.iter() {
        let e = get(&r, "error");
        assert_eq!(get_f64(&e, "status"), Some(status));
        assert_eq!(get_str(&e, "code").as_deref(), Some(code));
        assert_eq!(get_str(&e, "message").as_deref(), Some(message.as_str()));
    }
    // The first write goes alone and its answer stops the run: one write request.
    let writes = get_f64(&stats(script).await, "writes").unwrap();
    assert_eq!(writes, 1.0, "{writes} write requests");
}

#[wasm_bindgen_test]
async fn a_refused_route_403_and_404_stop_ten_thousand_items_after_one_write() {
    let before = config(r#"{"refuseRunStateWrites":["k-safe-route"]}"#).await;
    assert_stopped("k-safe-route", 400.0, NO_ROUTE).await;
    restore_config(&before).await;
    fault(r#"{"scriptId":"k-safe-403","op":"write","status":403,"times":100000}"#).await;
    // (The rule names this test's script only.)
    assert_stopped("k-safe-403", 403.0, "Forbidden").await;
    assert_stopped("missing-k-safe", 404.0, "ResourceNotFound").await;
}

#[wasm_bindgen_test]
async fn a_journal_in_use_is_refused_before_it_is_read_and_nothing_is_sent() {
    let script = "k-safe-locked";
    let (lines, log) = (Array::new(), Array::new());
    let req = bulk_request(script, 50, "l");
    set(&req, "journal", locking_journal(&lines, &log, true));
    let err = create_user_states(req).await.expect_err("refused");
    assert_eq!(name(&err), "ValidationError");
    assert_eq!(get_str(&err, "field").as_deref(), Some("journal"));
    let message = get_str(&err, "message").unwrap();
    assert!(message.contains("is in use by another run"), "{message}");
    assert!(
        message.contains("tab 2"),
        "the journal's own words kept: {message}"
    );
    let cause = get(&err, "cause");
    assert_eq!(get_str(&cause, "code").as_deref(), Some("JOURNAL_IN_USE"));
    assert_eq!(log.join(",").as_string().unwrap(), "lock", "not read");
    assert_eq!(requests(script).await.length(), 0, "nothing sent");
}

#[wasm_bindgen_test]
async fn the_lock_is_released_however_the_run_ends() {
    // Done.
    let (lines, log) = (Array::new(), Array::new());
    let req = bulk_request("k-safe-done", 30, "d");
    set(&req, "journal", locking_journal(&lines, &log, false));
    create_user_states(req).await.expect("resolves");
    assert_eq!(log.join(",").as_string().unwrap(), "lock,read,release");
    // Aborted mid-run.
    fault(r#"{"scriptId":"k-safe-abort","op":"create","delayMs":50,"times":1000}"#).await;
    let (lines, log) = (Array::new(), Array::new());
    let req = bulk_request("k-safe-abort", 400, "a");
    set(&req, "journal", locking_journal(&lines, &log, false));
    set(&req, "signal", aborted_after(300));
    let out = create_user_states(req).await.expect("resolves");
    assert!(get_f64(&out, "failed").unwrap() > 0.0);
    assert_eq!(log.join(",").as_string().unwrap(), "lock,read,release");
    // The token function throws mid-run.
    let (lines, log) = (Array::new(), Array::new());
    let req = bulk_request("k-safe-token", 200, "t");
    set(&req, "journal", locking_journal(&lines, &log, false));
    set(&req, "token", token_failing_after(3));
    let out = create_user_states(req).await.expect("resolves");
    // The token function did throw mid-run: the unsettled items carry what it threw.
    let results: Array = get(&out, "results").into();
    let carried = results
        .iter()
        .filter(|r| get_str(&get(r, "error"), "message").as_deref() == Some("no more tokens"))
        .count();
    assert!(carried > 0, "no item carries the token function's error");
    assert_eq!(get_f64(&out, "failed"), Some(carried as f64));
    assert_eq!(log.join(",").as_string().unwrap(), "lock,read,release");
    // The journal is another run's: refused after its lock, released.
    let (lines, log) = (Array::new(), Array::new());
    lines.push(&JsValue::from_str("not a journal"));
    let req = bulk_request("k-safe-foreign", 5, "x");
    set(&req, "journal", locking_journal(&lines, &log, false));
    let err = create_user_states(req).await.expect_err("refused");
    assert_eq!(name(&err), "ValidationError");
    assert_eq!(log.join(",").as_string().unwrap(), "lock,read,release");
}
