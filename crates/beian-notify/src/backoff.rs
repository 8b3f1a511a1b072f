//! Exponential retry backoff with bounded jitter.

use std::time::Duration;

/// How long to wait before retrying a failed delivery, and when to give up.
///
/// After the `attempt`-th failed attempt (1-based) the delay is `base * 2^(attempt-1)`, capped
/// at `cap`, plus up to 10 % of that as jitter. The jitter fraction is passed in (a value in
/// `[0, 1)`, e.g. from the dispatcher's RNG) so the schedule is deterministic in tests.
///
/// With the defaults (5 s, 1 h, 12 attempts) the waits are 5 s, 10 s, 20 s, … 1 h, 1 h, …:
/// about 2.8 hours of retrying, plus jitter, before the event is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub base: Duration,
    /// No delay (before jitter) exceeds this.
    pub cap: Duration,
    /// How many attempts in all (the first included) before giving up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            max_attempts: 12,
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failed attempt (1-based; 0 is taken as 1).
    ///
    /// `jitter` is clamped to `[0, 1]` (NaN counts as 0); the result is between the capped
    /// exponential delay and 110 % of it. Never panics or overflows, whatever the inputs.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.max(1) - 1;
        const NANOS_PER_SEC: u128 = 1_000_000_000;
        // In u128 nanoseconds so no attempt count short of overflowing Duration saturates early.
        let exponential = 1u128
            .checked_shl(exponent)
            .and_then(|factor| self.base.as_nanos().checked_mul(factor))
            .and_then(|nanos| {
                let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
                let subsec = u32::try_from(nanos % NANOS_PER_SEC).ok()?;
                Some(Duration::new(secs, subsec))
            })
            .unwrap_or(Duration::MAX);
        let delay = exponential.min(self.cap);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        // Duration::MAX with a cap left at MAX cannot take 10 % more: saturate.
        Duration::try_from_secs_f64(delay.as_secs_f64() * 0.1 * jitter)
            .ok()
            .and_then(|extra| delay.checked_add(extra))
            .unwrap_or(delay)
    }

    /// Whether `attempts` attempts (successful or not) use up the budget: no retry after this.
    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}
