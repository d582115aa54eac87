//! Authorization errors (tokens never echoed) and CORS.

mod common;

use common::{start, SCRIPTS};
use serde_json::json;

/// Request headers, expected status, error code and message.
type AuthCase<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, &'a str);

#[tokio::test]
async fn auth_errors() {
    let m = start().await;
    let path = format!("{SCRIPTS}/s1/userRunStates");
    let cases: [AuthCase; 6] = [
        (
            &[],
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ),
        (
            &[("Authorization", "Bearer ")],
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ),
        (
            &[("Authorization", "Basic dXNlcg==")],
            401,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ),
        (
            &[("Authorization", "Bearer expired-SECRET")],
            401,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        ),
        (
            &[("Authorization", "Bearer forbidden-SECRET")],
            403,
            "Forbidden",
            "",
        ),
        (&[("Authorization", "bearer ok-SECRET")], 200, "", ""),
    ];
    for (headers, status, code, message) in cases {
        let r = m.send("GET", &path, headers, None).await.unwrap();
        assert_eq!(r.status, status, "{headers:?}");
        assert!(r.header("request-id").is_some());
        if status >= 400 {
            assert_eq!(r.code(), code);
            if !message.is_empty() {
                assert_eq!(r.json()["error"]["message"], message);
            }
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
        assert!(!r.text().contains("SECRET"));
        assert!(r.headers.iter().all(|(_, v)| !v.contains("SECRET")));
    }
    // Nothing was processed by rejected writes.
    let r = m
        .send(
            "POST",
            &path,
            &[
                ("Authorization", "Bearer forbidden"),
                ("Content-Type", "application/json"),
            ],
            Some(b"{}"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(m.objects("s1").await.len(), 0);
    // The log keeps the header as sent, so tests can check which token was used.
    let log = m.get_json("/_mock/requests").await;
    assert_eq!(log[3]["headers"]["authorization"], "Bearer expired-SECRET");
}

#[tokio::test]
async fn preflight_and_cors_headers() {
    let m = start().await;
    let path = format!("{SCRIPTS}/s1/userRunStates");
    let h = [
        ("Origin", "http://localhost:8000"),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "authorization,content-type",
        ),
    ];
    // A fault must not touch a preflight.
    m.faults(json!({"status": 503})).await;
    let r = m.send("OPTIONS", &path, &h, None).await.unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:8000")
    );
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, PATCH, DELETE, OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Authorization, Content-Type, client-request-id, Accept")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    let r = m.send("OPTIONS", "/_mock/reset", &[], None).await.unwrap();
    assert_eq!(
        (r.status, r.header("access-control-allow-origin")),
        (204, Some("*"))
    );
    assert_eq!(m.get_json("/_mock/stats").await["requests"], 0);
    assert_eq!(
        m.get_json("/_mock/faults").await.as_array().unwrap().len(),
        1
    );

    let r = m
        .send(
            "GET",
            &path,
            &[("Authorization", "Bearer t"), ("Origin", "http://a.test")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://a.test")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    // As Graph: the request ids only, not Retry-After or Date.
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("request-id, client-request-id")
    );
    let cfg = m
        .config(serde_json::json!({"exposeHeaders": "request-id, Retry-After, Date"}))
        .await;
    assert_eq!(cfg["exposeHeaders"], "request-id, Retry-After, Date");
    let r = m
        .send("GET", &path, &[("Authorization", "Bearer t")], None)
        .await
        .unwrap();
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("request-id, Retry-After, Date")
    );
    let cfg = m.config(serde_json::json!({"exposeHeaders": null})).await;
    assert_eq!(cfg["exposeHeaders"], "request-id, client-request-id");
    let bad = m
        .send(
            "POST",
            "/_mock/config",
            &[("Content-Type", "application/json")],
            Some(br#"{"exposeHeaders":3}"#),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
    let r = m.send("GET", "/_mock/stats", &[], None).await.unwrap();
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}
