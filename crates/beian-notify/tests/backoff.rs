#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use beian_notify::Backoff;
use proptest::prelude::*;

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn defaults() {
    let b = Backoff::default();
    assert_eq!(b.base, S(5));
    assert_eq!(b.cap, S(3600));
    assert_eq!(b.max_attempts, 12);
}

#[test]
fn doubles_from_five_seconds_and_caps_at_an_hour() {
    let b = Backoff::default();
    let delays: Vec<u64> = (1..=14).map(|a| b.delay(a, 0.0).as_secs()).collect();
    assert_eq!(
        delays,
        [
            5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600, 3600
        ]
    );
    // Attempt 0 is read as the first.
    assert_eq!(b.delay(0, 0.0), S(5));
}

#[test]
fn huge_attempts_stay_capped() {
    let b = Backoff::default();
    for attempt in [31, 32, 33, 64, 1000, u32::MAX] {
        assert_eq!(b.delay(attempt, 0.0), S(3600), "{attempt}");
    }
    let uncapped = Backoff {
        base: S(5),
        cap: Duration::MAX,
        max_attempts: 3,
    };
    assert_eq!(uncapped.delay(u32::MAX, 0.99), Duration::MAX);
    assert_eq!(uncapped.delay(40, 0.0), S(5) * (1 << 30) * (1 << 9));
}

#[test]
fn jitter_adds_at_most_ten_percent() {
    let b = Backoff::default();
    assert_eq!(b.delay(1, 0.5), Duration::from_millis(5250));
    assert_eq!(b.delay(11, 0.5), S(3780));
    for attempt in 1..=13 {
        let plain = b.delay(attempt, 0.0);
        for jitter in [
            0.0,
            0.1,
            0.5,
            0.999_999,
            1.0,
            7.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            let d = b.delay(attempt, jitter);
            assert!(d >= plain, "{attempt} {jitter}");
            assert!(d <= plain + plain / 10, "{attempt} {jitter}: {d:?}");
        }
        // Out-of-range jitter is clamped, NaN is none.
        assert_eq!(b.delay(attempt, -1.0), plain);
        assert_eq!(b.delay(attempt, f64::NAN), plain);
    }
}

#[test]
fn exhausted_after_max_attempts() {
    let b = Backoff::default();
    assert!(!b.exhausted(0));
    assert!(!b.exhausted(11));
    assert!(b.exhausted(12));
    assert!(b.exhausted(13));
    let never_retry = Backoff {
        max_attempts: 1,
        ..Backoff::default()
    };
    assert!(never_retry.exhausted(1));
}

proptest! {
    #[test]
    fn grows_monotonically_within_bounds(
        base_ms in 1u64..100_000,
        cap_ms in 1u64..10_000_000,
        attempt in 1u32..200,
        jitter in 0.0f64..1.0,
    ) {
        let b = Backoff {
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(cap_ms),
            max_attempts: 12,
        };
        let this = b.delay(attempt, 0.0);
        let next = b.delay(attempt + 1, 0.0);
        prop_assert!(this <= next);
        prop_assert!(this <= b.cap);
        let jittered = b.delay(attempt, jitter);
        prop_assert!(jittered >= this && jittered <= this + this / 10);
    }
}
