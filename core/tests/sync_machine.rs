//! The sync machine (`sync::Sync`) against a simulated service in virtual time: the plan's
//! five parts applied exactly, faults on list pages and on every kind of write, and a sync cut
//! at every step and run again (waiting first, as after a journal of a cut run, or not) ending
//! exact, a third run sending no write.

use intune_core::http::{Body, Method, Outcome, Request, Response};
use intune_core::json::{Json, Map};
use intune_core::sync::{Sync, SyncAction};
use intune_core::validate::sync_request;
use intune_core::Error;
use intune_core::Policy;

const ROOT: &str = "http://127.0.0.1:9";

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap()
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

/// What the service does to one request (a page, or one inner write).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    None,
    /// 429, `Retry-After: 1`, not processed.
    Throttle,
    /// 503, not processed.
    Unavailable,
    /// Processed, then 503.
    CommitThen503,
    /// Processed, then the whole `$batch` connection drops (a timeout looks the same).
    CommitThenDrop,
}

#[derive(Clone)]
struct Service {
    objects: Vec<Json>,
    next_id: u64,
    page_size: usize,
    fault: fn(u64) -> Fault,
    calls: u64,
    /// Writes processed (each create, update, delete that changed something).
    writes: u32,
    /// Write requests received (inner), processed or not.
    write_requests: u32,
    /// Outer `$batch` requests answered 429 (every 7th when set).
    outer_429_every: Option<u64>,
    batches: u64,
    /// Pages requested; with `page_faults`, the 1st of every 7 is a 503 and the 4th a 429.
    gets: u64,
    page_faults: bool,
    /// Every page a 503.
    pages_fail: bool,
    /// Every write answered as a route the tenant does not have.
    refuse: bool,
}

impl Service {
    fn new(objects: Vec<Json>, fault: fn(u64) -> Fault) -> Self {
        Self {
            objects,
            next_id: 0,
            page_size: 10,
            fault,
            calls: 0,
            writes: 0,
            write_requests: 0,
            outer_429_every: None,
            batches: 0,
            gets: 0,
            page_faults: true,
            pages_fail: false,
            refuse: false,
        }
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.objects
            .iter()
            .position(|o| o.get("id").and_then(Json::as_str) == Some(id))
    }

    /// Runs one inner write; the answer's status and body.
    fn write(&mut self, method: &str, url: &str, body: Option<&Json>) -> (u16, Option<Json>) {
        self.writes += 1;
        let tail = url.rsplit('/').next().unwrap();
        match method {
            "POST" => {
                assert!(url.ends_with("/userRunStates"));
                self.next_id += 1;
                let mut obj = body.unwrap().as_object().unwrap().clone();
                assert!(obj.get("id").is_none(), "a sync never sends an id");
                obj.insert("id", format!("new-{}", self.next_id).into());
                let obj = Json::Object(obj);
                self.objects.push(obj.clone());
                (201, Some(obj))
            }
            "PATCH" => match self.position(tail) {
                Some(k) => {
                    let Json::Object(m) = &mut self.objects[k] else {
                        unreachable!()
                    };
                    for (key, v) in &body.unwrap().as_object().unwrap().0 {
                        if key != "@odata.type" {
                            m.insert(key.as_str(), v.clone());
                        }
                    }
                    (204, None)
                }
                None => {
                    self.writes -= 1;
                    (
                        404,
                        Some(json(
                            r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
                        )),
                    )
                }
            },
            "DELETE" => match self.position(tail) {
                Some(k) => {
                    self.objects.remove(k);
                    (204, None)
                }
                None => {
                    self.writes -= 1;
                    (
                        404,
                        Some(json(
                            r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
                        )),
                    )
                }
            },
            other => panic!("{other}"),
        }
    }

    fn handle(&mut self, req: &Request) -> Outcome {
        match req.method {
            Method::Get => {
                self.gets += 1;
                let fault = match self.gets % 7 {
                    _ if self.pages_fail => Fault::Unavailable,
                    _ if !self.page_faults => Fault::None,
                    1 => Fault::Unavailable,
                    4 => Fault::Throttle,
                    _ => Fault::None,
                };
                match fault {
                    Fault::Throttle => {
                        return Outcome::Response(resp(429, &[("retry-after", "1")], None))
                    }
                    Fault::Unavailable | Fault::CommitThen503 => {
                        return Outcome::Response(resp(503, &[], None))
                    }
                    Fault::CommitThenDrop => return Outcome::Timeout,
                    Fault::None => {}
                }
                let skip = req
                    .url
                    .split("$skiptoken=")
                    .nth(1)
                    .map_or(0, |s| s.parse().unwrap());
                let end = (skip + self.page_size).min(self.objects.len());
                let mut page = Map::new();
                page.insert("value", Json::Array(self.objects[skip..end].to_vec()));
                if end < self.objects.len() {
                    page.insert(
                        "@odata.nextLink",
                        format!("{ROOT}/beta/deviceManagement/deviceManagementScripts/s/userRunStates?$top=999&$skiptoken={end}").into(),
                    );
                }
                Outcome::Response(resp(200, &[], Some(Json::Object(page))))
            }
            Method::Post => {
                assert!(req.url.ends_with("/beta/$batch"));
                self.batches += 1;
                if self.outer_429_every.is_some_and(|n| self.batches % n == 0) {
                    return Outcome::Response(resp(429, &[("retry-after", "2")], None));
                }
                let Some(Json::Array(requests)) = req.body.as_ref().unwrap().get("requests") else {
                    panic!()
                };
                let mut out = Vec::new();
                let mut drop = false;
                for inner in requests.clone() {
                    self.calls += 1;
                    self.write_requests += 1;
                    let id = inner.get("id").unwrap().clone();
                    let method = inner.get("method").unwrap().as_str().unwrap().to_owned();
                    let url = inner.get("url").unwrap().as_str().unwrap().to_owned();
                    let body = inner.get("body");
                    let mut answer = Map::new();
                    answer.insert("id", id);
                    let (status, body) = match (self.fault)(self.calls) {
                        _ if self.refuse => (
                            400,
                            Some(json(
                                r#"{"error":{"code":"No method match route template","message":"No OData route exists"}}"#,
                            )),
                        ),
                        Fault::None => self.write(&method, &url, body),
                        Fault::Throttle => {
                            let mut h = Map::new();
                            h.insert("Retry-After", "1".into());
                            answer.insert("headers", Json::Object(h));
                            (429, None)
                        }
                        Fault::Unavailable => (503, None),
                        Fault::CommitThen503 => {
                            self.write(&method, &url, body);
                            (503, None)
                        }
                        Fault::CommitThenDrop => {
                            self.write(&method, &url, body);
                            drop = true;
                            (0, None)
                        }
                    };
                    answer.insert("status", Json::Number(f64::from(status)));
                    if let Some(b) = body {
                        answer.insert("body", b);
                    }
                    out.push(Json::Object(answer));
                }
                if drop {
                    return Outcome::Network("connection reset".into());
                }
                out.reverse();
                let mut body = Map::new();
                body.insert("responses", Json::Array(out));
                Outcome::Response(resp(200, &[], Some(Json::Object(body))))
            }
            _ => panic!("{req:?}"),
        }
    }

    /// `(upn, success, error)` of every object, sorted.
    fn state(&self) -> Vec<(String, i32, i32)> {
        let mut out: Vec<(String, i32, i32)> = self
            .objects
            .iter()
            .map(|o| {
                (
                    o.get("userPrincipalName")
                        .and_then(Json::as_str)
                        .unwrap_or("<null>")
                        .to_owned(),
                    o.get("successDeviceCount")
                        .and_then(Json::as_i32)
                        .unwrap_or(-9),
                    o.get("errorDeviceCount")
                        .and_then(Json::as_i32)
                        .unwrap_or(-9),
                )
            })
            .collect();
        out.sort();
        out
    }
}

fn policy(seed: u64) -> Policy {
    Policy {
        client_request_id: "c".into(),
        timeout_ms: 30_000,
        max_retries: 3,
        refreshable: false,
        seed,
    }
}

fn object(id: &str, upn: &str, s: i32, e: i32) -> Json {
    json(&format!(
        r#"{{"id":"{id}","userPrincipalName":"{upn}","successDeviceCount":{s},"errorDeviceCount":{e}}}"#
    ))
}

/// Seeded: same (equal), counts (other counts), case (other letter case), twice (two objects),
/// only1, only2 (server only).
fn seeded() -> Vec<Json> {
    vec![
        object("a", "same@x.com", 1, 0),
        object("b", "counts@x.com", 7, 7),
        object("c", "CASE@x.com", 2, 2),
        object("d1", "twice@x.com", 9, 9),
        object("d2", "Twice@x.com", 4, 0),
        object("e", "only1@x.com", 0, 0),
        object("f", "only2@x.com", 3, 3),
    ]
}

/// The file: same, counts, case, twice, and creates new0..new{n}.
fn file(new: usize, delete_extra: bool) -> String {
    let mut items = vec![
        r#"{"userPrincipalName":"same@x.com","successDeviceCount":1,"errorDeviceCount":0}"#
            .to_owned(),
        r#"{"userPrincipalName":"counts@x.com","successDeviceCount":5,"errorDeviceCount":1}"#
            .to_owned(),
        r#"{"userPrincipalName":"case@x.com","successDeviceCount":2,"errorDeviceCount":2}"#
            .to_owned(),
        r#"{"userPrincipalName":"twice@x.com","successDeviceCount":4,"errorDeviceCount":0}"#
            .to_owned(),
    ];
    for i in 0..new {
        items.push(format!(
            r#"{{"userPrincipalName":"new{i}@x.com","successDeviceCount":{},"errorDeviceCount":0}}"#,
            i % 4
        ));
    }
    format!(
        r#"{{"scriptId":"s","baseUrl":"{ROOT}","maxRetries":3,"concurrency":2,"deleteExtra":{delete_extra},"userStates":[{}]}}"#,
        items.join(",")
    )
}

/// The file's users and values, plus what the server keeps.
fn expected(new: usize, delete_extra: bool) -> Vec<(String, i32, i32)> {
    let mut out = vec![
        ("same@x.com".to_owned(), 1, 0),
        ("counts@x.com".to_owned(), 5, 1),
        ("case@x.com".to_owned(), 2, 2),
        ("twice@x.com".to_owned(), 4, 0),
    ];
    for i in 0..new {
        out.push((format!("new{i}@x.com"), (i % 4) as i32, 0));
    }
    if !delete_extra {
        out.push(("twice@x.com".to_owned(), 9, 9));
        out.push(("only1@x.com".to_owned(), 0, 0));
        out.push(("only2@x.com".to_owned(), 3, 3));
    }
    out.sort();
    out
}

fn sync(text: &str, seed: u64) -> Sync {
    Sync::new(sync_request(&json(text), true).unwrap(), policy(seed))
}

/// Runs `s` in virtual time, answers after `latency` ms. With `cut_at`, stops after that many
/// steps: the requests in flight then reach the service (or not, `deliver`), their answers
/// are lost. Returns whether it ended on its own.
fn run(s: &mut Sync, svc: &mut Service, cut_at: Option<usize>, deliver: bool) -> bool {
    run_counting(s, svc, cut_at, deliver).0
}

/// [`run`], also giving the steps taken.
fn run_counting(
    s: &mut Sync,
    svc: &mut Service,
    cut_at: Option<usize>,
    deliver: bool,
) -> (bool, usize) {
    let mut now = 1_000_000.0;
    let mut in_flight: Vec<(f64, u64, Request)> = Vec::new();
    let mut steps = 0;
    loop {
        if cut_at == Some(steps) {
            if deliver {
                for (_, _, req) in in_flight.drain(..) {
                    svc.handle(&req);
                }
            }
            s.abort();
            return (false, steps);
        }
        steps += 1;
        assert!(steps < 200_000, "the sync does not end");
        let poll = s.poll(now);
        assert!(poll.append.is_empty());
        for (tag, req) in poll.sends {
            in_flight.push((now + 40.0, tag, req));
        }
        if s.is_done() {
            assert!(in_flight.is_empty(), "done with requests in flight");
            return (true, steps);
        }
        in_flight.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        let next_answer = in_flight.first().map(|f| f.0);
        let wake = poll.wake_in_ms.map(|ms| now + f64::from(ms));
        match (next_answer, wake) {
            (Some(a), w) if w.is_none_or(|w| a <= w) => {
                let (at, tag, req) = in_flight.remove(0);
                now = at;
                let outcome = svc.handle(&req);
                s.on_outcome(tag, outcome, now);
            }
            (_, Some(w)) => now = w,
            (_, None) => panic!("stuck"),
        }
    }
}

#[test]
fn a_sync_applies_its_plan_exactly_and_a_second_writes_nothing() {
    for delete_extra in [false, true] {
        let mut svc = Service::new(seeded(), |_| Fault::None);
        svc.page_size = 3;
        let mut s = sync(&file(5, delete_extra), 1);
        assert!(run(&mut s, &mut svc, None, false));
        let out = s.into_outcome().unwrap();
        assert_eq!(svc.state(), expected(5, delete_extra));
        assert_eq!(
            (out.created(), out.updated(), out.unchanged(), out.failed()),
            (5, 3, 1, 0)
        );
        assert_eq!(out.deleted(), if delete_extra { 3 } else { 0 });
        assert_eq!(out.plan.extra.len(), 3);
        assert!(out.stopped.is_none(), "{:?}", out.stopped);
        let actions: Vec<&str> = out
            .results
            .iter()
            .map(|r| r.as_ref().unwrap().0.as_str())
            .collect();
        assert_eq!(
            &actions[..5],
            ["unchanged", "updated", "updated", "updated", "created"]
        );
        // The updated object as it now is (a 204 answer: the object before, changed).
        let updated = &out.results[1].as_ref().unwrap().1;
        assert_eq!(updated.get("id").and_then(Json::as_str), Some("b"));
        assert_eq!(
            updated.get("successDeviceCount").and_then(Json::as_i32),
            Some(5)
        );
        if !delete_extra {
            // Server-only objects untouched.
            assert!(svc.position("e").is_some() && svc.position("d1").is_some());
        }
        let writes = svc.write_requests;
        let mut again = sync(&file(5, delete_extra), 2);
        assert!(run(&mut again, &mut svc, None, false));
        let out = again.into_outcome().unwrap();
        assert_eq!(svc.write_requests, writes, "a second sync writes nothing");
        assert_eq!(out.unchanged(), 9);
        assert_eq!(svc.state(), expected(5, delete_extra));
    }
}

fn faulty(n: u64) -> Fault {
    match n % 11 {
        2 => Fault::Throttle,
        4 => Fault::CommitThen503,
        6 => Fault::Unavailable,
        9 if n % 3 == 0 => Fault::CommitThenDrop,
        _ => Fault::None,
    }
}

#[test]
fn faults_on_pages_and_on_every_write_end_exact() {
    for delete_extra in [false, true] {
        for outer in [None, Some(3)] {
            let mut svc = Service::new(seeded(), faulty);
            svc.outer_429_every = outer;
            let mut s = sync(&file(40, delete_extra), 3);
            assert!(run(&mut s, &mut svc, None, false));
            let out = s.into_outcome().unwrap();
            assert_eq!(svc.state(), expected(40, delete_extra), "{outer:?}");
            assert_eq!(out.failed(), 0, "{:?}", out.results);
            assert!(out.throttled > 0);
            // 429s, 503s and dropped answers stop nothing.
            assert!(out.stopped.is_none(), "{:?}", out.stopped);
        }
    }
}

#[test]
fn a_delete_answered_404_after_an_uncertain_attempt_counts_as_deleted() {
    // Every delete is committed and answered 503 the first time.
    let mut svc = Service::new(seeded(), |n| {
        if n <= 3 {
            Fault::None // the pages
        } else if n % 2 == 0 {
            Fault::CommitThen503
        } else {
            Fault::None
        }
    });
    let mut s = sync(&file(0, true), 4);
    assert!(run(&mut s, &mut svc, None, false));
    let out = s.into_outcome().unwrap();
    assert_eq!(svc.state(), expected(0, true));
    assert_eq!(out.deleted(), 3);
    assert!(out.deletions.iter().all(|d| d.1.is_ok()));
}

#[test]
fn a_list_that_cannot_be_read_writes_nothing() {
    let mut svc = Service::new(seeded(), |_| Fault::None);
    svc.pages_fail = true;
    let mut s = sync(&file(3, true), 5);
    assert!(run(&mut s, &mut svc, None, false));
    assert_eq!(s.into_outcome().unwrap_err().name(), "GraphError");
    assert_eq!(svc.write_requests, 0);
}

#[test]
fn cut_at_every_step_and_run_again_ends_exact() {
    let text = |d| file(25, d);
    for delete_extra in [false, true] {
        // Steps of a whole run, to cut at each.
        let mut svc = Service::new(seeded(), faulty);
        let (_, steps) = run_counting(&mut sync(&text(delete_extra), 7), &mut svc, None, false);
        for cut in 0..=steps {
            for (deliver, waits) in [(false, false), (true, true), (true, false)] {
                let mut svc = Service::new(seeded(), faulty);
                let mut first = sync(&text(delete_extra), 7);
                if run(&mut first, &mut svc, Some(cut), deliver) {
                    continue;
                }
                let _ = first.into_outcome();
                let mut second = sync(&text(delete_extra), 8);
                if waits {
                    second = second.after_cut();
                }
                assert!(run(&mut second, &mut svc, None, false));
                let out = second.into_outcome().unwrap();
                assert_eq!(
                    svc.state(),
                    expected(25, delete_extra),
                    "cut at {cut}, deliver {deliver}"
                );
                assert_eq!(out.failed(), 0);
                let writes = svc.write_requests;
                let mut third = Sync::new(
                    sync_request(&json(&text(delete_extra)), true).unwrap(),
                    policy(9),
                );
                assert!(run(&mut third, &mut svc, None, false));
                assert_eq!(svc.write_requests, writes, "a third sync writes nothing");
                let out = third.into_outcome().unwrap();
                assert!(out
                    .results
                    .iter()
                    .all(|r| matches!(r, Ok((SyncAction::Unchanged, _)))));
            }
        }
    }
}

#[test]
fn a_tenant_without_the_write_route_stops_the_sync_after_one_write() {
    // No creates (the file holds only seeded users): the first write is an update, alone.
    let mut svc = Service::new(seeded(), |_| Fault::None);
    svc.refuse = true;
    let text = format!(
        r#"{{"scriptId":"s","baseUrl":"{ROOT}","deleteExtra":true,"userStates":[{}]}}"#,
        (0..30)
            .map(|i| format!(
                r#"{{"userPrincipalName":"only1@x.com{i}","successDeviceCount":0,"errorDeviceCount":0}}"#
            ))
            .chain(std::iter::once(
                r#"{"userPrincipalName":"counts@x.com","successDeviceCount":5,"errorDeviceCount":1}"#
                    .to_owned()
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut svc_no_creates = svc.clone();
    let one = r#"{"userPrincipalName":"counts@x.com","successDeviceCount":5,"errorDeviceCount":1}"#;
    let updates_only =
        format!(r#"{{"scriptId":"s","baseUrl":"{ROOT}","deleteExtra":true,"userStates":[{one}]}}"#);
    let mut s = sync(&updates_only, 10);
    assert!(run(&mut s, &mut svc_no_creates, None, false));
    let out = s.into_outcome().unwrap();
    assert_eq!(svc_no_creates.write_requests, 1, "one write, then the stop");
    assert_eq!(out.failed(), 1 + 6, "the update and the six deletions");
    for d in &out.deletions {
        let Err(Error::Graph(g)) = &d.1 else {
            panic!("{d:?}")
        };
        assert_eq!(g.code, "No method match route template");
    }
    // The result says what stopped the writes: the update's answer, as each write carries it.
    let Some(Error::Graph(stop)) = &out.stopped else {
        panic!("{:?}", out.stopped)
    };
    assert_eq!(
        (stop.status, stop.code.as_str()),
        (400, "No method match route template")
    );
    assert_eq!(stop.message, "No OData route exists");
    for r in out.results.iter().map(|r| r.as_ref().map(|_| ())) {
        assert_eq!(r, Err(out.stopped.as_ref().unwrap()));
    }
    for d in &out.deletions {
        assert_eq!(d.1.as_ref(), Err(out.stopped.as_ref().unwrap()));
    }
    // With creates first, the writes after them stop at their first refusal too.
    let mut s = sync(&text, 11);
    assert!(run(&mut s, &mut svc, None, false));
    let out = s.into_outcome().unwrap();
    assert_eq!(out.deleted(), 0);
    assert_eq!(svc.state(), Service::new(seeded(), |_| Fault::None).state());
    // The creates stopped first (bulk/stop.rs's error, in plain words): that is the stop.
    let Some(Error::Graph(stop)) = &out.stopped else {
        panic!("{:?}", out.stopped)
    };
    assert_eq!(
        (stop.status, stop.code.as_str()),
        (400, "No method match route template")
    );
    assert!(
        stop.message
            .starts_with("The service has no such write route"),
        "{}",
        stop.message
    );
    let created_failed = out.plan.create.iter().map(|c| &out.results[c.index]);
    for r in created_failed {
        assert!(
            matches!(r, Err(e) if Some(e) == out.stopped.as_ref()),
            "{r:?}"
        );
    }
}

#[test]
fn a_plan_only_run_lists_and_writes_nothing() {
    let mut svc = Service::new(seeded(), faulty);
    svc.page_size = 2;
    let mut s = sync(&file(5, true), 12).plan_only();
    assert!(run(&mut s, &mut svc, None, false));
    assert_eq!(svc.write_requests, 0);
    let plan = s.into_plan().unwrap();
    assert_eq!(
        (
            plan.create.len(),
            plan.update.len(),
            plan.unchanged.len(),
            plan.extra.len()
        ),
        (5, 3, 1, 3)
    );
    let mut svc = Service::new(seeded(), |_| Fault::None);
    svc.pages_fail = true;
    let mut s = sync(&file(5, true), 13).plan_only();
    assert!(run(&mut s, &mut svc, None, false));
    assert_eq!(s.into_plan().unwrap_err().name(), "GraphError");
}
