//! The device run states and the run summary driven natively with scripted answers: the
//! first URL, pages followed on the same host, every item checked (an unknown runState kept,
//! a wrong type an invalidResponse), retries as for every read, the summary's answer.
#![cfg(not(target_arch = "wasm32"))]

use intune_core::endpoint::DevicePage;
use intune_core::http::{Method, Outcome, Request};
use intune_core::list::List;
use intune_core::single::{Expect, Single};
use intune_core::validate::{device_run_states_request, run_summary_request};
use intune_core::{Action, Error, Json, Operation, Policy};
use test_support::answers::{answer, json};

const BASE: &str = "http://127.0.0.1:9";

fn policy() -> Policy {
    Policy {
        client_request_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        timeout_ms: 30_000,
        max_retries: 3,
        refreshable: false,
        seed: 7,
    }
}

/// The list a request (JSON text, over the base and a token) makes, as the edge makes it.
fn list(fields: &str) -> (List, String) {
    let req =
        device_run_states_request(&json(&format!(r#"{{"baseUrl":"{BASE}",{fields}}}"#))).unwrap();
    let o = &req.options;
    let first = o.endpoint.device_run_states_page(
        o.script_kind,
        &req.script_id,
        req.user_state_id.as_deref(),
        DevicePage {
            top: req.top,
            filter: req.filter.as_deref(),
            device: req.device,
        },
    );
    let op = List::of(
        first.clone(),
        o.endpoint.clone(),
        policy(),
        Expect::DeviceStatePage,
    );
    (op, first)
}

/// Runs `op` through the scripted answers; returns the URLs sent and the end.
fn run(op: &mut dyn Operation, mut answers: Vec<Outcome>) -> (Vec<String>, Result<Json, Error>) {
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
            Action::Answered => return (sent, Ok(Json::Null)),
            Action::Done(result) => {
                assert!(answers.is_empty(), "{} answers left", answers.len());
                return (sent, result);
            }
        };
    }
}

fn page(items: &[&str], next: Option<&str>) -> String {
    match next {
        Some(link) => format!(
            r#"{{"value":[{}],"@odata.nextLink":"{link}"}}"#,
            items.join(",")
        ),
        None => format!(r#"{{"value":[{}]}}"#, items.join(",")),
    }
}

const A: &str = r#"{"id":"a","runState":"success","errorCode":0,"managedDevice":{"id":"m","deviceName":"PC-1","operatingSystem":"Windows","userPrincipalName":"ada@contoso.com"}}"#;
const B: &str =
    r#"{"id":"b","runState":"someNewValue","resultMessage":"=1+1","managedDevice":null}"#;

#[test]
fn every_page_of_one_user_with_the_device() {
    let (mut op, first) = list(r#""scriptId":"s","userStateId":"u","top":1"#);
    assert_eq!(
        first,
        "http://127.0.0.1:9/beta/deviceManagement/deviceManagementScripts/s/userRunStates/u/deviceRunStates?$expand=managedDevice%28%24select%3Did%2CdeviceName%2CoperatingSystem%2CuserPrincipalName%29&$top=1"
    );
    let next = format!("{BASE}/beta/deviceManagement/deviceManagementScripts/s/userRunStates/u/deviceRunStates?$skiptoken=1");
    let (sent, result) = run(
        &mut op,
        vec![
            answer(
                429,
                &[("retry-after", "0")],
                r#"{"error":{"code":"TooManyRequests","message":"slow"}}"#,
            ),
            answer(200, &[], &page(&[A], Some(&next))),
            answer(
                503,
                &[],
                r#"{"error":{"code":"ServiceUnavailable","message":"later"}}"#,
            ),
            answer(200, &[], &page(&[B], None)),
        ],
    );
    assert_eq!(sent, [first.clone(), first, next.clone(), next]);
    let Json::Array(items) = result.unwrap() else {
        panic!("not an array")
    };
    // An unknown runState is kept as it came.
    let states: Vec<&str> = items
        .iter()
        .map(|s| s.get("runState").and_then(Json::as_str).unwrap())
        .collect();
    assert_eq!(states, ["success", "someNewValue"]);
}

#[test]
fn a_wrong_type_is_an_invalid_response() {
    let (mut op, first) = list(r#""scriptId":"s","device":false"#);
    assert_eq!(
        first,
        "http://127.0.0.1:9/beta/deviceManagement/deviceManagementScripts/s/deviceRunStates"
    );
    let bad = r#"{"id":"c","errorCode":"0x80070002"}"#;
    let (sent, result) = run(
        &mut op,
        vec![answer(200, &[("request-id", "r1")], &page(&[A, bad], None))],
    );
    assert_eq!(sent.len(), 1, "not retried");
    match result {
        Err(Error::Graph(g)) => {
            assert_eq!((g.status, g.code.as_str()), (200, "invalidResponse"));
            assert_eq!(
                g.message,
                "the service answered 200 but item 1 of its page: the device run state's errorCode is not an Int32"
            );
            assert_eq!(g.request_id.as_deref(), Some("r1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_next_link_elsewhere_is_refused() {
    let (mut op, first) = list(r#""scriptId":"s""#);
    let (sent, result) = run(
        &mut op,
        vec![answer(
            200,
            &[],
            &page(&[A], Some("https://evil.example/beta/x?$skiptoken=1")),
        )],
    );
    assert_eq!(sent, [first]);
    assert!(matches!(result, Err(Error::Graph(g)) if g.message.contains("another host")));
}

#[test]
fn the_run_summary_is_the_answer() {
    let req = run_summary_request(&json(&format!(
        r#"{{"baseUrl":"{BASE}","scriptId":"s","scriptKind":"deviceShellScripts"}}"#
    )))
    .unwrap();
    let url = req
        .options
        .endpoint
        .run_summary(req.options.script_kind, &req.script_id);
    assert_eq!(
        url,
        "http://127.0.0.1:9/beta/deviceManagement/deviceShellScripts/s/runSummary"
    );
    let summary = r#"{"id":"s","successDeviceCount":3,"errorDeviceCount":1,"successUserCount":2,"errorUserCount":1}"#;
    let mut op = Single::new(Request::get(url.clone()), Expect::RunSummary, policy());
    let (sent, result) = run(
        &mut op,
        vec![answer(502, &[], "{}"), answer(200, &[], summary)],
    );
    assert_eq!(sent, [url.clone(), url.clone()]);
    assert_eq!(
        result.unwrap(),
        Json::Null,
        "Answered: the edge hands back the body"
    );

    let mut op = Single::new(Request::get(url.clone()), Expect::RunSummary, policy());
    let (_, result) = run(&mut op, vec![answer(200, &[], r#"{"errorUserCount":"1"}"#)]);
    assert!(
        matches!(result, Err(Error::Graph(g)) if g.code == "invalidResponse" && g.message.contains("errorUserCount is not an Int32"))
    );
}
