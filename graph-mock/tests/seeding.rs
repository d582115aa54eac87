//! Issue 18: seeding user states with any values, the largest page, PATCH and DELETE with faults
//! singly and inside `$batch`.

mod common;

use common::{coll, inner, path_of, start};
use serde_json::{json, Value};

#[tokio::test]
async fn seeds_any_values_including_one_user_twice() {
    let m = start().await;
    let made = m
        .seed(json!([
            {"scriptId": "s1", "id": "a", "userPrincipalName": "ada@x.com", "successDeviceCount": 3, "errorDeviceCount": 0},
            {"scriptId": "s1", "id": "b", "userPrincipalName": "ADA@X.com", "successDeviceCount": -2147483648, "errorDeviceCount": 2147483647},
            {"scriptId": "s1", "userPrincipalName": "ada@x.com"},
            {"scriptId": "s1", "userPrincipalName": null},
            {"scriptId": "s1", "scriptKind": "deviceShellScripts", "id": "a", "userPrincipalName": "mac@x.com"},
        ]))
        .await;
    assert_eq!(made.len(), 5);
    assert_eq!(made[2]["successDeviceCount"], 0);
    assert_eq!(
        made[0]["@odata.type"],
        "#microsoft.graph.deviceManagementScriptUserState"
    );
    let generated = made[2]["id"].as_str().unwrap();
    assert_eq!(generated.len(), 36, "a GUID: {generated}");

    let list = m.g("GET", &coll("s1"), None).await.json();
    let value = list["value"].as_array().unwrap();
    let ids: Vec<&str> = value.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids[..2], ["a", "b"], "seeding order");
    assert_eq!(value.len(), 4);
    assert_eq!(value[1]["successDeviceCount"], -2147483648i64);
    assert_eq!(value[1]["errorDeviceCount"], 2147483647);
    assert_eq!(value[3]["userPrincipalName"], Value::Null);
    // The same user in any letter case, by the list's filter.
    let f = m
        .g(
            "GET",
            &format!(
                "{}?$filter=userPrincipalName%20eq%20'Ada@X.COM'",
                coll("s1")
            ),
            None,
        )
        .await
        .json();
    assert_eq!(f["value"].as_array().unwrap().len(), 3);
    let mac = m
        .g(
            "GET",
            "/beta/deviceManagement/deviceShellScripts/s1/userRunStates/a",
            None,
        )
        .await
        .json();
    assert_eq!(mac["userPrincipalName"], "mac@x.com");

    // A taken id stores nothing of the request; bad values are 400.
    let taken = m
        .control_raw(
            "/_mock/objects",
            &json!([{"scriptId": "s1", "id": "new"}, {"scriptId": "s1", "id": "a"}]),
        )
        .await;
    assert_eq!(taken.status, 409);
    let twice = m
        .control_raw(
            "/_mock/objects",
            &json!([{"scriptId": "s9", "id": "x"}, {"scriptId": "s9", "id": "x"}]),
        )
        .await;
    assert_eq!(twice.status, 409);
    assert_eq!(m.objects("s1").await.len(), 5);
    assert_eq!(m.objects("s9").await.len(), 0);
    for bad in [
        json!({"scriptId": "s1", "successDeviceCount": 2147483648i64}),
        json!({"scriptId": "s1", "errorDeviceCount": "1"}),
        json!({"scriptId": "s1", "colour": 1}),
        json!({"userPrincipalName": "no script"}),
        json!({"scriptId": "s1", "scriptKind": "deviceHealthScripts"}),
        json!({"scriptId": "s1", "id": "a/b"}),
        json!(3),
    ] {
        let r = m.control_raw("/_mock/objects", &bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    // Seeding is not a Graph request: no log entry, no counters.
    assert_eq!(m.stats("s1").await["creates"], 0);

    // DELETE /_mock/objects?scriptId= clears one script (every collection), nothing else.
    m.seed(json!({"scriptId": "s2", "id": "keep"})).await;
    let r = m
        .send("DELETE", "/_mock/objects?scriptId=s1", &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(m.objects("s1").await.len(), 0);
    assert_eq!(m.objects("s2").await.len(), 1);
    m.send("DELETE", "/_mock/objects", &[], None).await.unwrap();
    assert_eq!(m.get_json("/_mock/objects").await, json!([]));
}

#[tokio::test]
async fn the_largest_page_is_1000_by_default() {
    let m = start().await;
    let seeds: Vec<Value> = (0..2500)
        .map(|i| json!({"scriptId": "big", "id": format!("u{i:05}"), "userPrincipalName": format!("u{i}@x.com")}))
        .collect();
    m.seed(Value::Array(seeds)).await;
    let cfg = m.get_json("/_mock/config").await;
    assert_eq!(
        (cfg["maxPageSize"].clone(), cfg["overMaxTop"].clone()),
        (json!(1000), json!("cap"))
    );

    // Without $top: the configured page size (100).
    let p = m.g("GET", &coll("big"), None).await.json();
    assert_eq!(p["value"].as_array().unwrap().len(), 100);

    // $top=1000: whole pages of 1000.
    let p = m
        .g("GET", &format!("{}?$top=1000", coll("big")), None)
        .await
        .json();
    assert_eq!(p["value"].as_array().unwrap().len(), 1000);

    // $top above the maximum is capped; the nextLink keeps the $top asked for.
    let mut url = format!("{}?$top=5000", coll("big"));
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    loop {
        let p = m.g("GET", &url, None).await.json();
        let value = p["value"].as_array().unwrap();
        sizes.push(value.len());
        ids.extend(value.iter().map(|o| o["id"].as_str().unwrap().to_string()));
        match p["@odata.nextLink"].as_str() {
            Some(link) => {
                assert!(link.contains("$top=5000"), "{link}");
                url = path_of(link);
            }
            None => break,
        }
    }
    assert_eq!(sizes, [1000, 1000, 500]);
    ids.dedup();
    assert_eq!(ids.len(), 2500);

    // overMaxTop "reject": Graph's OData message for an over-limit $top.
    m.config(json!({"overMaxTop": "reject"})).await;
    let r = m
        .g("GET", &format!("{}?$top=1001", coll("big")), None)
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"));
    assert_eq!(
        r.json()["error"]["message"],
        "The limit of '1000' for Top query has been exceeded. The value from the incoming request is '1001'."
    );
    assert_eq!(
        m.g("GET", &format!("{}?$top=1000", coll("big")), None)
            .await
            .status,
        200
    );
    // The scripts list is bounded the same way.
    let r = m
        .g(
            "GET",
            "/beta/deviceManagement/deviceManagementScripts?$top=1001",
            None,
        )
        .await;
    assert_eq!(r.status, 400);

    // No maximum: one page of everything.
    m.config(json!({"maxPageSize": null})).await;
    let p = m
        .g("GET", &format!("{}?$top=5000", coll("big")), None)
        .await
        .json();
    assert_eq!(p["value"].as_array().unwrap().len(), 2500);
    assert!(p.get("@odata.nextLink").is_none());
    for bad in [json!({"maxPageSize": 0}), json!({"overMaxTop": "clip"})] {
        assert_eq!(m.control_raw("/_mock/config", &bad).await.status, 400);
    }
}

fn patch(id: &str, script: &str, body: Value) -> Value {
    json!({"id": id, "method": "PATCH",
        "url": format!("/deviceManagement/deviceManagementScripts/{script}/userRunStates/{id}"),
        "headers": {"Content-Type": "application/json"}, "body": body})
}

fn delete(id: &str, script: &str) -> Value {
    json!({"id": id, "method": "DELETE",
        "url": format!("/deviceManagement/deviceManagementScripts/{script}/userRunStates/{id}")})
}

#[tokio::test]
async fn patch_and_delete_with_faults_singly() {
    let m = start().await;
    let seeds: Vec<Value> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|id| json!({"scriptId": "s1", "id": id, "userPrincipalName": format!("{id}@x.com"), "successDeviceCount": 1}))
        .collect();
    m.seed(Value::Array(seeds)).await;
    let one = |id: &str| format!("{}/{id}", coll("s1"));
    let body = json!({"successDeviceCount": 9});
    m.faults(json!([
        {"op": "update", "status": 503, "retryAfter": "1"},
        {"op": "update", "status": 500, "commit": true},
        {"op": "update", "drop": true},
        {"op": "update", "drop": true, "commit": true},
        {"op": "update", "delayMs": 200},
        {"op": "update", "status": 429, "retryAfter": "2.5"},
    ]))
    .await;
    let r = m.g("PATCH", &one("a"), Some(&body)).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
    let r = m.g("PATCH", &one("b"), Some(&body)).await;
    assert_eq!(r.status, 500);
    assert!(m.graph("PATCH", &one("c"), Some(&body)).await.is_err());
    assert!(m.graph("PATCH", &one("d"), Some(&body)).await.is_err());
    let started = std::time::Instant::now();
    assert_eq!(m.g("PATCH", &one("e"), Some(&body)).await.status, 204);
    assert!(started.elapsed().as_millis() >= 200);
    let r = m.g("PATCH", &one("a"), Some(&body)).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2.5")));
    let counts: Vec<(String, i64)> = m
        .objects("s1")
        .await
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["successDeviceCount"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, i64)> = [("a", 1), ("b", 9), ("c", 1), ("d", 9), ("e", 9)]
        .iter()
        .map(|(i, n)| (i.to_string(), *n))
        .collect();
    assert_eq!(counts, want);

    m.faults(json!([
        {"op": "delete", "status": 504},
        {"op": "delete", "drop": true, "commit": true},
        {"op": "delete", "drop": true},
    ]))
    .await;
    assert_eq!(m.g("DELETE", &one("a"), None).await.status, 504);
    assert!(m.graph("DELETE", &one("b"), None).await.is_err());
    assert!(m.graph("DELETE", &one("c"), None).await.is_err());
    // b went, a and c stayed; deleting b again is 404, as Graph answers a gone object.
    let ids: Vec<String> = m
        .objects("s1")
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a", "c", "d", "e"]);
    let again = m.g("DELETE", &one("b"), None).await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (404, "ResourceNotFound")
    );
    assert_eq!(m.g("DELETE", &one("a"), None).await.status, 204);
    let s = m.stats("s1").await;
    assert_eq!(
        (
            s["updates"].clone(),
            s["deletes"].clone(),
            s["writes"].clone()
        ),
        (json!(3), json!(2), json!(11))
    );
}

#[tokio::test]
async fn patch_and_delete_with_faults_in_batch() {
    let m = start().await;
    let seeds: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| json!({"scriptId": "s1", "id": id, "userPrincipalName": format!("{id}@x.com")}))
        .collect();
    m.seed(Value::Array(seeds)).await;
    // Inner 429 for one PATCH, inner 503 for one DELETE; the others go through.
    m.faults(json!([
        {"op": "update", "status": 429, "retryAfter": "3"},
        {"op": "delete", "status": 503},
    ]))
    .await;
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({"requests": [
                patch("a", "s1", json!({"errorDeviceCount": 4})),
                patch("b", "s1", json!({"errorDeviceCount": 5})),
                delete("c", "s1"),
                delete("d", "s1"),
            ]})),
        )
        .await
        .json();
    let status = |id: &str| inner(&r, id);
    assert_eq!(status("a")["status"], 429);
    assert_eq!(status("a")["headers"]["Retry-After"], "3");
    assert_eq!(status("b")["status"], 204);
    assert_eq!(status("c")["status"], 503);
    assert_eq!(status("d")["status"], 204);
    let objs = m.objects("s1").await;
    let ids: Vec<&str> = objs.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(objs[0]["errorDeviceCount"], 0);
    assert_eq!(objs[1]["errorDeviceCount"], 5);

    // Outer 429: nothing inside is processed.
    m.faults(json!({"op": "batch", "status": 429, "retryAfter": "1"}))
        .await;
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({"requests": [patch("a", "s1", json!({"errorDeviceCount": 7})), delete("b", "s1")]})),
        )
        .await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(m.objects("s1").await.len(), 3);
    // A batch whose connection drops after processing (commit): the writes happened.
    m.faults(json!({"op": "batch", "drop": true, "commit": true}))
        .await;
    let r = m
        .graph(
            "POST",
            "/beta/$batch",
            Some(&json!({"requests": [patch("a", "s1", json!({"errorDeviceCount": 7})), delete("b", "s1")]})),
        )
        .await;
    assert!(r.is_err());
    let objs = m.objects("s1").await;
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["errorDeviceCount"], 7);
    let log = m.log(Some("s1")).await;
    let inner: Vec<&Value> = log.iter().filter(|e| e["batch"] == true).collect();
    // The batch throttled outright never ran its inner requests: 4 + 2 logged.
    assert_eq!(inner.len(), 6);
    assert!(inner[..4].iter().all(|e| e["dropped"] == false));
    assert!(inner[4..].iter().all(|e| e["dropped"] == true));
}
