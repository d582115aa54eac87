//! createUserStates in headless Chrome against graph-mock: exactly-once under inner 429s and
//! commits followed by 503s, pacing under a write budget, token refresh, abort.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::Array;
use support::api::create_user_states;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn bulk_request(script: &str, states: Array, extra: &str) -> JsValue {
    let req = call(script, extra);
    set(&req, "userStates", states);
    req
}

fn results(out: &JsValue) -> Array {
    get(out, "results").into()
}

/// Every user appears exactly once on the server, and each ok result is that object.
async fn assert_one_per_user(script: &str, out: &JsValue, n: usize, prefix: &str) {
    let held = objects(script).await;
    assert_eq!(held.length() as usize, n, "objects on the server");
    let mut upns: Vec<String> = held
        .iter()
        .map(|o| get_str(&o, "userPrincipalName").unwrap())
        .collect();
    upns.sort();
    upns.dedup();
    assert_eq!(upns.len(), n, "one object per user");
    for (i, r) in results(out).iter().enumerate() {
        assert_eq!(
            get(&r, "ok").as_bool(),
            Some(true),
            "item {i}: {:?}",
            own_props(&get(&r, "error"))
        );
        let state = get(&r, "userState");
        assert_eq!(
            get_str(&state, "userPrincipalName"),
            Some(format!("{prefix}{i}@contoso.com")),
            "input order"
        );
    }
}

#[wasm_bindgen_test]
async fn a_thousand_items_under_faults_end_exactly_once() {
    let script = "k-faults";
    // Rules are taken in order by each inner create: nine pass through, the tenth is a 429,
    // and every third group adds a create that is committed and then answered 503.
    let mut rules = Vec::new();
    for g in 0..130 {
        rules.push(format!(
            r#"{{"scriptId":"{script}","op":"create","times":9}}"#
        ));
        rules.push(format!(
            r#"{{"scriptId":"{script}","op":"create","status":429,"retryAfter":"0"}}"#
        ));
        if g % 3 == 0 {
            rules.push(format!(
                r#"{{"scriptId":"{script}","op":"create","status":503,"commit":true}}"#
            ));
        }
    }
    fault(&format!("[{}]", rules.join(","))).await;
    let out = create_user_states(bulk_request(script, user_states(1000, "f"), "{}"))
        .await
        .expect("resolves");
    assert_eq!(get_f64(&out, "succeeded"), Some(1000.0));
    assert_eq!(get_f64(&out, "failed"), Some(0.0));
    assert!(get_f64(&out, "throttled").unwrap() >= 90.0);
    assert_one_per_user(script, &out, 1000, "f").await;
    assert_eq!(get_f64(&stats(script).await, "creates"), Some(1000.0));
}

#[wasm_bindgen_test]
async fn a_write_budget_is_met_without_a_storm_of_429s() {
    let script = "k-budget";
    let before = config(r#"{"writeBudget":{"writes":100,"windowMs":1000}}"#).await;
    let out = create_user_states(bulk_request(script, user_states(600, "b"), "{}")).await;
    restore_config(&before).await;
    let out = out.expect("resolves");
    assert_one_per_user(script, &out, 600, "b").await;
    let throttled = get_f64(&stats(script).await, "throttled").unwrap();
    assert_eq!(get_f64(&out, "throttled"), Some(throttled));
    assert!(throttled < 200.0, "{throttled} 429s for 600 items");
}

#[wasm_bindgen_test]
async fn invalid_items_are_reported_and_the_rest_created() {
    let script = "k-invalid";
    let states = user_states(30, "v");
    states.set(
        3,
        parse(r#"{"userPrincipalName":"","successDeviceCount":1,"errorDeviceCount":0}"#),
    );
    states.set(
        7,
        parse(
            r#"{"userPrincipalName":"v1@contoso.com","successDeviceCount":1,"errorDeviceCount":0}"#,
        ),
    );
    states.set(9, parse(r#"{"userPrincipalName":"x@contoso.com","successDeviceCount":"1","errorDeviceCount":0}"#));
    let progress = Array::new();
    let req = bulk_request(script, states, "{}");
    set(&req, "onProgress", recorder(&progress));
    let out = create_user_states(req).await.expect("resolves");
    assert_eq!(
        (get_f64(&out, "succeeded"), get_f64(&out, "failed")),
        (Some(27.0), Some(3.0))
    );
    let r = results(&out);
    for (i, field) in [
        (3, "userStates[3].userPrincipalName"),
        (7, "userStates[7].userPrincipalName"),
        (9, "userStates[9].successDeviceCount"),
    ] {
        let error = get(&r.get(i), "error");
        assert_eq!(
            (name(&error), get_str(&error, "field")),
            ("ValidationError".into(), Some(field.into()))
        );
    }
    assert_eq!(objects(script).await.length(), 27);
    let last = progress.get(progress.length() - 1);
    assert_eq!(
        (get_f64(&last, "done"), get_f64(&last, "total")),
        (Some(30.0), Some(30.0))
    );
    let dones: Vec<f64> = progress
        .iter()
        .map(|p| get_f64(&p, "done").unwrap())
        .collect();
    assert!(
        dones.windows(2).all(|w| w[0] <= w[1]),
        "progress goes forward: {dones:?}"
    );
}

#[wasm_bindgen_test]
async fn a_refused_token_is_replaced_once_in_bulk() {
    let script = "k-token";
    let tokens = token_fn(vec!["expired-bulk-0001".into(), "fresh-bulk-0002".into()]);
    let req = bulk_request(script, user_states(15, "t"), "{}");
    set(&req, "token", tokens.clone());
    let out = create_user_states(req).await.expect("resolves");
    assert_eq!(get_f64(&out, "succeeded"), Some(15.0));
    // Asked before each send: the first write (refused), that write again with the fresh
    // token, then the other 14 in one $batch.
    assert_eq!(calls(&tokens), 3);
    assert_eq!(objects(script).await.length(), 15);
}

#[wasm_bindgen_test]
async fn abort_stops_the_run_and_reports_what_was_created() {
    let script = "k-abort";
    // Slow answers so the run is still going when it is aborted.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"create","delayMs":300,"times":400}}"#
    ))
    .await;
    let controller = web_sys::AbortController::new().unwrap();
    let req = bulk_request(script, user_states(400, "a"), r#"{"concurrency":2}"#);
    set(&req, "signal", controller.signal());
    let call = intune_script_user_state::create_user_states(req);
    sleep(900).await;
    controller.abort();
    let started = js_sys::Date::now();
    let out = wasm_bindgen_futures::JsFuture::from(call)
        .await
        .expect("resolves");
    assert!(
        js_sys::Date::now() - started < 1000.0,
        "the abort was not prompt"
    );
    let ok = get_f64(&out, "succeeded").unwrap() as u32;
    assert!(ok > 0 && ok < 400, "{ok} created before the abort");
    let aborted = results(&out)
        .iter()
        .filter(|r| name(&get(r, "error")) == "AbortError")
        .count() as u32;
    assert_eq!(ok + aborted, 400);
    sleep(700).await;
    let held = objects(script).await.length();
    assert!(
        held >= ok && held <= ok + 40,
        "{held} on the server, {ok} reported"
    );
}

#[wasm_bindgen(module = "/js/indexeddb-journal.js")]
extern "C" {
    /// The package's `indexedDbJournal`, as build-pkg joins it to the browser entry.
    #[wasm_bindgen(js_name = indexedDbJournal)]
    fn indexed_db_journal(name: &str) -> JsValue;
}

/// Stopped mid-run (the tab closed, the signal fired) with a `$batch` in flight, then run
/// again with the same IndexedDB journal: exactly one object per user, and the results cover
/// every item; run once more, the finished journal gives the same results and sends nothing.
#[wasm_bindgen_test]
async fn an_indexed_db_journal_resumes_exactly_once() {
    let script = "k-journal";
    let journal = indexed_db_journal(&format!("{script}-{}", js_sys::Date::now()));
    let states = user_states(300, "j");
    // Slow answers: the abort finds some $batch requests in flight, committed or not.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"create","delayMs":150,"times":300}}"#
    ))
    .await;
    let controller = web_sys::AbortController::new().unwrap();
    let req = bulk_request(script, states.clone(), r#"{"concurrency":2}"#);
    set(&req, "journal", journal.clone());
    set(&req, "signal", controller.signal());
    let call = intune_script_user_state::create_user_states(req);
    sleep(700).await;
    controller.abort();
    let first = wasm_bindgen_futures::JsFuture::from(call)
        .await
        .expect("resolves");
    let before = get_f64(&first, "succeeded").unwrap() as u32;
    assert!(
        before > 0 && before < 300,
        "{before} created before the abort"
    );
    sleep(1500).await; // what was in flight lands (or not) on the server
    let _ = mock_post("/_mock/faults", "[]").await;

    let req = bulk_request(script, states.clone(), "{}");
    set(&req, "journal", journal.clone());
    let out = create_user_states(req).await.expect("resolves");
    assert_one_per_user(script, &out, 300, "j").await;

    let sent = requests(script).await.length();
    let req = bulk_request(script, states, "{}");
    set(&req, "journal", journal);
    let again = create_user_states(req).await.expect("resolves");
    assert_eq!(
        requests(script).await.length(),
        sent,
        "a finished journal sends nothing"
    );
    assert_eq!(
        js_sys::JSON::stringify(&again).unwrap(),
        js_sys::JSON::stringify(&out).unwrap()
    );
}

/// The edge's side of the record format: each record one line of compact JSON text, the
/// members in the documented order; read back with `JSON.parse`, every double exactly as
/// written; a line that is not JSON text is "cannot be read: record N is not JSON", and
/// nothing is sent.
#[wasm_bindgen_test]
async fn journal_records_are_json_text_read_back_exactly() {
    let script = "k-records";
    let lines = Array::new();
    let req = bulk_request(script, user_states(3, "r"), "{}");
    set(&req, "journal", memory_journal(&lines));
    let out = create_user_states(req).await.expect("resolves");
    assert_eq!(get_f64(&out, "succeeded"), Some(3.0));
    let text: Vec<String> = lines.iter().map(|l| l.as_string().unwrap()).collect();
    assert_eq!(
        text.len(),
        7,
        "header, the first write's send and its created, the others' send, two created, \
         finished: {text:?}"
    );
    assert!(
        text[0].starts_with(&format!(
            r#"{{"v":1,"root":"{MOCK}","kind":"deviceManagementScripts","script":"{script}","total":3,"digest":""#
        )),
        "{}",
        text[0]
    );
    assert_eq!(text[1], r#"{"send":1,"items":[0]}"#);
    assert_eq!(text[3], r#"{"send":2,"items":[1,2]}"#);
    assert_eq!(text[6], r#"{"finished":true,"succeeded":3,"failed":0}"#);
    let created = text
        .iter()
        .position(|t| t.starts_with(r#"{"created":1,"object":{"#));
    let created = created.expect("a created record for item 1");

    // A service object with doubles that have no short decimal form, read back as they were.
    let sent = requests(script).await.length();
    let edited = Array::new();
    for (k, t) in text.iter().enumerate() {
        let line = if k == created {
            t.replacen(
                r#""object":{"#,
                r#""object":{"ratio":0.1,"tiny":5e-324,"third":0.3333333333333333,"#,
                1,
            )
        } else {
            t.clone()
        };
        edited.push(&line.into());
    }
    let req = bulk_request(script, user_states(3, "r"), "{}");
    set(&req, "journal", memory_journal(&edited));
    let again = create_user_states(req).await.expect("resolves");
    assert_eq!(
        requests(script).await.length(),
        sent,
        "a finished journal sends nothing"
    );
    let state = get(&results(&again).get(1), "userState");
    assert_eq!(get_f64(&state, "ratio"), Some(0.1));
    assert_eq!(get_f64(&state, "tiny"), Some(5e-324));
    assert_eq!(get_f64(&state, "third"), Some(1.0 / 3.0));

    // A torn or foreign line is not a record.
    for (at, line) in [(1, r#"{"send":1,"items":[0"#), (0, "not json")] {
        let broken = Array::new();
        for (k, t) in text.iter().enumerate() {
            broken.push(&if k == at { line.into() } else { t.into() });
        }
        let req = bulk_request(script, user_states(3, "r"), "{}");
        set(&req, "journal", memory_journal(&broken));
        let err = create_user_states(req).await.expect_err("refused");
        assert_eq!(name(&err), "ValidationError");
        assert_eq!(get_str(&err, "field").as_deref(), Some("journal"));
        let message = get_str(&err, "message").unwrap();
        assert!(
            message.starts_with(&format!(
                "journal cannot be read: record {} is not JSON (",
                at + 1
            )) && message.ends_with("; nothing was sent"),
            "{message}"
        );
    }
    assert_eq!(
        requests(script).await.length(),
        sent,
        "nothing sent for a broken journal"
    );
}
