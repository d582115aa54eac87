//! Runs that fail safe (issue 17), natively against the simulated Graph (`test_support::sim`):
//! the first write goes alone, and an answer that says the run cannot succeed (401 after the
//! token was asked again, 403, 404, 405, 501, 400 `No method match route template`; inner or
//! outer) stops the run at once, is reported on every unsettled item, and is not journaled as
//! their result, so a run resumed once the service accepts the write goes on.
#![cfg(not(target_arch = "wasm32"))]

use intune_core::bulk::{Bulk, NO_ROUTE};
use intune_core::http::Method;
use intune_core::{Error, Json, Policy};
use test_support::sim::{
    self, assert_exactly_once, batch_items, bulk, items, policy, record, request, run, run_from,
    Fault, Sim,
};

const REFUSALS: [(u16, &str); 5] = [
    (400, NO_ROUTE),
    (403, "Forbidden"),
    (404, "ResourceNotFound"),
    (405, "MethodNotAllowed"),
    (501, "NotImplemented"),
];

/// Every result is the stop's `GraphError`: Graph's status and code, a message in plain
/// words with the request ids.
fn assert_stopped_with(results: &[Result<Json, Error>], status: u16, code: &str, ids: &str) {
    for r in results {
        match r {
            Err(Error::Graph(g)) => {
                assert_eq!((g.status, g.code.as_str()), (status, code));
                assert!(g.message.contains("The run stopped"), "{}", g.message);
                assert!(g.message.contains(ids), "{}", g.message);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_first_write_goes_alone_and_the_rest_once_its_answer_is_in() {
    let mut b = bulk(&items(100), 3);
    let mut sim = Sim::new(|_| Fault::None);
    let poll = b.poll(0.0);
    assert_eq!(poll.sends.len(), 1);
    assert_eq!(batch_items(&poll.sends[0].1), vec![0]);
    // Nothing more while it is in flight, however often the machine is asked.
    assert!(b.poll(1.0).sends.is_empty());
    let (tag, req) = &poll.sends[0];
    let outcome = sim.handle(req, 2.0);
    b.on_outcome(*tag, outcome, 2.0);
    let poll = b.poll(2.0);
    assert_eq!(poll.sends.len(), 4, "concurrency 4");
    assert_eq!(batch_items(&poll.sends[0].1), (1..21).collect::<Vec<_>>());
}

#[test]
fn a_first_write_throttled_lets_the_rest_go_and_an_uncertain_one_goes_alone_again() {
    // Throttled: the service took the write in and said when; the pacer governs from here.
    let mut b = bulk(&items(100), 3);
    let mut sim = Sim::new(|n| if n == 1 { Fault::Throttle } else { Fault::None });
    let poll = b.poll(0.0);
    let outcome = sim.handle(&poll.sends[0].1, 1.0);
    b.on_outcome(poll.sends[0].0, outcome, 1.0);
    let poll = b.poll(1.0);
    assert_eq!(poll.sends.len(), 4, "the others go while the first waits");
    assert!(!batch_items(&poll.sends[0].1).contains(&0));

    // Uncertain (503 after a commit): settled by the look-up, and the next write alone again.
    let mut b = bulk(&items(100), 3);
    let mut sim = Sim::new(|n| {
        if n == 1 {
            Fault::CommitThen503
        } else {
            Fault::None
        }
    });
    let poll = b.poll(0.0);
    let outcome = sim.handle(&poll.sends[0].1, 1.0);
    b.on_outcome(poll.sends[0].0, outcome, 1.0);
    let mut now = 1.0;
    let mut writes = Vec::new();
    while writes.is_empty() {
        let poll = b.poll(now);
        for (tag, req) in poll.sends {
            let outcome = sim.handle(&req, now);
            if req.method == Method::Post {
                writes.push(batch_items(&req));
            }
            b.on_outcome(tag, outcome, now);
        }
        now += 100.0;
    }
    assert_eq!(writes, vec![vec![1]]);
    let r = run_from(b, &mut sim, 5.0, now, false);
    assert_eq!(
        r.results[0].as_ref().ok(),
        Some(&sim.objects[0]),
        "found by the look-up"
    );
}

#[test]
fn a_refused_write_stops_a_run_of_ten_thousand_after_one_request() {
    for (status, code) in REFUSALS {
        let mut sim = Sim::new(|_| Fault::None);
        sim.refuse_writes = Some((status, code));
        let (results, _) = run(bulk(&items(10_000), 3), &mut sim, 5.0);
        assert_eq!(sim.requests, (0, 1), "{status}: one write, no look-up");
        assert_eq!(results.len(), 10_000);
        assert_stopped_with(
            &results,
            status,
            code,
            "request id inner-0, client request id c",
        );
        assert!(sim.objects.is_empty());
    }
}

#[test]
fn the_route_answer_says_what_it_means_in_plain_words() {
    let mut sim = Sim::new(|_| Fault::None);
    sim.refuse_writes = Some((400, NO_ROUTE));
    let (results, _) = run(bulk(&items(3), 3), &mut sim, 5.0);
    let Err(Error::Graph(g)) = &results[2] else {
        panic!("{:?}", results[2])
    };
    for words in [
        "no such write route in this tenant",
        "Intune computes script run states from the devices",
        "the documented write may not be available",
        "No OData route exists",
    ] {
        assert!(g.message.contains(words), "{words:?} in {}", g.message);
    }
    assert_eq!(g.request_id.as_deref(), Some("inner-0"));
}

#[test]
fn a_refused_batch_stops_the_run_too() {
    for (status, code) in REFUSALS {
        let mut sim = Sim::new(|_| Fault::None);
        sim.refuse_batches = Some((status, code));
        let (results, _) = run(bulk(&items(1000), 3), &mut sim, 5.0);
        assert_eq!(sim.requests, (0, 1), "{status}");
        assert_stopped_with(
            &results,
            status,
            code,
            "request id outer, client request id c",
        );
    }
}

#[test]
fn a_401_stops_the_run_once_the_token_was_asked_again() {
    // A token function: asked again once, the write alone again, then the stop.
    let mut sim = Sim::new(|_| Fault::None);
    sim.refuse_writes = Some((401, "InvalidAuthenticationToken"));
    let (results, _) = run(bulk(&items(1000), 3), &mut sim, 5.0);
    assert_eq!(sim.requests, (0, 2));
    assert_stopped_with(&results, 401, "InvalidAuthenticationToken", "inner-0");
    // A token string cannot be asked again: one write.
    let mut sim = Sim::new(|_| Fault::None);
    sim.refuse_writes = Some((401, "InvalidAuthenticationToken"));
    let once = Policy {
        refreshable: false,
        ..policy(3)
    };
    let (results, _) = run(Bulk::new(request(&items(1000), 3, ""), once), &mut sim, 5.0);
    assert_eq!(sim.requests, (0, 1));
    assert_stopped_with(&results, 401, "InvalidAuthenticationToken", "inner-0");
}

#[test]
fn another_400_fails_its_items_alone() {
    let mut sim = Sim::new(|_| Fault::None);
    sim.refuse_writes = Some((400, "BadRequest"));
    let (results, _) = run(bulk(&items(45), 3), &mut sim, 5.0);
    assert_eq!(
        sim.requests.1,
        1 + 3,
        "the first write alone, then every other item"
    );
    for r in &results {
        match r {
            Err(Error::Graph(g)) => {
                assert_eq!(g.status, 400);
                assert!(!g.message.contains("The run stopped"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn items_settled_before_the_stop_keep_their_results_and_those_in_flight_are_heard() {
    let mut b = bulk(&items(100), 3);
    let mut sim = Sim::new(|_| Fault::None);
    let poll = b.poll(0.0);
    let outcome = sim.handle(&poll.sends[0].1, 1.0);
    b.on_outcome(poll.sends[0].0, outcome, 1.0);
    let poll = b.poll(1.0);
    assert_eq!(poll.sends.len(), 4);
    // The first batch is created; the second is refused; the third, in flight at the stop,
    // is created (the service let it through) and its answer is still read; the fourth is
    // refused too.
    let outcome = sim.handle(&poll.sends[0].1, 2.0);
    b.on_outcome(poll.sends[0].0, outcome, 2.0);
    sim.refuse_writes = Some((403, "Forbidden"));
    let outcome = sim.handle(&poll.sends[1].1, 3.0);
    b.on_outcome(poll.sends[1].0, outcome, 3.0);
    assert!(b.poll(3.0).sends.is_empty(), "nothing more is sent");
    assert!(!b.is_done(), "the third batch is still to be heard");
    sim.refuse_writes = None;
    let outcome = sim.handle(&poll.sends[2].1, 4.0);
    b.on_outcome(poll.sends[2].0, outcome, 4.0);
    assert!(b.poll(4.0).sends.is_empty());
    assert!(!b.is_done());
    sim.refuse_writes = Some((403, "Forbidden"));
    let outcome = sim.handle(&poll.sends[3].1, 5.0);
    b.on_outcome(poll.sends[3].0, outcome, 5.0);
    assert!(b.poll(5.0).sends.is_empty());
    assert!(b.is_done());
    let stop = b.stopped().cloned().expect("stopped");
    let results = b.into_results();
    for (i, r) in results.iter().enumerate() {
        if i <= 20 || (41..61).contains(&i) {
            let upn = format!("user{i}@contoso.com");
            let object = r.as_ref().unwrap();
            assert_eq!(
                object.get("userPrincipalName").and_then(Json::as_str),
                Some(&*upn)
            );
        } else {
            assert_eq!(r.as_ref().err(), Some(&stop), "item {i}");
        }
    }
    assert_eq!(sim.objects.len(), 41);
    assert_eq!(sim.requests.1, 5);
}

#[test]
fn a_stop_is_not_journaled_and_the_run_resumed_once_allowed_goes_on() {
    let n = 50;
    let mut sim = Sim::new(|_| Fault::None);
    sim.refuse_writes = Some((403, "Forbidden"));
    let b = sim::resumed(request(&items(n), 3, ""), policy(3), &[] as &[String]).unwrap();
    let stopped = run_from(b, &mut sim, 5.0, 0.0, false);
    assert_stopped_with(&stopped.results, 403, "Forbidden", "inner-0");
    // The header and the first write's send: no failure recorded, no end of the run.
    assert_eq!(stopped.journal.len(), 2, "{:?}", stopped.journal);
    assert!(record(&stopped.journal[1]).get("send").is_some());

    // The permission is granted: the same journal resumes, looks the first write up (not
    // there), sends it alone again, then the rest; one object per item.
    sim.refuse_writes = None;
    let b = sim::resumed(request(&items(n), 3, ""), policy(3), &stopped.journal).unwrap();
    assert_eq!(b.progress().done, 0, "nothing replayed as failed");
    let mut journal = stopped.journal.clone();
    let run = run_from(b, &mut sim, 5.0, 100.0, false);
    assert_exactly_once(&run.results, &sim, n);
    assert_eq!(
        sim.requests,
        (1, 1 + 1 + 3),
        "the look-up, the first write, then 49 items"
    );
    journal.extend(run.journal);
    let sends: Vec<_> = journal
        .iter()
        .map(|r| record(r))
        .filter(|r| r.get("send").is_some())
        .map(|r| r["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sends, vec![1, 1, 20, 20, 9]);
    assert!(journal.last().unwrap().contains("finished"));
}

#[test]
fn uncertain_items_at_the_stop_are_looked_up_not_reported_refused() {
    // The first batch is committed and answered 503 (uncertain); the next is refused.
    let mut b = bulk(&items(100), 3);
    let mut sim = Sim::new(|n| {
        if (2..=21).contains(&n) {
            Fault::CommitThen503
        } else {
            Fault::None
        }
    });
    let poll = b.poll(0.0);
    let outcome = sim.handle(&poll.sends[0].1, 1.0);
    b.on_outcome(poll.sends[0].0, outcome, 1.0);
    let poll = b.poll(1.0);
    assert_eq!(poll.sends.len(), 4);
    let outcome = sim.handle(&poll.sends[0].1, 2.0);
    b.on_outcome(poll.sends[0].0, outcome, 2.0);
    sim.refuse_writes = Some((403, "Forbidden"));
    for (k, (tag, req)) in poll.sends.iter().enumerate().skip(1) {
        let outcome = sim.handle(req, 3.0 + k as f64);
        b.on_outcome(*tag, outcome, 3.0 + k as f64);
    }
    assert!(b.stopped().is_some());
    let r = run_from(b, &mut sim, 5.0, 10.0, false);
    assert_eq!(
        sim.requests,
        (1, 5),
        "one look-up page, no write after the stop"
    );
    for (i, result) in r.results.iter().enumerate() {
        match (i, result) {
            (0..=20, Ok(object)) => {
                let upn = format!("user{i}@contoso.com");
                assert_eq!(
                    object.get("userPrincipalName").and_then(Json::as_str),
                    Some(&*upn)
                );
            }
            (21.., Err(Error::Graph(g))) => assert_eq!(g.status, 403),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sim.objects.len(), 21);
}
