//! `Create` driven as core/tests/create_machine.rs drives it, answering each request with the
//! next outcome of a transcript (see `transcript` in test-support/src/answers.rs); the last
//! outcome repeats for as long as the machine asks (none at all: timeouts).
//!
//! Preamble, space-separated settings: `maxRetries=N` (taken mod 11; default 3),
//! `refreshable` (the token is a function), `id` (the user state carries id `k1`),
//! `base=URL` (default http://127.0.0.1:9), `script=ID` (default s1), `seed=N`.
//! In the answers, `{list}` stands for the collection URL and `{origin}` for the origin.
//! The request's user is ada@contoso.com.
//!
//! Invariants: the call ends within MAX_STEPS steps; no wait is longer than 120 001 ms; at
//! most maxRetries + 1 POSTs (+ 1 resend after a 401 when the token is a function); every
//! request goes to the endpoint's origin (as a browser's URL parser reads it), GETs under
//! /beta/; after a POST whose fate is unknown (5xx, timeout, dropped) no POST is sent again
//! unless a look-up read every page to the end and saw no object matching the request; a call
//! that ends while that fate is still unknown rejects with an uncertain failure (5xx, timeout,
//! network), never a 429 or a final error; a call that resolves resolves with a user state,
//! and one found by a look-up is the request's.
#![no_main]

use intune_core::http::{Body, Method, Outcome, Response};
use intune_core::model::check_user_state;
use intune_core::validate::create_request;
use intune_core::Policy;
use intune_core::{Action, Create, Error, Json, Operation};
use intune_script_user_state_fuzz::{allowed, transcript, whatwg_origin};
use libfuzzer_sys::fuzz_target;

const MAX_STEPS: usize = 1000;
const NOW_MS: f64 = 1_795_000_000_000.0;

struct Settings {
    max_retries: u32,
    refreshable: bool,
    id: bool,
    base: String,
    script: String,
    seed: u64,
}

fn settings(preamble: &str) -> Settings {
    let mut s = Settings {
        max_retries: 3,
        refreshable: false,
        id: false,
        base: "http://127.0.0.1:9".into(),
        script: "s1".into(),
        seed: 42,
    };
    for word in preamble.split_whitespace() {
        match word.split_once('=') {
            Some(("maxRetries", n)) => s.max_retries = n.parse::<u32>().unwrap_or(3) % 11,
            Some(("base", b)) => s.base = b.into(),
            Some(("script", id)) => s.script = id.into(),
            Some(("seed", n)) => s.seed = n.parse().unwrap_or(42),
            None if word == "refreshable" => s.refreshable = true,
            None if word == "id" => s.id = true,
            _ => {}
        }
    }
    s
}

fn uncertain_outcome(o: &Outcome) -> bool {
    match o {
        Outcome::Timeout | Outcome::Network(_) => true,
        Outcome::Response(r) => matches!(r.status, 500 | 502 | 503 | 504),
    }
}

fn uncertain_error(e: &Error) -> bool {
    match e {
        Error::Timeout { .. } | Error::Network { .. } => true,
        Error::Graph(g) => matches!(g.status, 500 | 502 | 503 | 504),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let preamble = text.split("\n> ").next().unwrap_or("");
    let preamble = if text.starts_with("> ") { "" } else { preamble };
    let s = settings(preamble);
    let mut request = serde_json::json!({
        "scriptId": s.script,
        "baseUrl": s.base,
        "maxRetries": s.max_retries,
        "userState": {"successDeviceCount": 2, "errorDeviceCount": 0, "userPrincipalName": "ada@contoso.com"}
    });
    if s.id {
        request["userState"]["id"] = "k1".into();
    }
    let Ok(req) = create_request(&serde_json::from_value(request).unwrap()) else {
        return;
    };
    let user_state = req.user_state.clone();
    let origin = req.options.endpoint.origin().to_owned();
    let list = req
        .options
        .endpoint
        .user_run_states(req.options.script_kind, &req.script_id);
    let (_, outcomes) = transcript(&text.replace("{list}", &list).replace("{origin}", &origin));
    let browser_origin = whatwg_origin(&origin);
    let crid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let policy = Policy {
        client_request_id: crid.into(),
        timeout_ms: req.options.timeout_ms,
        max_retries: req.options.max_retries,
        refreshable: s.refreshable,
        seed: s.seed,
    };
    let mut op = Create::new(req, policy);

    let mut posts = 0u32;
    let mut next = 0usize;
    // Whether a POST may have created the object and no look-up has shown it absent since.
    let mut unknown_fate = false;
    // Whether a page of the look-ups since the last POST held an object matching the request.
    let mut match_seen = false;
    let mut last_method = Method::Post;
    // Pages with a nextLink in a row.
    let mut links = 0usize;
    let mut action = op.start();
    let mut last = None;
    for step in 0.. {
        if step == MAX_STEPS {
            if links > MAX_STEPS / 4 && allowed("unbounded-next-links") {
                return;
            }
            panic!("no end after {MAX_STEPS} steps ({links} nextLinks followed in a row; last: {action:?})");
        }
        action = match action {
            Action::Send(r) => {
                assert_eq!(whatwg_origin(&r.url), browser_origin, "sent to {}", r.url);
                match r.method {
                    Method::Post => {
                        posts += 1;
                        assert_eq!(r.url, list);
                        assert_eq!(r.body.as_ref(), Some(&user_state.to_json()));
                        let limit = s.max_retries + 1 + u32::from(s.refreshable);
                        assert!(
                            posts <= limit,
                            "{posts} POSTs with maxRetries {}",
                            s.max_retries
                        );
                        if unknown_fate {
                            if match_seen && allowed("resend-after-unchecked-match") {
                                // Known; what follows cannot be judged by this model.
                                return;
                            }
                            panic!("POST resent while the first may exist (a matching object was seen: {match_seen})");
                        }
                        match_seen = false;
                    }
                    Method::Get => {
                        assert!(r.body.is_none());
                        let path = url::Url::parse(&r.url).unwrap().path().to_owned();
                        if !path.starts_with("/beta/") && !allowed("next-link-dot-segments") {
                            panic!("GET {} leaves /beta/ (a browser requests {path})", r.url);
                        }
                    }
                    m => panic!("the create machine sent a {m:?}"),
                }
                let o = outcomes
                    .get(next)
                    .or(outcomes.last())
                    .cloned()
                    .unwrap_or(Outcome::Timeout);
                next += 1;
                match r.method {
                    Method::Post if uncertain_outcome(&o) => {
                        unknown_fate = true;
                        match_seen = false;
                    }
                    Method::Get => {
                        if let Outcome::Response(Response {
                            status: 200,
                            body: Body::Json(page),
                            ..
                        }) = &o
                        {
                            if let Some(Json::Array(items)) = page.get("value") {
                                match_seen |= items.iter().any(|s| user_state.is_created_as(s));
                                match page.get("@odata.nextLink") {
                                    None | Some(Json::Null) => {
                                        links = 0;
                                        if !match_seen {
                                            unknown_fate = false;
                                        }
                                    }
                                    Some(_) => links += 1,
                                }
                            }
                        }
                    }
                    _ => {}
                }
                last_method = r.method;
                last = Some(o.clone());
                op.on_outcome(o, NOW_MS + step as f64)
            }
            Action::Wait(ms) => {
                assert!(ms <= 120_001, "asked to wait {ms} ms");
                op.on_wait_over()
            }
            Action::Answered => {
                // The last answer, a POST's, is itself the result: a readable user state.
                assert_eq!(
                    last_method,
                    Method::Post,
                    "a look-up page is never the result"
                );
                match &last {
                    Some(Outcome::Response(Response {
                        status: 200 | 201,
                        body: Body::Json(v),
                        ..
                    })) => assert_eq!(check_user_state(v), Ok(()), "resolved with {v:?}"),
                    other => panic!("answered after {other:?}"),
                }
                return;
            }
            Action::Done(result) => {
                match &result {
                    Ok(v) => {
                        assert_eq!(check_user_state(v), Ok(()), "resolved with {v:?}");
                        if last_method == Method::Get {
                            assert!(user_state.is_created_as(v), "adopted {v:?}");
                        }
                    }
                    Err(e) if unknown_fate => {
                        assert!(
                            uncertain_error(e),
                            "the object may exist, but the call says {e:?}"
                        );
                    }
                    Err(_) => {}
                }
                return;
            }
        };
    }
});
