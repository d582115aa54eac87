//! The bulk machine driven natively against a simulated Graph with virtual time: inner 429s,
//! commits followed by 503s, dropped batches, a write budget, paging during look-ups. The
//! simulated service never dedupes, so a doubled create shows up as a second object.
#![cfg(not(target_arch = "wasm32"))]

use intune_script_user_state::bulk::{Bulk, BATCH_SIZE};
use intune_script_user_state::http::{Body, Method, Outcome, Request, Response};
use intune_script_user_state::single::Policy;
use intune_script_user_state::validate::bulk_request;
use intune_script_user_state::{Error, Json};
use std::collections::VecDeque;

const ROOT: &str = "http://127.0.0.1:9";

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
}

/// A deterministic stand-in: what it does to each inner create is decided by `fault`.
struct Sim {
    objects: Vec<Json>,
    next_id: u64,
    /// (time ms, count) of accepted writes, for the budget.
    writes: VecDeque<f64>,
    budget: Option<(usize, f64)>,
    page_size: usize,
    fault: Box<dyn FnMut(u64) -> Fault>,
    calls: u64,
    throttled: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    Throttle,
    CommitThen503,
    Unavailable,
    DropBatchAfterCommit,
}

fn resp(status: u16, headers: &[(&str, &str)], body: Option<Json>) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.map_or(Body::Empty, Body::Json),
    }
}

impl Sim {
    fn new(fault: impl FnMut(u64) -> Fault + 'static) -> Self {
        Self {
            objects: Vec::new(),
            next_id: 0,
            writes: VecDeque::new(),
            budget: None,
            page_size: 100,
            fault: Box::new(fault),
            calls: 0,
            throttled: 0,
        }
    }

    fn create(&mut self, body: &Json) -> Json {
        self.next_id += 1;
        let mut obj = body.as_object().unwrap().clone();
        obj.insert("id", format!("obj-{}", self.next_id).into());
        let obj = Json::Object(obj);
        self.objects.push(obj.clone());
        obj
    }

    fn over_budget(&mut self, now: f64) -> Option<f64> {
        let (writes, window) = self.budget?;
        while self.writes.front().is_some_and(|t| now - t >= window) {
            self.writes.pop_front();
        }
        if self.writes.len() >= writes {
            let wait = (self.writes[0] + window - now) / 1000.0;
            Some(wait.ceil().max(1.0))
        } else {
            self.writes.push_back(now);
            None
        }
    }

    fn handle(&mut self, req: &Request, now: f64) -> Outcome {
        match req.method {
            Method::Get => {
                let skip = req
                    .url
                    .split("$skiptoken=")
                    .nth(1)
                    .map_or(0, |s| s.parse().unwrap());
                let end = (skip + self.page_size).min(self.objects.len());
                let mut page = format!(
                    r#"{{"value":{}"#,
                    serde_json::to_string(&Json::Array(self.objects[skip..end].to_vec())).unwrap()
                );
                if end < self.objects.len() {
                    page += &format!(
                        r#","@odata.nextLink":"{ROOT}/beta/deviceManagement/deviceManagementScripts/s/userRunStates?$skiptoken={end}""#
                    );
                }
                page.push('}');
                Outcome::Response(resp(200, &[], Some(json(&page))))
            }
            Method::Post => {
                assert!(req.url.ends_with("/beta/$batch"));
                let body = req.body.as_ref().unwrap();
                let Some(Json::Array(requests)) = body.get("requests") else {
                    panic!()
                };
                assert!(requests.len() <= BATCH_SIZE);
                let mut out = Vec::new();
                let mut drop = false;
                for inner in requests {
                    self.calls += 1;
                    let id = inner.get("id").unwrap().as_str().unwrap().to_owned();
                    assert_eq!(
                        inner.get("url").unwrap().as_str(),
                        Some("/deviceManagement/deviceManagementScripts/s/userRunStates")
                    );
                    let answer = if let Some(wait) = self.over_budget(now) {
                        self.throttled += 1;
                        format!(
                            r#"{{"id":"{id}","status":429,"headers":{{"Retry-After":"{wait}"}},"body":{{"error":{{"code":"TooManyRequests","message":"budget"}}}}}}"#
                        )
                    } else {
                        match (self.fault)(self.calls) {
                            Fault::Throttle => {
                                self.throttled += 1;
                                format!(
                                    r#"{{"id":"{id}","status":429,"headers":{{"Retry-After":"0.5"}},"body":{{"error":{{"code":"TooManyRequests","message":"slow"}}}}}}"#
                                )
                            }
                            Fault::Unavailable => format!(
                                r#"{{"id":"{id}","status":503,"headers":{{}},"body":{{"error":{{"code":"ServiceUnavailable","message":"busy"}}}}}}"#
                            ),
                            Fault::CommitThen503 => {
                                self.create(inner.get("body").unwrap());
                                format!(
                                    r#"{{"id":"{id}","status":503,"body":{{"error":{{"code":"ServiceUnavailable","message":"busy"}}}}}}"#
                                )
                            }
                            Fault::DropBatchAfterCommit => {
                                self.create(inner.get("body").unwrap());
                                drop = true;
                                String::new()
                            }
                            Fault::None => {
                                let obj = self.create(inner.get("body").unwrap());
                                format!(
                                    r#"{{"id":"{id}","status":201,"body":{}}}"#,
                                    serde_json::to_string(&obj).unwrap()
                                )
                            }
                        }
                    };
                    if !answer.is_empty() {
                        out.push(answer);
                    }
                }
                if drop {
                    return Outcome::Network("connection reset".into());
                }
                out.reverse();
                Outcome::Response(resp(
                    200,
                    &[],
                    Some(json(&format!(r#"{{"responses":[{}]}}"#, out.join(",")))),
                ))
            }
            _ => panic!("unexpected {req:?}"),
        }
    }
}

fn items(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"userPrincipalName":"user{i}@contoso.com","successDeviceCount":{},"errorDeviceCount":0}}"#, i % 7))
        .collect();
    format!("[{}]", items.join(","))
}

fn bulk(user_states: &str, max_retries: u32) -> Bulk {
    let req = bulk_request(&json(&format!(
        r#"{{"scriptId":"s","baseUrl":"{ROOT}","maxRetries":{max_retries},"userStates":{user_states}}}"#
    )))
    .unwrap();
    Bulk::new(
        req,
        Policy {
            client_request_id: "c".into(),
            timeout_ms: 30_000,
            max_retries,
            refreshable: true,
            seed: 9,
        },
    )
}

/// Runs the machine to the end with answers that take `latency` ms; returns the results and
/// the virtual time taken.
fn run(b: &mut Bulk, sim: &mut Sim, latency: f64) -> (Vec<Result<Json, Error>>, f64) {
    let mut now = 0.0;
    let mut in_flight: Vec<(f64, u64, Request)> = Vec::new();
    let mut steps = 0;
    while !b.is_done() {
        steps += 1;
        assert!(steps < 1_000_000, "the run does not end");
        let poll = b.poll(now);
        for (tag, req) in poll.sends {
            in_flight.push((now + latency, tag, req));
        }
        in_flight.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        let next_answer = in_flight.first().map(|f| f.0);
        let next_wake = poll.wake_in_ms.map(|ms| now + f64::from(ms));
        let answer_first = match (next_answer, next_wake) {
            (Some(a), Some(w)) => a <= w,
            (Some(_), None) => true,
            (None, _) => false,
        };
        match (answer_first, next_wake) {
            (true, _) => {
                let (at, tag, req) = in_flight.remove(0);
                now = at;
                let outcome = sim.handle(&req, now);
                b.on_outcome(tag, outcome, now);
            }
            (false, Some(w)) => now = w,
            (false, None) => panic!("stuck: nothing in flight, nothing to wait for, not done"),
        }
    }
    let progress = b.progress();
    assert_eq!(progress.done, progress.total);
    let results = std::mem::replace(b, bulk("[]", 0)).into_results();
    (results, now)
}

fn assert_exactly_once(results: &[Result<Json, Error>], sim: &Sim, n: usize) {
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(sim.objects.len(), n, "objects on the server");
    let mut upns: Vec<&str> = sim
        .objects
        .iter()
        .map(|o| o.get("userPrincipalName").unwrap().as_str().unwrap())
        .collect();
    upns.sort();
    upns.dedup();
    assert_eq!(upns.len(), n, "one object per user");
    for (i, r) in results.iter().enumerate() {
        let upn = r
            .as_ref()
            .unwrap()
            .get("userPrincipalName")
            .unwrap()
            .as_str()
            .unwrap();
        assert_eq!(
            upn,
            format!("user{i}@contoso.com"),
            "results are in input order"
        );
    }
}

#[test]
fn a_clean_run_creates_everything_in_batches_of_twenty() {
    let mut b = bulk(&items(95), 3);
    let mut sim = Sim::new(|_| Fault::None);
    let (results, _) = run(&mut b, &mut sim, 10.0);
    assert_exactly_once(&results, &sim, 95);
    assert_eq!(sim.calls, 95);
}

#[test]
fn throttling_and_uncertain_commits_end_exactly_once() {
    let mut b = bulk(&items(1000), 3);
    // 10% inner 429s, 3% committed-then-503, 2% 503 without commit, and one dropped batch.
    let mut sim = Sim::new(|n| match n % 100 {
        0..=9 => Fault::Throttle,
        10..=12 => Fault::CommitThen503,
        13..=14 => Fault::Unavailable,
        _ if n == 517 => Fault::DropBatchAfterCommit,
        _ => Fault::None,
    });
    sim.page_size = 100;
    let (results, took) = run(&mut b, &mut sim, 20.0);
    assert_exactly_once(&results, &sim, 1000);
    assert!(sim.throttled > 50);
    // Scattered 429s while most gets through must not crush the pace: 50 batches of 20 at
    // 20 ms, four in flight, is 250 ms unthrottled; allow the waits and look-ups.
    assert!(took < 15_000.0, "took {took} ms of virtual time");
    eprintln!("faults: {} 429s, {took} ms", sim.throttled);
}

#[test]
fn a_write_budget_is_met_without_a_storm() {
    let mut b = bulk(&items(1000), 3);
    let mut sim = Sim::new(|_| Fault::None);
    sim.budget = Some((100, 1000.0));
    let (results, took) = run(&mut b, &mut sim, 5.0);
    assert_exactly_once(&results, &sim, 1000);
    // The budget allows 100 writes a second: at best about 9 s for 1,000.
    assert!(took >= 9000.0, "{took}");
    assert!(
        sim.throttled < 200,
        "{} 429s for 1,000 items",
        sim.throttled
    );
    assert!(took < 40_000.0, "too slow: {took} ms");
    eprintln!("write budget: {} 429s, {took} ms", sim.throttled);
}

#[test]
fn invalid_and_repeated_items_are_reported_in_place_and_never_sent() {
    let states = r#"[
        {"userPrincipalName":"a@x","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"A@X","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"b@x","successDeviceCount":-1,"errorDeviceCount":0}
    ]"#;
    let mut b = bulk(states, 3);
    let mut sim = Sim::new(|_| Fault::None);
    let (results, _) = run(&mut b, &mut sim, 1.0);
    assert!(results[0].is_ok());
    let field = |r: &Result<Json, Error>| match r {
        Err(Error::Validation(v)) => v.first().field.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(&results[1]), "userStates[1].userPrincipalName");
    assert_eq!(field(&results[2]), "userStates[2].userPrincipalName");
    assert_eq!(field(&results[3]), "userStates[3].successDeviceCount");
    assert_eq!(sim.calls, 1);
}

#[test]
fn an_abort_reports_what_was_created() {
    let mut b = bulk(&items(60), 3);
    let mut sim = Sim::new(|_| Fault::None);
    let poll = b.poll(0.0);
    assert_eq!(poll.sends.len(), 3);
    let (tag, req) = &poll.sends[0];
    let outcome = sim.handle(req, 1.0);
    b.on_outcome(*tag, outcome, 1.0);
    b.abort();
    let results = b.into_results();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 20);
    assert!(results[20..]
        .iter()
        .all(|r| matches!(r, Err(Error::Aborted { .. }))));
}

#[test]
fn wakes_never_exceed_what_one_timer_can_wait() {
    // Found by the bulk_machine fuzz target: a 40-day Retry-After asked for a 3.4e9 ms timer,
    // which setTimeout fires at once.
    let mut b = bulk(&items(1), 3);
    let poll = b.poll(0.0);
    let (tag, _) = &poll.sends[0];
    let throttled = r#"{"responses":[{"id":"0","status":429,"headers":{"Retry-After":"3456000"},"body":{"error":{"code":"TooManyRequests","message":"later"}}}]}"#;
    b.on_outcome(
        *tag,
        Outcome::Response(resp(200, &[], Some(json(throttled)))),
        1.0,
    );
    let poll = b.poll(2.0);
    assert!(poll.sends.is_empty());
    assert_eq!(poll.wake_in_ms, Some(i32::MAX as u32));
}

#[test]
fn a_retry_after_longer_than_any_timer_is_still_waited_out() {
    // Found by the bulk_machine fuzz target: waits saturated at u32::MAX ms (~50 days), so a
    // Retry-After of 31 years was cut short.
    let mut b = bulk(&items(1), 3);
    let poll = b.poll(0.0);
    let (tag, _) = &poll.sends[0];
    let throttled = r#"{"responses":[{"id":"0","status":429,"headers":{"Retry-After":"999999999"},"body":{"error":{"code":"TooManyRequests","message":"later"}}}]}"#;
    b.on_outcome(
        *tag,
        Outcome::Response(resp(200, &[], Some(json(throttled)))),
        1.0,
    );
    let mut now = 1.0;
    for _ in 0..10 {
        let poll = b.poll(now);
        assert!(poll.sends.is_empty(), "resent {now} ms in");
        now += f64::from(poll.wake_in_ms.unwrap());
    }
    assert!(
        b.poll(1_000_000_000_002.0).sends.len() == 1,
        "sent once the wait is over"
    );
}

#[test]
fn a_budget_with_a_longer_window_is_estimated_from_the_wait() {
    // 100 writes per 2 s: the first 429 asks to wait about 2 s after 100 went through, which
    // puts the pace near 50 a second at once instead of ramping down to it throttle by throttle.
    let mut b = bulk(&items(1000), 3);
    let mut sim = Sim::new(|_| Fault::None);
    sim.budget = Some((100, 2000.0));
    let (results, took) = run(&mut b, &mut sim, 5.0);
    assert_exactly_once(&results, &sim, 1000);
    eprintln!("2 s window: {} 429s, {took} ms", sim.throttled);
    assert!(
        took < 24_000.0,
        "too slow: {took} ms, against a best of 18,000"
    );
    assert!(sim.throttled <= 150, "{} 429s", sim.throttled);
}
