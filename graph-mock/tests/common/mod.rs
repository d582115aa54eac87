//! Test harness: starts graph-mock in-process on port 0 and talks raw HTTP/1.1 to it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use graph_mock::{serve, Options};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub const SCRIPTS: &str = "/beta/deviceManagement/deviceManagementScripts";

/// A parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// `error.code` of a Graph envelope.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A running mock; stops when dropped.
pub struct Mock {
    pub addr: SocketAddr,
    pub base: String,
    _stop: oneshot::Sender<()>,
}

pub async fn start() -> Mock {
    start_with(Options::default()).await
}

pub async fn start_with(opts: Options) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, opts, async {
        let _ = rx.await;
    }));
    Mock {
        addr,
        base: format!("http://{addr}"),
        _stop: tx,
    }
}

/// Parses one response from raw bytes read until EOF.
pub fn parse(raw: &[u8]) -> Option<Resp> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Resp {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

impl Mock {
    /// Sends one request on a fresh connection; `Err` when the server closed it without answering.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Resp, String> {
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || matches!(method, "POST" | "PATCH" | "PUT") {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
            .await
            .expect("response timed out");
        if let Err(e) = read {
            if raw.is_empty() {
                return Err(format!("dropped: {e}"));
            }
        }
        parse(&raw).ok_or_else(|| "dropped: no response".to_string())
    }

    /// Sends with `Authorization: Bearer token` and a JSON body if given.
    pub async fn graph(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Resp, String> {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        let mut h = vec![("Authorization", "Bearer token-1")];
        if bytes.is_some() {
            h.push(("Content-Type", "application/json"));
        }
        self.send(method, path, &h, bytes.as_deref()).await
    }

    /// Like `graph` but panics on a dropped connection.
    pub async fn g(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.graph(method, path, body)
            .await
            .expect("connection dropped")
    }

    /// Creates an object in `deviceManagementScripts/{script}`.
    pub async fn create(&self, script: &str, body: &Value) -> Resp {
        self.g(
            "POST",
            &format!("{SCRIPTS}/{script}/userRunStates"),
            Some(body),
        )
        .await
    }

    /// POSTs JSON to a control route and expects success.
    pub async fn control(&self, path: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        let r = self
            .send(
                "POST",
                path,
                &[("Content-Type", "application/json")],
                Some(&bytes),
            )
            .await
            .unwrap();
        assert!(r.status < 300, "{path}: {} {}", r.status, r.text());
        r
    }

    pub async fn faults(&self, rules: Value) {
        self.control("/_mock/faults", &rules).await;
    }

    pub async fn config(&self, cfg: Value) -> Value {
        self.control("/_mock/config", &cfg).await.json()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.send("GET", path, &[], None).await.unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    }

    pub async fn stats(&self, script: &str) -> Value {
        self.get_json(&format!("/_mock/stats?scriptId={script}"))
            .await
    }

    pub async fn objects(&self, script: &str) -> Vec<Value> {
        self.get_json(&format!("/_mock/objects?scriptId={script}"))
            .await
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The user states of `script`: `deviceManagementScripts/{script}/userRunStates`.
pub fn coll(script: &str) -> String {
    format!("{SCRIPTS}/{script}/userRunStates")
}

/// `n` inner `$batch` requests (ids "0", "1", …) each creating `u{i}@x.com` in `script`.
pub fn batch_creates(script: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"id": i.to_string(), "method": "POST",
                "url": format!("/deviceManagement/deviceManagementScripts/{script}/userRunStates"),
                "headers": {"Content-Type": "application/json"},
                "body": {"userPrincipalName": format!("u{i}@x.com")}})
        })
        .collect()
}

/// The inner response with `id` in a `$batch` answer's body.
pub fn inner(body: &Value, id: &str) -> Value {
    body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap()
        .clone()
}

/// Strips scheme and host from an absolute nextLink.
pub fn path_of(link: &str) -> String {
    let rest = link.strip_prefix("http://").unwrap();
    rest[rest.find('/').unwrap()..].to_string()
}

impl Mock {
    /// Seeds user states through `POST /_mock/objects`; returns the stored objects.
    pub async fn seed(&self, objects: Value) -> Vec<Value> {
        let r = self.control("/_mock/objects", &objects).await;
        assert_eq!(r.status, 201);
        r.json().as_array().unwrap().clone()
    }

    /// POSTs JSON to a control route and returns the answer, whatever its status.
    pub async fn control_raw(&self, path: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(&bytes),
        )
        .await
        .unwrap()
    }

    /// The request log, optionally of one script.
    pub async fn log(&self, script: Option<&str>) -> Vec<Value> {
        let path = match script {
            Some(s) => format!("/_mock/requests?scriptId={s}"),
            None => "/_mock/requests".to_string(),
        };
        self.get_json(&path).await.as_array().unwrap().clone()
    }
}
