//! A run's cost grows linearly with its items. Not timed: the work the machine does is
//! counted as the allocations it makes (every copy, every rebuilt queue, every record), and a
//! run ten times as large may make at most about ten times as many, and allocate about ten
//! times the bytes. The queue copied for every batch, as it once was, shows here as a
//! thirtyfold growth of the bytes. A walk over every item that allocates nothing is not seen
//! here (progress is counted as items settle, so none is left in a poll); the wasm heap's own
//! cost per free (the cause of the end of a 100,000-row import that issue 16 reports running
//! for more than ten minutes) is `heap/`'s test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use test_support::sim::*;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: the system allocator, with two counters beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The allocations and bytes of the machine alone (not the simulated service's) for a run of
/// `n` items with a journal.
fn machine_work(n: usize) -> (usize, usize) {
    let req = request(&items(n), 3, "");
    let mut sim = Sim::new(|_| Fault::None);
    let mut b = resumed(req, policy(3), &[] as &[String]).unwrap();
    let (mut allocs, mut bytes) = (0, 0);
    let mut counted = |f: &mut dyn FnMut()| {
        let (a, by) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
        f();
        allocs += ALLOCS.load(Relaxed) - a;
        bytes += BYTES.load(Relaxed) - by;
    };
    let mut now = 0.0;
    let mut in_flight = Vec::new();
    let mut records = 0;
    loop {
        let mut poll = None;
        counted(&mut || poll = Some(b.poll(now)));
        let poll = poll.unwrap();
        records += poll.append.len();
        in_flight.extend(poll.sends);
        let mut done = false;
        counted(&mut || done = b.is_done());
        if done {
            break;
        }
        let (tag, req) = in_flight.remove(0);
        now += 50.0;
        let outcome = sim.handle(&req, now);
        counted(&mut || b.on_outcome(tag, outcome.clone(), now));
    }
    assert_eq!(sim.objects.len(), n);
    assert_eq!(
        records,
        1 + 1 + (n - 1).div_ceil(20) + n + 1,
        "header, the first write's send, the other sends, created, finished"
    );
    let (a, by) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    let results = b.into_results();
    allocs += ALLOCS.load(Relaxed) - a;
    bytes += BYTES.load(Relaxed) - by;
    assert!(results.iter().all(Result::is_ok));
    (allocs, bytes)
}

#[test]
fn a_run_ten_times_larger_costs_about_ten_times_more() {
    let small = machine_work(10_000);
    let large = machine_work(100_000);
    let ratio = |l: usize, s: usize| l as f64 / s as f64;
    assert!(
        ratio(large.0, small.0) < 11.0,
        "allocations: {} for 10,000 items, {} for 100,000",
        small.0,
        large.0
    );
    assert!(
        ratio(large.1, small.1) < 11.0,
        "bytes allocated: {} for 10,000 items, {} for 100,000",
        small.1,
        large.1
    );
}
