//! When to try again and how long to wait: `Retry-After` in each of its forms, exponential
//! backoff with jitter when the service does not say, and which failures are worth a resend.

use crate::http::{Outcome, Response};

/// The longest `Retry-After` a call waits out by itself, in seconds. Asked to wait longer, it
/// rejects at once with the 429 and its `retryAfter`, for the caller to schedule.
pub const MAX_WAIT_SECONDS: f64 = 120.0;
/// The first backoff step when the service gives no `Retry-After`, in ms.
pub const BACKOFF_BASE_MS: f64 = 500.0;
/// The first backoff step for a 429 without a readable `Retry-After`, in ms: Intune often
/// omits it, and in a browser Graph's CORS answers hide it (GRAPH.md, "In a browser"), while
/// its budgets are counted per 20 s, so a throttle waits longer than a transient failure.
pub const THROTTLE_BACKOFF_BASE_MS: f64 = 2_000.0;
/// The largest backoff step, in ms.
pub const BACKOFF_CAP_MS: f64 = 30_000.0;

/// Reads `Retry-After`: whole or fractional seconds (`2`, `2.128`), or an HTTP-date, counted
/// from the answer's own `Date` when it has one (so a skewed local clock does not shorten
/// the wait) or else from `now_ms`. A date in the past means 0. Anything else is `None`.
pub fn retry_after_seconds(value: &str, date: Option<&str>, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if value.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return decimal_seconds(value);
    }
    let at = epoch_seconds(value)?;
    let from = date.and_then(epoch_seconds).unwrap_or(now_ms / 1000.0);
    Some((at - from).max(0.0))
}

/// `digits[.digits]` as seconds (read by hand: a float parser would be most of the module's
/// number code for one header). Precision past the millisecond does not matter here.
fn decimal_seconds(value: &str) -> Option<f64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 9
        || !digits(whole)
        || !digits(fraction)
        || value.ends_with('.')
    {
        return None;
    }
    let mut seconds = whole
        .bytes()
        .fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0'));
    let mut scale = 0.1;
    for b in fraction.bytes().take(9) {
        seconds += f64::from(b - b'0') * scale;
        scale /= 10.0;
    }
    Some(seconds)
}

fn epoch_seconds(http_date: &str) -> Option<f64> {
    crate::http_date::parse(http_date).map(|s| s as f64)
}

/// The wait in whole ms for `seconds` of `Retry-After`, rounded up, plus one ms so that a
/// timer that fires on the dot is never early.
pub fn wait_ms(seconds: f64) -> u32 {
    // A float-to-int cast saturates; the +1 must too (a wait of ~50 days once wrapped to 0).
    ((seconds * 1000.0).ceil() as u32).saturating_add(1)
}

/// [`wait_ms`] without an upper bound, for schedules kept in `f64` milliseconds (a bulk run
/// honours a `Retry-After` of any length, across as many timers as it takes).
pub fn wait_until_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).ceil() + 1.0
}

/// The longest wait one timer can take: `setTimeout` fires at once for more than 2^31 - 1 ms.
pub const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// A small deterministic generator for jitter (xorshift64*), seeded by the edge.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// A number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Backoff before attempt `n` (1 for the first resend): half of `base * 2^(n-1)` (capped),
/// plus a random part up to the other half ("equal jitter"): 0.25-0.5 s, 0.5-1 s, 1-2 s, ...
pub fn backoff_ms(n: u32, rng: &mut Rng) -> u32 {
    jittered(BACKOFF_BASE_MS, n, rng)
}

/// [`backoff_ms`] for a 429 that says nothing readable about when: 1-2 s, 2-4 s, 4-8 s, ...,
/// at most 30 s.
pub fn throttle_backoff_ms(n: u32, rng: &mut Rng) -> u32 {
    jittered(THROTTLE_BACKOFF_BASE_MS, n, rng)
}

fn jittered(base: f64, n: u32, rng: &mut Rng) -> u32 {
    let step = (base * 2f64.powi(n.saturating_sub(1).min(16) as i32)).min(BACKOFF_CAP_MS);
    (step / 2.0 + rng.next_f64() * step / 2.0).ceil() as u32
}

/// What a failed attempt means for what to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Failure {
    /// 429: the request was not processed; resend after the wait (`Retry-After` seconds).
    Throttled(Option<f64>),
    /// 500, 502, 503, 504, a dropped connection or a timeout: it may or may not have been
    /// processed.
    Uncertain(Option<f64>),
    /// 401: the token was refused.
    Unauthorized,
    /// Anything else: do not resend.
    Final,
}

/// An answer's `Retry-After` in seconds, if it has a readable one (see
/// [`retry_after_seconds`]).
pub fn retry_after(resp: &Response, now_ms: f64) -> Option<f64> {
    resp.header("retry-after")
        .and_then(|v| retry_after_seconds(v, resp.header("date"), now_ms))
}

/// Sorts a failed outcome, with the wait its answer asked for.
pub fn classify(outcome: &Outcome, now_ms: f64) -> Failure {
    match outcome {
        Outcome::Network(_) | Outcome::Timeout => Failure::Uncertain(None),
        Outcome::Response(r) => match r.status {
            429 => Failure::Throttled(retry_after(r, now_ms)),
            500 | 502 | 503 | 504 => Failure::Uncertain(retry_after(r, now_ms)),
            401 => Failure::Unauthorized,
            _ => Failure::Final,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_795_000_000_000.0; // ms

    #[test]
    fn numeric_forms() {
        assert_eq!(retry_after_seconds("2", None, NOW), Some(2.0));
        assert!((retry_after_seconds(" 2.128 ", None, NOW).unwrap() - 2.128).abs() < 1e-9);
        assert_eq!(retry_after_seconds("120", None, NOW), Some(120.0));
        assert_eq!(
            wait_ms(retry_after_seconds("2.128", None, NOW).unwrap()),
            2129
        );
        assert_eq!(retry_after_seconds("0", None, NOW), Some(0.0));
        for bad in [
            "", "-1", "1e3", "NaN", "inf", ".5", "1.2.3", "two", "+1", "0x10",
        ] {
            assert_eq!(retry_after_seconds(bad, None, NOW), None, "{bad}");
        }
    }

    #[test]
    fn http_date_counts_from_the_date_header() {
        let date = "Sun, 29 Nov 2026 13:00:00 GMT";
        let later = "Sun, 29 Nov 2026 13:00:03 GMT";
        assert_eq!(retry_after_seconds(later, Some(date), 0.0), Some(3.0));
        // Without a Date header, from the local clock; in the past means now.
        let at = epoch_seconds(later).unwrap();
        assert_eq!(
            retry_after_seconds(later, None, (at - 1.5) * 1000.0),
            Some(1.5)
        );
        assert_eq!(
            retry_after_seconds(later, None, (at + 10.0) * 1000.0),
            Some(0.0)
        );
        // Obsolete forms that RFC 9110 asks recipients to accept.
        assert_eq!(
            retry_after_seconds("Sunday, 29-Nov-26 13:00:03 GMT", Some(date), 0.0),
            Some(3.0)
        );
        assert_eq!(
            retry_after_seconds("Sun Nov 29 13:00:03 2026", Some(date), 0.0),
            Some(3.0)
        );
        assert_eq!(
            retry_after_seconds("Sun, 29 Nov 2026 25:00:00 GMT", Some(date), 0.0),
            None
        );
    }

    #[test]
    fn huge_waits_saturate_instead_of_wrapping() {
        // Found by the retry_after fuzz target: 999999999 s wrapped to a 0 ms wait.
        assert_eq!(wait_ms(999_999_999.0), u32::MAX);
        assert_eq!(wait_ms(f64::MAX), u32::MAX);
    }

    #[test]
    fn waits_are_never_short() {
        assert_eq!(wait_ms(2.128), 2129);
        assert_eq!(wait_ms(0.0), 1);
        assert!(f64::from(wait_ms(0.0004)) >= 0.4);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let mut rng = Rng::new(7);
        for n in 1..20 {
            let step = (BACKOFF_BASE_MS * 2f64.powi(n as i32 - 1)).min(BACKOFF_CAP_MS);
            for _ in 0..50 {
                let ms = f64::from(backoff_ms(n, &mut rng));
                assert!(ms >= step / 2.0 && ms <= step, "n={n} ms={ms}");
            }
        }
        let a: Vec<u32> = (0..8).map(|_| backoff_ms(3, &mut rng)).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]), "no jitter: {a:?}");
    }
}
