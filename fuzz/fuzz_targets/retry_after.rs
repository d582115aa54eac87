//! Any `Retry-After` value with an optional `Date` header through
//! `retry::retry_after_seconds`: never panics, gives a finite number of seconds, never
//! negative, and `retry::wait_ms` of it never waits less than that (nor more than 120 001 ms
//! where a call waits by itself).
//!
//! Input, one per line: the `Retry-After` value; the `Date` header (an empty or missing line:
//! none); the local clock in ms since the epoch (missing or not a number: 2026-11-18).
#![no_main]

use intune_core::retry::{retry_after_seconds, wait_ms, MAX_WAIT_SECONDS};
use intune_script_user_state_fuzz::allowed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let value = lines.next().unwrap_or("");
    let date = lines.next().filter(|d| !d.is_empty());
    // Any clock up to the year 9999: what Date.now() can say.
    let now_ms = lines
        .next()
        .and_then(|n| n.trim().parse::<u64>().ok())
        .map_or(1_795_000_000_000, |n| n % 253_402_300_800_000) as f64;

    let Some(s) = retry_after_seconds(value, date, now_ms) else {
        return;
    };
    assert!(s.is_finite() && s >= 0.0, "{value:?} {date:?} -> {s}");
    if s <= MAX_WAIT_SECONDS {
        let ms = wait_ms(s);
        assert!(f64::from(ms) >= s * 1000.0, "{s} s -> {ms} ms");
        assert!(ms <= 120_001, "{s} s -> {ms} ms");
    } else if !allowed("wait-ms-overflow") {
        // wait_ms is public: past MAX_WAIT_SECONDS it must not panic or wrap around to a
        // short wait either; the most a u32 can say is u32::MAX ms.
        let ms = wait_ms(s);
        assert!(
            f64::from(ms) >= (s * 1000.0).min(f64::from(u32::MAX)),
            "{value:?}: {s} s -> {ms} ms, a short wait"
        );
    }
});
