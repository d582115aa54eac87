//! listDeviceRunStates, listDeviceRunStatePages and getRunSummary (issue 20) in headless
//! Chrome (and Firefox) against graph-mock, seeded through its control API.
#![cfg(target_arch = "wasm32")]

mod support;

use intune_script_user_state::{
    get_run_summary, list_device_run_state_pages, list_device_run_states,
};
use js_sys::{Array, Function, Promise};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn list(request: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(list_device_run_states(request)).await
}

async fn summary(request: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(get_run_summary(request)).await
}

/// Every page of the iterator, as the arrays it gave.
async fn pages(request: JsValue) -> Result<Vec<Array>, JsValue> {
    let iter = list_device_run_state_pages(request)?;
    let next = Function::from(get(&iter, "next"));
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(Promise::from(next.call0(&iter).unwrap())).await?;
        if get(&step, "done").as_bool() == Some(true) {
            return Ok(out);
        }
        out.push(get(&step, "value").into());
    }
}

/// Seeds two users of `script` (`kind`): ada with `ada` devices, bob with two, and one device
/// under the script alone. Returns ada's user state id.
async fn seed(script: &str, kind: &str, ada: usize) -> String {
    let devices = |user: &str, n: usize, state: &str| {
        (0..n)
            .map(|i| {
                format!(
                    r#"{{"id":"{user}-{i}","runState":"{state}","resultMessage":"out {user} {i}","errorCode":{i},"errorDescription":null,"managedDevice":{{"deviceName":"{user}-PC-{i}","operatingSystem":"Windows","userPrincipalName":"{user}@contoso.com","serialNumber":"SN{i}"}}}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let seeded = mock_post(
        "/_mock/objects",
        &format!(
            r#"[{{"scriptId":"{script}","scriptKind":"{kind}","userPrincipalName":"ada@contoso.com","deviceRunStates":[{}]}},
               {{"scriptId":"{script}","scriptKind":"{kind}","userPrincipalName":"bob@contoso.com","deviceRunStates":[{}]}}]"#,
            devices("ada", ada, "success"),
            devices("bob", 2, "fail")
        ),
    )
    .await;
    mock_post(
        "/_mock/deviceRunStates",
        &format!(r#"{{"scriptId":"{script}","scriptKind":"{kind}","id":"lone","runState":"pending","managedDevice":null}}"#),
    )
    .await;
    get_str(&Array::from(&seeded).get(0), "id").expect("ada's user state")
}

fn ids(list: &JsValue) -> Vec<String> {
    Array::from(list)
        .iter()
        .map(|s| get_str(&s, "id").unwrap())
        .collect()
}

fn queries(sent: &Array) -> Vec<String> {
    sent.iter()
        .filter(|r| get_str(r, "method").as_deref() == Some("GET"))
        .map(|r| {
            format!(
                "{}?{}",
                get_str(&r, "path").unwrap_or_default(),
                get_str(&r, "query").unwrap_or_default()
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn every_device_of_a_script_and_of_a_user_across_pages() {
    let script = "d-pages";
    let ada = seed(script, "deviceManagementScripts", 7).await;

    let all = list(call(script, r#"{"top":3}"#)).await.expect("listed");
    let mut got = ids(&all);
    got.sort();
    let mut want: Vec<String> = (0..7).map(|i| format!("ada-{i}")).collect();
    want.extend(["bob-0".into(), "bob-1".into(), "lone".into()]);
    want.sort();
    assert_eq!(got, want);
    // The device is expanded with exactly the four properties asked for.
    let first = Array::from(&all)
        .iter()
        .find(|s| get_str(s, "id").as_deref() == Some("ada-1"))
        .unwrap();
    let device = get(&first, "managedDevice");
    assert!(is_plain_object(&first) && is_plain_object(&device));
    assert_eq!(get_str(&device, "deviceName").as_deref(), Some("ada-PC-1"));
    assert_eq!(
        get_str(&device, "operatingSystem").as_deref(),
        Some("Windows")
    );
    assert_eq!(
        get_str(&device, "userPrincipalName").as_deref(),
        Some("ada@contoso.com")
    );
    assert!(get_str(&device, "id").is_some());
    assert!(get(&device, "serialNumber").is_undefined(), "not selected");
    assert_eq!(
        get_str(&first, "resultMessage").as_deref(),
        Some("out ada 1")
    );
    assert_eq!(get_f64(&first, "errorCode"), Some(1.0));
    assert!(get(&first, "errorDescription").is_null());
    let lone = Array::from(&all)
        .iter()
        .find(|s| get_str(s, "id").as_deref() == Some("lone"))
        .unwrap();
    assert!(
        get(&lone, "managedDevice").is_null(),
        "a device that is gone"
    );

    let sent = queries(&requests(script).await);
    assert_eq!(sent.len(), 4, "four pages of three: {sent:?}");
    assert!(sent[0].starts_with(&format!(
        "/beta/deviceManagement/deviceManagementScripts/{script}/deviceRunStates?"
    )));
    assert!(
        sent[0].contains("$expand=managedDevice%28%24select%3Did%2CdeviceName%2CoperatingSystem%2CuserPrincipalName%29")
            || sent[0].contains("$expand=managedDevice(")
    );

    // One user's devices, page by page.
    let user = call(script, &format!(r#"{{"userStateId":"{ada}","top":2}}"#));
    let by_page = pages(user).await.expect("pages");
    assert_eq!(by_page.len(), 4, "seven devices in pages of two");
    let got: Vec<String> = by_page.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(got, (0..7).map(|i| format!("ada-{i}")).collect::<Vec<_>>());
    assert!(by_page.iter().flat_map(|p| p.iter()).all(|s| get_str(
        &get(&s, "managedDevice"),
        "deviceName"
    )
    .is_some()));
    let user = list(call(script, &format!(r#"{{"userStateId":"{ada}"}}"#)))
        .await
        .expect("one user's");
    assert_eq!(ids(&user).len(), 7);

    // The iterator is async-iterable: [Symbol.asyncIterator]() returns itself.
    let iter = list_device_run_state_pages(call(script, "{}")).unwrap();
    let f = Function::from(js_sys::Reflect::get(&iter, &js_sys::Symbol::async_iterator()).unwrap());
    assert_eq!(f.call0(&iter).unwrap(), iter);
}

#[wasm_bindgen_test]
async fn without_the_device_and_with_a_filter() {
    let script = "d-plain";
    seed(script, "deviceManagementScripts", 3).await;
    let all = list(call(script, r#"{"device":false}"#))
        .await
        .expect("listed");
    assert_eq!(ids(&all).len(), 6);
    assert!(Array::from(&all)
        .iter()
        .all(|s| get(&s, "managedDevice").is_undefined()));
    let sent = queries(&requests(script).await);
    assert!(!sent[0].contains("expand"), "{sent:?}");

    let failed = list(call(script, r#"{"filter":"runState eq 'fail'"}"#))
        .await
        .expect("filtered");
    assert_eq!(ids(&failed), ["bob-0", "bob-1"]);
}

#[wasm_bindgen_test]
async fn every_script_kind() {
    let script = "d-kinds";
    for kind in ["deviceShellScripts", "deviceCustomAttributeShellScripts"] {
        let ada = seed(script, kind, 2).await;
        let kind_field = format!(r#"{{"scriptKind":"{kind}","userStateId":"{ada}"}}"#);
        let listed = list(call(script, &kind_field)).await.expect("listed");
        assert_eq!(ids(&listed), ["ada-0", "ada-1"], "{kind}");
        let s = summary(call(script, &format!(r#"{{"scriptKind":"{kind}"}}"#)))
            .await
            .expect("summary");
        assert_eq!(get_f64(&s, "successDeviceCount"), Some(2.0), "{kind}");
    }
    let sent = queries(&requests(script).await);
    assert!(sent
        .iter()
        .any(|q| q.contains("/deviceShellScripts/d-kinds/userRunStates/")));
    assert!(sent.iter().any(|q| q.starts_with(
        "/beta/deviceManagement/deviceCustomAttributeShellScripts/d-kinds/runSummary"
    )));
}

#[wasm_bindgen_test]
async fn the_run_summary() {
    let script = "d-summary";
    seed(script, "deviceManagementScripts", 4).await;
    let s = summary(call(script, "{}")).await.expect("the summary");
    assert!(is_plain_object(&s));
    assert_eq!(get_str(&s, "id").as_deref(), Some(script));
    assert_eq!(
        [
            get_f64(&s, "successDeviceCount"),
            get_f64(&s, "errorDeviceCount"),
            get_f64(&s, "successUserCount"),
            get_f64(&s, "errorUserCount"),
        ],
        [Some(4.0), Some(2.0), Some(1.0), Some(1.0)]
    );
    let err = rejected(summary(call(script, r#"{"top":5}"#)).await, TOKEN);
    assert_eq!(
        (name(&err), get_str(&err, "field")),
        ("ValidationError".into(), Some("top".into()))
    );
}

#[wasm_bindgen_test]
async fn faults_are_retried_as_for_every_read() {
    let script = "d-retry";
    seed(script, "deviceManagementScripts", 3).await;
    fault(&format!(
        r#"[{{"scriptId":"{script}","op":"devices","status":429,"retryAfter":"0"}},{{"scriptId":"{script}","op":"devices","status":503}},{{"scriptId":"{script}","op":"devices","drop":true}}]"#
    ))
    .await;
    let all = list(call(script, r#"{"top":2}"#))
        .await
        .expect("listed after a 429, a 503 and a drop");
    assert_eq!(ids(&all).len(), 6);
    fault(&format!(
        r#"[{{"scriptId":"{script}","op":"devices","status":503,"retryAfter":"0"}}]"#
    ))
    .await;
    let by_page = pages(call(script, r#"{"top":4}"#))
        .await
        .expect("pages after a 503");
    assert_eq!(by_page.len(), 2);
    fault(&format!(
        r#"[{{"scriptId":"{script}","op":"summary","status":429,"retryAfter":"0"}},{{"scriptId":"{script}","op":"summary","status":502}}]"#
    ))
    .await;
    summary(call(script, "{}"))
        .await
        .expect("summary after a 429 and a 502");
    // All six faults were met, so each read above was retried through them.
    let met = get_f64(&stats(script).await, "faults");
    assert_eq!(met, Some(6.0));

    // maxRetries is honoured: with none, the 503 is the answer.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"summary","status":503,"retryAfter":"0"}}"#
    ))
    .await;
    let err = rejected(summary(call(script, r#"{"maxRetries":0}"#)).await, TOKEN);
    assert_eq!(
        (name(&err), get_f64(&err, "status")),
        ("GraphError".into(), Some(503.0))
    );
    // A refusal (Graph's absent-route answer) is not retried.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"devices","refuse":true}}"#
    ))
    .await;
    let err = rejected(list(call(script, "{}")).await, TOKEN);
    assert_eq!(
        (get_f64(&err, "status"), get_str(&err, "code")),
        (Some(400.0), Some("No method match route template".into()))
    );
}

#[wasm_bindgen_test]
async fn a_next_link_to_another_host_is_refused() {
    let script = "d-foreign";
    seed(script, "deviceManagementScripts", 3).await;
    let before = config(r#"{"nextLinkOrigin":"https://evil.example"}"#).await;
    let result = list(call(script, r#"{"top":2}"#)).await;
    let paged = pages(call(script, r#"{"top":2}"#)).await;
    restore_config(&before).await;
    for result in [result, paged.map(|_| JsValue::NULL)] {
        let err = rejected(result, TOKEN);
        assert_eq!(
            (name(&err), get_str(&err, "code")),
            ("GraphError".into(), Some("invalidResponse".into()))
        );
        assert!(get_str(&err, "message").unwrap().contains("another host"));
    }
    assert_eq!(
        queries(&requests(script).await).len(),
        2,
        "nothing sent to the link"
    );
}

#[wasm_bindgen_test]
async fn an_unknown_run_state_is_kept_and_a_wrong_type_refused() {
    let script = "d-values";
    mock_post(
        "/_mock/deviceRunStates",
        &format!(r#"[{{"scriptId":"{script}","id":"new","runState":"someNewValue"}},{{"scriptId":"{script}","id":"ok","runState":"success"}}]"#),
    )
    .await;
    let all = list(call(script, "{}")).await.expect("listed");
    let states: Vec<Option<String>> = Array::from(&all)
        .iter()
        .map(|s| get_str(&s, "runState"))
        .collect();
    assert_eq!(
        states,
        [Some("someNewValue".into()), Some("success".into())]
    );

    mock_post(
        "/_mock/deviceRunStates",
        &format!(r#"{{"scriptId":"{script}","id":"bad","errorCode":"0x80070002"}}"#),
    )
    .await;
    for result in [
        list(call(script, "{}")).await,
        pages(call(script, "{}")).await.map(|_| JsValue::NULL),
    ] {
        let err = rejected(result, TOKEN);
        assert_eq!(
            (name(&err), get_str(&err, "code"), get_f64(&err, "status")),
            (
                "GraphError".into(),
                Some("invalidResponse".into()),
                Some(200.0)
            )
        );
        let message = get_str(&err, "message").unwrap();
        assert!(message.contains("errorCode is not an Int32"), "{message}");
    }
}

#[wasm_bindgen_test]
async fn bad_input_names_the_field() {
    for (fields, field) in [
        (r#"{"device":"yes"}"#, "device"),
        (r#"{"userStateId":""}"#, "userStateId"),
        (r#"{"top":0}"#, "top"),
        (r#"{"scriptId":5}"#, "scriptId"),
    ] {
        let err = rejected(list(call("d-input", fields)).await, TOKEN);
        assert_eq!(
            (name(&err), get_str(&err, "field")),
            ("ValidationError".into(), Some(field.into())),
            "{fields}"
        );
        // The iterator throws at once.
        let err = rejected(list_device_run_state_pages(call("d-input", fields)), TOKEN);
        assert_eq!(get_str(&err, "field").as_deref(), Some(field));
    }
    assert_eq!(requests("d-input").await.length(), 0);
}
