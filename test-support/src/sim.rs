//! A simulated Graph for the bulk machine's native tests, in virtual time: `$batch` creates
//! with faults chosen per inner create, graph-mock's write budget (same sliding window, same
//! integer `Retry-After`), and paged look-ups. It never dedupes, so a doubled create shows up
//! as a second object. It is `Clone`, so a test can keep the service as it stood at any
//! moment and resume a cut run against it.

use intune_core::bulk::{Bulk, BATCH_SIZE};
use intune_core::http::{Method, Outcome, Request};
use intune_core::validate::bulk_request;
use intune_core::Policy;
use intune_core::{journal, Error, Json};
use std::collections::{HashMap, VecDeque};

/// The helpers a bulk test uses beside the service, here too so that it reads them from one
/// place.
pub use crate::answers::{json, resp};
pub use crate::journal::{line, lines, record, resumed};

pub const ROOT: &str = "http://127.0.0.1:9";
/// What the sim echoes in failures and objects when told to, as a hostile proxy might.
pub const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJzaW0iOiJ0b2tlbiJ9";
/// Response header values a record must never hold.
pub const DATE_MARK: &str = "Sun, 29 Nov 2026 13:00:00 GMT";
pub const DIAG_MARK: &str = "diag-7f3a9c";

/// What the service does to one inner create.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    None,
    /// 429 with `Retry-After: 0.5`: not processed.
    Throttle,
    /// Created, then answered 503.
    CommitThen503,
    /// 503, not processed.
    Unavailable,
    /// Created, then the whole `$batch` connection drops.
    DropBatchAfterCommit,
    /// 403, final, with the token echoed in the message.
    Forbidden,
}

#[derive(Clone)]
pub struct Sim {
    pub objects: Vec<Json>,
    pub next_id: u64,
    /// Times of the writes the budget admitted, oldest first.
    pub writes: VecDeque<f64>,
    /// `(writes, window ms)`, graph-mock's `writeBudget`.
    pub budget: Option<(usize, f64)>,
    pub page_size: usize,
    /// Decides the fault of the n-th inner create (counted from 1).
    pub fault: fn(u64) -> Fault,
    pub calls: u64,
    /// 429s answered.
    pub throttled: u32,
    /// Times of the 429s the budget answered.
    pub throttled_at: Vec<f64>,
    /// Echo [`TOKEN`] in 403 messages and in created objects.
    pub echo_token: bool,
    /// Requests handled, by method: (GETs, POSTs).
    pub requests: (u32, u32),
    /// Answer budget 429s without `Retry-After`, as Intune often does.
    pub omit_retry_after: bool,
    /// Users whose creates are always answered 403 (final), the token echoed when told to.
    pub forbidden: Vec<String>,
}

impl Sim {
    pub fn new(fault: fn(u64) -> Fault) -> Self {
        Self {
            objects: Vec::new(),
            next_id: 0,
            writes: VecDeque::new(),
            budget: None,
            page_size: 100,
            fault,
            calls: 0,
            throttled: 0,
            throttled_at: Vec::new(),
            echo_token: false,
            requests: (0, 0),
            omit_retry_after: false,
            forbidden: Vec::new(),
        }
    }

    pub fn create(&mut self, body: &Json) -> Json {
        self.next_id += 1;
        let mut obj = body.as_object().unwrap().clone();
        obj.insert("id", format!("obj-{}", self.next_id).into());
        if self.echo_token {
            obj.insert("note", format!("made with {TOKEN}").into());
        }
        let obj = Json::Object(obj);
        self.objects.push(obj.clone());
        obj
    }

    /// graph-mock's `State::admit_write`: a sliding window over the whole server; when it is
    /// full, the integer seconds (at least 1) until the oldest write in it leaves, counted in
    /// whole milliseconds and rounded up.
    pub fn over_budget(&mut self, now: f64) -> Option<u64> {
        let (writes, window) = self.budget?;
        while self.writes.front().is_some_and(|t| now - t >= window) {
            self.writes.pop_front();
        }
        if self.writes.len() < writes {
            self.writes.push_back(now);
            return None;
        }
        let oldest = self.writes[self.writes.len() - writes];
        let wait_ms = (window - (now - oldest)).max(0.0).floor() as u64;
        Some(wait_ms.div_ceil(1000).max(1))
    }

    /// Objects the service holds for `upn`.
    pub fn count(&self, upn: &str) -> usize {
        self.objects
            .iter()
            .filter(|o| o.get("userPrincipalName").and_then(Json::as_str) == Some(upn))
            .count()
    }

    /// Handles one request at `now`.
    pub fn handle(&mut self, req: &Request, now: f64) -> Outcome {
        match req.method {
            Method::Get => {
                self.requests.0 += 1;
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
                self.requests.1 += 1;
                assert!(req.url.ends_with("/beta/$batch"));
                let body = req.body.as_ref().unwrap();
                let Some(Json::Array(requests)) = body.get("requests") else {
                    panic!()
                };
                assert!(!requests.is_empty() && requests.len() <= BATCH_SIZE);
                let headers = format!(
                    r#"{{"request-id":"r-{}","client-request-id":"c","date":"{DATE_MARK}","x-ms-ags-diagnostic":"{DIAG_MARK}""#,
                    self.calls
                );
                let mut out = Vec::new();
                let mut drop = false;
                for inner in requests {
                    self.calls += 1;
                    let id = inner.get("id").unwrap().as_str().unwrap().to_owned();
                    assert_eq!(
                        inner.get("url").unwrap().as_str(),
                        Some("/deviceManagement/deviceManagementScripts/s/userRunStates")
                    );
                    let create = inner.get("body").unwrap();
                    let upn = create
                        .get("userPrincipalName")
                        .and_then(Json::as_str)
                        .unwrap();
                    let fault = if self.forbidden.iter().any(|f| f == upn) {
                        Fault::Forbidden
                    } else {
                        (self.fault)(self.calls)
                    };
                    let answer = if let Some(wait) = self.over_budget(now) {
                        self.throttled += 1;
                        self.throttled_at.push(now);
                        let ra = if self.omit_retry_after {
                            String::new()
                        } else {
                            format!(r#","Retry-After":"{wait}""#)
                        };
                        format!(
                            r#"{{"id":"{id}","status":429,"headers":{headers}{ra}}},"body":{{"error":{{"code":"TooManyRequests","message":"budget"}}}}}}"#
                        )
                    } else {
                        match fault {
                            Fault::Throttle => {
                                self.throttled += 1;
                                format!(
                                    r#"{{"id":"{id}","status":429,"headers":{headers},"Retry-After":"0.5"}},"body":{{"error":{{"code":"TooManyRequests","message":"slow"}}}}}}"#
                                )
                            }
                            Fault::Unavailable => format!(
                                r#"{{"id":"{id}","status":503,"headers":{headers}}},"body":{{"error":{{"code":"ServiceUnavailable","message":"busy"}}}}}}"#
                            ),
                            Fault::CommitThen503 => {
                                self.create(create);
                                format!(
                                    r#"{{"id":"{id}","status":503,"body":{{"error":{{"code":"ServiceUnavailable","message":"busy"}}}}}}"#
                                )
                            }
                            Fault::DropBatchAfterCommit => {
                                self.create(create);
                                drop = true;
                                String::new()
                            }
                            Fault::Forbidden => {
                                let echo = if self.echo_token { TOKEN } else { "-" };
                                format!(
                                    r#"{{"id":"{id}","status":403,"headers":{headers}}},"body":{{"error":{{"code":"Forbidden","message":"not for {echo}","innerError":{{"request-id":"inner-{id}","date":"{DATE_MARK}"}}}}}}}}"#
                                )
                            }
                            Fault::None => {
                                let obj = self.create(create);
                                format!(
                                    r#"{{"id":"{id}","status":201,"headers":{headers}}},"body":{}}}"#,
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
                    &[("date", DATE_MARK)],
                    Some(json(&format!(r#"{{"responses":[{}]}}"#, out.join(",")))),
                ))
            }
            _ => panic!("unexpected {req:?}"),
        }
    }
}

/// `n` items as JSON text: `user{i}@contoso.com`.
pub fn items(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"userPrincipalName":"user{i}@contoso.com","successDeviceCount":{},"errorDeviceCount":0}}"#, i % 7))
        .collect();
    format!("[{}]", items.join(","))
}

pub fn request(
    user_states: &str,
    max_retries: u32,
    extra: &str,
) -> intune_core::validate::BulkRequest {
    bulk_request(&json(&format!(
        r#"{{"scriptId":"s","baseUrl":"{ROOT}","maxRetries":{max_retries},"userStates":{user_states}{extra}}}"#
    )))
    .unwrap()
}

pub fn policy(max_retries: u32) -> Policy {
    Policy {
        client_request_id: "c".into(),
        timeout_ms: 30_000,
        max_retries,
        refreshable: true,
        seed: 9,
    }
}

pub fn bulk(user_states: &str, max_retries: u32) -> Bulk {
    Bulk::new(request(user_states, max_retries, ""), policy(max_retries))
}

/// The service and the run's state at one poll, for cutting a journal there.
#[derive(Clone)]
pub struct Moment {
    /// Records appended before this poll.
    pub records_before: usize,
    /// Records this poll appended.
    pub appended: usize,
    /// The service as it stood.
    pub sim: Sim,
    /// Requests in flight before this poll's sends.
    pub in_flight: Vec<Request>,
    /// What this poll sent (released only once its records were durable).
    pub sends: Vec<Request>,
    pub now: f64,
}

/// How a run went.
pub struct Run {
    pub results: Vec<Result<Json, Error>>,
    pub took: f64,
    /// Every record appended, in order (after redaction, as the edge would).
    pub journal: Vec<String>,
    /// The same records before redaction.
    pub raw: Vec<String>,
    pub moments: Vec<Moment>,
    /// Whether a `$batch` went out before the first look-up page was answered.
    pub batch_before_lookup: bool,
    /// The budget the run kept to at the end.
    pub budget: Option<intune_core::bulk::Budget>,
}

/// Runs the machine to the end with answers that take `latency` ms, from `start` ms,
/// appending its records to a journal the way the edge does (each poll's records before
/// its sends). With `keep_moments`, records the state at every poll.
pub fn run_from(mut b: Bulk, sim: &mut Sim, latency: f64, start: f64, keep_moments: bool) -> Run {
    let mut now = start;
    let mut in_flight: Vec<(f64, u64, Request)> = Vec::new();
    let mut journal = Vec::new();
    let mut raw = Vec::new();
    let mut moments = Vec::new();
    let mut steps = 0;
    let mut got_page = false;
    let mut batch_before_lookup = false;
    loop {
        steps += 1;
        assert!(steps < 2_000_000, "the run does not end");
        let poll = b.poll(now);
        if keep_moments && (!poll.append.is_empty() || !poll.sends.is_empty()) {
            moments.push(Moment {
                records_before: journal.len(),
                appended: poll.append.len(),
                sim: sim.clone(),
                in_flight: in_flight.iter().map(|f| f.2.clone()).collect(),
                sends: poll.sends.iter().map(|s| s.1.clone()).collect(),
                now,
            });
        }
        for mut record in poll.append {
            raw.push(line(&record));
            journal::redact(&mut record, TOKEN);
            journal.push(line(&record));
        }
        for (tag, req) in poll.sends {
            if req.method == Method::Post && !got_page {
                batch_before_lookup = true;
            }
            if req.method == Method::Post && !journal.is_empty() {
                assert_written_ahead(&req, &journal);
            }
            in_flight.push((now + latency, tag, req));
        }
        if b.is_done() {
            break;
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
                if req.method == Method::Get {
                    got_page = true;
                }
                b.on_outcome(tag, outcome, now);
            }
            (false, Some(w)) => now = w,
            (false, None) => panic!("stuck: nothing in flight, nothing to wait for, not done"),
        }
    }
    let progress = b.progress();
    assert_eq!(progress.done, progress.total);
    let budget = b.budget();
    Run {
        budget,
        results: b.into_results(),
        took: now - start,
        journal,
        raw,
        moments,
        batch_before_lookup,
    }
}

/// The input indices a `$batch` carries.
pub fn batch_items(req: &Request) -> Vec<usize> {
    let Some(Json::Array(requests)) = req.body.as_ref().and_then(|b| b.get("requests")) else {
        panic!("not a $batch: {req:?}")
    };
    requests
        .iter()
        .map(|r| r.get("id").and_then(Json::as_str).unwrap().parse().unwrap())
        .collect()
}

/// Write-ahead: a `send` record naming exactly the `$batch`'s items is already in the journal.
fn assert_written_ahead(req: &Request, journal: &[String]) {
    let items: Vec<u64> = batch_items(req).into_iter().map(|i| i as u64).collect();
    let found = journal.iter().rev().any(|r| {
        let v = record(r);
        v.get("send").is_some()
            && v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap())
                .eq(items.iter().copied())
    });
    assert!(
        found,
        "a $batch of {items:?} went out before its send record was appended"
    );
}

/// [`run_from`] at time 0 without moments: results and the virtual time taken.
pub fn run(b: Bulk, sim: &mut Sim, latency: f64) -> (Vec<Result<Json, Error>>, f64) {
    let r = run_from(b, sim, latency, 0.0, false);
    (r.results, r.took)
}

/// Objects on the service per user principal name.
pub fn per_user(sim: &Sim) -> HashMap<String, Vec<&Json>> {
    let mut map: HashMap<String, Vec<&Json>> = HashMap::new();
    for o in &sim.objects {
        let upn = o.get("userPrincipalName").and_then(Json::as_str).unwrap();
        map.entry(upn.to_owned()).or_default().push(o);
    }
    map
}

/// Every item succeeded with its own object, there is exactly one object per user on the
/// service, and nothing else.
pub fn assert_exactly_once(results: &[Result<Json, Error>], sim: &Sim, n: usize) {
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(sim.objects.len(), n, "objects on the server");
    let per_user = per_user(sim);
    for (i, r) in results.iter().enumerate() {
        let upn = format!("user{i}@contoso.com");
        let held = per_user.get(&upn).map_or(&[][..], Vec::as_slice);
        assert_eq!(held.len(), 1, "objects for {upn}");
        assert_eq!(
            r.as_ref().unwrap(),
            held[0],
            "item {i} resolved with another object than the one the service holds"
        );
    }
}
