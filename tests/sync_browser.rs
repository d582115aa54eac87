//! planUserStates (and syncUserStates) in a browser against graph-mock seeded with user states:
//! some equal to the input, some with other counts, some in another letter case, one user
//! twice, some only on the server.
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::Array;
use support::api::{plan_user_states, sync_user_states};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Seeds `script` with: same (equal), counts (other counts), case (other letter case), twice
/// (two objects, the second equal but for case), only1 and only2 (server only).
async fn seed(script: &str) {
    let o = |id: &str, upn: &str, s: u32, e: u32| {
        format!(
            r#"{{"scriptId":"{script}","id":"{id}","userPrincipalName":"{upn}","successDeviceCount":{s},"errorDeviceCount":{e}}}"#
        )
    };
    let objects = [
        o("id-same", "same@contoso.com", 1, 0),
        o("id-counts", "counts@contoso.com", 7, 7),
        o("id-case", "CASE@contoso.com", 2, 2),
        o("id-twice-1", "twice@contoso.com", 9, 9),
        o("id-twice-2", "Twice@contoso.com", 4, 0),
        o("id-only1", "only1@contoso.com", 0, 0),
        o("id-only2", "only2@contoso.com", 3, 3),
    ];
    mock_post("/_mock/objects", &format!("[{}]", objects.join(","))).await;
}

/// The input: same, counts (5,1), case (2,2), twice (4,0), new (3,0), an invalid item, and
/// a second item for same@.
fn input() -> Array {
    let s = |upn: &str, su: &str, e: u32| {
        parse(&format!(
            r#"{{"userPrincipalName":"{upn}","successDeviceCount":{su},"errorDeviceCount":{e}}}"#
        ))
    };
    [
        s("same@contoso.com", "1", 0),
        s("counts@contoso.com", "5", 1),
        s("case@contoso.com", "2", 2),
        s("twice@contoso.com", "4", 0),
        s("new@contoso.com", "3", 0),
        s("bad@contoso.com", "-1", 0),
        s("SAME@contoso.com", "1", 0),
    ]
    .into_iter()
    .collect()
}

fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}

#[wasm_bindgen_test]
async fn a_plan_has_its_five_parts_exactly_and_sends_only_gets() {
    let script = "p-plan";
    seed(script).await;
    let req = call(script, "{}");
    set(&req, "userStates", input());
    let plan = plan_user_states(req).await.expect("resolves");
    assert_eq!(
        json(&get(&plan, "create")),
        r#"[{"index":4,"userState":{"userPrincipalName":"new@contoso.com","successDeviceCount":3,"errorDeviceCount":0}}]"#
    );
    let update: Array = get(&plan, "update").into();
    let updates: Vec<String> = update
        .iter()
        .map(|u| {
            format!(
                "{} {} {}",
                get_f64(&u, "index").unwrap(),
                get_str(&u, "id").unwrap(),
                json(&get(&u, "changes"))
            )
        })
        .collect();
    assert_eq!(
        updates,
        [
            r#"1 id-counts {"successDeviceCount":5,"errorDeviceCount":1}"#,
            r#"2 id-case {"userPrincipalName":"case@contoso.com"}"#,
            r#"3 id-twice-2 {"userPrincipalName":"twice@contoso.com"}"#,
        ]
    );
    assert_eq!(
        get_f64(&get(&update.get(0), "before"), "successDeviceCount"),
        Some(7.0)
    );
    assert_eq!(
        json(&get(&plan, "unchanged")),
        r#"[{"index":0,"id":"id-same"}]"#
    );
    let extra: Array = get(&plan, "extra").into();
    let extra: Vec<String> = extra.iter().map(|o| get_str(&o, "id").unwrap()).collect();
    assert_eq!(extra, ["id-twice-1", "id-only1", "id-only2"]);
    let invalid: Array = get(&plan, "invalid").into();
    assert_eq!(invalid.length(), 2);
    let first = invalid.get(0);
    assert_eq!(get_f64(&first, "index"), Some(5.0));
    let error = get(&first, "error");
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(name(&error), "ValidationError");
    assert_eq!(
        get_str(&error, "field").as_deref(),
        Some("userStates[5].successDeviceCount")
    );
    assert_eq!(
        get_str(&get(&invalid.get(1), "error"), "field").as_deref(),
        Some("userStates[6].userPrincipalName")
    );
    // Only reads, with the largest page the package asks for.
    let log = requests(script).await;
    assert!(log.length() >= 1);
    for r in log.iter() {
        assert_eq!(
            get_str(&r, "method").as_deref(),
            Some("GET"),
            "{}",
            json(&r)
        );
        assert!(get_str(&r, "query").unwrap().contains("top=999"));
    }
    assert_eq!(get_f64(&stats(script).await, "writes"), Some(0.0));
}

#[wasm_bindgen_test]
async fn a_plan_reads_every_page_and_retries_a_failed_one() {
    let script = "p-pages";
    let objects: Vec<String> = (0..2500)
        .map(|i| {
            format!(
                r#"{{"scriptId":"{script}","userPrincipalName":"u{i}@contoso.com","successDeviceCount":{},"errorDeviceCount":0}}"#,
                i % 2
            )
        })
        .collect();
    mock_post("/_mock/objects", &format!("[{}]", objects.join(","))).await;
    fault(&format!(
        r#"[{{"scriptId":"{script}","op":"list","status":503}},{{"scriptId":"{script}","op":"list","times":1}},{{"scriptId":"{script}","op":"list","status":429,"retryAfter":"0"}}]"#
    ))
    .await;
    let items: Array = (0..2500)
        .map(|i| {
            parse(&format!(
                r#"{{"userPrincipalName":"U{i}@contoso.com","successDeviceCount":0,"errorDeviceCount":0}}"#
            ))
        })
        .collect();
    let req = call(script, "{}");
    set(&req, "userStates", items);
    let plan = plan_user_states(req).await.expect("resolves");
    let len = |k: &str| Array::from(&get(&plan, k)).length();
    assert_eq!(
        (len("create"), len("update"), len("unchanged"), len("extra")),
        (0, 2500, 0, 0)
    );
}

#[wasm_bindgen_test]
async fn a_bad_request_rejects_and_sends_nothing() {
    let script = "p-bad";
    let req = call(script, r#"{"userStates":[],"deleteExtra":true}"#);
    let err = rejected(plan_user_states(req).await, TOKEN);
    assert_eq!(name(&err), "ValidationError");
    assert_eq!(get_str(&err, "field").as_deref(), Some("deleteExtra"));
    assert_eq!(requests(script).await.length(), 0);
}

/// The file's users and values (`twice` once, `SAME` dropped as invalid: its first item is
/// `same`), and with `keep` the server-only objects.
fn expected(keep: bool) -> Vec<String> {
    let mut out: Vec<String> = [
        "same@contoso.com 1 0",
        "counts@contoso.com 5 1",
        "case@contoso.com 2 2",
        "twice@contoso.com 4 0",
        "new@contoso.com 3 0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if keep {
        out.extend(
            [
                "twice@contoso.com 9 9",
                "only1@contoso.com 0 0",
                "only2@contoso.com 3 3",
            ]
            .map(String::from),
        );
    }
    out.sort();
    out
}

async fn held(script: &str) -> Vec<String> {
    let mut out: Vec<String> = objects(script)
        .await
        .iter()
        .map(|o| {
            format!(
                "{} {} {}",
                get_str(&o, "userPrincipalName").unwrap_or_default(),
                get_f64(&o, "successDeviceCount").unwrap_or(-1.0),
                get_f64(&o, "errorDeviceCount").unwrap_or(-1.0)
            )
        })
        .collect();
    out.sort();
    out
}

fn sync_request(script: &str, extra: &str) -> JsValue {
    let req = call(script, extra);
    set(&req, "userStates", input());
    req
}

#[wasm_bindgen_test]
async fn a_sync_leaves_the_file_exactly_and_a_second_writes_nothing() {
    for (script, delete_extra) in [("y-keep", false), ("y-delete", true)] {
        seed(script).await;
        let out = sync_user_states(sync_request(
            script,
            &format!(r#"{{"deleteExtra":{delete_extra}}}"#),
        ))
        .await
        .expect("resolves");
        assert_eq!(held(script).await, expected(!delete_extra), "{script}");
        let counts: Vec<f64> = ["created", "updated", "unchanged", "deleted", "failed"]
            .iter()
            .map(|k| get_f64(&out, k).unwrap())
            .collect();
        assert_eq!(
            counts,
            [1.0, 3.0, 1.0, if delete_extra { 3.0 } else { 0.0 }, 2.0],
            "{script}"
        );
        let results: Array = get(&out, "results").into();
        let actions: Vec<String> = results
            .iter()
            .map(|r| get_str(&r, "action").unwrap_or_else(|| name(&get(&r, "error"))))
            .collect();
        assert_eq!(
            actions,
            [
                "unchanged",
                "updated",
                "updated",
                "updated",
                "created",
                "ValidationError",
                "ValidationError"
            ]
        );
        assert_eq!(
            get_f64(&get(&results.get(1), "userState"), "successDeviceCount"),
            Some(5.0)
        );
        assert_eq!(
            Array::from(&get(&get(&out, "plan"), "extra")).length(),
            3,
            "the plan is in the result"
        );
        let deletions: Array = get(&out, "deletions").into();
        assert_eq!(deletions.length(), if delete_extra { 3 } else { 0 });
        if !delete_extra {
            // Untouched: the same ids, the same values.
            for id in ["id-twice-1", "id-only1", "id-only2"] {
                assert!(objects(script)
                    .await
                    .iter()
                    .any(|o| get_str(&o, "id").as_deref() == Some(id)));
            }
        }
        let writes = get_f64(&stats(script).await, "writes");
        let again = sync_user_states(sync_request(
            script,
            &format!(r#"{{"deleteExtra":{delete_extra}}}"#),
        ))
        .await
        .expect("resolves");
        assert_eq!(
            get_f64(&stats(script).await, "writes"),
            writes,
            "{script}: no write"
        );
        assert_eq!(get_f64(&again, "unchanged"), Some(5.0));
        assert_eq!(held(script).await, expected(!delete_extra));
    }
}

#[wasm_bindgen_test]
async fn faults_on_pages_patch_and_delete_end_exact() {
    let script = "y-faults";
    seed(script).await;
    let rules = [
        r#"{"op":"list","status":503}"#,
        r#"{"op":"list","status":429,"retryAfter":"0"}"#,
        r#"{"op":"create","status":429,"retryAfter":"0"}"#,
        r#"{"op":"update","status":503,"commit":true}"#,
        r#"{"op":"update","status":429,"retryAfter":"0"}"#,
        r#"{"op":"update","drop":true,"commit":true}"#,
        r#"{"op":"delete","status":502,"commit":true}"#,
        r#"{"op":"delete","status":429,"retryAfter":"0"}"#,
        r#"{"op":"delete","delayMs":2500}"#,
    ]
    .iter()
    .map(|r| r.replacen('{', &format!(r#"{{"scriptId":"{script}","#), 1))
    .collect::<Vec<_>>()
    .join(",");
    // An outer 429 (graph-mock matches a $batch rule on no script: the next $batch of any
    // test takes it, and every test is robust to one).
    fault(&format!(
        r#"[{rules},{{"op":"batch","status":429,"retryAfter":"0"}}]"#
    ))
    .await;
    let out = sync_user_states(sync_request(
        script,
        r#"{"deleteExtra":true,"timeoutMs":1500,"concurrency":1}"#,
    ))
    .await
    .expect("resolves");
    assert_eq!(held(script).await, expected(false));
    assert_eq!(get_f64(&out, "deleted"), Some(3.0));
    assert_eq!(
        get_f64(&out, "failed"),
        Some(2.0),
        "only the two invalid items"
    );
    // The create's inner 429 at least (the update's and delete's share their batch with a
    // drop or a timeout here, so their answers are lost).
    assert!(get_f64(&out, "throttled").unwrap() >= 1.0);
    let stats = stats(script).await;
    assert_eq!(get_f64(&stats, "creates"), Some(1.0));
    // Every one of the script's nine faults was met: the sync ended exact through them.
    assert_eq!(get_f64(&stats, "faults"), Some(9.0), "{}", json(&stats));
}
