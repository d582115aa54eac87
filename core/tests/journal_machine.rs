//! The bulk machine with a journal, natively against the simulated Graph (`test_support::sim`):
//! what the records hold, write-ahead, and resuming. A journaled run is cut after every
//! record and each prefix resumed against the service as it stood at that moment (with the
//! requests in flight lost, and with them committed after the crash); each must end with
//! exactly one object per item. Foreign, corrupt and finished journals are refused or
//! answered as the README says.
#![cfg(not(target_arch = "wasm32"))]

use intune_core::bulk::Bulk;
use intune_core::http::Method;
use intune_core::{Error, Json};
use test_support::sim::{
    self, items, json, lines, per_user, policy, record, request, run_from, Fault, Moment, Run, Sim,
    DATE_MARK, DIAG_MARK, ROOT, TOKEN,
};

fn journaled(user_states: &str, records: &[String]) -> Result<Bulk, Error> {
    sim::resumed(request(user_states, 3, ""), policy(3), records)
}

/// Transient faults by call (429s, commits answered 503, 503s, one dropped batch after its
/// commit) and two users always refused with a 409 (final for
/// those items alone).
fn faulty() -> Sim {
    let mut sim = Sim::new(|n| match n % 41 {
        3 | 4 => Fault::Throttle,
        11 => Fault::CommitThen503,
        17 => Fault::Unavailable,
        _ if n == 37 => Fault::DropBatchAfterCommit,
        _ => Fault::None,
    });
    sim.refused = vec!["user5@contoso.com".into(), "user33@contoso.com".into()];
    sim.page_size = 7;
    sim
}

/// Each item ended as it must: a refused user failed with its 409 and has no object;
/// every other item resolved with the one object the service holds for it.
fn assert_outcome(results: &[Result<Json, Error>], sim: &Sim, n: usize) {
    assert_eq!(results.len(), n);
    let held = per_user(sim);
    for (i, r) in results.iter().enumerate() {
        let upn = format!("user{i}@contoso.com");
        let objects = held.get(&upn).map_or(&[][..], Vec::as_slice);
        if sim.refused.contains(&upn) {
            match r {
                Err(Error::Graph(g)) => {
                    assert_eq!((g.status, g.code.as_str()), (409, "Conflict"), "{upn}")
                }
                other => panic!("{upn}: {other:?}"),
            }
            assert!(objects.is_empty(), "{upn} has {} objects", objects.len());
        } else {
            assert_eq!(objects.len(), 1, "objects for {upn}: {r:?}");
            assert_eq!(r.as_ref().ok(), Some(objects[0]), "item {i}");
        }
    }
    assert_eq!(
        sim.objects.len(),
        n - sim.refused.len(),
        "objects on the service"
    );
}

/// Items whose last record in `records` is a `send`: in flight with no recorded answer.
fn uncertain(records: &[String]) -> Vec<u64> {
    let mut state = std::collections::BTreeMap::new();
    for r in records.iter().map(|r| record(r)) {
        if let Some(items) = r.get("items") {
            for i in items.as_array().unwrap() {
                state.insert(i.as_u64().unwrap(), true);
            }
        }
        for key in ["created", "failed"] {
            if let Some(i) = r.get(key).and_then(serde_json::Value::as_u64) {
                state.insert(i, false);
            }
        }
    }
    state
        .into_iter()
        .filter(|(_, u)| *u)
        .map(|(i, _)| i)
        .collect()
}

/// The service, the requests in flight and the time when the journal held `cut` records.
fn moment_at(full: &Run, fresh: &Sim, cut: usize) -> (Sim, Vec<intune_core::http::Request>, f64) {
    if cut == 0 {
        // Nothing was durable, so nothing was sent.
        return (fresh.clone(), Vec::new(), 0.0);
    }
    let m: &Moment = full
        .moments
        .iter()
        .find(|m| m.records_before < cut && cut <= m.records_before + m.appended)
        .expect("a moment for every record");
    let mut in_flight = m.in_flight.clone();
    if cut == m.records_before + m.appended {
        // All of this poll's records were durable: its sends went out.
        in_flight.extend(m.sends.iter().cloned());
    }
    (m.sim.clone(), in_flight, m.now)
}

/// Resumes `records` against `sim` at `now`, checks the outcome, that nothing was sent
/// before the look-up when items were uncertain, that settled items kept their recorded
/// results, and that the whole journal then reads as finished with the same results.
fn resume_and_check(records: &[String], sim: &mut Sim, now: f64, n: usize, keep: bool) -> Run {
    let before: Vec<Option<Result<Json, Error>>> = {
        let b = journaled(&items(n), records).expect("a journal of this run");
        let progress = b.progress();
        let results = b.into_results();
        // Nothing polled yet: the settled ones are the recorded ones, the rest "aborted".
        let settled: Vec<_> = results
            .into_iter()
            .map(|r| match r {
                Err(Error::Aborted { .. }) => None,
                r => Some(r),
            })
            .collect();
        assert_eq!(
            progress.done,
            settled.iter().filter(|s| s.is_some()).count()
        );
        settled
    };
    let b = journaled(&items(n), records).unwrap();
    let resumed = run_from(b, sim, 10.0, now + 1.0, keep);
    assert_outcome(&resumed.results, sim, n);
    if !uncertain(records).is_empty() {
        assert!(
            !resumed.batch_before_lookup,
            "a $batch went out before the look-up of the uncertain items ({} records)",
            records.len()
        );
    }
    for (i, recorded) in before.iter().enumerate() {
        if let Some(Ok(object)) = recorded {
            assert_eq!(
                resumed.results[i].as_ref().ok(),
                Some(object),
                "item {i} as recorded"
            );
        }
    }
    let mut whole = records.to_vec();
    whole.extend(resumed.journal.iter().cloned());
    let mut again = journaled(&items(n), &whole).expect("the finished journal reads");
    assert!(
        again.is_done(),
        "the journal of a finished run is done at once"
    );
    let poll = again.poll(now + 2.0);
    assert!(poll.sends.is_empty() && poll.append.is_empty());
    assert!(
        comparable(&again.into_results()) == comparable(&resumed.results),
        "the finished journal's results differ from the run's"
    );
    resumed
}

/// Results as a record keeps them: a `GraphError` without its `date` and `retryAfter`
/// (response headers, never recorded).
fn comparable(results: &[Result<Json, Error>]) -> Vec<Result<Json, Error>> {
    results
        .iter()
        .map(|r| match r {
            Err(Error::Graph(g)) => {
                let mut g = g.clone();
                g.date = None;
                g.retry_after = None;
                Err(Error::Graph(g))
            }
            r => r.clone(),
        })
        .collect()
}

#[test]
fn a_journal_cut_after_any_record_resumes_to_exactly_one_object_per_item() {
    const N: usize = 60;
    let fresh = faulty();
    let mut sim = fresh.clone();
    let full = run_from(
        journaled(&items(N), &[]).unwrap(),
        &mut sim,
        10.0,
        0.0,
        true,
    );
    assert_outcome(&full.results, &sim, N);
    let records = &full.journal;
    assert!(records.len() > N, "{} records", records.len());
    let mut resumed_with_uncertain = 0;
    for cut in 0..=records.len() {
        let (base, in_flight, now) = moment_at(&full, &fresh, cut);
        for committed in [false, true] {
            let mut sim = base.clone();
            if committed {
                // The service processed what was in flight; the answers died with the run.
                for req in &in_flight {
                    let _ = sim.handle(req, now);
                }
            }
            resume_and_check(&records[..cut], &mut sim, now, N, false);
        }
        resumed_with_uncertain += usize::from(!uncertain(&records[..cut]).is_empty());
    }
    assert!(
        resumed_with_uncertain > 10,
        "cuts with uncertain items: {resumed_with_uncertain}"
    );
}

#[test]
fn a_resumed_run_cut_again_resumes_again() {
    const N: usize = 45;
    let fresh = faulty();
    let mut sim = fresh.clone();
    let full = run_from(
        journaled(&items(N), &[]).unwrap(),
        &mut sim,
        10.0,
        0.0,
        true,
    );
    for cut in [
        full.journal.len() / 4,
        full.journal.len() / 2,
        full.journal.len() * 3 / 4,
    ] {
        let (base, in_flight, now) = moment_at(&full, &fresh, cut);
        let mut sim = base.clone();
        for req in &in_flight {
            let _ = sim.handle(req, now);
        }
        let prefix = full.journal[..cut].to_vec();
        let second = resume_and_check(&prefix, &mut sim.clone(), now, N, true);
        // The second run's own records, cut after each one, over the first run's prefix.
        for cut2 in 0..=second.journal.len() {
            let (base2, in_flight2, now2) = match cut2 {
                0 => (sim.clone(), Vec::new(), now),
                _ => moment_at(&second, &sim, cut2),
            };
            let mut sim2 = base2.clone();
            for req in &in_flight2 {
                let _ = sim2.handle(req, now2);
            }
            let mut records = prefix.clone();
            records.extend(second.journal[..cut2].iter().cloned());
            resume_and_check(&records, &mut sim2, now2, N, false);
        }
    }
}

#[test]
fn records_hold_what_was_sent_and_answered_and_never_the_token() {
    let mut sim = faulty();
    sim.echo_token = true;
    let n = 40;
    let run = run_from(
        journaled(&items(n), &[]).unwrap(),
        &mut sim,
        10.0,
        0.0,
        false,
    );
    let records: Vec<serde_json::Value> = run.journal.iter().map(|r| record(r)).collect();

    let header = &records[0];
    assert_eq!(header["v"], 1);
    assert_eq!(header["root"], ROOT);
    assert_eq!(header["kind"], "deviceManagementScripts");
    assert_eq!(header["script"], "s");
    assert_eq!(header["total"], n);
    assert_eq!(header["digest"].as_str().unwrap().len(), 32);
    assert_eq!(
        records.last().unwrap(),
        &serde_json::json!({"finished": true, "succeeded": n - 2, "failed": 2})
    );
    // Every item was sent (write-ahead is checked by run_from at each $batch), and settled
    // once, after a send naming it.
    let mut sent = vec![false; n];
    let mut settled = vec![0; n];
    for r in &records[1..records.len() - 1] {
        if let Some(items) = r.get("items") {
            assert!(r["send"].as_u64().unwrap() > 0);
            for i in items.as_array().unwrap() {
                sent[i.as_u64().unwrap() as usize] = true;
            }
        } else if let Some(i) = r.get("created") {
            let i = i.as_u64().unwrap() as usize;
            assert!(sent[i]);
            settled[i] += 1;
            // The whole object the service returned (its token echo redacted).
            let upn = format!("user{i}@contoso.com");
            let held = sim
                .objects
                .iter()
                .find(|o| o.get("userPrincipalName").and_then(Json::as_str) == Some(&upn))
                .unwrap();
            let mut expected = serde_json::to_value(held).unwrap();
            expected["note"] = "made with [redacted]".into();
            assert_eq!(r["object"], expected);
        } else if let Some(i) = r.get("failed") {
            let i = i.as_u64().unwrap() as usize;
            assert!(sent[i]);
            settled[i] += 1;
            assert_eq!(
                r["error"],
                serde_json::json!({"name": "GraphError", "status": 409, "code": "Conflict",
                    "message": "not for [redacted]", "requestId": format!("inner-{i}"),
                    "clientRequestId": "c"})
            );
        } else {
            panic!("unexpected record {r}");
        }
    }
    assert!(settled.iter().all(|&s| s == 1), "{settled:?}");
    // Flights only grow.
    let flights: Vec<u64> = records.iter().filter_map(|r| r["send"].as_u64()).collect();
    assert!(flights.windows(2).all(|w| w[0] < w[1]));
    // The service echoed the token: it reached the records the machine made, and
    // journal::redact took it out of every one; no response header but the request ids made
    // it in either.
    assert!(
        run.raw.iter().any(|r| r.contains(TOKEN)),
        "the echo never reached a record"
    );
    for r in &run.journal {
        assert!(!r.contains(TOKEN), "the token in {r}");
        assert!(
            !r.contains(DATE_MARK) && !r.contains(DIAG_MARK),
            "a header in {r}"
        );
    }
}

#[test]
fn a_finished_journal_gives_its_recorded_results_and_sends_nothing() {
    let mut sim = faulty();
    let n = 30;
    let run = run_from(
        journaled(&items(n), &[]).unwrap(),
        &mut sim,
        10.0,
        0.0,
        false,
    );
    let mut again = journaled(&items(n), &run.journal).unwrap();
    assert!(again.is_done());
    let progress = again.progress();
    assert_eq!(
        (progress.done, progress.succeeded, progress.failed),
        (n, n - 1, 1)
    );
    let poll = again.poll(5.0);
    assert!(poll.sends.is_empty() && poll.append.is_empty() && poll.wake_in_ms.is_none());
    assert!(again.take_records().is_empty());
    let results = again.into_results();
    for (i, (r, live)) in results.iter().zip(&run.results).enumerate() {
        match (r, live) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "item {i}"),
            (Err(Error::Graph(a)), Err(Error::Graph(b))) => {
                // Rebuilt from name, status, code, message and request ids; no Date, no
                // Retry-After (response headers).
                assert_eq!(
                    (
                        a.status,
                        &a.code,
                        &a.message,
                        &a.request_id,
                        &a.client_request_id
                    ),
                    (
                        b.status,
                        &b.code,
                        &b.message,
                        &b.request_id,
                        &b.client_request_id
                    )
                );
                assert_eq!(
                    (a.date.as_deref(), b.date.as_deref()),
                    (None, Some(DATE_MARK))
                );
            }
            other => panic!("item {i}: {other:?}"),
        }
    }
    // A journal whose run settled everything but was cut before its `finished` record
    // finishes without sending anything, writing just that record.
    let cut = &run.journal[..run.journal.len() - 1];
    let mut b = journaled(&items(n), cut).unwrap();
    assert!(!b.is_done());
    let poll = b.poll(5.0);
    assert!(poll.sends.is_empty());
    assert_eq!(lines(poll.append), [run.journal.last().unwrap().clone()]);
    assert!(b.is_done());
}

fn journal_error(result: Result<Bulk, Error>) -> String {
    match result {
        Err(Error::Validation(v)) => {
            assert_eq!(v.first().field, "journal");
            v.first().message.clone()
        }
        Err(other) => panic!("not a ValidationError: {other:?}"),
        Ok(_) => panic!("the journal was accepted"),
    }
}

#[test]
fn a_journal_of_another_run_is_refused_and_says_what_differs() {
    let mut sim = Sim::new(|_| Fault::None);
    let run = run_from(
        journaled(&items(5), &[]).unwrap(),
        &mut sim,
        1.0,
        0.0,
        false,
    );
    let j = &run.journal;
    let with = |states: &str, extra: &str| sim::resumed(request(states, 3, extra), policy(3), j);
    let cases = [
        (
            with(&items(5), r#","scriptId":"t""#),
            r#"scriptId "s", not "t""#,
        ),
        (
            with(&items(5), r#","baseUrl":"http://localhost:9""#),
            r#"Graph root "http://127.0.0.1:9", not "http://localhost:9""#,
        ),
        (
            with(&items(5), r#","scriptKind":"deviceShellScripts""#),
            r#"scriptKind "deviceManagementScripts", not "deviceShellScripts""#,
        ),
        (with(&items(6), ""), "5 items, not 6"),
        (
            with(&items(5).replace("user3@", "someone@"), ""),
            "other items or another order",
        ),
        (
            with(
                &items(5)
                    .replace("user3@", "userX@")
                    .replace("user4@", "user3@")
                    .replace("userX@", "user4@"),
                "",
            ),
            "other items or another order",
        ),
        (
            with(
                &items(5).replace(r#""successDeviceCount":1"#, r#""successDeviceCount":2"#),
                "",
            ),
            "other items or another order",
        ),
    ];
    for (result, what) in cases {
        let message = journal_error(result);
        assert!(
            message.starts_with("holds a different run (") && message.contains(what),
            "{message}"
        );
        assert!(message.contains("nothing was sent"), "{message}");
    }
    // Items that differ only in what is not sent (concurrency, maxRetries) are the same run.
    let same = sim::resumed(request(&items(5), 1, r#","concurrency":2"#), policy(1), j);
    assert!(same.unwrap().is_done());
}

#[test]
fn a_journal_that_cannot_be_read_is_refused_and_says_which_record() {
    let mut sim = Sim::new(|_| Fault::None);
    let run = run_from(
        journaled(&items(3), &[]).unwrap(),
        &mut sim,
        1.0,
        0.0,
        false,
    );
    let j = run.journal.clone();
    // header, send [0] (the first write alone), created 0, send [1,2], created 1 and 2 (in
    // answer order), finished
    assert_eq!(j.len(), 7, "{j:?}");
    let created0 = j
        .iter()
        .position(|r| r.starts_with(r#"{"created":0,"#))
        .unwrap();
    let edit = |at: usize, text: &str| {
        let mut j = j.clone();
        j[at] = text.to_owned();
        j
    };
    let cases: Vec<(Vec<String>, String)> = vec![
        (edit(0, "not json"), "record 1 is not JSON".into()),
        (
            edit(0, r#"{"send":1,"items":[0]}"#),
            "record 1 is not a journal header".into(),
        ),
        (
            edit(0, &j[0].replace(r#"{"v":1,"#, r#"{"v":2,"#)),
            "record 1 is in journal format version 2; this version reads 1".into(),
        ),
        (
            edit(1, &j[1][..j[1].len() - 3]),
            "record 2 is not JSON".into(),
        ),
        (
            edit(1, r#"{"sent":1,"items":[0,1,2]}"#),
            "record 2 is not a journal record".into(),
        ),
        (
            edit(1, r#"{"send":1,"items":[0,1,7]}"#),
            "record 2 names item 7 of a run of 3".into(),
        ),
        (
            edit(1, r#"{"send":1,"items":[0,1,1]}"#),
            "record 2 sends item 1 twice".into(),
        ),
        (edit(1, &j[0]), "record 2 is a second header".into()),
        (
            edit(1, r#"{"send":1,"items":[1,2]}"#),
            format!(
                "record {} settles item 0, which was not in flight",
                created0 + 1
            ),
        ),
        (
            edit(
                created0,
                r#"{"created":0,"object":{"userPrincipalName":"user0@contoso.com"}}"#,
            ),
            format!("record {} holds no user state", created0 + 1),
        ),
        (
            edit(
                created0,
                r#"{"failed":0,"error":{"name":"MysteryError","message":"?"}}"#,
            ),
            format!(
                "record {} holds no error this version can rebuild",
                created0 + 1
            ),
        ),
        (
            edit(6, r#"{"finished":true,"succeeded":2,"failed":1}"#),
            "record 7 ends the run with other counts than its records".into(),
        ),
        (
            {
                let mut j = j.clone();
                j.push(j[1].clone());
                j
            },
            "record 8 follows the end of the run".into(),
        ),
        (
            {
                let mut j = j.clone();
                j.insert(2, r#"{"finished":true,"succeeded":0,"failed":0}"#.into());
                j
            },
            "record 3 ends a run with items unsettled".into(),
        ),
    ];
    for (journal, what) in cases {
        let message = journal_error(journaled(&items(3), &journal));
        assert!(
            message.starts_with("cannot be read: ") && message.contains(what.as_str()),
            "expected {what:?} in {message:?}"
        );
        assert!(message.ends_with("nothing was sent"), "{message}");
    }
    // Nothing was sent in any of these: the machine was never made. And an invalid item
    // named by a record (the request validates differently than when the journal was made)
    // is unreadable too, not a different run, since the digest hashes invalid items alike.
    let states = items(3).replace(r#""successDeviceCount":1"#, r#""successDeviceCount":-1"#);
    let message = journal_error(journaled(&states, &j));
    assert!(message.contains("holds a different run"), "{message}");
}

#[test]
fn an_aborted_journaled_run_resumes_without_doubling() {
    let n = 50;
    let mut sim = Sim::new(|_| Fault::None);
    let mut b = journaled(&items(n), &[]).unwrap();
    let mut journal = Vec::new();
    // The first write alone, answered; then three batches.
    let poll = b.poll(0.0);
    journal.extend(lines(poll.append));
    assert_eq!(poll.sends.len(), 1);
    let outcome = sim.handle(&poll.sends[0].1, 0.5);
    b.on_outcome(poll.sends[0].0, outcome, 0.5);
    let poll = b.poll(0.5);
    journal.extend(lines(poll.append));
    assert_eq!(poll.sends.len(), 3);
    // The first batch is answered; the second is processed but the run is aborted before
    // its answer is read; the third never reaches the service.
    let outcome = sim.handle(&poll.sends[0].1, 1.0);
    b.on_outcome(poll.sends[0].0, outcome, 1.0);
    let _ = sim.handle(&poll.sends[1].1, 1.0);
    b.abort();
    assert!(b.is_done());
    journal.extend(lines(b.take_records()));
    let results = b.into_results();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 21);
    assert!(!journal.last().unwrap().contains("finished"));
    // Resumed: the first 21 as recorded, the second batch found by the look-up, the rest sent.
    let b = journaled(&items(n), &journal).unwrap();
    assert_eq!(b.progress().done, 21);
    let run = run_from(b, &mut sim, 5.0, 10.0, false);
    sim::assert_exactly_once(&run.results, &sim, n);
    assert!(!run.batch_before_lookup);
    // The first write and two $batch requests reached the service before the abort; after
    // the look-up only the third batch's items (in flight, never processed, absent) went out
    // again, once each: the resumed run's first write alone, then the rest.
    assert_eq!(sim.requests.1, 3 + 2);
    assert_eq!(
        sim.requests.0, 1,
        "one look-up page (50 objects, pages of 100)"
    );
}

#[test]
fn a_resumed_run_with_nothing_uncertain_sends_at_once() {
    let n = 40;
    let mut sim = Sim::new(|_| Fault::None);
    let mut b = journaled(&items(n), &[]).unwrap();
    let mut journal = Vec::new();
    // The first write alone, then the rest.
    for now in [0.0, 1.0] {
        let poll = b.poll(now);
        journal.extend(lines(poll.append));
        for (tag, req) in poll.sends {
            let outcome = sim.handle(&req, now + 0.5);
            b.on_outcome(tag, outcome, now + 0.5);
        }
    }
    journal.extend(lines(b.take_records()));
    // Everything settled but the `finished` record: cut before it, and drop it.
    journal.pop();
    let mut b = journaled(&items(n), &journal).unwrap();
    let poll = b.poll(2.0);
    assert!(poll.sends.is_empty());
    assert_eq!(poll.append.len(), 1);
    assert!(b.is_done());
    // Half sent and settled (the first write and the next batch), half never sent: no
    // look-up, the rest goes at once, its first write alone.
    let half: Vec<String> = journal
        .iter()
        .filter(|r| {
            let v = record(r);
            v.get("v").is_some()
                || v["items"]
                    .as_array()
                    .is_some_and(|i| i[0].as_u64() <= Some(1))
                || v["created"].as_u64().is_some_and(|i| i <= 20)
        })
        .cloned()
        .collect();
    let mut b = journaled(&items(n), &half).unwrap();
    let poll = b.poll(3.0);
    assert_eq!(poll.sends.len(), 1);
    assert_eq!(poll.sends[0].1.method, Method::Post);
    assert_eq!(sim::batch_items(&poll.sends[0].1), vec![21]);
    let outcome = sim.handle(&poll.sends[0].1, 3.5);
    b.on_outcome(poll.sends[0].0, outcome, 3.5);
    let poll = b.poll(3.5);
    assert_eq!(poll.sends.len(), 1);
    assert_eq!(
        sim::batch_items(&poll.sends[0].1),
        (22..40).collect::<Vec<_>>()
    );
    let _ = json("{}");
}

#[test]
fn items_in_flight_at_the_cut_are_sent_again_when_absent_whatever_max_retries_says() {
    // maxRetries 0: no resend after a failure the run saw. A crash is no answer: an item
    // the look-up does not find was never created, and is sent.
    let n = 30;
    let req = || request(&items(n), 0, r#","concurrency":1"#);
    let mut b = sim::resumed(req(), policy(0), &[] as &[String]).unwrap();
    let poll = b.poll(0.0);
    assert_eq!(poll.sends.len(), 1);
    let journal = lines(poll.append);
    // Crash: the first $batch never reached the service.
    let mut sim = Sim::new(|_| Fault::None);
    let resumed = sim::resumed(req(), policy(0), &journal).unwrap();
    let run = run_from(resumed, &mut sim, 5.0, 10.0, false);
    sim::assert_exactly_once(&run.results, &sim, n);
    assert!(!run.batch_before_lookup);
}
