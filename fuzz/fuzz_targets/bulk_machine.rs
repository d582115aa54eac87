//! `bulk::Bulk` (createUserStates over `$batch`) run to the end against an honest simulated
//! service in virtual time, as core/tests/bulk_machine.rs runs it, with every fault chosen by the
//! fuzzer: per inner create (201, 429 with a Retry-After, committed then 503, 503, committed
//! then the batch dropped, 400, 401, committed with no inner answer), per batch (outer 429,
//! 503, committed then timeout) and per look-up page (429, 503).
//!
//! Input: bytes, read one at a time (0 once used up, which answers everything cleanly):
//! item count, maxRetries, concurrency, then one byte per decision as the run goes.
//!
//! Invariants: the run ends; never two objects for one user on the service; an item that
//! resolved did so with its own user's object, which exists; an item that failed with a 429
//! or another 4xx has no object; no batch is sent before an outer 429's Retry-After has
//! passed, and no item before its own inner 429's; every wake-up fits JS's setTimeout (at most 2^31 - 1 ms).
#![no_main]

use intune_core::bulk::Bulk;
use intune_core::http::{Method, Outcome, Request};
use intune_core::retry::retry_after_seconds;
use intune_core::validate::bulk_request;
use intune_core::Policy;
use intune_core::{Error, Json};
use intune_script_user_state_fuzz::{allowed, error_body, list_page, response, Bytes};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

const ROOT: &str = "http://127.0.0.1:9";
const START_MS: f64 = 1_795_000_000_000.0;
const LATENCY_MS: f64 = 10.0;
const PAGE: usize = 7;

fn http_date(ms: f64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms.max(0.0) as u64))
}

/// A Retry-After value (or none), chosen by a byte.
fn retry_after(b: u8, now: f64) -> Option<String> {
    Some(match b % 11 {
        0 => return None,
        1 => "0".into(),
        2 => "0.5".into(),
        3 => "1".into(),
        4 => "2.128".into(),
        5 => "120".into(),
        6 => "121".into(),
        7 => "3600".into(),
        // Past u32::MAX ms; wait_ms overflows on it (a known finding, let through on request).
        8 if allowed("wait-ms-overflow") => "86400".into(),
        8 => "999999999".into(),
        9 => http_date(now + 5_000.0),
        _ => http_date(now + 40.0 * 86_400_000.0),
    })
}

struct Sim {
    objects: Vec<Json>,
    next_id: u64,
    /// No batch may be sent before this time (an outer 429's Retry-After).
    not_before: f64,
    /// No item (by its inner request id) may be sent again before this time (its inner
    /// 429's Retry-After).
    item_not_before: std::collections::HashMap<String, f64>,
}

impl Sim {
    fn create(&mut self, body: &Json) -> Json {
        self.next_id += 1;
        let mut obj = body.as_object().unwrap().clone();
        obj.insert("id", format!("obj-{}", self.next_id).into());
        self.objects.push(Json::Object(obj.clone()));
        Json::Object(obj)
    }

    /// Headers of a 429, and until when it asks the client to wait.
    fn throttled(ra: &Option<String>, now: f64) -> (Vec<(String, String)>, f64) {
        let mut headers = vec![("date".to_owned(), http_date(now))];
        let mut until = f64::NEG_INFINITY;
        if let Some(v) = ra {
            headers.push(("retry-after".into(), v.clone()));
            if let Some(s) = retry_after_seconds(v, Some(&http_date(now)), now) {
                until = now + s * 1000.0;
            }
        }
        (headers, until)
    }

    /// Checks a batch about to be sent at `now` against every Retry-After given so far.
    fn check_send(&self, req: &Request, now: f64) {
        if allowed("wait-ms-overflow") {
            return;
        }
        assert!(
            now >= self.not_before,
            "a batch sent {} ms before an outer Retry-After was over",
            self.not_before - now
        );
        let Some(Json::Array(requests)) = req.body.as_ref().and_then(|b| b.get("requests")) else {
            return;
        };
        for inner in requests {
            let id = inner.get("id").and_then(Json::as_str).unwrap_or("");
            if let Some(t) = self.item_not_before.get(id) {
                assert!(
                    now >= *t,
                    "item {id} resent {} ms before its Retry-After was over",
                    t - now
                );
            }
        }
    }

    fn handle(&mut self, req: &Request, now: f64, d: &mut Bytes) -> Outcome {
        match req.method {
            Method::Get => {
                match d.next() % 8 {
                    6 => {
                        let ra = retry_after(d.next(), now);
                        let (h, _) = Self::throttled(&ra, now);
                        return Outcome::Response(response(
                            429,
                            h,
                            Some(error_body("TooManyRequests", "m")),
                        ));
                    }
                    7 => {
                        return Outcome::Response(response(
                            503,
                            vec![],
                            Some(error_body("ServiceUnavailable", "m")),
                        ))
                    }
                    _ => {}
                }
                let page = list_page(&self.objects, &req.url, ROOT, PAGE);
                Outcome::Response(response(200, vec![], Some(page)))
            }
            Method::Post => {
                assert_eq!(req.url, format!("{ROOT}/beta/$batch"));
                let outer = d.next() % 8;
                match outer {
                    5 => {
                        let ra = retry_after(d.next(), now);
                        let (h, until) = Self::throttled(&ra, now);
                        self.not_before = self.not_before.max(until);
                        return Outcome::Response(response(
                            429,
                            h,
                            Some(error_body("TooManyRequests", "m")),
                        ));
                    }
                    6 => {
                        return Outcome::Response(response(
                            503,
                            vec![],
                            Some(error_body("ServiceUnavailable", "m")),
                        ))
                    }
                    _ => {}
                }
                let body = req.body.as_ref().unwrap();
                let Some(Json::Array(requests)) = body.get("requests") else {
                    panic!("no requests")
                };
                assert!(
                    !requests.is_empty() && requests.len() <= 20,
                    "{} requests",
                    requests.len()
                );
                let mut out = Vec::new();
                let mut drop = false;
                // Inner Retry-Afters count only if the answer reaches the machine.
                let mut waits = Vec::new();
                for inner in requests {
                    let id = inner.get("id").and_then(Json::as_str).unwrap().to_owned();
                    let create_body = inner.get("body").unwrap();
                    let answer = match d.next() % 16 {
                        8 => {
                            let ra = retry_after(d.next(), now);
                            let (h, until) = Self::throttled(&ra, now);
                            waits.push((id.clone(), until));
                            Some((429, h, Some(error_body("TooManyRequests", "m"))))
                        }
                        9 => {
                            self.create(create_body);
                            Some((503, vec![], Some(error_body("ServiceUnavailable", "m"))))
                        }
                        10 => Some((503, vec![], Some(error_body("ServiceUnavailable", "m")))),
                        11 => {
                            self.create(create_body);
                            drop = true;
                            None
                        }
                        12 => Some((400, vec![], Some(error_body("BadRequest", "m")))),
                        13 => Some((
                            401,
                            vec![],
                            Some(error_body("InvalidAuthenticationToken", "m")),
                        )),
                        14 => {
                            self.create(create_body);
                            None
                        }
                        _ => {
                            let obj = self.create(create_body);
                            Some((201, vec![], Some(serde_json::to_value(obj).unwrap())))
                        }
                    };
                    if let Some((status, headers, body)) = answer {
                        let headers: serde_json::Map<String, serde_json::Value> =
                            headers.into_iter().map(|(k, v)| (k, v.into())).collect();
                        out.push(serde_json::json!({"id": id, "status": status, "headers": headers, "body": body}));
                    }
                }
                if drop {
                    return Outcome::Network("connection reset".into());
                }
                if outer == 7 {
                    return Outcome::Timeout;
                }
                self.item_not_before.extend(waits);
                out.reverse();
                Outcome::Response(response(
                    200,
                    vec![],
                    Some(serde_json::json!({"responses": out})),
                ))
            }
            m => panic!("the bulk machine sent a {m:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut d = Bytes(data);
    let n = 1 + usize::from(d.next() % 45);
    let max_retries = u32::from(d.next() % 4);
    let concurrency = 1 + u32::from(d.next() % 4);
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"userPrincipalName": format!("user{i}@contoso.com"), "successDeviceCount": i % 7, "errorDeviceCount": 0}))
        .collect();
    let req = serde_json::json!({"scriptId": "s", "baseUrl": ROOT, "maxRetries": max_retries, "concurrency": concurrency, "userStates": items});
    let req = bulk_request(&serde_json::from_value(req).unwrap()).expect("a valid request");
    let policy = Policy {
        client_request_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        timeout_ms: 30_000,
        max_retries,
        refreshable: true,
        seed: 9,
    };
    let mut b = Bulk::new(req, policy);
    let mut sim = Sim {
        objects: Vec::new(),
        next_id: 0,
        not_before: f64::NEG_INFINITY,
        item_not_before: Default::default(),
    };

    let mut now = START_MS;
    let mut in_flight: Vec<(f64, u64, Request)> = Vec::new();
    let mut steps = 0;
    while !b.is_done() {
        steps += 1;
        assert!(steps < 100_000, "the run does not end");
        let poll = b.poll(now);
        for (tag, req) in poll.sends {
            if req.method == Method::Post {
                sim.check_send(&req, now);
            }
            in_flight.push((now + LATENCY_MS, tag, req));
        }
        if let Some(ms) = poll.wake_in_ms {
            if ms > i32::MAX as u32 && !allowed("timer-over-i32") {
                panic!("a wake in {ms} ms, past what setTimeout can wait (it fires at once)");
            }
        }
        in_flight.sort_by(|a, b| a.0.total_cmp(&b.0));
        let next_answer = in_flight.first().map(|f| f.0);
        let next_wake = poll.wake_in_ms.map(|ms| now + f64::from(ms));
        match (next_answer, next_wake) {
            (Some(a), w) if w.is_none_or(|w| a <= w) => {
                let (at, tag, req) = in_flight.remove(0);
                now = at;
                let outcome = sim.handle(&req, now, &mut d);
                b.on_outcome(tag, outcome, now);
            }
            (_, Some(w)) => now = w,
            (None, None) => panic!("stuck: nothing in flight, nothing to wait for, not done"),
            (Some(_), None) => unreachable!(),
        }
    }
    let results = b.into_results();
    assert_eq!(results.len(), n);
    let mut per_user = std::collections::HashMap::new();
    for o in &sim.objects {
        *per_user
            .entry(
                o.get("userPrincipalName")
                    .and_then(Json::as_str)
                    .unwrap()
                    .to_owned(),
            )
            .or_insert(0) += 1;
    }
    for (upn, count) in &per_user {
        assert!(*count <= 1, "{count} objects for {upn}");
    }
    for (i, r) in results.iter().enumerate() {
        let upn = format!("user{i}@contoso.com");
        match r {
            Ok(v) => {
                assert_eq!(
                    v.get("userPrincipalName").and_then(Json::as_str),
                    Some(upn.as_str())
                );
                assert!(
                    per_user.contains_key(&upn),
                    "{upn} resolved but has no object"
                );
            }
            Err(Error::Graph(g)) if (400..500).contains(&g.status) => {
                assert!(
                    !per_user.contains_key(&upn),
                    "{upn} failed with {} but exists",
                    g.status
                );
            }
            Err(_) => {}
        }
    }
});
