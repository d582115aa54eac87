//! Issue 20: device run states under a script and under a user state, `$expand=managedDevice`
//! with a nested `$select`, paging, `$filter`, the run summary, faults, seeding.

mod common;

use common::{inner, path_of, start, Mock};
use serde_json::{json, Value};

const KINDS: [&str; 3] = [
    "deviceManagementScripts",
    "deviceShellScripts",
    "deviceCustomAttributeShellScripts",
];
const SELECT: &str =
    "$expand=managedDevice($select=id,deviceName,operatingSystem,userPrincipalName)";

fn root(kind: &str, script: &str) -> String {
    format!("/beta/deviceManagement/{kind}/{script}")
}

/// Two users with devices (ada: 2 ok, 1 scriptError; grace: 1 pending), one user without
/// devices, and one device with no user.
async fn seed(m: &Mock, kind: &str, script: &str) {
    m.seed(json!([
        {"scriptKind": kind, "scriptId": script, "id": "ada", "userPrincipalName": "ada@x.com",
         "deviceRunStates": [
            {"id": "d1", "runState": "success", "resultMessage": "ok, \"quoted\"\nline 2",
             "lastStateUpdateDateTime": "2026-11-30T10:00:00Z", "errorCode": 0,
             "managedDevice": {"id": "m1", "deviceName": "PC-1", "operatingSystem": "Windows",
                               "userPrincipalName": "ada@x.com", "osVersion": "10.0.26100", "serialNumber": "S1"}},
            {"id": "d2", "runState": "success"},
            {"id": "d3", "runState": "scriptError", "errorCode": -2147024894,
             "errorDescription": "The system cannot find the file specified."},
         ]},
        {"scriptKind": kind, "scriptId": script, "id": "grace", "userPrincipalName": "grace@x.com",
         "deviceRunStates": [{"id": "d4", "runState": "pending", "managedDevice": null}]},
        {"scriptKind": kind, "scriptId": script, "id": "alan", "userPrincipalName": "alan@x.com",
         "successDeviceCount": 1, "errorDeviceCount": 0},
    ]))
    .await;
    m.control(
        "/_mock/deviceRunStates",
        &json!({"scriptKind": kind, "scriptId": script, "id": "d5", "runState": "fail", "errorCode": 1}),
    )
    .await;
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_with_and_without_the_device_for_every_kind() {
    let m = start().await;
    for kind in KINDS {
        seed(&m, kind, "s1").await;
        let base = root(kind, "s1");
        // Without $expand: no managedDevice property at all.
        let r = m.g("GET", &format!("{base}/deviceRunStates"), None).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        assert_eq!(ids(&page), ["d1", "d2", "d3", "d4", "d5"]);
        let d1 = &page["value"][0];
        assert!(d1.get("managedDevice").is_none(), "{d1}");
        assert_eq!(
            d1["@odata.type"],
            "#microsoft.graph.deviceManagementScriptDeviceState"
        );
        assert_eq!(d1["resultMessage"], "ok, \"quoted\"\nline 2");
        assert_eq!(d1["lastStateUpdateDateTime"], "2026-11-30T10:00:00Z");
        assert_eq!(page["value"][2]["errorCode"], -2147024894i64);
        assert_eq!(page["value"][1]["errorCode"], 0);
        assert_eq!(page["value"][1]["errorDescription"], Value::Null);
        assert!(page["@odata.context"].as_str().unwrap().ends_with(&format!(
            "$metadata#deviceManagement/{kind}('s1')/deviceRunStates"
        )));

        // Expanded with a nested $select: exactly those properties.
        let page = m
            .g("GET", &format!("{base}/deviceRunStates?{SELECT}"), None)
            .await
            .json();
        assert_eq!(
            page["value"][0]["managedDevice"],
            json!({"id": "m1", "deviceName": "PC-1", "operatingSystem": "Windows", "userPrincipalName": "ada@x.com"})
        );
        // A made-up device: the kind's OS and the user's name; a gone device: null.
        let d2 = &page["value"][1]["managedDevice"];
        let os = if kind == KINDS[0] { "Windows" } else { "macOS" };
        assert_eq!(
            (
                d2["operatingSystem"].as_str(),
                d2["userPrincipalName"].as_str()
            ),
            (Some(os), Some("ada@x.com"))
        );
        assert_eq!(d2.as_object().unwrap().len(), 4);
        assert_eq!(page["value"][3]["managedDevice"], Value::Null);
        assert_eq!(
            page["value"][4]["managedDevice"]["userPrincipalName"],
            Value::Null
        );
        // Expanded whole: every stored property.
        let page = m
            .g(
                "GET",
                &format!("{base}/deviceRunStates?$expand=managedDevice"),
                None,
            )
            .await
            .json();
        assert_eq!(page["value"][0]["managedDevice"]["serialNumber"], "S1");

        // Under one user state: only its devices.
        let r = m
            .g(
                "GET",
                &format!("{base}/userRunStates/ada/deviceRunStates?{SELECT}"),
                None,
            )
            .await;
        assert_eq!(ids(&r.json()), ["d1", "d2", "d3"]);
        let none = m
            .g(
                "GET",
                &format!("{base}/userRunStates/alan/deviceRunStates"),
                None,
            )
            .await
            .json();
        assert_eq!(none["value"], json!([]));
        // One by id, under the script or its user state.
        let one = m
            .g(
                "GET",
                &format!("{base}/userRunStates/ada/deviceRunStates/d3?{SELECT}"),
                None,
            )
            .await
            .json();
        assert_eq!(one["runState"], "scriptError");
        assert_eq!(one["managedDevice"]["id"].as_str().map(str::len), Some(36));
        let r = m
            .g(
                "GET",
                &format!("{base}/userRunStates/grace/deviceRunStates/d1"),
                None,
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
        let r = m
            .g("GET", &format!("{base}/deviceRunStates/d5"), None)
            .await;
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn wrong_queries_and_routes() {
    let m = start().await;
    seed(&m, KINDS[0], "s1").await;
    let base = root(KINDS[0], "s1");
    for (query, code) in [
        ("$expand=user", "BadRequest"),
        ("$expand=managedDevice($select=colour)", "BadRequest"),
        ("$expand=managedDevice($select=id", "BadRequest"),
        ("$expand=managedDevice($top=1)", "BadRequest"),
        ("$top=0", "BadRequest"),
        ("$filter=errorCode%20eq%201", "BadRequest"),
    ] {
        let r = m
            .g("GET", &format!("{base}/deviceRunStates?{query}"), None)
            .await;
        assert_eq!((r.status, r.code()), (400, code.to_string()), "{query}");
    }
    let r = m
        .g(
            "GET",
            &format!("{base}/userRunStates/nobody/deviceRunStates"),
            None,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    let r = m
        .g(
            "GET",
            &format!("{}/deviceRunStates", root(KINDS[0], "missing-1")),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    m.config(json!({"strictScripts": true})).await;
    assert_eq!(
        m.g("GET", &format!("{base}/runSummary"), None).await.status,
        404
    );
    m.config(json!({"strictScripts": false})).await;
    // Writes to these read-only routes: the documented-but-absent route answer.
    let r = m
        .g("DELETE", &format!("{base}/deviceRunStates/d1"), None)
        .await;
    assert_eq!(r.code(), "No method match route template");
    assert_eq!(
        r.json()["error"]["message"],
        "No OData route exists that match template ~/singleton/navigation/key/navigation/key with http verb DELETE for request /DeviceFE/StatelessDeviceFEService/deviceManagement/deviceManagementScripts('s1')/deviceRunStates('d1')."
    );
    let r = m
        .g("PATCH", &format!("{base}/runSummary"), Some(&json!({})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        m.get_json("/_mock/deviceRunStates?scriptId=s1")
            .await
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // A token is still needed.
    let r = m
        .send("GET", &format!("{base}/runSummary"), &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn pages_keep_expand_and_filter() {
    let m = start().await;
    let devices: Vec<Value> = (0..25)
        .map(|i| json!({"id": format!("d{i:02}"), "runState": if i % 5 == 0 { "fail" } else { "success" }}))
        .collect();
    m.seed(json!({"scriptId": "p1", "id": "u", "userPrincipalName": "u@x.com", "deviceRunStates": devices}))
        .await;
    for path in [
        format!("{}/deviceRunStates", root(KINDS[0], "p1")),
        format!("{}/userRunStates/u/deviceRunStates", root(KINDS[0], "p1")),
    ] {
        let mut url = format!("{path}?$top=10&{SELECT}");
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        loop {
            let p = m.g("GET", &url, None).await.json();
            sizes.push(p["value"].as_array().unwrap().len());
            assert!(p["value"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["managedDevice"].as_object().unwrap().len() == 4));
            all.extend(ids(&p));
            match p["@odata.nextLink"].as_str() {
                Some(link) => {
                    assert!(
                        link.contains("$expand=managedDevice%28$select%3Did%2CdeviceName"),
                        "{link}"
                    );
                    assert!(link.starts_with("http://"), "{link}");
                    url = path_of(link);
                }
                None => break,
            }
        }
        assert_eq!(sizes, [10, 10, 5]);
        assert_eq!(all.len(), 25);
        // The configured page size applies without $top.
        m.config(json!({"pageSize": 7})).await;
        let p = m.g("GET", &path, None).await.json();
        assert_eq!(p["value"].as_array().unwrap().len(), 7);
        m.config(json!({"pageSize": 100})).await;
    }
    // $filter on runState, kept in the nextLink.
    let path = format!("{}/deviceRunStates", root(KINDS[0], "p1"));
    let p = m
        .g(
            "GET",
            &format!("{path}?$top=3&$filter=runState%20eq%20'fail'"),
            None,
        )
        .await
        .json();
    assert_eq!(ids(&p), ["d00", "d05", "d10"]);
    let link = p["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.contains("$filter=runState%20eq%20%27fail%27"),
        "{link}"
    );
    let p = m.g("GET", &path_of(link), None).await.json();
    assert_eq!(ids(&p), ["d15", "d20"]);
    assert!(p.get("@odata.nextLink").is_none());
    let p = m
        .g(
            "GET",
            &format!("{path}?$filter=runState%20eq%20'fail'%20or%20runState%20eq%20microsoft.graph.runState'success'"),
            None,
        )
        .await
        .json();
    assert_eq!(p["value"].as_array().unwrap().len(), 25);
    // How a tenant might treat it instead: ignored, or refused.
    m.config(json!({"deviceRunStatesFilter": "ignored"})).await;
    let p = m
        .g(
            "GET",
            &format!("{path}?$filter=runState%20eq%20'fail'"),
            None,
        )
        .await
        .json();
    assert_eq!(p["value"].as_array().unwrap().len(), 25);
    m.config(json!({"deviceRunStatesFilter": "rejected"})).await;
    let r = m
        .g(
            "GET",
            &format!("{path}?$filter=runState%20eq%20'fail'"),
            None,
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"));
    assert_eq!(m.g("GET", &path, None).await.status, 200);
}

#[tokio::test]
async fn the_run_summary_is_computed_from_what_is_held() {
    let m = start().await;
    for kind in KINDS {
        seed(&m, kind, "s1").await;
        let r = m
            .g("GET", &format!("{}/runSummary", root(kind, "s1")), None)
            .await;
        assert_eq!(r.status, 200);
        let mut s = r.json();
        assert!(s["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/runSummary/$entity"));
        s.as_object_mut().unwrap().remove("@odata.context");
        // Devices: d1, d2 success; d3 scriptError, d5 fail; d4 pending counts nowhere.
        // Users: ada has an error device, alan only successes, grace none of either.
        assert_eq!(
            s,
            json!({"@odata.type": "#microsoft.graph.deviceManagementScriptRunSummary", "id": "s1",
                "successDeviceCount": 2, "errorDeviceCount": 2, "successUserCount": 1, "errorUserCount": 1})
        );
    }
    // The counts the seed derived for ada, and a PATCH moving a user.
    let ada = m
        .g(
            "GET",
            &format!("{}/userRunStates/ada", root(KINDS[0], "s1")),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            ada["successDeviceCount"].clone(),
            ada["errorDeviceCount"].clone()
        ),
        (json!(2), json!(1))
    );
    let r = m
        .g(
            "PATCH",
            &format!("{}/userRunStates/ada", root(KINDS[0], "s1")),
            Some(&json!({"errorDeviceCount": 0})),
        )
        .await;
    assert_eq!(r.status, 204);
    let s = m
        .g("GET", &format!("{}/runSummary", root(KINDS[0], "s1")), None)
        .await
        .json();
    assert_eq!(
        (s["successUserCount"].clone(), s["errorUserCount"].clone()),
        (json!(2), json!(0))
    );
    // An empty script: zeros.
    let s = m
        .g(
            "GET",
            &format!("{}/runSummary", root(KINDS[0], "empty")),
            None,
        )
        .await
        .json();
    assert_eq!(
        [
            &s["successDeviceCount"],
            &s["errorDeviceCount"],
            &s["successUserCount"],
            &s["errorUserCount"]
        ],
        [&json!(0), &json!(0), &json!(0), &json!(0)]
    );
}

#[tokio::test]
async fn faults_apply_to_these_reads() {
    let m = start().await;
    seed(&m, KINDS[1], "f1").await;
    let base = root(KINDS[1], "f1");
    m.faults(json!([
        {"op": "list", "status": 500, "times": 5},
    ]))
    .await;
    // op "list" is the user states' list only.
    assert_eq!(
        m.g("GET", &format!("{base}/deviceRunStates"), None)
            .await
            .status,
        200
    );
    m.send("DELETE", "/_mock/faults", &[], None).await.unwrap();
    m.faults(json!([
        {"op": "devices", "scriptId": "f1", "status": 503, "retryAfter": "1"},
        {"op": "devices", "status": 429},
        {"op": "devices", "drop": true},
        {"op": "devices", "body": "truncated"},
        {"op": "summary", "status": 504},
        {"op": "summary", "delayMs": 150},
    ]))
    .await;
    let list = format!("{base}/deviceRunStates?{SELECT}");
    let r = m.g("GET", &list, None).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
    assert_eq!(
        m.g(
            "GET",
            &format!("{base}/userRunStates/ada/deviceRunStates"),
            None
        )
        .await
        .status,
        429
    );
    assert!(m.graph("GET", &list, None).await.is_err());
    let r = m.g("GET", &list, None).await;
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(m.g("GET", &list, None).await.status, 200);
    assert_eq!(
        m.g("GET", &format!("{base}/runSummary"), None).await.status,
        504
    );
    let started = std::time::Instant::now();
    assert_eq!(
        m.g("GET", &format!("{base}/runSummary"), None).await.status,
        200
    );
    assert!(started.elapsed().as_millis() >= 150);
    assert_eq!(m.stats("f1").await["faults"], 6);
    // Inside $batch too.
    m.faults(json!({"op": "devices", "status": 429, "retryAfter": "2"}))
        .await;
    let r = m
        .g(
            "POST",
            "/beta/$batch",
            Some(&json!({"requests": [
                {"id": "1", "method": "GET", "url": "/deviceManagement/deviceShellScripts/f1/deviceRunStates"},
                {"id": "2", "method": "GET", "url": "/deviceManagement/deviceShellScripts/f1/runSummary"},
            ]})),
        )
        .await
        .json();
    let by = |id: &str| inner(&r, id);
    assert_eq!(
        (
            by("1")["status"].clone(),
            by("1")["headers"]["Retry-After"].clone()
        ),
        (json!(429), json!("2"))
    );
    assert_eq!(by("2")["status"], 200);
    // Reads are logged under their script and are not writes.
    let log = m.log(Some("f1")).await;
    assert!(!log.is_empty() && log.iter().all(|e| e["write"] == false));
}

#[tokio::test]
async fn seeding_device_run_states() {
    let m = start().await;
    m.seed(json!({"scriptId": "k1", "id": "u1", "userPrincipalName": "u1@x.com"}))
        .await;
    // Any values are kept verbatim, so a client's validation can be tested.
    let made = m
        .control(
            "/_mock/deviceRunStates",
            &json!([
                {"scriptId": "k1", "userStateId": "u1", "id": "x1", "runState": "someNewState",
                 "errorCode": "not a number", "resultMessage": "=1+1"},
                {"scriptId": "k1", "userStateId": "u1"},
            ]),
        )
        .await
        .json();
    assert_eq!(made[0]["userStateId"], "u1");
    assert_eq!(made[0]["scriptKind"], "deviceManagementScripts");
    assert_eq!(made[1]["runState"], "success");
    assert_eq!(made[1]["managedDevice"]["userPrincipalName"], "u1@x.com");
    let page = m
        .g(
            "GET",
            &format!("{}/userRunStates/u1/deviceRunStates", root(KINDS[0], "k1")),
            None,
        )
        .await
        .json();
    assert_eq!(page["value"][0]["runState"], "someNewState");
    assert_eq!(page["value"][0]["errorCode"], "not a number");
    assert_eq!(page["value"][0]["resultMessage"], "=1+1");

    let r = m
        .control_raw(
            "/_mock/deviceRunStates",
            &json!({"scriptId": "k1", "userStateId": "nobody"}),
        )
        .await;
    assert_eq!(r.status, 404);
    for bad in [
        json!({"runState": "success"}),
        json!({"scriptId": "k1", "colour": "red"}),
        json!({"scriptId": "k1", "managedDevice": "PC-1"}),
        json!({"scriptId": "k1", "id": ""}),
    ] {
        assert_eq!(
            m.control_raw("/_mock/deviceRunStates", &bad).await.status,
            400,
            "{bad}"
        );
    }
    assert_eq!(
        m.get_json("/_mock/deviceRunStates?scriptId=k1&userStateId=u1")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        m.get_json("/_mock/deviceRunStates?collection=deviceShellScripts")
            .await,
        json!([])
    );
    // Clearing: device states of one script, then everything with a reset.
    m.control("/_mock/deviceRunStates", &json!({"scriptId": "k2"}))
        .await;
    m.send("DELETE", "/_mock/deviceRunStates?scriptId=k1", &[], None)
        .await
        .unwrap();
    assert_eq!(
        m.get_json("/_mock/deviceRunStates")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(m.objects("k1").await.len(), 1, "user states stay");
    m.control("/_mock/reset", &json!({})).await;
    assert_eq!(m.get_json("/_mock/deviceRunStates").await, json!([]));

    // 10,000 devices seed in one request and page in 1,000s.
    let many: Vec<Value> = (0..10_000)
        .map(|i| json!({"id": format!("d{i}")}))
        .collect();
    m.seed(json!({"scriptId": "big", "id": "u", "deviceRunStates": many}))
        .await;
    let p = m
        .g(
            "GET",
            &format!(
                "{}/deviceRunStates?$top=1000&{SELECT}",
                root(KINDS[0], "big")
            ),
            None,
        )
        .await
        .json();
    assert_eq!(p["value"].as_array().unwrap().len(), 1000);
    let u = m
        .g(
            "GET",
            &format!("{}/userRunStates/u", root(KINDS[0], "big")),
            None,
        )
        .await
        .json();
    assert_eq!(u["successDeviceCount"], 10_000);
}
