//! Fault rules: statuses, Retry-After forms, commit, drop, delay, odd bodies, matching.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{coll, start};
use serde_json::json;

#[tokio::test]
async fn throttling_with_each_retry_after_form() {
    let m = start().await;
    m.faults(json!([
        {"status": 429, "retryAfter": "2"},
        {"status": 429, "retryAfter": "1.5"},
        {"status": 429, "retryAfter": "date+30"},
        {"status": 429},
    ]))
    .await;
    let body = json!({"userPrincipalName": "a@x.com"});
    let r = m.create("s1", &body).await;
    assert_eq!((r.status, r.code().as_str()), (429, "TooManyRequests"));
    assert_eq!(r.json()["error"]["innerError"]["code"], "429");
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(
        m.create("s1", &body).await.header("retry-after"),
        Some("1.5")
    );

    let r = m.create("s1", &body).await;
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let retry = httpdate::parse_http_date(r.header("retry-after").unwrap()).unwrap();
    assert_eq!(retry.duration_since(date).unwrap(), Duration::from_secs(30));
    assert!(date <= SystemTime::now() + Duration::from_secs(1));

    let r = m.create("s1", &body).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_none());
    // Rules are used up; nothing was processed.
    assert_eq!(m.create("s1", &body).await.status, 201);
    assert_eq!(m.objects("s1").await.len(), 1);
    let s = m.stats("s1").await;
    assert_eq!(
        (
            s["throttled"].clone(),
            s["faults"].clone(),
            s["creates"].clone()
        ),
        (json!(4), json!(4), json!(1))
    );
}

#[tokio::test]
async fn service_unavailable_with_and_without_commit() {
    let m = start().await;
    m.faults(json!([
        {"op": "create", "status": 503, "retryAfter": "1"},
        {"op": "create", "status": 503, "commit": true, "code": "Custom", "message": "custom message"},
        {"op": "create", "status": 504},
        {"op": "create", "status": 500},
    ]))
    .await;
    let r = m.create("s1", &json!({"userPrincipalName": "a"})).await;
    assert_eq!((r.status, r.code().as_str()), (503, "ServiceUnavailable"));
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(m.objects("s1").await.len(), 0);

    let r = m.create("s1", &json!({"userPrincipalName": "b"})).await;
    assert_eq!((r.status, r.code().as_str()), (503, "Custom"));
    assert_eq!(r.json()["error"]["message"], "custom message");
    let objs = m.objects("s1").await;
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["userPrincipalName"], "b");

    assert_eq!(m.create("s1", &json!({})).await.code(), "GatewayTimeout");
    assert_eq!(
        m.create("s1", &json!({})).await.code(),
        "InternalServerError"
    );
    assert_eq!(m.objects("s1").await.len(), 1);
}

#[tokio::test]
async fn drop_connection_with_and_without_commit() {
    let m = start().await;
    m.faults(
        json!([{"op": "create", "drop": true}, {"op": "create", "drop": true, "commit": true}]),
    )
    .await;
    let first = m
        .graph(
            "POST",
            &coll("s1"),
            Some(&json!({"userPrincipalName": "a"})),
        )
        .await;
    assert!(first.is_err(), "{first:?}");
    assert_eq!(m.objects("s1").await.len(), 0);
    let second = m
        .graph(
            "POST",
            &coll("s1"),
            Some(&json!({"userPrincipalName": "b"})),
        )
        .await;
    assert!(second.is_err(), "{second:?}");
    let objs = m.objects("s1").await;
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["userPrincipalName"], "b");
    // The server keeps serving.
    assert_eq!(m.create("s1", &json!({})).await.status, 201);
    assert_eq!(m.stats("s1").await["faults"], 2);
}

#[tokio::test]
async fn delay_processes_then_waits() {
    let m = start().await;
    m.faults(
        json!([{"op": "create", "delayMs": 400}, {"op": "list", "delayMs": 300, "status": 503}]),
    )
    .await;
    let started = Instant::now();
    let r = m.create("s1", &json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(r.status, 201);
    assert_eq!(m.objects("s1").await.len(), 1);
    let started = Instant::now();
    let r = m.g("GET", &coll("s1"), None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn odd_bodies() {
    let m = start().await;
    m.faults(json!([
        {"status": 502, "body": "empty"},
        {"status": 502, "body": "html"},
        {"status": 503, "body": "truncated"},
        {"status": 500, "body": "text"},
        {"status": 503, "body": "html", "contentType": "application/json"},
    ]))
    .await;
    let r = m.g("GET", &coll("s1"), None).await;
    assert_eq!(r.status, 502);
    assert!(r.body.is_empty());
    assert!(r.header("request-id").is_some());

    let r = m.g("GET", &coll("s1"), None).await;
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.text().starts_with("<html>"), "{}", r.text());

    let r = m.g("GET", &coll("s1"), None).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.text().starts_with("{\"error\":"));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    let r = m.g("GET", &coll("s1"), None).await;
    assert_eq!(
        (r.header("content-type"), r.text().as_str()),
        (Some("text/plain"), "upstream error")
    );

    let r = m.g("GET", &coll("s1"), None).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.text().starts_with("<html>"));
}

#[tokio::test]
async fn success_status_with_commit_and_truncated_body() {
    let m = start().await;
    m.faults(json!({"op": "create", "status": 201, "commit": true, "body": "truncated"}))
        .await;
    let r = m
        .create("s1", &json!({"userPrincipalName": "a@x.com"}))
        .await;
    assert_eq!(r.status, 201);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(r.text().starts_with("{\"@odata.type\""));
    assert_eq!(m.objects("s1").await.len(), 1);

    // A success status without commit answers the would-be body and stores nothing.
    m.faults(json!({"op": "create", "status": 201})).await;
    let r = m.create("s1", &json!({"userPrincipalName": "ghost"})).await;
    assert_eq!(
        (r.status, r.json()["userPrincipalName"].clone()),
        (201, json!("ghost"))
    );
    assert_eq!(m.objects("s1").await.len(), 1);

    // A rule without status or drop processes normally and reshapes the body.
    m.faults(json!({"op": "create", "body": "empty"})).await;
    let r = m.create("s1", &json!({})).await;
    assert_eq!((r.status, r.body.len()), (201, 0));
    assert_eq!(m.objects("s1").await.len(), 2);
}

#[tokio::test]
async fn matching_by_script_op_and_times() {
    let m = start().await;
    m.faults(json!([
        {"scriptId": "s2", "status": 500, "times": 2},
        {"op": "delete", "status": 503},
        {"op": "get", "scriptId": "s1", "status": 504, "times": 3},
    ]))
    .await;
    assert_eq!(m.create("s1", &json!({"id": "a"})).await.status, 201);
    assert_eq!(m.create("s2", &json!({})).await.status, 500);
    assert_eq!(m.g("GET", &coll("s2"), None).await.status, 500);
    assert_eq!(m.g("GET", &coll("s2"), None).await.status, 200);
    assert_eq!(
        m.g("GET", &format!("{}/a", coll("s1")), None).await.status,
        504
    );
    assert_eq!(m.g("GET", &coll("s1"), None).await.status, 200);
    assert_eq!(
        m.g("DELETE", &format!("{}/a", coll("s1")), None)
            .await
            .status,
        503
    );
    assert_eq!(
        m.g("DELETE", &format!("{}/a", coll("s1")), None)
            .await
            .status,
        204
    );
    let pending = m.get_json("/_mock/faults").await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["times"], 2);
    let r = m.send("DELETE", "/_mock/faults", &[], None).await.unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(m.get_json("/_mock/faults").await, json!([]));
    let bad = m
        .send("POST", "/_mock/faults", &[], Some(br#"{"op":"explode"}"#))
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
}
