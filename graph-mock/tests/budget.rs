//! Write budget: writes over the window get 429 with Retry-After and are not processed.

mod common;

use common::{start, SCRIPTS};
use serde_json::{json, Value};

#[tokio::test]
async fn writes_over_budget_are_throttled() {
    let m = start().await;
    let cfg = m
        .config(json!({"writeBudget": {"writes": 3, "windowMs": 2000}}))
        .await;
    assert_eq!(cfg["writeBudget"], json!({"writes": 3, "windowMs": 2000}));
    for i in 0..3 {
        assert_eq!(
            m.create("s1", &json!({"id": format!("o{i}")})).await.status,
            201
        );
    }
    let r = m.create("s1", &json!({"id": "o3"})).await;
    assert_eq!((r.status, r.code().as_str()), (429, "TooManyRequests"));
    let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&secs), "{secs}");
    // Reads are not writes; updates and deletes are.
    assert_eq!(
        m.g("GET", &format!("{SCRIPTS}/s1/userRunStates"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        m.g("DELETE", &format!("{SCRIPTS}/s1/userRunStates/o0"), None)
            .await
            .status,
        429
    );
    assert_eq!(m.objects("s1").await.len(), 3);
    assert_eq!(m.stats("s1").await["throttled"], 2);

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(m.create("s1", &json!({"id": "o3"})).await.status, 201);

    // Inner batch writes take from the same budget.
    let reqs: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": i.to_string(), "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s2/userRunStates",
                   "headers": {"Content-Type": "application/json"}, "body": {}})
        })
        .collect();
    let body = m
        .g("POST", "/beta/$batch", Some(&json!({ "requests": reqs })))
        .await
        .json();
    let statuses: Vec<u64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let throttled = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == 429)
        .unwrap()
        .clone();
    assert!(
        throttled["headers"]["Retry-After"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(m.objects("s2").await.len(), 2);

    m.config(json!({"writeBudget": null})).await;
    assert_eq!(m.create("s1", &json!({})).await.status, 201);
}
