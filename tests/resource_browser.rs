//! get, update, delete and list, listScripts, and what onResponse is told, in headless Chrome
//! (and Firefox) against graph-mock.
#![cfg(target_arch = "wasm32")]

mod support;

use intune_script_user_state::list_user_state_pages;
use support::api::{
    create_user_state, delete_user_state, get_user_state, list_scripts, list_user_states,
    update_user_state,
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

/// A `listScripts` request against the stand-in: `fields` (JSON text) over the common options.
fn scripts_call(fields: &str) -> JsValue {
    let req = parse(&format!(r#"{{"token":"{TOKEN}","baseUrl":"{MOCK}"}}"#));
    js_sys::Object::assign(
        req.unchecked_ref::<js_sys::Object>(),
        parse(fields).unchecked_ref::<js_sys::Object>(),
    )
    .into()
}

/// The logged Graph requests whose path is `path`.
async fn logged_at(path: &str) -> Vec<JsValue> {
    let all: js_sys::Array = mock_get("/_mock/requests").await.into();
    all.iter()
        .filter(|r| get_str(r, "path").as_deref() == Some(path))
        .collect()
}

#[wasm_bindgen_test]
async fn lists_scripts_by_name_page_by_page_without_their_content() {
    let kind = "deviceCustomAttributeShellScripts";
    let path = format!("/beta/deviceManagement/{kind}");
    let names = [
        "Battery health",
        "Disk free",
        "FileVault state",
        "Owner",
        "Uptime",
    ];
    let seeded: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!(r#"{{"scriptKind":"{kind}","id":"rs-{i}","displayName":"{n}","description":"d{i}"}}"#))
        .collect();
    mock_post("/_mock/scripts", &format!("[{}]", seeded.join(","))).await;
    let before_gets = logged_at(&path).await.len();
    let before = config(r#"{"pageSize":2}"#).await;
    let listed = list_scripts(scripts_call(&format!(r#"{{"scriptKind":"{kind}"}}"#))).await;
    restore_config(&before).await;

    let listed = js_sys::Array::from(&listed.expect("listed"));
    let ours: Vec<JsValue> = listed
        .iter()
        .filter(|s| get_str(s, "id").is_some_and(|id| id.starts_with("rs-")))
        .collect();
    let got: Vec<String> = ours
        .iter()
        .map(|s| get_str(s, "displayName").unwrap())
        .collect();
    assert_eq!(got, names, "every page, in order");
    for s in &ours {
        assert!(is_plain_object(s));
        let keys: Vec<String> = js_sys::Object::keys(s.unchecked_ref::<js_sys::Object>())
            .iter()
            .map(|k| k.as_string().unwrap())
            .collect();
        for k in &keys {
            assert!(
                [
                    "@odata.type",
                    "id",
                    "displayName",
                    "description",
                    "fileName",
                    "lastModifiedDateTime"
                ]
                .contains(&k.as_str()),
                "{k} came back"
            );
        }
        assert!(get(s, "scriptContent").is_undefined(), "never the content");
        assert!(get_str(s, "fileName").is_some_and(|f| f.ends_with(".sh")));
    }
    let gets = logged_at(&path).await;
    let gets = &gets[before_gets..];
    assert_eq!(
        gets.len(),
        listed.length().div_ceil(2) as usize,
        "one request per page of two"
    );
    let first = js_sys::decode_uri_component(&get_str(&gets[0], "query").unwrap())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(
        first,
        "$select=id,displayName,description,fileName,lastModifiedDateTime"
    );
    assert_eq!(
        get_str(&get(&gets[0], "headers"), "authorization"),
        Some(format!("Bearer {TOKEN}"))
    );

    // A 429 is waited out; a nextLink elsewhere is refused and never followed.
    fault(r#"{"op":"scripts","status":429,"retryAfter":"0"}"#).await;
    list_scripts(scripts_call(&format!(r#"{{"scriptKind":"{kind}"}}"#)))
        .await
        .expect("listed after a 429");
    let before = config(r#"{"pageSize":2,"nextLinkOrigin":"https://evil.example"}"#).await;
    let sent = logged_at(&path).await.len();
    let result = list_scripts(scripts_call(&format!(r#"{{"scriptKind":"{kind}"}}"#))).await;
    restore_config(&before).await;
    let err = rejected(result, TOKEN);
    assert_eq!(get_str(&err, "code").as_deref(), Some("invalidResponse"));
    assert_eq!(
        logged_at(&path).await.len(),
        sent + 1,
        "nothing sent to the link"
    );

    // The default kind is the Windows collection; bad input is refused before anything is sent.
    list_scripts(scripts_call("{}"))
        .await
        .expect("default kind");
    assert!(!logged_at("/beta/deviceManagement/deviceManagementScripts")
        .await
        .is_empty());
    let sent = js_sys::Array::from(&mock_get("/_mock/requests").await).length();
    for (fields, field) in [
        (r#"{"scriptId":"s"}"#, "scriptId"),
        (r#"{"scriptKind":"scripts"}"#, "scriptKind"),
        (r#"{"onResponse":5}"#, "onResponse"),
        (r#"{"token":""}"#, "token"),
    ] {
        let err = rejected(list_scripts(scripts_call(fields)).await, TOKEN);
        assert_eq!(
            (name(&err), get_str(&err, "field")),
            ("ValidationError".into(), Some(field.into())),
            "{fields}"
        );
    }
    assert_eq!(
        js_sys::Array::from(&mock_get("/_mock/requests").await).length(),
        sent,
        "a request was sent"
    );
}

/// The argument's own keys are exactly the three, and its text holds nothing but them.
fn assert_only_ids(answers: &js_sys::Array) {
    for a in answers.iter() {
        assert_eq!(
            get_str(&a, "keys").as_deref(),
            Some("clientRequestId,requestId,status")
        );
        let text = get_str(&a, "text").unwrap();
        for secret in [
            TOKEN,
            "Bearer",
            "userRunStates",
            "ada@contoso.com",
            "?",
            "$top",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

fn answers_of(list: &js_sys::Array) -> Vec<(u16, String, String)> {
    list.iter()
        .map(|a| {
            (
                get_f64(&a, "status").unwrap() as u16,
                get_str(&a, "requestId").unwrap_or_default(),
                get_str(&a, "clientRequestId").unwrap_or_default(),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn on_response_is_told_every_answer_with_the_services_ids_and_nothing_else() {
    let script = "r-answers";
    let crid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let seen = js_sys::Array::new();

    // A create resent after a 429: two answers, in order, with the ids graph-mock answered.
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"create","status":429,"retryAfter":"0"}}"#
    ))
    .await;
    let req = request(script, &format!(r#"{{"clientRequestId":"{crid}"}}"#));
    set(&req, "onResponse", answers_recorder(&seen));
    create_user_state(req).await.expect("created");
    let logged: Vec<String> = requests(script)
        .await
        .iter()
        .map(|r| get_str(&r, "requestId").unwrap())
        .collect();
    let told = answers_of(&seen);
    assert_eq!(
        told,
        [
            (429, logged[0].clone(), crid.to_owned()),
            (201, logged[1].clone(), crid.to_owned())
        ]
    );
    assert_only_ids(&seen);

    // A list of three pages: three answers.
    seed(script, 4).await;
    let seen = js_sys::Array::new();
    let req = call(script, r#"{"top":2}"#);
    set(&req, "onResponse", answers_recorder(&seen));
    list_user_states(req).await.expect("listed");
    let logged: Vec<String> = requests(script)
        .await
        .iter()
        .filter(|r| get_str(r, "method").as_deref() == Some("GET"))
        .map(|r| get_str(&r, "requestId").unwrap())
        .collect();
    let ids: Vec<String> = answers_of(&seen).into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(ids, logged, "one per page, each with its own id");
    assert_eq!(ids.len(), 3);
    assert_only_ids(&seen);

    // A failure is an answer too, and the error carries the same id.
    let seen = js_sys::Array::new();
    let req = call(script, r#"{"userStateId":"nope"}"#);
    set(&req, "onResponse", answers_recorder(&seen));
    let err = rejected(get_user_state(req).await, TOKEN);
    let told = answers_of(&seen);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, 404);
    assert_eq!(get_str(&err, "requestId"), Some(told[0].1.clone()));

    // A callback that throws is ignored: the call goes on and resolves.
    let thrown = js_sys::Array::new();
    let req = request(
        script,
        r#"{"userState":{"userPrincipalName":"thrower@contoso.com","successDeviceCount":1,"errorDeviceCount":0}}"#,
    );
    set(&req, "onResponse", throwing_callback(&thrown));
    fault(&format!(
        r#"{{"scriptId":"{script}","op":"create","status":503,"retryAfter":"0"}}"#
    ))
    .await;
    create_user_state(req)
        .await
        .expect("resolved despite the callback");
    assert_eq!(thrown.length(), 3, "503, the look-up, then the create");

    // No answer, no call: a refused connection.
    let seen = js_sys::Array::new();
    let req = request(script, r#"{"baseUrl":"http://127.0.0.1:9","maxRetries":0}"#);
    set(&req, "onResponse", answers_recorder(&seen));
    let err = rejected(create_user_state(req).await, TOKEN);
    assert_eq!(name(&err), "NetworkError");
    assert_eq!(seen.length(), 0);

    // A token function: still nothing of it in what the callback gets.
    let seen = js_sys::Array::new();
    let req = call(script, "{}");
    set(&req, "token", token_fn(vec![TOKEN.into()]));
    set(&req, "onResponse", answers_recorder(&seen));
    list_user_states(req).await.expect("listed");
    assert_only_ids(&seen);
}

#[wasm_bindgen_test]
async fn on_response_is_told_each_inner_batch_answer() {
    let script = "r-answers-bulk";
    let seen = js_sys::Array::new();
    let req = call(script, "{}");
    set(&req, "userStates", user_states(3, "inner"));
    set(&req, "onResponse", answers_recorder(&seen));
    let out = support::api::create_user_states(req).await.expect("ran");
    assert_eq!(get_f64(&out, "succeeded"), Some(3.0));
    let told = answers_of(&seen);
    // The first write goes alone (issue 17): its $batch and its create, then the other two's.
    assert_eq!(
        told.len(),
        5,
        "each $batch followed by its creates: {told:?}"
    );
    assert_eq!((told[0].0, told[1].0, told[2].0), (200, 201, 200));
    assert!(told[3..].iter().all(|(status, _, _)| *status == 201));
    let outer_crid = &told[0].2;
    assert!(told.iter().all(|(_, _, c)| c == outer_crid), "{told:?}");
    let batch_ids: Vec<&String> = vec![&told[0].1, &told[2].1];
    let told: Vec<_> = [&told[0..1], &told[1..2], &told[3..]].concat();
    let mut inner: Vec<String> = requests(script)
        .await
        .iter()
        .filter(|r| get(r, "batch").as_bool() == Some(true))
        .map(|r| get_str(&r, "requestId").unwrap())
        .collect();
    let mut got: Vec<String> = told[1..].iter().map(|(_, id, _)| id.clone()).collect();
    inner.sort();
    got.sort();
    assert_eq!(got, inner, "the inner answers' own ids");
    let batches = logged_at("/beta/$batch").await;
    for id in batch_ids {
        assert!(batches
            .iter()
            .any(|b| get_str(b, "requestId").as_deref() == Some(id.as_str())));
    }
    assert_only_ids(&seen);
}
