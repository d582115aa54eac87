//! Any JSON as a `createUserState` request: `validate::create_request` never panics, and what
//! it accepts keeps every rule (and `validate::token` on a string `token` never panics): counts in 0..=i32::MAX, a user principal name that
//! re-validates, a script id that stays one path segment of a URL on an allowed origin.
#![no_main]

use intune_core::endpoint::{check_segment, ScriptKind};
use intune_core::model::{check_user_state, MAX_UPN_CHARS};
use intune_core::validate::{self, MAX_RETRIES, MAX_TIMEOUT_MS};
use intune_core::Policy;
use intune_core::{Action, Create, Json, Operation};
use intune_script_user_state_fuzz::{allowed, is_allowed_origin, json, whatwg_origin};
use libfuzzer_sys::fuzz_target;

/// The request fields that hold JS objects, read by the edge and never handed to the core
/// (`EDGE_FIELDS` in src/prepare.rs).
const EDGE_FIELDS: [&str; 5] = ["token", "signal", "onProgress", "onResponse", "journal"];

fuzz_target!(|data: &[u8]| {
    let Some(value) = json(data) else { return };
    // The edge checks a string token (or what a token function returned) with this rule.
    if let Some(t) = value.get("token").and_then(Json::as_str) {
        if t.is_ascii() || !allowed("token-char-boundary") {
            if validate::token(t).is_ok() {
                assert!(t.bytes().all(|b| b.is_ascii_graphic()), "{t:?}");
            }
        }
    }
    // The form-side check shares the rules; it must not panic either.
    let _ = validate::user_state_problems(value.get("userState").unwrap_or(&value));
    // The edge takes its own fields off the request before the core's rules see it.
    let mut value = value;
    if let Json::Object(m) = &mut value {
        m.0.retain(|(k, _)| !EDGE_FIELDS.contains(&k.as_str()));
    }
    let req = match validate::create_request(&value) {
        Ok(req) => req,
        Err(e) => {
            assert!(!e.errors.is_empty(), "a ValidationError with no errors");
            return;
        }
    };

    // The user state: counts in range, a user principal name that is really one.
    let us = &req.user_state;
    assert!(us.success_device_count >= 0 && us.error_device_count >= 0);
    let upn = &us.user_principal_name;
    assert!(!upn.trim().is_empty(), "empty upn accepted: {upn:?}");
    assert!(!upn.chars().any(char::is_control));
    assert!(upn.chars().count() <= MAX_UPN_CHARS);
    // What would be sent re-validates to the same input, and reads back as a user state
    // once the service gives it an id.
    let body = us.to_json();
    assert_eq!(validate::user_state(&body, "userState").as_ref(), Ok(us));
    let mut created = body.clone();
    if let Json::Object(m) = &mut created {
        if us.id.is_none() {
            m.insert("id", "d5a29103-9103-d5a2-0391-a2d50391a2d5".into());
        }
    }
    assert_eq!(check_user_state(&created), Ok(()));
    assert!(us.is_created_as(&created));

    // Options in range.
    let o = &req.options;
    assert!((1..=MAX_TIMEOUT_MS).contains(&o.timeout_ms));
    assert!(o.max_retries <= MAX_RETRIES);
    assert!(
        is_allowed_origin(o.endpoint.origin()),
        "{}",
        o.endpoint.origin()
    );

    // The script id (and a user state id) stay one segment of a URL on the origin.
    assert_eq!(check_segment(&req.script_id), Ok(()));
    for kind in ScriptKind::ALL {
        let url = o.endpoint.user_run_states(kind, &req.script_id);
        check_url(&url, 7, o.endpoint.origin());
        assert!(url.ends_with("/userRunStates"));
        if let Some(id) = &us.id {
            check_url(
                &o.endpoint.user_run_state(kind, &req.script_id, id),
                8,
                o.endpoint.origin(),
            );
        }
    }

    // The machine's first step is that POST.
    let policy = Policy {
        client_request_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        timeout_ms: o.timeout_ms,
        max_retries: o.max_retries,
        refreshable: false,
        seed: 1,
    };
    let mut op = Create::new(req.clone(), policy);
    match op.start() {
        Action::Send(r) => {
            assert_eq!(
                r.url,
                o.endpoint.user_run_states(o.script_kind, &req.script_id)
            );
            assert_eq!(r.body.as_ref(), Some(&body));
        }
        other => panic!("the first step is not a send: {other:?}"),
    }
});

fn check_url(url: &str, slashes: usize, origin: &str) {
    assert_eq!(url.matches('/').count(), slashes, "{url}");
    assert!(!url.contains("/../") && !url.contains("/./"), "{url}");
    assert!(url.starts_with(origin));
    // As a browser reads it: the same origin and every segment still there.
    let parsed = url::Url::parse(url).expect("the URL parses");
    assert_eq!(whatwg_origin(url), whatwg_origin(origin), "{url}");
    assert_eq!(
        parsed.path_segments().map(|s| s.count()),
        Some(slashes - 2),
        "{url}"
    );
    assert!(
        parsed.query().is_none() && parsed.fragment().is_none(),
        "{url}"
    );
}
