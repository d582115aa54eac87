//! Pacing a run at the service's write budget: a sliding window learnt from what the service
//! said, rather than a rate.
//!
//! Graph's budgets are "at most B writes in any window of W" (Intune: about 200 per 20 s per
//! tenant). Until the service first says the budget is spent, a run goes as fast as its
//! concurrency allows. When it does (most of a batch answered 429, or the whole `$batch`), the
//! answer's `Retry-After` says when the oldest write in the window leaves it. That, and the
//! writes the service took before it, give the budget:
//! - B: the writes the service took (answered with anything but a 429, or not answered) from
//!   the oldest one in the window on: a fresh run's budget is everything that got through
//!   before the first 429;
//! - W: from when that oldest write was sent to when the service says it leaves the window
//!   (the `Retry-After` counted from the answer, rounded up to whole seconds by the service:
//!   an upper bound). Without a `Retry-After`, a backoff step that doubles each time the
//!   budget is met again stands in for it.
//!
//! From then on the run keeps its own window: a write goes out only while fewer than B writes
//! are in it, counting every write not yet answered and every write taken in the last W by the
//! time its answer came (an answer comes after the service counted the write, so this never
//! counts a write out of the window before the service does). The run then sends B writes per
//! window, each window late by one round trip.
//!
//! A budget learnt when other writes already filled part of the window (a run resumed right
//! after a crash, another app of the tenant) is too small; the run finds out by probing: once a
//! window has gone by in which the budget held the run back and nothing was throttled, it
//! allows one write more per window, doubling the step (up to a quarter of B) while probes go
//! through. A probe that draws a 429 is taken back: one of several writes is tried again at a
//! quarter of its size in the next window; after one of a single write the next probe waits 8
//! windows, so with a budget learnt right that is one 429 per 9 windows. A budget that most of
//! a batch overshoots anyway (not while probing) is corrected as it was learnt: a longer
//! window, or fewer writes.

/// The shortest window believed.
const MIN_WINDOW_MS: f64 = 1000.0;
/// Windows to wait after a probe that drew a 429.
const PROBE_PAUSE: f64 = 8.0;
/// Taken writes kept before a budget is learnt (no window is longer than a `Retry-After`
/// a run would wait for anyway).
const UNPACED_HORIZON_MS: f64 = 120_000.0;

/// What the run believes the service allows: at most `writes` in any `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub writes: usize,
    pub window_ms: f64,
}

#[derive(Debug)]
pub(crate) struct Pacer {
    /// Writes the service took, as (sent, answered) times, in the order their answers came.
    taken: Vec<(f64, f64)>,
    budget: Option<Budget>,
    /// Bumped whenever the budget is learnt or corrected: a throttled batch sent in an
    /// earlier era is an echo of the burst that taught the current budget, not news.
    era: u32,
    /// Extra writes allowed in the current window while probing.
    probe: usize,
    /// The next probe's size.
    step: usize,
    /// When the current window of the probing schedule began (windows follow each other).
    round_at: f64,
    /// Whether the budget held the run back in the current window.
    held_back: bool,
    /// Whether a write sent in the current window was throttled.
    refused: bool,
    /// No probe before this time.
    next_probe_at: f64,
}

impl Pacer {
    pub fn new() -> Self {
        Self {
            taken: Vec::new(),
            budget: None,
            era: 0,
            probe: 0,
            step: 1,
            round_at: 0.0,
            held_back: false,
            refused: false,
            next_probe_at: 0.0,
        }
    }

    pub fn budget(&self) -> Option<Budget> {
        self.budget
    }

    /// The era to tag a batch sent now with.
    pub fn era(&self) -> u32 {
        self.era
    }

    /// `n` writes sent at `sent` were taken by the service (or may have been), as known at
    /// `now`.
    pub fn taken(&mut self, sent: f64, now: f64, n: usize) {
        self.taken.extend(std::iter::repeat_n((sent, now), n));
        let horizon = match self.budget {
            Some(b) => (b.window_ms * 4.0).max(UNPACED_HORIZON_MS),
            None => UNPACED_HORIZON_MS,
        };
        let gone = self
            .taken
            .iter()
            .take_while(|&&(_, a)| a <= now - horizon)
            .count();
        self.taken.drain(..gone);
    }

    /// How many writes may go out now, with `in_flight` writes sent and not answered (the
    /// oldest of them sent at `oldest_flight`), when the run has `ready` to send; and, when
    /// that is fewer than `ready`, when a slot frees next (`None`: only at an answer).
    pub fn allowance(
        &mut self,
        now: f64,
        in_flight: usize,
        oldest_flight: Option<f64>,
        ready: usize,
    ) -> (usize, Option<f64>) {
        let Some(b) = self.budget else {
            return (usize::MAX, None);
        };
        self.next_round(now, b.window_ms, oldest_flight);
        // A probe that held may have just raised the budget.
        let b = self.budget.unwrap_or(b);
        let limit = b.writes + self.probe;
        let out_of_window = self
            .taken
            .partition_point(|&(_, answered)| answered <= now - b.window_ms);
        let used = self.taken.len() - out_of_window + in_flight;
        let free = limit.saturating_sub(used);
        if free >= ready {
            return (free, None);
        }
        self.held_back = true;
        let frees_at = self
            .taken
            .get(out_of_window)
            .map(|&(_, answered)| answered + b.window_ms);
        (free, frees_at)
    }

    /// Closes the probing schedule's window once it has gone by and every write sent in it is
    /// answered: keeps a probe that held, and starts the next one when one is due.
    fn next_round(&mut self, now: f64, window_ms: f64, oldest_flight: Option<f64>) {
        let ends_at = self.round_at + window_ms;
        if now < ends_at || oldest_flight.is_some_and(|sent| sent < ends_at) {
            return;
        }
        let clean = self.held_back && !self.refused;
        if let Some(b) = &mut self.budget {
            if self.probe > 0 && clean {
                b.writes += self.probe;
                self.step = (self.step * 2).min((b.writes / 4).max(1));
            }
        }
        self.probe = if clean && now >= self.next_probe_at {
            self.step
        } else {
            0
        };
        self.round_at = if now < ends_at + window_ms {
            ends_at
        } else {
            now
        };
        self.held_back = false;
        self.refused = false;
    }

    /// A write sent at `sent` was answered 429 at `now`, alone or with a few others of its
    /// batch (most of a batch throttled is [`Pacer::budget_met`]).
    pub fn refused(&mut self, sent: f64, now: f64) {
        if self.budget.is_none() || sent < self.round_at {
            return;
        }
        self.refused = true;
        self.probe_failed(now);
    }

    /// A 429 while probing (or one that says the budget is smaller than believed): a failed
    /// probe of more than one write is tried again a quarter the size in the next window; one
    /// of a single write (or a 429 without a probe) pauses probing.
    fn probe_failed(&mut self, now: f64) {
        let Some(b) = self.budget else { return };
        let failed = std::mem::take(&mut self.probe);
        if failed > 1 {
            self.step = (failed / 4).max(1);
            self.next_probe_at = now;
        } else {
            self.step = 1;
            self.next_probe_at = now + PROBE_PAUSE * b.window_ms;
        }
    }

    /// The service says the budget is spent, in the answer at `now` to writes sent in era
    /// `sent_era`: its oldest write in the window leaves it in `wait` ms (its `Retry-After`,
    /// or a backoff step standing in for one).
    pub fn budget_met(&mut self, sent_era: u32, now: f64, wait: f64) {
        let echo = sent_era < self.era;
        if self.taken.is_empty() {
            // Nothing of ours got through: nothing to learn; the caller waits it out.
            return;
        }
        let leaves_at = now + wait;
        let count = self.budget.map_or(self.taken.len(), |b| b.writes);
        let oldest = self.taken.len().saturating_sub(count);
        let first_sent = self.taken[oldest..]
            .iter()
            .map(|&(s, _)| s)
            .fold(f64::INFINITY, f64::min);
        let window_ms = (leaves_at - first_sent).max(MIN_WINDOW_MS);
        let writes = self.taken.len() - oldest;
        match &mut self.budget {
            Some(b) if echo => {
                // More of the burst that taught the budget, about the same write leaving the
                // window: both are upper bounds, the smaller is the better one.
                b.window_ms = b.window_ms.min(window_ms);
                return;
            }
            Some(b) => {
                let longer = window_ms > b.window_ms * 1.05;
                b.window_ms = b.window_ms.max(window_ms);
                if longer {
                    // The window was longer than believed (writes from before the run made
                    // it look short): that, not the budget, drew the 429s.
                    self.probe = 0;
                    self.next_probe_at = now + b.window_ms;
                } else if self.probe > 0 {
                    self.probe_failed(now);
                } else {
                    // `clamp(1, b.writes)` (b.writes is never 0), without its panic message.
                    b.writes = writes.max(1).min(b.writes);
                    self.step = 1;
                    self.next_probe_at = now + PROBE_PAUSE * b.window_ms;
                }
            }
            None => {
                self.budget = Some(Budget {
                    writes: writes.max(1),
                    window_ms,
                });
                self.next_probe_at = now + window_ms;
            }
        }
        self.round_at = now;
        self.held_back = false;
        self.refused = false;
        self.era += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pacer that has learnt `writes` per `window` ms: `writes` taken from t=0 (each sent
    /// at 0, answered at 100), then most of a batch throttled at 150 with a `Retry-After`
    /// saying the oldest leaves at `window`.
    fn learnt(writes: usize, window: f64) -> Pacer {
        let mut p = Pacer::new();
        p.taken(0.0, 100.0, writes);
        p.budget_met(0, 150.0, window - 150.0);
        p
    }

    #[test]
    fn unpaced_until_the_service_says_the_budget_is_spent() {
        let mut p = Pacer::new();
        assert_eq!(p.budget(), None);
        p.taken(0.0, 10.0, 500);
        assert_eq!(p.allowance(20.0, 80, Some(15.0), 20), (usize::MAX, None));
        // A 429 with nothing of ours taken teaches nothing.
        let mut q = Pacer::new();
        q.budget_met(0, 5.0, 2000.0);
        assert_eq!(q.budget(), None);
        assert_eq!(q.era(), 0);
    }

    #[test]
    fn the_budget_is_what_got_through_in_the_window_the_service_named() {
        let p = learnt(200, 20_000.0);
        assert_eq!(
            p.budget(),
            Some(Budget {
                writes: 200,
                window_ms: 20_000.0
            })
        );
        assert_eq!(p.era(), 1);
        // A window shorter than a second is not believed.
        let q = learnt(10, 300.0);
        assert_eq!(q.budget().unwrap().window_ms, MIN_WINDOW_MS);
    }

    #[test]
    fn a_full_window_holds_writes_back_until_the_oldest_leaves_it() {
        let mut p = learnt(200, 20_000.0);
        // All 200 were answered at 100: nothing is free until 100 + 20 s.
        assert_eq!(p.allowance(1_000.0, 0, None, 20), (0, Some(20_100.0)));
        // Writes in flight count too.
        let mut q = learnt(200, 20_000.0);
        q.taken.clear();
        assert_eq!(q.allowance(1_000.0, 190, Some(900.0), 20), (10, None));
        // Once they have left the window, the whole budget is free again.
        assert_eq!(p.allowance(20_100.0, 0, None, 20), (200, None));
    }

    #[test]
    fn taken_writes_older_than_the_horizon_are_forgotten() {
        let mut p = Pacer::new();
        p.taken(0.0, 10.0, 5);
        p.taken(200_000.0, 200_010.0, 1);
        assert_eq!(p.taken.len(), 1);
    }

    #[test]
    fn a_clean_window_that_held_the_run_back_probes_one_write_more() {
        let mut p = learnt(10, 2_000.0);
        // The first window after learning: the budget is free again, and holds the run back.
        let t1 = 150.0 + 2_000.0;
        assert_eq!(p.allowance(t1, 0, None, 20), (10, None));
        p.taken(t1, t1 + 100.0, 10);
        // The next window: nothing was refused, so one write more than the budget may go.
        let t2 = t1 + 2_000.0;
        assert_eq!(p.allowance(t2, 0, None, 20).0, 1);
        assert_eq!(p.probe, 1);
        // The probe drew a 429: it is taken back, and the next waits 8 windows.
        p.refused(t2, t2 + 50.0);
        assert_eq!(p.probe, 0);
        assert_eq!(p.next_probe_at, t2 + 50.0 + PROBE_PAUSE * 2_000.0);
        assert_eq!(p.budget().unwrap().writes, 10);
    }

    #[test]
    fn an_echo_of_the_burst_that_taught_the_budget_only_shortens_the_window() {
        let mut p = learnt(200, 20_000.0);
        p.taken(0.0, 200.0, 1);
        p.budget_met(0, 300.0, 18_000.0);
        let b = p.budget().unwrap();
        assert_eq!(b.writes, 200);
        assert_eq!(b.window_ms, 18_300.0);
        assert_eq!(p.era(), 1);
    }

    #[test]
    fn a_budget_overshot_later_shrinks_to_what_got_through() {
        let mut p = learnt(200, 20_000.0);
        p.taken.clear();
        // A later era: 150 writes got through, then the budget was met again.
        p.taken(30_000.0, 30_100.0, 150);
        p.budget_met(1, 30_200.0, 19_800.0);
        let b = p.budget().unwrap();
        assert_eq!(b.writes, 150);
        assert_eq!(p.era(), 2);
    }
}
