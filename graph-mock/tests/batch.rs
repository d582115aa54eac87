//! JSON batching: happy path, limits, inner faults, response order.

mod common;

use std::time::{Duration, Instant};

use common::{start, Mock};
use serde_json::{json, Value};

fn create_req(id: &str, script: &str, upn: &str) -> Value {
    json!({
        "id": id,
        "method": "POST",
        "url": format!("/deviceManagement/deviceManagementScripts/{script}/userRunStates"),
        "headers": {"Content-Type": "application/json"},
        "body": {"userPrincipalName": upn},
    })
}

async fn batch(m: &Mock, requests: Vec<Value>) -> Result<common::Resp, String> {
    m.graph(
        "POST",
        "/beta/$batch",
        Some(&json!({ "requests": requests })),
    )
    .await
}

fn by_id(resp: &Value, id: &str) -> Value {
    resp["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no response {id}"))
}

#[tokio::test]
async fn happy_path_in_another_order() {
    let m = start().await;
    let mut reqs: Vec<Value> = (1..=4)
        .map(|i| create_req(&i.to_string(), "s1", &format!("u{i}@x.com")))
        .collect();
    reqs.push(json!({"id": "5", "method": "GET", "url": "deviceManagement/deviceManagementScripts/s1/userRunStates?$top=2"}));
    let r = batch(&m, reqs).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("request-id").is_some());
    let body = r.json();
    let ids: Vec<&str> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert_ne!(ids, ["1", "2", "3", "4", "5"]);
    for i in 1..=4 {
        let inner = by_id(&body, &i.to_string());
        assert_eq!(inner["status"], 201);
        assert_eq!(inner["headers"]["Content-Type"], "application/json");
        assert_eq!(inner["body"]["userPrincipalName"], format!("u{i}@x.com"));
    }
    let list = by_id(&body, "5");
    assert_eq!(list["status"], 200);
    assert_eq!(list["body"]["value"].as_array().unwrap().len(), 2);
    assert!(list["body"]["@odata.nextLink"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/beta/", m.base)));
    // Objects exist in request order.
    let upns: Vec<Value> = m
        .objects("s1")
        .await
        .iter()
        .map(|o| o["userPrincipalName"].clone())
        .collect();
    assert_eq!(upns, ["u1@x.com", "u2@x.com", "u3@x.com", "u4@x.com"]);
    // Inner requests are logged with the outer token.
    let log = m.get_json("/_mock/requests?scriptId=s1").await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 5);
    assert!(log
        .iter()
        .all(|e| e["batch"] == true && e["headers"]["authorization"] == "Bearer token-1"));
    let s = m.get_json("/_mock/stats").await;
    assert_eq!(
        (
            s["batches"].clone(),
            s["requests"].clone(),
            s["creates"].clone()
        ),
        (json!(1), json!(6), json!(4))
    );
}

#[tokio::test]
async fn rejects_bad_batches() {
    let m = start().await;
    let many: Vec<Value> = (0..21)
        .map(|i| create_req(&i.to_string(), "s1", "a"))
        .collect();
    let r = batch(&m, many).await.unwrap();
    assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"));
    let dup = vec![create_req("1", "s1", "a"), create_req("1", "s1", "b")];
    assert_eq!(batch(&m, dup).await.unwrap().status, 400);
    let no_id = vec![
        json!({"method": "GET", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates"}),
    ];
    assert_eq!(batch(&m, no_id).await.unwrap().status, 400);
    assert_eq!(m.objects("s1").await.len(), 0);
    let twenty: Vec<Value> = (0..20)
        .map(|i| create_req(&i.to_string(), "s1", "a"))
        .collect();
    assert_eq!(batch(&m, twenty).await.unwrap().status, 200);
    assert_eq!(m.objects("s1").await.len(), 20);
    let r = m
        .send("POST", "/beta/$batch", &[], Some(b"{}"))
        .await
        .unwrap();
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn inner_faults_apply_per_request() {
    let m = start().await;
    m.faults(json!([
        {"op": "create", "scriptId": "s1", "status": 429, "retryAfter": "3", "times": 2},
        {"op": "create", "scriptId": "s2", "status": 503, "commit": true},
    ]))
    .await;
    let reqs = vec![
        create_req("a", "s1", "a"),
        create_req("b", "s1", "b"),
        create_req("c", "s1", "c"),
        create_req("d", "s2", "d"),
        json!({"id": "e", "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates", "body": {}}),
    ];
    let body = batch(&m, reqs).await.unwrap().json();
    let a = by_id(&body, "a");
    assert_eq!(a["status"], 429);
    assert_eq!(a["headers"]["Retry-After"], "3");
    assert_eq!(a["body"]["error"]["code"], "TooManyRequests");
    assert_eq!(by_id(&body, "b")["status"], 429);
    assert_eq!(by_id(&body, "c")["status"], 201);
    assert_eq!(by_id(&body, "d")["status"], 503);
    assert_eq!(by_id(&body, "e")["status"], 415);
    assert_eq!(m.objects("s1").await.len(), 1);
    assert_eq!(m.objects("s2").await.len(), 1);
    assert_eq!(m.stats("s1").await["throttled"], 2);
}

#[tokio::test]
async fn inner_drop_and_delay_hit_the_whole_batch() {
    let m = start().await;
    m.faults(json!({"op": "create", "scriptId": "s2", "drop": true, "commit": true}))
        .await;
    let r = batch(
        &m,
        vec![create_req("1", "s1", "a"), create_req("2", "s2", "b")],
    )
    .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(m.objects("s1").await.len(), 1);
    assert_eq!(m.objects("s2").await.len(), 1);

    m.faults(json!({"op": "get", "delayMs": 300})).await;
    let started = Instant::now();
    let reqs = vec![
        json!({"id": "1", "method": "GET", "url": "/deviceManagement/deviceManagementScripts/s1/userRunStates/nope"}),
        create_req("2", "s1", "c"),
    ];
    let r = batch(&m, reqs).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(by_id(&r.json(), "1")["status"], 404);
}

#[tokio::test]
async fn batch_rules_hit_the_outer_request() {
    let m = start().await;
    m.faults(json!([{"op": "batch", "status": 503, "retryAfter": "2"}, {"op": "batch", "status": 504, "commit": true}])).await;
    let r = batch(&m, vec![create_req("1", "s1", "a")]).await.unwrap();
    assert_eq!((r.status, r.header("retry-after")), (503, Some("2")));
    assert_eq!(m.objects("s1").await.len(), 0);
    let r = batch(&m, vec![create_req("1", "s1", "a")]).await.unwrap();
    assert_eq!((r.status, r.code().as_str()), (504, "GatewayTimeout"));
    assert_eq!(m.objects("s1").await.len(), 1);
    // An "any" rule is not taken by the outer request, only by inner ones.
    m.faults(json!({"status": 500})).await;
    let r = batch(&m, vec![create_req("1", "s1", "a")]).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(by_id(&r.json(), "1")["status"], 500);
}
