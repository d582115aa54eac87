//! Static files, traversal refusal, keep-alive switch and the binary's CLI contract.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{start, start_with};
use graph_mock::Options;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn site() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("graph-mock-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    for (name, text) in [
        ("index.html", "<h1>home</h1>"),
        ("pkg/app.js", "export {}"),
        ("pkg/app.mjs", "export {}"),
        ("pkg/app_bg.wasm", "\0asm"),
        ("style.css", "body{}"),
        ("data.json", "{}"),
        ("logo.svg", "<svg/>"),
        ("logo.png", "png"),
        ("users.csv", "upn\n"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn serves_static_files() {
    let dir = site();
    let m = start_with(Options {
        static_dir: Some(dir.clone()),
        ..Options::default()
    })
    .await;
    for (path, ct) in [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/pkg/app.js", "text/javascript"),
        ("/pkg/app.mjs", "text/javascript"),
        ("/pkg/app_bg.wasm", "application/wasm"),
        ("/style.css", "text/css"),
        ("/data.json", "application/json"),
        ("/logo.svg", "image/svg+xml"),
        ("/logo.png", "image/png"),
        ("/users.csv", "text/csv"),
    ] {
        let r = m.send("GET", path, &[], None).await.unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ct), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    assert_eq!(
        m.send("GET", "/", &[], None).await.unwrap().text(),
        "<h1>home</h1>"
    );
    assert_eq!(
        m.send("GET", "/nope.js", &[], None).await.unwrap().status,
        404
    );
    for bad in [
        "/../Cargo.toml",
        "/pkg/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/pkg/..%2f..%2fx",
    ] {
        let r = m.send("GET", bad, &[], None).await.unwrap();
        assert!(r.status == 400 || r.status == 404, "{bad}: {}", r.status);
        assert_ne!(r.status, 200);
    }
    // Graph and control routes are not shadowed.
    assert_eq!(
        m.send("GET", "/beta/x", &[], None).await.unwrap().status,
        401
    );
    assert_eq!(
        m.send("GET", "/_mock/stats", &[], None)
            .await
            .unwrap()
            .status,
        200
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn no_static_dir_means_404() {
    let m = start().await;
    assert_eq!(
        m.send("GET", "/index.html", &[], None)
            .await
            .unwrap()
            .status,
        404
    );
}

/// Sends a keep-alive request and reads exactly one response by Content-Length.
async fn keep_alive_request(s: &mut tokio::net::TcpStream) -> Option<String> {
    s.write_all(b"GET /_mock/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(head);
            }
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn keep_alive_switch() {
    let m = start().await;
    let mut s = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let head = keep_alive_request(&mut s).await.unwrap();
    assert!(head.contains("connection: close"), "{head}");
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());

    m.config(json!({"keepAlive": true})).await;
    let mut s = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let first = keep_alive_request(&mut s).await.unwrap();
    assert!(!first.contains("connection: close"), "{first}");
    assert!(keep_alive_request(&mut s).await.is_some());
}

#[test]
fn binary_prints_one_line_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-mock"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line
        .trim_end()
        .strip_prefix("graph-mock listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .parse()
        .unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");

    let bad = Command::new(env!("CARGO_BIN_EXE_graph-mock"))
        .arg("--nope")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(bad.code(), Some(2));
}
