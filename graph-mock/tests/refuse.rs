//! Issue 17: graph-mock as deployed (writes to `userRunStates` answered as a documented-but-absent
//! route), whole runs answered 403 / 404, and the request log's order and times.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{batch_creates, coll, inner, start, start_with, Mock, SCRIPTS};
use graph_mock::Options;
use serde_json::{json, Value};

const ROUTE: &str = "No method match route template";

fn message(verb: &str, tail: &str) -> String {
    let template = if tail.contains("userRunStates('") {
        "~/singleton/navigation/key/navigation/key"
    } else {
        "~/singleton/navigation/key/navigation"
    };
    format!(
        "No OData route exists that match template {template} with http verb {verb} for request \
         /DeviceFE/StatelessDeviceFEService/deviceManagement/deviceManagementScripts{tail}."
    )
}

/// Checks the whole envelope and the headers of a refused write.
fn assert_refused(r: &common::Resp, verb: &str, tail: &str) {
    assert_eq!(r.status, 400, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], ROUTE);
    assert_eq!(body["error"]["message"], message(verb, tail));
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["request-id"].as_str(), r.header("request-id"));
    assert_eq!(
        inner["client-request-id"].as_str(),
        r.header("client-request-id")
    );
    let date = inner["date"].as_str().unwrap();
    assert_eq!(date.len(), 19, "{date}");
    assert!(r.header("date").is_some());
    assert_eq!(r.header("content-type"), Some("application/json"));
}

async fn seed_one(m: &Mock, script: &str, id: &str) {
    m.seed(
        json!({"scriptId": script, "id": id, "userPrincipalName": "ada@x.com",
        "successDeviceCount": 2, "errorDeviceCount": 1}),
    )
    .await;
}

#[tokio::test]
async fn refused_writes_answer_as_an_absent_route_and_reads_still_work() {
    let m = start().await;
    seed_one(&m, "s1", "u1").await;
    let cfg = m.config(json!({"refuseRunStateWrites": true})).await;
    assert_eq!(cfg["refuseRunStateWrites"], true);

    let body = json!({"userPrincipalName": "b@x.com"});
    assert_refused(&m.create("s1", &body).await, "POST", "('s1')/userRunStates");
    let slash = m.g("POST", &format!("{}/", coll("s1")), Some(&body)).await;
    assert_refused(&slash, "POST", "('s1')/userRunStates");
    let patch = m
        .g(
            "PATCH",
            &format!("{}/u1", coll("s1")),
            Some(&json!({"errorDeviceCount": 0})),
        )
        .await;
    assert_refused(&patch, "PATCH", "('s1')/userRunStates('u1')");
    let del = m.g("DELETE", &format!("{}/u1", coll("s1")), None).await;
    assert_refused(&del, "DELETE", "('s1')/userRunStates('u1')");
    // Routing comes first: no 404 for a missing script, no 415 for a missing content type.
    let missing = m.create("missing-1", &body).await;
    assert_refused(&missing, "POST", "('missing-1')/userRunStates");
    let no_ct = m
        .send(
            "POST",
            &coll("s1"),
            &[("Authorization", "Bearer t")],
            Some(b"x"),
        )
        .await
        .unwrap();
    assert_eq!(no_ct.code(), ROUTE);
    // The client-request-id is echoed in the envelope.
    let echoed = m
        .send(
            "DELETE",
            &format!("{}/u1", coll("s1")),
            &[
                ("Authorization", "Bearer t"),
                ("client-request-id", "cid-7"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        echoed.json()["error"]["innerError"]["client-request-id"],
        "cid-7"
    );
    // Auth still comes before routing.
    let anon = m.send("POST", &coll("s1"), &[], None).await.unwrap();
    assert_eq!(anon.status, 401);

    // Reads still work, and nothing was written.
    let list = m.g("GET", &coll("s1"), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["value"].as_array().unwrap().len(), 1);
    let one = m.g("GET", &format!("{}/u1", coll("s1")), None).await;
    assert_eq!(
        (one.status, one.json()["errorDeviceCount"].clone()),
        (200, json!(1))
    );
    assert_eq!(m.objects("s1").await.len(), 1);
    let s = m.stats("s1").await;
    assert_eq!(
        (
            s["writes"].clone(),
            s["refused"].clone(),
            s["creates"].clone(),
            s["updates"].clone(),
            s["deletes"].clone()
        ),
        // The 401 was a write request too, answered before routing.
        (json!(7), json!(6), json!(0), json!(0), json!(0))
    );

    // Back to normal.
    m.config(json!({"refuseRunStateWrites": false})).await;
    assert_eq!(m.create("s1", &body).await.status, 201);
}

#[tokio::test]
async fn refused_inside_batch_each_inner_write_alone() {
    let m = start().await;
    seed_one(&m, "s1", "u1").await;
    m.config(json!({"refuseRunStateWrites": ["s1"]})).await;
    let requests = json!([
        {"id": "1", "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates",
         "headers": {"Content-Type": "application/json"}, "body": {"userPrincipalName": "a@x.com"}},
        {"id": "2", "method": "PATCH", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates/u1",
         "headers": {"Content-Type": "application/json"}, "body": {"errorDeviceCount": 0}},
        {"id": "3", "method": "DELETE", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates/u1"},
        {"id": "4", "method": "GET", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates"},
        {"id": "5", "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s2/userRunStates",
         "headers": {"Content-Type": "application/json"}, "body": {"userPrincipalName": "a@x.com"}},
    ]);
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({ "requests": requests })),
        )
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    let by_id = |id: &str| inner(&body, id);
    for (id, verb, tail) in [
        ("1", "POST", "('s1')/userRunStates"),
        ("2", "PATCH", "('s1')/userRunStates('u1')"),
        ("3", "DELETE", "('s1')/userRunStates('u1')"),
    ] {
        let inner = by_id(id);
        assert_eq!(inner["status"], 400, "{inner}");
        assert_eq!(inner["body"]["error"]["code"], ROUTE);
        assert_eq!(inner["body"]["error"]["message"], message(verb, tail));
        assert_eq!(
            inner["body"]["error"]["innerError"]["request-id"],
            inner["headers"]["request-id"]
        );
    }
    assert_eq!(by_id("4")["status"], 200);
    assert_eq!(by_id("5")["status"], 201, "s2 is not in the list");
    assert_eq!(m.objects("s1").await.len(), 1);
    assert_eq!(m.objects("s2").await.len(), 1);
    assert_eq!(m.stats("s1").await["writes"], 3);
    assert_eq!(m.stats("s1").await["refused"], 3);
    assert_eq!(m.stats("s2").await["refused"], 0);

    // A reset returns to the start-up setting (off here).
    m.control("/_mock/reset", &json!({})).await;
    assert_eq!(
        m.get_json("/_mock/config").await["refuseRunStateWrites"],
        false
    );
    let bad = m
        .control_raw("/_mock/config", &json!({"refuseRunStateWrites": "yes"}))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_fault_rule_can_refuse_writes_of_one_script() {
    let m = start().await;
    m.faults(json!({"scriptId": "s3", "op": "write", "refuse": true, "times": 2}))
        .await;
    let body = json!({"userPrincipalName": "a@x.com"});
    assert_eq!(m.g("GET", &coll("s3"), None).await.status, 200);
    assert_eq!(m.create("s4", &body).await.status, 201);
    assert_refused(&m.create("s3", &body).await, "POST", "('s3')/userRunStates");
    let del = m.g("DELETE", &format!("{}/x", coll("s3")), None).await;
    assert_refused(&del, "DELETE", "('s3')/userRunStates('x')");
    assert_eq!(m.create("s3", &body).await.status, 201);
    let s = m.stats("s3").await;
    assert_eq!(
        (s["refused"].clone(), s["faults"].clone()),
        (json!(2), json!(2))
    );
    for bad in [
        json!({"refuse": true, "op": "batch"}),
        json!({"refuse": true, "status": 400}),
        json!({"refuse": true, "commit": true}),
    ] {
        assert_eq!(m.control_raw("/_mock/faults", &bad).await.status, 400);
    }
}

#[tokio::test]
async fn the_option_starts_the_server_refusing_and_reset_keeps_it() {
    let m = start_with(Options {
        refuse_run_state_writes: true,
        ..Options::default()
    })
    .await;
    let body = json!({"userPrincipalName": "a@x.com"});
    assert_eq!(m.create("s1", &body).await.code(), ROUTE);
    m.control("/_mock/reset", &json!({})).await;
    assert_eq!(m.create("s1", &body).await.code(), ROUTE);
    // Turned off at run time, a reset turns it on again.
    m.config(json!({"refuseRunStateWrites": false})).await;
    assert_eq!(m.create("s1", &body).await.status, 201);
    m.control("/_mock/reset", &json!({})).await;
    assert_eq!(
        m.get_json("/_mock/config").await["refuseRunStateWrites"],
        true
    );
    // Seeding goes through the control API, not Graph.
    seed_one(&m, "s1", "u1").await;
    assert_eq!(m.objects("s1").await.len(), 1);
}

#[test]
fn the_binary_takes_the_flag() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-mock"))
        .args(["--port", "0", "--refuse-run-state-writes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("graph-mock listening on http://")
        .unwrap()
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = br#"{"userPrincipalName":"a@x.com"}"#;
    write!(
        s,
        "POST {}/s1/userRunStates HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        SCRIPTS,
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let r = common::parse(&raw).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((r.status, r.code().as_str()), (400, ROUTE));

    let bad = Command::new(env!("CARGO_BIN_EXE_graph-mock"))
        .args(["--port", "0", "--refuse-run-state-writes=yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(bad.code(), Some(2));
}

#[tokio::test]
async fn whole_runs_answered_403_and_404() {
    let m = start().await;
    m.faults(json!({"scriptId": "s5", "op": "create", "status": 403, "times": 100000}))
        .await;
    let requests = batch_creates("s5", 20);
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({ "requests": requests })),
        )
        .await
        .json();
    for inner in r["responses"].as_array().unwrap() {
        assert_eq!(inner["status"], 403);
        assert_eq!(inner["body"]["error"]["code"], "Forbidden");
    }
    assert_eq!(m.create("s5", &json!({})).await.status, 403);
    assert_eq!(m.objects("s5").await.len(), 0);
    assert_eq!(m.stats("s5").await["writes"], 21);

    // An unknown script: by its id, or with strictScripts for any script not stored.
    let r = m.create("missing-script", &json!({})).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    m.config(json!({"strictScripts": true})).await;
    let r = m.create("not-stored", &json!({})).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
}

#[tokio::test]
async fn the_log_shows_one_write_its_answer_then_the_rest() {
    let m = start().await;
    m.faults(json!({"op": "create", "scriptId": "s6", "delayMs": 150}))
        .await;
    let first = m
        .create("s6", &json!({"userPrincipalName": "a@x.com"}))
        .await;
    assert_eq!(first.status, 201);
    let requests = batch_creates("s6", 3);
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({ "requests": requests })),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(m.g("GET", &coll("s6"), None).await.status, 200);

    let log = m.log(None).await;
    assert_eq!(log.len(), 6, "{log:?}");
    let writes: Vec<&Value> = log.iter().filter(|e| e["write"] == true).collect();
    assert_eq!(writes.len(), 4);
    let (w0, rest) = (writes[0], &writes[1..]);
    let t = |e: &Value, k: &str| e[k].as_f64().unwrap();
    assert!(t(w0, "answeredMs") - t(w0, "receivedMs") >= 150.0, "{w0}");
    assert_eq!(w0["status"], 201);
    for w in rest {
        assert!(t(w, "receivedMs") >= t(w0, "answeredMs"), "{w} after {w0}");
        assert_eq!(w["status"], 201);
        assert_eq!(w["batch"], true);
    }
    // The outer batch: not a write, logged before its inner requests, which share its answer time.
    let outer = log.iter().find(|e| e["path"] == "/beta/$batch").unwrap();
    assert_eq!(
        (outer["write"].clone(), outer["status"].clone()),
        (json!(false), json!(200))
    );
    for w in rest {
        assert_eq!(w["outer"], outer["seq"]);
        assert!(w["seq"].as_u64() > outer["seq"].as_u64());
        assert_eq!(w["answeredMs"], outer["answeredMs"]);
    }
    let seqs: Vec<u64> = log.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(m.stats("s6").await["writes"], 4);
    // Filters: only writes, only after a seq.
    let only = m.get_json("/_mock/requests?write=true").await;
    assert_eq!(only.as_array().unwrap().len(), 4);
    let after = m
        .get_json(&format!(
            "/_mock/requests?scriptId=s6&since={}",
            outer["seq"]
        ))
        .await;
    assert_eq!(
        after.as_array().unwrap().len(),
        4,
        "3 inner writes and the GET"
    );
    let bad = m
        .send("GET", "/_mock/requests?since=x", &[], None)
        .await
        .unwrap();
    assert_eq!(bad.status, 400);

    // A dropped connection is logged as such.
    m.faults(json!({"op": "create", "scriptId": "s7", "drop": true}))
        .await;
    assert!(m
        .graph("POST", &coll("s7"), Some(&json!({})))
        .await
        .is_err());
    let dropped = m.log(Some("s7")).await;
    assert_eq!(dropped[0]["dropped"], true);
    assert_eq!(dropped[0]["status"], Value::Null);
    assert!(dropped[0]["answeredMs"].as_f64().is_some());
}
