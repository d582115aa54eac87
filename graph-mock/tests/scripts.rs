//! The script collections: the control API that creates them, list with `$select` and paging,
//! get by id, faults with `op: "scripts"`, the strict mode for unknown script ids, and the
//! request ids in the log and in inner `$batch` answers.

mod common;

use common::{path_of, start, Mock, SCRIPTS};
use serde_json::{json, Value};

const SELECT: &str = "$select=id,displayName,description,fileName,lastModifiedDateTime";

async fn add(m: &Mock, scripts: Value) -> Vec<Value> {
    let r = m.control("/_mock/scripts", &scripts).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn lists_the_selected_fields_page_by_page() {
    let m = start().await;
    let made = add(
        &m,
        json!([
            {"id": "w1", "displayName": "Fix printers", "description": "Restarts the spooler"},
            {"displayName": "Set wallpaper", "fileName": "wall.ps1", "lastModifiedDateTime": "2026-11-01T10:00:00Z"},
            {"displayName": "Clean temp"},
            {"displayName": "Mac fonts", "scriptKind": "deviceShellScripts"},
        ]),
    )
    .await;
    assert_eq!(made.len(), 4);
    assert_eq!(made[0]["scriptContent"], "V3JpdGUtT3V0cHV0ICdoZWxsbyc=");

    // Every field without $select, scriptContent included.
    let all = m.g("GET", SCRIPTS, None).await;
    assert_eq!(all.status, 200, "{}", all.text());
    let body = all.json();
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 3, "the macOS script is in its own collection");
    assert_eq!(
        value[0]["@odata.type"],
        "#microsoft.graph.deviceManagementScript"
    );
    assert!(value[0]["scriptContent"].is_string());

    // $select: only those fields, plus id and @odata.type; pages of two, the link keeps $select.
    m.config(json!({"pageSize": 2})).await;
    let first = m.g("GET", &format!("{SCRIPTS}?{SELECT}"), None).await;
    let body = first.json();
    let page: Vec<Value> = body["value"].as_array().unwrap().clone();
    assert_eq!(page.len(), 2);
    let mut keys: Vec<&str> = page[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "@odata.type",
            "description",
            "displayName",
            "fileName",
            "id",
            "lastModifiedDateTime"
        ]
    );
    assert_eq!(page[0]["id"], "w1");
    assert_eq!(page[0]["description"], "Restarts the spooler");
    assert_eq!(page[1]["fileName"], "wall.ps1");
    assert_eq!(page[1]["lastModifiedDateTime"], "2026-11-01T10:00:00Z");
    let next = body["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&m.base), "{next}");
    let second = m.g("GET", &path_of(next), None).await.json();
    let rest = second["value"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["displayName"], "Clean temp");
    assert!(
        rest[0].get("scriptContent").is_none(),
        "the link kept $select"
    );
    assert!(second.get("@odata.nextLink").is_none());

    // $top wins over the page size; one script by id; an unknown property is a 400.
    let top = m
        .g("GET", &format!("{SCRIPTS}?$top=3&{SELECT}"), None)
        .await
        .json();
    assert_eq!(top["value"].as_array().unwrap().len(), 3);
    let one = m
        .g("GET", &format!("{SCRIPTS}/w1?$select=displayName"), None)
        .await;
    assert_eq!(
        one.json(),
        json!({"@odata.type": "#microsoft.graph.deviceManagementScript", "id": "w1", "displayName": "Fix printers"})
    );
    let bad = m
        .g("GET", &format!("{SCRIPTS}?$select=id,colour"), None)
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "BadRequest"));
    let none = m.g("GET", &format!("{SCRIPTS}/nope"), None).await;
    assert_eq!(
        (none.status, none.code().as_str()),
        (404, "ResourceNotFound")
    );
    let mac = m
        .g("GET", "/beta/deviceManagement/deviceShellScripts", None)
        .await
        .json();
    assert_eq!(
        mac["value"][0]["@odata.type"],
        "#microsoft.graph.deviceShellScript"
    );

    // Only GET, and only with a token.
    assert_eq!(m.g("POST", SCRIPTS, Some(&json!({}))).await.status, 405);
    let anonymous = m.send("GET", SCRIPTS, &[], None).await.unwrap();
    assert_eq!(anonymous.status, 401);

    // The control API: listed, refused when an id repeats, cleared, and reset.
    let listed = m
        .get_json("/_mock/scripts?collection=deviceShellScripts")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let again = m
        .send(
            "POST",
            "/_mock/scripts",
            &[("Content-Type", "application/json")],
            Some(br#"{"id":"w1","displayName":"twice"}"#),
        )
        .await
        .unwrap();
    assert_eq!(again.status, 409);
    let nameless = m
        .send("POST", "/_mock/scripts", &[], Some(br#"{"id":"x"}"#))
        .await
        .unwrap();
    assert_eq!(nameless.status, 400);
    assert_eq!(
        m.get_json("/_mock/scripts").await.as_array().unwrap().len(),
        4
    );
    m.send("POST", "/_mock/reset", &[], None).await.unwrap();
    assert_eq!(m.get_json("/_mock/scripts").await, json!([]));
}

#[tokio::test]
async fn faults_apply_to_the_scripts_op() {
    let m = start().await;
    add(&m, json!({"displayName": "Only one"})).await;
    m.faults(json!([
        {"op": "scripts", "status": 429, "retryAfter": "1"},
        {"op": "list", "status": 503},
    ]))
    .await;
    let r = m.g("GET", SCRIPTS, None).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    // The list rule is for user states: scripts pass it by.
    assert_eq!(m.g("GET", SCRIPTS, None).await.status, 200);
    assert_eq!(
        m.get_json("/_mock/faults").await.as_array().unwrap().len(),
        1
    );
    m.faults(json!({"op": "scripts", "body": "html", "status": 502}))
        .await;
    let r = m.g("GET", SCRIPTS, None).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
}

#[tokio::test]
async fn strict_mode_refuses_script_ids_it_does_not_hold() {
    let m = start().await;
    add(&m, json!({"id": "real", "displayName": "Real"})).await;
    let body = json!({"userPrincipalName": "a@x.com"});
    // By default any script id is accepted.
    assert_eq!(m.create("made-up", &body).await.status, 201);
    let cfg = m.config(json!({"strictScripts": true})).await;
    assert_eq!(cfg["strictScripts"], true);
    let r = m.create("made-up", &body).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    let r = m
        .g("GET", &format!("{SCRIPTS}/made-up/userRunStates"), None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(m.create("real", &body).await.status, 201);
    // The id must be in the collection named: "real" is not a macOS script.
    let mac = m
        .g(
            "GET",
            "/beta/deviceManagement/deviceShellScripts/real/userRunStates",
            None,
        )
        .await;
    assert_eq!(mac.status, 404);
    let wrong = m
        .send(
            "POST",
            "/_mock/config",
            &[("Content-Type", "application/json")],
            Some(br#"{"strictScripts":"yes"}"#),
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 400);
    m.config(json!({"strictScripts": false})).await;
    assert_eq!(m.create("made-up-2", &body).await.status, 201);
}

#[tokio::test]
async fn the_log_and_inner_batch_answers_carry_request_ids() {
    let m = start().await;
    let crid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let r = m
        .send(
            "GET",
            &format!("{SCRIPTS}/s1/userRunStates"),
            &[("Authorization", "Bearer t-1"), ("client-request-id", crid)],
            None,
        )
        .await
        .unwrap();
    let log = m.get_json("/_mock/requests?scriptId=s1").await;
    assert_eq!(log[0]["requestId"], r.header("request-id").unwrap());

    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s2/userRunStates",
         "headers": {"Content-Type": "application/json"}, "body": {"userPrincipalName": "a@x.com"}},
        {"id": "2", "method": "POST", "url": "/deviceManagement/deviceManagementScripts/s2/userRunStates",
         "headers": {"Content-Type": "application/json", "client-request-id": "11111111-2222-4333-8444-555555555555"},
         "body": {"userPrincipalName": "b@x.com"}},
    ]});
    let bytes = serde_json::to_vec(&batch).unwrap();
    let r = m
        .send(
            "POST",
            "/beta/$batch",
            &[
                ("Authorization", "Bearer t-1"),
                ("Content-Type", "application/json"),
                ("client-request-id", crid),
            ],
            Some(&bytes),
        )
        .await
        .unwrap();
    let body = r.json();
    let inner = m.get_json("/_mock/requests?scriptId=s2").await;
    for answer in body["responses"].as_array().unwrap() {
        let id = answer["headers"]["request-id"].as_str().unwrap();
        assert_ne!(
            Some(id),
            r.header("request-id"),
            "each inner answer has its own id"
        );
        let logged = inner
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["requestId"] == id)
            .expect("the log names the inner request's id");
        let upn = serde_json::from_str::<Value>(logged["body"].as_str().unwrap()).unwrap()
            ["userPrincipalName"]
            .clone();
        let want = if upn == "a@x.com" {
            crid
        } else {
            "11111111-2222-4333-8444-555555555555"
        };
        assert_eq!(answer["headers"]["client-request-id"], want, "{upn}");
    }
}
