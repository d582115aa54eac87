//! `bulk::Bulk` with a journal, crashed and resumed where the fuzzer says, against an honest
//! simulated service in virtual time (the one of `bulk_machine`, which the crash does not
//! reset: the service keeps what it committed).
//!
//! Input: bytes, read one at a time (0 once used up: no fault, no crash): item count,
//! maxRetries, concurrency, then one byte per decision as the run goes: each inner create's
//! fate (201, 429, committed then 503, 503, committed then the batch dropped, 400 echoing
//! the token, 401, committed without an inner answer), each batch's and look-up page's, and
//! after every poll whether the run crashes there: after how many of that poll's records
//! (the rest, and that poll's sends, never happen), which requests in flight the service
//! still commits, how long until the resume, and now and then one byte of the journal
//! corrupted. At most four crashes; the last run goes to the end.
//!
//! Invariants: every run ends; a `$batch` goes out only after a `send` record naming its
//! items was appended; a resumed run with items in flight sends no `$batch` until their
//! look-up has ended; never two objects for one user; an item that resolved did so with its own
//! user's object, which exists; an item that failed with a 4xx has no object; no record
//! holds the token once redacted; the whole journal of a finished run reads back as
//! finished with the same results and sends nothing. A corrupted journal is refused with a
//! `ValidationError` on `journal`, or (when the corruption still reads as a journal) the run
//! must still end, but the exactly-once checks are off for that input.
#![no_main]

use intune_core::http::{Body, Method, Outcome, Request};
use intune_core::journal::redact;
use intune_core::validate::{bulk_request, BulkRequest};
use intune_core::Policy;
use intune_core::{Error, Json};
use intune_script_user_state_fuzz::{error_body, line, list_page, response, resumed, Bytes};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

const ROOT: &str = "http://127.0.0.1:9";
const START_MS: f64 = 1_795_000_000_000.0;
const LATENCY_MS: f64 = 10.0;
const PAGE: usize = 7;
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJmdXp6IjoidG9rZW4ifQ";
const MAX_CRASHES: u32 = 4;

/// [`response`] as an attempt's outcome, with header names as literals.
fn answer(status: u16, headers: Vec<(&str, String)>, body: Option<serde_json::Value>) -> Outcome {
    let headers = headers
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Outcome::Response(response(status, headers, body))
}

/// A Retry-After a run may wait out inside the fuzzer's time: none, 0, 0.5, 1 or 2 s.
fn retry_after(b: u8) -> Vec<(&'static str, String)> {
    match b % 5 {
        0 => vec![],
        1 => vec![("retry-after", "0".into())],
        2 => vec![("retry-after", "0.5".into())],
        3 => vec![("retry-after", "1".into())],
        _ => vec![("retry-after", "2".into())],
    }
}

struct Sim {
    objects: Vec<Json>,
    next_id: u64,
}

impl Sim {
    fn create(&mut self, body: &Json) -> Json {
        self.next_id += 1;
        let mut obj = body.as_object().unwrap().clone();
        obj.insert("id", format!("obj-{}", self.next_id).into());
        self.objects.push(Json::Object(obj.clone()));
        Json::Object(obj)
    }

    fn handle(&mut self, req: &Request, d: &mut Bytes) -> Outcome {
        match req.method {
            Method::Get => {
                match d.next() % 8 {
                    6 => {
                        return answer(
                            429,
                            retry_after(d.next()),
                            Some(error_body("TooManyRequests", "m")),
                        )
                    }
                    7 => return answer(503, vec![], Some(error_body("ServiceUnavailable", "m"))),
                    _ => {}
                }
                let page = list_page(&self.objects, &req.url, ROOT, PAGE);
                answer(200, vec![], Some(page))
            }
            Method::Post => {
                assert_eq!(req.url, format!("{ROOT}/beta/$batch"));
                let outer = d.next() % 10;
                match outer {
                    5 => {
                        return answer(
                            429,
                            retry_after(d.next()),
                            Some(error_body("TooManyRequests", "m")),
                        )
                    }
                    6 => return answer(503, vec![], Some(error_body("ServiceUnavailable", "m"))),
                    _ => {}
                }
                let Some(Json::Array(requests)) = req.body.as_ref().and_then(|b| b.get("requests"))
                else {
                    panic!("no requests")
                };
                assert!(!requests.is_empty() && requests.len() <= 20);
                let mut out = Vec::new();
                let mut drop = false;
                for inner in requests {
                    let id = inner.get("id").and_then(Json::as_str).unwrap().to_owned();
                    let body = inner.get("body").unwrap();
                    let answer = match d.next() % 16 {
                        8 => Some((
                            429,
                            retry_after(d.next()),
                            Some(error_body("TooManyRequests", "m")),
                        )),
                        9 => {
                            self.create(body);
                            Some((503, vec![], Some(error_body("ServiceUnavailable", "m"))))
                        }
                        10 => Some((503, vec![], Some(error_body("ServiceUnavailable", "m")))),
                        11 => {
                            self.create(body);
                            drop = true;
                            None
                        }
                        12 => Some((
                            400,
                            vec![("date", "Sun, 29 Nov 2026 13:00:00 GMT".into())],
                            Some(error_body("BadRequest", &format!("refused for {TOKEN}"))),
                        )),
                        13 => Some((
                            401,
                            vec![],
                            Some(error_body("InvalidAuthenticationToken", "m")),
                        )),
                        14 => {
                            self.create(body);
                            None
                        }
                        _ => {
                            let obj = self.create(body);
                            Some((201, vec![], Some(serde_json::to_value(obj).unwrap())))
                        }
                    };
                    if let Some((status, headers, body)) = answer {
                        let headers: serde_json::Map<String, serde_json::Value> = headers
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v.into()))
                            .collect();
                        out.push(serde_json::json!({"id": id, "status": status, "headers": headers, "body": body}));
                    }
                }
                if drop {
                    return Outcome::Network("connection reset".into());
                }
                if outer == 7 {
                    return Outcome::Timeout;
                }
                out.reverse();
                answer(200, vec![], Some(serde_json::json!({"responses": out})))
            }
            m => panic!("the bulk machine sent a {m:?}"),
        }
    }
}

fn request(n: usize, max_retries: u32, concurrency: u32) -> BulkRequest {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"userPrincipalName": format!("user{i}@contoso.com"), "successDeviceCount": i % 7, "errorDeviceCount": 0}))
        .collect();
    let req = serde_json::json!({"scriptId": "s", "baseUrl": ROOT, "maxRetries": max_retries, "concurrency": concurrency, "userStates": items});
    bulk_request(&serde_json::from_value(req).unwrap()).expect("a valid request")
}

fn policy(max_retries: u32) -> Policy {
    Policy {
        client_request_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        timeout_ms: 30_000,
        max_retries,
        refreshable: true,
        seed: 9,
    }
}

fn batch_items(req: &Request) -> Vec<u64> {
    let Some(Json::Array(requests)) = req.body.as_ref().and_then(|b| b.get("requests")) else {
        panic!("not a $batch")
    };
    requests
        .iter()
        .map(|r| r.get("id").and_then(Json::as_str).unwrap().parse().unwrap())
        .collect()
}

/// Items whose last record is a `send`.
fn in_flight_items(journal: &[String]) -> bool {
    let mut open = HashMap::new();
    for r in journal {
        let v: serde_json::Value = serde_json::from_str(r).expect("records are JSON");
        if let Some(items) = v.get("items").and_then(|i| i.as_array()) {
            for i in items {
                open.insert(i.as_u64().unwrap(), true);
            }
        }
        for key in ["created", "failed"] {
            if let Some(i) = v.get(key).and_then(|i| i.as_u64()) {
                open.insert(i, false);
            }
        }
    }
    open.values().any(|&o| o)
}

/// Results as records keep them (no Date, no Retry-After) and as redaction leaves them.
fn comparable(results: &[Result<Json, Error>]) -> Vec<Result<Json, Error>> {
    results
        .iter()
        .map(|r| match r {
            Err(Error::Graph(g)) => {
                let mut g = g.clone();
                g.date = None;
                g.retry_after = None;
                g.message = g.message.replace(TOKEN, "[redacted]");
                Err(Error::Graph(g))
            }
            r => r.clone(),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut d = Bytes(data);
    let n = 1 + usize::from(d.next() % 40);
    let max_retries = u32::from(d.next() % 4);
    let concurrency = 1 + u32::from(d.next() % 4);
    let mut sim = Sim {
        objects: Vec::new(),
        next_id: 0,
    };
    let mut journal: Vec<String> = Vec::new();
    let mut now = START_MS;
    let mut crashes = 0;
    let mut trusted = true;
    let mut steps = 0;

    let results = 'sessions: loop {
        let mut b = match resumed(
            request(n, max_retries, concurrency),
            policy(max_retries),
            &journal,
        ) {
            Ok(b) => b,
            Err(Error::Validation(v)) => {
                assert_eq!(v.first().field, "journal");
                assert!(
                    !trusted,
                    "our own journal was refused: {}",
                    v.first().message
                );
                // The corruption was caught: the caller puts the journal back as it was.
                return;
            }
            Err(e) => panic!("not a ValidationError: {e:?}"),
        };
        // A resumed run with items in flight sends nothing until their look-up has ended:
        // a last page read, or the page given up on after max(maxRetries, 1) retries.
        let mut lookup_open = trusted && in_flight_items(&journal);
        let mut page_failures = 0;
        let mut in_flight: Vec<(f64, u64, Request)> = Vec::new();
        loop {
            steps += 1;
            assert!(steps < 200_000, "the runs do not end");
            let poll = b.poll(now);
            if let Some(ms) = poll.wake_in_ms {
                assert!(ms <= i32::MAX as u32, "a wake past setTimeout's range");
            }
            // Crash here? After how many of this poll's records?
            let crash = crashes < MAX_CRASHES && d.next() % 8 == 7;
            let keep = if crash {
                usize::from(d.next()) % (poll.append.len() + 1)
            } else {
                poll.append.len()
            };
            for record in &poll.append[..keep] {
                let mut record = record.clone();
                redact(&mut record, TOKEN);
                let clean = line(&record);
                assert!(!clean.contains(TOKEN), "the token in {clean}");
                journal.push(clean);
            }
            let released = keep == poll.append.len();
            if released {
                for (tag, req) in poll.sends {
                    if req.method == Method::Post {
                        let items = batch_items(&req);
                        let written = journal.iter().rev().any(|r| {
                            let v: serde_json::Value = serde_json::from_str(r).unwrap();
                            v.get("send").is_some()
                                && v["items"]
                                    .as_array()
                                    .unwrap()
                                    .iter()
                                    .map(|i| i.as_u64().unwrap())
                                    .eq(items.iter().copied())
                        });
                        assert!(
                            !trusted || written,
                            "a $batch of {items:?} before its send record"
                        );
                        assert!(
                            !lookup_open,
                            "a $batch before the look-up of the items left in flight ended"
                        );
                    }
                    in_flight.push((now + LATENCY_MS, tag, req));
                }
            }
            if crash {
                crashes += 1;
                // The service may still commit what reached it; the answers are lost.
                for (_, _, req) in std::mem::take(&mut in_flight) {
                    if d.next() % 2 == 1 {
                        let _ = sim.handle(&req, &mut d);
                    }
                }
                now += f64::from(d.next()) * 50.0;
                if d.next() % 16 == 15 && !journal.is_empty() {
                    // One byte of the journal corrupted.
                    let r = usize::from(d.next()) % journal.len();
                    let mut bytes = journal[r].clone().into_bytes();
                    if !bytes.is_empty() {
                        let at = usize::from(d.next()) % bytes.len();
                        bytes[at] = d.next();
                    }
                    journal[r] = String::from_utf8_lossy(&bytes).into_owned();
                    trusted = false;
                }
                continue 'sessions;
            }
            if b.is_done() {
                break 'sessions b.into_results();
            }
            in_flight.sort_by(|a, b| a.0.total_cmp(&b.0));
            let next_answer = in_flight.first().map(|f| f.0);
            let next_wake = poll.wake_in_ms.map(|ms| now + f64::from(ms));
            match (next_answer, next_wake) {
                (Some(a), w) if w.is_none_or(|w| a <= w) => {
                    let (at, tag, req) = in_flight.remove(0);
                    now = at;
                    let outcome = sim.handle(&req, &mut d);
                    if req.method == Method::Get && lookup_open {
                        match &outcome {
                            Outcome::Response(r) if r.status == 200 => {
                                let Body::Json(page) = &r.body else {
                                    unreachable!()
                                };
                                if page.get("@odata.nextLink").is_none() {
                                    lookup_open = false;
                                }
                            }
                            _ => {
                                page_failures += 1;
                                if page_failures > max_retries.max(1) {
                                    lookup_open = false;
                                }
                            }
                        }
                    }
                    b.on_outcome(tag, outcome, now);
                }
                (_, Some(w)) => now = w,
                (None, None) => panic!("stuck: nothing in flight, nothing to wait for, not done"),
                (Some(_), None) => unreachable!(),
            }
        }
    };
    assert_eq!(results.len(), n);
    if !trusted {
        return;
    }
    let mut per_user: HashMap<String, Vec<&Json>> = HashMap::new();
    for o in &sim.objects {
        let upn = o.get("userPrincipalName").and_then(Json::as_str).unwrap();
        per_user.entry(upn.to_owned()).or_default().push(o);
    }
    for (upn, objects) in &per_user {
        assert!(objects.len() <= 1, "{} objects for {upn}", objects.len());
    }
    for (i, r) in results.iter().enumerate() {
        let upn = format!("user{i}@contoso.com");
        match r {
            Ok(v) => {
                assert_eq!(
                    v.get("userPrincipalName").and_then(Json::as_str),
                    Some(upn.as_str())
                );
                // (Compared as serde_json values: the simulated wire does not keep key order.)
                let same = |o: &Json| serde_json::to_value(o).ok() == serde_json::to_value(v).ok();
                assert!(
                    per_user.get(&upn).is_some_and(|o| same(o[0])),
                    "{upn} resolved with an object the service does not hold"
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
    // The finished journal reads back as finished, with the same results.
    let mut again = resumed(
        request(n, max_retries, concurrency),
        policy(max_retries),
        &journal,
    )
    .expect("the journal of a finished run reads");
    assert!(again.is_done());
    let poll = again.poll(now);
    assert!(poll.sends.is_empty() && poll.append.is_empty());
    assert!(
        comparable(&again.into_results()) == comparable(&results),
        "the recorded results differ"
    );
});
