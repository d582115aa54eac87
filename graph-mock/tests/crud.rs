//! Create, list (paging, nextLink, $filter), get, patch, delete and request validation.

mod common;

use common::{path_of, start, SCRIPTS};
use serde_json::json;

const TYPE: &str = "#microsoft.graph.deviceManagementScriptUserState";

#[tokio::test]
async fn create_get_patch_delete() {
    let m = start().await;
    let r = m
        .create(
            "s1",
            &json!({"@odata.type": TYPE, "userPrincipalName": "a@x.com", "successDeviceCount": 3}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("request-id").is_some_and(|v| v.len() == 36));
    assert!(r.header("date").is_some_and(|d| d.ends_with("GMT")));
    assert_eq!(r.header("connection"), Some("close"));
    let obj = r.json();
    assert_eq!(obj["@odata.type"], TYPE);
    assert_eq!(obj["successDeviceCount"], 3);
    assert_eq!(obj["errorDeviceCount"], 0);
    assert_eq!(obj["userPrincipalName"], "a@x.com");
    let id = obj["id"].as_str().unwrap().to_string();
    assert_eq!(uuid_version(&id), Some('4'));

    let item = format!("{SCRIPTS}/s1/userRunStates/{id}");
    let got = m.g("GET", &item, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), obj);

    let p = m
        .g("PATCH", &item, Some(&json!({"errorDeviceCount": 2})))
        .await;
    assert_eq!(p.status, 204);
    assert!(p.body.is_empty());
    assert_eq!(m.g("GET", &item, None).await.json()["errorDeviceCount"], 2);

    m.config(json!({"patchStatus": 200})).await;
    let p = m
        .g("PATCH", &item, Some(&json!({"userPrincipalName": null})))
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(p.json()["userPrincipalName"], json!(null));
    assert_eq!(p.json()["errorDeviceCount"], 2);

    assert_eq!(m.g("DELETE", &item, None).await.status, 204);
    let gone = m.g("GET", &item, None).await;
    assert_eq!(
        (gone.status, gone.code().as_str()),
        (404, "ResourceNotFound")
    );
    assert_eq!(m.g("DELETE", &item, None).await.status, 404);
    assert_eq!(m.g("PATCH", &item, Some(&json!({}))).await.status, 404);

    let s = m.stats("s1").await;
    assert_eq!(
        (
            s["creates"].clone(),
            s["updates"].clone(),
            s["deletes"].clone()
        ),
        (json!(1), json!(2), json!(1))
    );
    assert_eq!(s["objects"], 0);
}

fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[tokio::test]
async fn duplicates_are_not_merged_and_body_ids_conflict() {
    let m = start().await;
    let body = json!({"userPrincipalName": "same@x.com"});
    assert_eq!(m.create("s1", &body).await.status, 201);
    assert_eq!(m.create("s1", &body).await.status, 201);
    assert_eq!(m.objects("s1").await.len(), 2);

    let r = m.create("s1", &json!({"id": "fixed"})).await;
    assert_eq!((r.status, r.json()["id"].clone()), (201, json!("fixed")));
    let r = m.create("s1", &json!({"id": "fixed"})).await;
    assert_eq!((r.status, r.code().as_str()), (409, "Conflict"));
    // Same id in another script or collection is fine.
    assert_eq!(m.create("s2", &json!({"id": "fixed"})).await.status, 201);
    let shell = m
        .g(
            "POST",
            "/beta/deviceManagement/deviceShellScripts/s1/userRunStates/",
            Some(&json!({"id": "fixed"})),
        )
        .await;
    assert_eq!(shell.status, 201);
    let objs = m
        .get_json("/_mock/objects?scriptId=s1&collection=deviceShellScripts")
        .await;
    assert_eq!(objs.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn validation_errors() {
    let m = start().await;
    let coll = format!("{SCRIPTS}/s1/userRunStates");
    for (body, needle) in [
        (json!({"bogus": 1}), "bogus"),
        (json!({"successDeviceCount": "1"}), "successDeviceCount"),
        (
            json!({"errorDeviceCount": 2147483648i64}),
            "errorDeviceCount",
        ),
        (json!({"errorDeviceCount": 1.5}), "errorDeviceCount"),
        (json!({"successDeviceCount": null}), "successDeviceCount"),
        (json!({"userPrincipalName": 5}), "userPrincipalName"),
        (json!({"id": 5}), "id"),
        (
            json!({"@odata.type": "#microsoft.graph.user"}),
            "@odata.type",
        ),
    ] {
        let r = m.create("s1", &body).await;
        assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"), "{body}");
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(needle), "{msg}");
    }
    let r = m.create("s1", &json!([1])).await;
    assert_eq!(r.status, 400);
    let r = m
        .send(
            "POST",
            &coll,
            &[
                ("Authorization", "Bearer t"),
                ("Content-Type", "application/json"),
            ],
            Some(b"{nope"),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"));
    let r = m
        .send(
            "POST",
            &coll,
            &[
                ("Authorization", "Bearer t"),
                ("Content-Type", "text/plain"),
            ],
            Some(b"{}"),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.code().as_str()), (415, "UnsupportedMediaType"));
    let r = m
        .send(
            "POST",
            &coll,
            &[
                ("Authorization", "Bearer t"),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
            Some(b"{}"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let ok = m
        .create(
            "s1",
            &json!({"successDeviceCount": -2147483648i64, "errorDeviceCount": 2147483647}),
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(m.objects("s1").await.len(), 2);
}

#[tokio::test]
async fn routes_methods_and_missing_scripts() {
    let m = start().await;
    let r = m.g("GET", "/beta/deviceManagement/nothing", None).await;
    assert_eq!((r.status, r.code().as_str()), (404, "ResourceNotFound"));
    let r = m
        .g(
            "PUT",
            &format!("{SCRIPTS}/s1/userRunStates/x"),
            Some(&json!({})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (405, "MethodNotAllowed"));
    let r = m
        .g("DELETE", &format!("{SCRIPTS}/s1/userRunStates"), None)
        .await;
    assert_eq!(r.status, 405);
    for (method, path) in [
        ("GET", "/userRunStates"),
        ("POST", "/userRunStates"),
        ("GET", "/userRunStates/a"),
        ("PATCH", "/userRunStates/a"),
        ("DELETE", "/userRunStates/a"),
    ] {
        let body = (method == "POST" || method == "PATCH").then(|| json!({}));
        let r = m
            .g(method, &format!("{SCRIPTS}/missing-1{path}"), body.as_ref())
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "ResourceNotFound"),
            "{method} {path}"
        );
    }
    // v1.0 behaves the same and links keep the version.
    let r = m
        .g(
            "POST",
            "/v1.0/deviceManagement/deviceCustomAttributeShellScripts/c1/userRunStates",
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r
        .header("location")
        .unwrap()
        .contains("/v1.0/deviceManagement/deviceCustomAttributeShellScripts/c1/"));
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let m = start().await;
    let h = [
        ("Authorization", "Bearer t"),
        ("client-request-id", "my-id-1"),
    ];
    let r = m
        .send("GET", &format!("{SCRIPTS}/s1/userRunStates/nope"), &h, None)
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.header("client-request-id"), Some("my-id-1"));
    let inner = &r.json()["error"]["innerError"];
    assert_eq!(inner["client-request-id"], "my-id-1");
    assert_eq!(inner["request-id"].as_str(), r.header("request-id"));
    let date = inner["date"].as_str().unwrap();
    assert_eq!(date.len(), 19, "{date}");
    assert!(!date.ends_with('Z'));
}

#[tokio::test]
async fn paging_with_next_links() {
    let m = start().await;
    for i in 0..5 {
        assert_eq!(
            m.create("s1", &json!({"userPrincipalName": format!("u{i}@x.com")}))
                .await
                .status,
            201
        );
    }
    m.config(json!({"pageSize": 2})).await;
    let mut path = format!("{SCRIPTS}/s1/userRunStates");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = m.g("GET", &path, None).await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert!(v["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/beta/$metadata#"));
        for o in v["value"].as_array().unwrap() {
            seen.push(o["userPrincipalName"].as_str().unwrap().to_string());
        }
        pages += 1;
        match v["@odata.nextLink"].as_str() {
            Some(link) => {
                assert!(link.starts_with(&m.base), "{link}");
                assert!(link.contains("$skiptoken="), "{link}");
                path = path_of(link);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        ["u0@x.com", "u1@x.com", "u2@x.com", "u3@x.com", "u4@x.com"]
    );

    // $top overrides the page size and is carried in the nextLink.
    let r = m
        .g("GET", &format!("{SCRIPTS}/s1/userRunStates?$top=4"), None)
        .await
        .json();
    assert_eq!(r["value"].as_array().unwrap().len(), 4);
    let link = r["@odata.nextLink"].as_str().unwrap();
    assert!(link.contains("$top=4"), "{link}");
    let last = m.g("GET", &path_of(link), None).await.json();
    assert_eq!(last["value"].as_array().unwrap().len(), 1);
    assert!(last.get("@odata.nextLink").is_none());

    let r = m
        .g("GET", &format!("{SCRIPTS}/s1/userRunStates?$top=0"), None)
        .await;
    assert_eq!(r.status, 400);
    let r = m
        .g(
            "GET",
            &format!("{SCRIPTS}/s1/userRunStates?$skiptoken=abc"),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    // Unknown scripts simply have no objects.
    let r = m
        .g("GET", &format!("{SCRIPTS}/other/userRunStates"), None)
        .await
        .json();
    assert_eq!(r["value"], json!([]));
}

#[tokio::test]
async fn filter_by_user_principal_name() {
    let m = start().await;
    for upn in ["A@x.com", "b@x.com", "a@X.com", "o'brien@x.com"] {
        m.create("s1", &json!({"userPrincipalName": upn})).await;
    }
    m.create("s1", &json!({})).await;
    let list = |f: &str| format!("{SCRIPTS}/s1/userRunStates?$filter={f}");
    let r = m
        .g("GET", &list("userPrincipalName%20eq%20'a@x.com'"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 2);
    let r = m
        .g(
            "GET",
            &list("userPrincipalName%20eq%20'o''brien@x.com'"),
            None,
        )
        .await;
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 1);
    let r = m
        .g("GET", &list("userPrincipalName+eq+'B@X.COM'&$top=1"), None)
        .await;
    assert_eq!(r.json()["value"].as_array().unwrap().len(), 1);
    for bad in [
        "id%20eq%20'a'",
        "startswith(userPrincipalName,'a')",
        "userPrincipalName%20eq%20'a'%20or%20true",
    ] {
        let r = m.g("GET", &list(bad), None).await;
        assert_eq!((r.status, r.code().as_str()), (400, "BadRequest"), "{bad}");
    }
    // Filter and top survive into the nextLink.
    let r = m
        .g(
            "GET",
            &list("userPrincipalName%20eq%20'a@x.com'&$top=1"),
            None,
        )
        .await
        .json();
    let link = r["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.contains("$filter=") && link.contains("$top=1"),
        "{link}"
    );
    let next = m.g("GET", &path_of(link), None).await.json();
    assert_eq!(next["value"][0]["userPrincipalName"], "a@X.com");
    assert!(next.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn request_log_and_reset() {
    let m = start().await;
    m.create("s1", &json!({"userPrincipalName": "a@x.com"}))
        .await;
    m.g("GET", &format!("{SCRIPTS}/s2/userRunStates"), None)
        .await;
    let log = m.get_json("/_mock/requests?scriptId=s1").await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], format!("{SCRIPTS}/s1/userRunStates"));
    assert_eq!(log[0]["headers"]["authorization"], "Bearer token-1");
    assert_eq!(log[0]["batch"], false);
    assert!(log[0]["body"].as_str().unwrap().contains("a@x.com"));
    assert_eq!(m.get_json("/_mock/stats").await["requests"], 2);

    m.config(json!({"pageSize": 7})).await;
    m.control("/_mock/reset", &json!({})).await;
    assert_eq!(m.get_json("/_mock/requests").await, json!([]));
    assert_eq!(m.get_json("/_mock/objects").await, json!([]));
    assert_eq!(m.get_json("/_mock/config").await["pageSize"], 100);
    let s = m.get_json("/_mock/stats").await;
    assert_eq!(
        s,
        json!({"requests":0,"batches":0,"creates":0,"updates":0,"deletes":0,"throttled":0,"faults":0,"writes":0,"refused":0,"objects":0})
    );
    let bad = m
        .send("POST", "/_mock/config", &[], Some(br#"{"pageSiz": 3}"#))
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
}
