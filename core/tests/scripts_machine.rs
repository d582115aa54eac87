//! `listScripts`' machine driven natively with scripted answers: the first URL asks for the
//! listed fields only, pages are followed on the same host, and failures follow the rules of
//! every read.
#![cfg(not(target_arch = "wasm32"))]

use intune_core::http::{Method, Outcome, Request};
use intune_core::list::List;
use intune_core::validate::scripts_request;
use intune_core::Policy;
use intune_core::{Action, Error, Json, Operation};
use test_support::answers::{answer, json};

const BASE: &str = "http://127.0.0.1:9";
const FIRST: &str = "http://127.0.0.1:9/beta/deviceManagement/deviceShellScripts?$select=id,displayName,description,fileName,lastModifiedDateTime";

fn list(max_retries: u32) -> List {
    let req = scripts_request(&json(&format!(
        r#"{{"baseUrl":"{BASE}","scriptKind":"deviceShellScripts","maxRetries":{max_retries}}}"#
    )))
    .unwrap();
    List::scripts(
        &req,
        Policy {
            client_request_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            timeout_ms: 30_000,
            max_retries,
            refreshable: false,
            seed: 7,
        },
    )
}

/// Runs `op` through the scripted answers; returns the URLs sent and the end.
fn run(op: &mut List, mut answers: Vec<Outcome>) -> (Vec<String>, Result<Json, Error>) {
    answers.reverse();
    let mut sent = Vec::new();
    let mut action = op.start();
    loop {
        action = match action {
            Action::Send(Request { method, url, body }) => {
                assert_eq!((method, body), (Method::Get, None));
                sent.push(url);
                op.on_outcome(answers.pop().expect("more sends than scripted"), 0.0)
            }
            Action::Wait(_) => op.on_wait_over(),
            Action::Answered => panic!("a list ends with its items, not the last answer's body"),
            Action::Done(result) => {
                assert!(answers.is_empty(), "{} answers left", answers.len());
                return (sent, result);
            }
        };
    }
}

fn page(names: &[&str], next: Option<&str>) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| format!(r##"{{"@odata.type":"#microsoft.graph.deviceShellScript","id":"id-{n}","displayName":"{n}"}}"##))
        .collect();
    match next {
        Some(link) => format!(
            r#"{{"value":[{}],"@odata.nextLink":"{link}"}}"#,
            items.join(",")
        ),
        None => format!(r#"{{"value":[{}]}}"#, items.join(",")),
    }
}

#[test]
fn every_page_of_the_kind_with_select() {
    let next = format!(
        "{BASE}/beta/deviceManagement/deviceShellScripts?$select=id,displayName&$skiptoken=2"
    );
    let (sent, result) = run(
        &mut list(3),
        vec![
            answer(200, &[], &page(&["a", "b"], Some(&next))),
            answer(200, &[], &page(&["c"], None)),
        ],
    );
    assert_eq!(sent, [FIRST.to_owned(), next]);
    let Json::Array(items) = result.unwrap() else {
        panic!("not an array")
    };
    let names: Vec<&str> = items
        .iter()
        .map(|s| s.get("displayName").and_then(Json::as_str).unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn a_next_link_elsewhere_is_refused_and_never_followed() {
    let (sent, result) = run(
        &mut list(3),
        vec![answer(
            200,
            &[],
            &page(
                &["a"],
                Some("https://evil.example/beta/deviceManagement/deviceShellScripts?$skiptoken=1"),
            ),
        )],
    );
    assert_eq!(sent, [FIRST]);
    match result {
        Err(Error::Graph(g)) => {
            assert_eq!(g.code, "invalidResponse");
            assert!(g.message.contains("another host"), "{}", g.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn throttling_is_waited_out_and_other_failures_are_final() {
    let throttled = r#"{"error":{"code":"TooManyRequests","message":"slow"}}"#;
    let (sent, result) = run(
        &mut list(3),
        vec![
            answer(429, &[("retry-after", "0")], throttled),
            answer(200, &[], &page(&["a"], None)),
        ],
    );
    assert_eq!(sent.len(), 2);
    let items = result.unwrap();
    let ids: Vec<_> = match &items {
        Json::Array(items) => items.iter().filter_map(|s| s.get("id")?.as_str()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ids, ["id-a"]);

    let denied =
        r#"{"error":{"code":"Forbidden","message":"no","innerError":{"request-id":"r403"}}}"#;
    let (sent, result) = run(&mut list(3), vec![answer(403, &[], denied)]);
    assert_eq!(sent.len(), 1);
    match result {
        Err(Error::Graph(g)) => assert_eq!(
            (g.status, g.code.as_str(), g.request_id.as_deref()),
            (403, "Forbidden", Some("r403"))
        ),
        other => panic!("{other:?}"),
    }

    // A 200 that is not a page at all.
    let (_, result) = run(&mut list(0), vec![answer(200, &[], r#"{"id":"x"}"#)]);
    assert!(matches!(result, Err(Error::Graph(g)) if g.code == "invalidResponse"));
}
