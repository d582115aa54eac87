//! get, update, delete and list in headless Chrome against graph-mock.
#![cfg(target_arch = "wasm32")]

mod support;

use intune_script_user_state::list_user_state_pages;
use support::api::{
    create_user_state, delete_user_state, get_user_state, list_user_states, update_user_state,
};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn seed(script: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let req = request(
            script,
            &format!(
                r#"{{"userState":{{"userPrincipalName":"u{i}@contoso.com","successDeviceCount":{i},"errorDeviceCount":0}}}}"#
            ),
        );
        let state = create_user_state(req).await.expect("seeded");
        ids.push(get_str(&state, "id").unwrap());
    }
    ids
}

fn ids_of(list: &JsValue) -> Vec<String> {
    js_sys::Array::from(list)
        .iter()
        .map(|s| get_str(&s, "id").unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn lists_every_page() {
    let script = "r-pages";
    let ids = seed(script, 10).await;
    let all = list_user_states(call(script, r#"{"top":3}"#))
        .await
        .expect("listed");
    assert_eq!(ids_of(&all), ids);
    let sent = requests(script).await;
    let gets: Vec<String> = sent
        .iter()
        .filter(|r| get_str(r, "method").as_deref() == Some("GET"))
        .map(|r| get_str(&r, "query").unwrap_or_default())
        .collect();
    assert_eq!(gets.len(), 4, "four pages of three: {gets:?}");

    // The async iterator gives the same items page by page.
    let pages = list_user_state_pages(call(script, r#"{"top":4}"#)).expect("an iterator");
    let next = js_sys::Function::from(get(&pages, "next"));
    let mut seen = Vec::new();
    let mut count = 0;
    loop {
        let step = JsFuture::from(js_sys::Promise::from(next.call0(&pages).unwrap()))
            .await
            .expect("a page");
        if get(&step, "done").as_bool() == Some(true) {
            break;
        }
        count += 1;
        seen.extend(ids_of(&get(&step, "value")));
    }
    assert_eq!((count, &seen), (3, &ids));
    // It is async-iterable: [Symbol.asyncIterator]() returns itself.
    let symbol = js_sys::Symbol::async_iterator();
    let f = js_sys::Function::from(js_sys::Reflect::get(&pages, &symbol).unwrap());
    assert_eq!(f.call0(&pages).unwrap(), pages);

    // A filter is sent as given, encoded.
    let one = list_user_states(call(
        script,
        r#"{"filter":"userPrincipalName eq 'u3@contoso.com'"}"#,
    ))
    .await
    .expect("filtered");
    assert_eq!(ids_of(&one), [ids[3].clone()]);
}

#[wasm_bindgen_test]
async fn get_update_delete_round_trip() {
    let script = "r-crud";
    let id = seed(script, 1).await.remove(0);
    let item = |extra: &str| call(script, &format!(r#"{{"userStateId":"{id}"{extra}}}"#));

    let state = get_user_state(item("")).await.expect("read");
    assert_eq!(
        get_str(&state, "userPrincipalName").as_deref(),
        Some("u0@contoso.com")
    );

    // 204: resolves to null, and only the given field was sent.
    let updated = update_user_state(item(r#","changes":{"errorDeviceCount":7}"#))
        .await
        .expect("patched");
    assert!(updated.is_null());
    let sent = requests(script).await;
    let patch = sent
        .iter()
        .find(|r| get_str(r, "method").as_deref() == Some("PATCH"))
        .unwrap();
    let body = parse(&get_str(&patch, "body").unwrap());
    assert!(get(&body, "successDeviceCount").is_undefined());
    assert_eq!(get_f64(&body, "errorDeviceCount"), Some(7.0));
    assert_eq!(
        get_f64(&get_user_state(item("")).await.unwrap(), "errorDeviceCount"),
        Some(7.0)
    );

    // 200 with the object.
    let before = config(r#"{"patchStatus":200}"#).await;
    let updated = update_user_state(item(
        r#","changes":{"successDeviceCount":5,"userPrincipalName":"ada@contoso.com"}"#,
    ))
    .await;
    restore_config(&before).await;
    let updated = updated.expect("patched");
    assert_eq!(get_f64(&updated, "successDeviceCount"), Some(5.0));
    assert_eq!(
        get_str(&updated, "userPrincipalName").as_deref(),
        Some("ada@contoso.com")
    );

    // Bad changes are refused before anything is sent.
    for (changes, field) in [
        (r#"{}"#, "changes"),
        (r#"{"successDeviceCount":-1}"#, "changes.successDeviceCount"),
        (r#"{"id":"x"}"#, "changes.id"),
    ] {
        let err = rejected(
            update_user_state(item(&format!(r#","changes":{changes}"#))).await,
            TOKEN,
        );
        assert_eq!(
            (name(&err), get_str(&err, "field")),
            ("ValidationError".into(), Some(field.into()))
        );
    }

    assert!(delete_user_state(item(""))
        .await
        .expect("deleted")
        .is_undefined());
    assert_eq!(objects(script).await.length(), 0);
    let err = rejected(get_user_state(item("")).await, TOKEN);
    assert_eq!(
        (get_f64(&err, "status"), get_str(&err, "code")),
        (Some(404.0), Some("ResourceNotFound".into()))
    );
}

#[wasm_bindgen_test]
async fn reads_and_writes_are_retried() {
    let script = "r-retry";
    let id = seed(script, 1).await.remove(0);
    let item = |extra: &str| call(script, &format!(r#"{{"userStateId":"{id}"{extra}}}"#));
    fault(&format!(r#"[{{"scriptId":"{script}","op":"get","status":503,"retryAfter":"0"}},{{"scriptId":"{script}","op":"get","drop":true}}]"#)).await;
    get_user_state(item(""))
        .await
        .expect("read after a 503 and a dropped connection");
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"update","status":429,"retryAfter":"0.2"}}"#
    ))
    .await;
    update_user_state(item(r#","changes":{"successDeviceCount":1}"#))
        .await
        .expect("patched after a 429");
    // The first DELETE is processed but its answer lost: the resend's 404 means deleted.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"delete","status":503,"commit":true,"retryAfter":"0"}}"#
    ))
    .await;
    delete_user_state(item("")).await.expect("deleted");
    assert_eq!(objects(script).await.length(), 0);
    // Lists too.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"list","status":429,"retryAfter":"0"}}"#
    ))
    .await;
    list_user_states(call(script, "{}"))
        .await
        .expect("listed after a 429");
}

#[wasm_bindgen_test]
async fn a_next_link_to_another_host_is_refused() {
    let script = "r-foreign";
    seed(script, 3).await;
    config(r#"{"nextLinkOrigin":"https://evil.example"}"#).await;
    let result = list_user_states(call(script, r#"{"top":2}"#)).await;
    let pages = list_user_state_pages(call(script, r#"{"top":2}"#)).expect("an iterator");
    let next = js_sys::Function::from(get(&pages, "next"));
    let first = JsFuture::from(js_sys::Promise::from(next.call0(&pages).unwrap())).await;
    config(r#"{"nextLinkOrigin":null}"#).await;

    let err = rejected(result, TOKEN);
    assert_eq!(
        (name(&err), get_str(&err, "code")),
        ("GraphError".into(), Some("invalidResponse".into()))
    );
    assert!(get_str(&err, "message").unwrap().contains("another host"));
    let err = rejected(first, TOKEN);
    assert_eq!(get_str(&err, "code").as_deref(), Some("invalidResponse"));
    let gets = requests(script)
        .await
        .iter()
        .filter(|r| get_str(r, "method").as_deref() == Some("GET"))
        .count();
    assert_eq!(
        gets, 2,
        "one first page per call, and nothing sent to the link"
    );
}

#[wasm_bindgen_test]
async fn script_kind_selects_the_parent_collection() {
    let script = "r-kinds";
    for kind in ["deviceShellScripts", "deviceCustomAttributeShellScripts"] {
        let req = request(script, &format!(r#"{{"scriptKind":"{kind}"}}"#));
        let state = create_user_state(req).await.expect("created");
        let listed = list_user_states(call(script, &format!(r#"{{"scriptKind":"{kind}"}}"#)))
            .await
            .expect("listed");
        assert_eq!(ids_of(&listed), [get_str(&state, "id").unwrap()], "{kind}");
        let held: js_sys::Array = mock_get(&format!(
            "/_mock/objects?scriptId={script}&collection={kind}"
        ))
        .await
        .into();
        assert_eq!(held.length(), 1, "{kind}");
    }
    let sent = requests(script).await;
    let paths: Vec<String> = sent.iter().map(|r| get_str(&r, "path").unwrap()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/beta/deviceManagement/deviceShellScripts/r-kinds/userRunStates"),
        "{paths:?}"
    );
    // The seed's collection is the default, and holds none of them.
    let default: js_sys::Array = mock_get(&format!(
        "/_mock/objects?scriptId={script}&collection=deviceManagementScripts"
    ))
    .await
    .into();
    assert_eq!(default.length(), 0);
}
