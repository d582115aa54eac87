//! The bulk machine driven natively against a simulated Graph with virtual time
//! (`test_support::sim`): inner 429s, commits followed by 503s, dropped batches, write budgets
//! and how close the run keeps to them, paging during look-ups. The simulated service never
//! dedupes, so a doubled create shows up as a second object.
#![cfg(not(target_arch = "wasm32"))]

use intune_core::bulk::Budget;
use intune_core::http::Outcome;
use intune_core::{Error, Json};
use test_support::sim::{self, assert_exactly_once, bulk, items, json, resp, run, Fault, Sim};

#[test]
fn a_clean_run_creates_everything_in_batches_of_twenty() {
    let b = bulk(&items(95), 3);
    let mut sim = Sim::new(|_| Fault::None);
    let (results, _) = run(b, &mut sim, 10.0);
    assert_exactly_once(&results, &sim, 95);
    assert_eq!(sim.calls, 95);
}

#[test]
fn throttling_and_uncertain_commits_end_exactly_once() {
    let b = bulk(&items(1000), 3);
    // 10% inner 429s, 3% committed-then-503, 2% 503 without commit, and one dropped batch.
    let mut sim = Sim::new(|n| match n % 100 {
        0..=9 => Fault::Throttle,
        10..=12 => Fault::CommitThen503,
        13..=14 => Fault::Unavailable,
        _ if n == 517 => Fault::DropBatchAfterCommit,
        _ => Fault::None,
    });
    sim.page_size = 100;
    let (results, took) = run(b, &mut sim, 20.0);
    assert_exactly_once(&results, &sim, 1000);
    assert!(sim.throttled > 50);
    // Scattered 429s while most gets through must not crush the pace: 50 batches of 20 at
    // 20 ms, four in flight, is 250 ms unthrottled, plus the waits and look-ups. The rate
    // pacer before the sliding window took 3,177 ms here: no slower than that.
    assert!(took <= 3177.0, "took {took} ms of virtual time");
    eprintln!("faults: {} 429s, {took} ms", sim.throttled);
}

/// A run of `n` items against a budget of `writes` per `window_ms`, answers taking `latency`:
/// the run, the service, and the budget's theoretical minimum (the first `writes` at once,
/// then `writes` per window, as bench/bench.mjs computes it).
fn budget_run(n: usize, writes: usize, window_ms: f64, latency: f64) -> (sim::Run, Sim, f64) {
    let mut sim = Sim::new(|_| Fault::None);
    sim.budget = Some((writes, window_ms));
    let r = sim::run_from(bulk(&items(n), 3), &mut sim, latency, 0.0, false);
    assert_exactly_once(&r.results, &sim, n);
    let min = ((n - writes) as f64 / writes as f64).ceil() * window_ms;
    eprintln!(
        "{n} items, {writes} per {window_ms} ms: {:.0} ms = {:.3}x the minimum, {} 429s ({:.1}%), learnt {:?}",
        r.took,
        r.took / min,
        sim.throttled,
        f64::from(sim.throttled) * 100.0 / n as f64,
        r.budget
    );
    (r, sim, min)
}

/// 429s drawn after the first window: the first burst (what is in flight when the service
/// first says no, up to concurrency x 20) is not counted.
fn after_first_burst(sim: &Sim, window_ms: f64) -> usize {
    sim.throttled_at.iter().filter(|&&t| t >= window_ms).count()
}

#[test]
fn the_bench_budget_is_kept_to_within_five_percent_of_its_minimum() {
    // bench/bench.mjs's scenario: 100 writes per 2 s, 1,000 items, concurrency 4 (it took
    // 1.21x the minimum with 120 429s before the sliding window).
    let (r, sim, min) = budget_run(1000, 100, 2000.0, 5.0);
    assert!(
        r.took <= 1.05 * min,
        "{} ms against a minimum of {min}",
        r.took
    );
    assert_eq!(
        r.budget,
        Some(Budget {
            writes: 100,
            window_ms: 2011.0
        }),
        "learnt from the first 429: 100 taken, the first sent at 0, leaving 2 s (+1 ms) after 10"
    );
    // The first burst: 3 batches in flight when the first 429 came, and one sent between
    // the answers of that same burst. Nothing could have told the run sooner.
    assert!(sim.throttled_at.iter().filter(|&&t| t < 2000.0).count() <= 80);
    assert!(
        after_first_burst(&sim, 2000.0) <= 1000 / 100,
        "{} 429s after the first burst",
        after_first_burst(&sim, 2000.0)
    );
}

#[test]
fn intunes_own_budget_over_ten_thousand_items_is_kept_to() {
    // 200 writes per 20 s, Intune's documented budget: 980 s at best for 10,000 items.
    let (r, sim, min) = budget_run(10_000, 200, 20_000.0, 5.0);
    assert!(
        r.took <= 1.05 * min,
        "{} ms against a minimum of {min}",
        r.took
    );
    assert!(
        f64::from(sim.throttled) <= 0.02 * 10_000.0,
        "{} 429s for 10,000 items",
        sim.throttled
    );
    assert!(after_first_burst(&sim, 20_000.0) <= 20);
}

#[test]
fn a_one_second_window_is_kept_to_as_well() {
    let (r, sim, min) = budget_run(1000, 100, 1000.0, 5.0);
    assert!(
        r.took <= 1.05 * min,
        "{} ms against a minimum of {min}",
        r.took
    );
    assert!(after_first_burst(&sim, 1000.0) <= 10);
}

#[test]
fn slow_answers_cost_a_round_trip_and_the_rounding_a_window() {
    // Answers taking 200 ms against a 2 s window, the hard case: a window is counted from
    // when its writes were answered (the only safe bound on when the service counted them),
    // and the window learnt is an upper bound (whole-second Retry-After, the first write's
    // latency): 2.6 s here. Pinned, to see it move.
    let (r, sim, min) = budget_run(1000, 100, 2000.0, 200.0);
    assert!(r.took <= 1.45 * min, "{} ms", r.took);
    assert!(after_first_burst(&sim, 2000.0) <= 10);
}

#[test]
fn without_a_budget_the_run_is_as_fast_as_its_concurrency() {
    // 50 batches, 4 in flight, 5 ms each: 13 round trips, the floor.
    let mut sim = Sim::new(|_| Fault::None);
    let (results, took) = run(bulk(&items(1000), 3), &mut sim, 5.0);
    assert_exactly_once(&results, &sim, 1000);
    assert_eq!(took, 65.0);
}

#[test]
fn a_budget_partly_spent_before_the_run_is_found_again_by_probing() {
    // A run resumed right after a crash: the crashed run's 150 writes fill the window for 15 s
    // more, so the first 429 comes after 50 and the run learns 50 per 15 s. Probing finds
    // the rest of the budget within a few windows.
    let mut sim = Sim::new(|_| Fault::None);
    sim.budget = Some((200, 20_000.0));
    sim.writes.extend(std::iter::repeat_n(-5000.0, 150));
    let r = sim::run_from(bulk(&items(4000), 3), &mut sim, 5.0, 0.0, false);
    assert_exactly_once(&r.results, &sim, 4000);
    let learnt = r.budget.unwrap();
    eprintln!(
        "partly spent: {:.0} ms, {} 429s, learnt {learnt:?}",
        r.took, sim.throttled
    );
    assert!(learnt.writes >= 180, "{learnt:?}");
    // At best 50 in the first 15 s, then 200 per 20 s: 415 s. Probing climbs from +1 a
    // window, doubling: allow a third more.
    assert!(r.took < 1.35 * 415_000.0, "{} ms", r.took);
    assert!(sim.throttled < 200, "{} 429s", sim.throttled);
}

#[test]
fn a_budget_without_retry_after_is_still_met_exactly_once() {
    // Intune often leaves Retry-After out: the run backs off and learns the window from that.
    let mut sim = Sim::new(|_| Fault::None);
    sim.budget = Some((100, 2000.0));
    sim.omit_retry_after = true;
    let r = sim::run_from(bulk(&items(1000), 3), &mut sim, 5.0, 0.0, false);
    assert_exactly_once(&r.results, &sim, 1000);
    eprintln!(
        "no Retry-After: {:.0} ms, {} 429s, learnt {:?}",
        r.took, sim.throttled, r.budget
    );
    assert!(r.took < 60_000.0, "{} ms", r.took);
    assert!(sim.throttled < 600, "{} 429s", sim.throttled);
}

#[test]
fn invalid_and_repeated_items_are_reported_in_place_and_never_sent() {
    let states = r#"[
        {"userPrincipalName":"a@x","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"A@X","successDeviceCount":1,"errorDeviceCount":0},
        {"userPrincipalName":"b@x","successDeviceCount":-1,"errorDeviceCount":0}
    ]"#;
    let b = bulk(states, 3);
    let mut sim = Sim::new(|_| Fault::None);
    let (results, _) = run(b, &mut sim, 1.0);
    assert_eq!(results[0].as_ref().unwrap(), &sim.objects[0]);
    assert_eq!(sim.objects.len(), 1);
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
    // The first batch's 20, each with the object the service made for it.
    for (r, object) in results[..20].iter().zip(&sim.objects) {
        assert_eq!(r.as_ref().unwrap(), object);
    }
    assert_eq!(sim.objects.len(), 20);
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
