#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use beian_notify::{DEFAULT_TOLERANCE_SECS, SignatureError, sign, signature_hex, verify};
use proptest::prelude::*;

const SECRET: &[u8] = b"whsec_test";
const BODY: &[u8] = br#"{"order_id":12,"state":"approved"}"#;
const T: i64 = 1_700_000_000;

#[test]
fn header_format_and_known_value() {
    // Computed independently with Python's hmac module.
    let expected = "a32c947660b99bb70adb0d87306ca1dd0412191292f3436f6d6ac38b7a131788";
    assert_eq!(signature_hex(SECRET, T, BODY), expected);
    assert_eq!(sign(SECRET, T, BODY), format!("t={T},v1={expected}"));
}

#[test]
fn round_trip() {
    let header = sign(SECRET, T, BODY);
    assert_eq!(verify(SECRET, &header, BODY, T, 300), Ok(()));
    assert_eq!(verify(SECRET, &header, BODY, T + 300, 300), Ok(()));
    assert_eq!(verify(SECRET, &header, BODY, T - 300, 300), Ok(()));
    // Empty body and empty secret are still signed and verified.
    let header = sign(b"", T, b"");
    assert_eq!(verify(b"", &header, b"", T, 0), Ok(()));
}

#[test]
fn tampered_body_is_mismatch() {
    let header = sign(SECRET, T, BODY);
    let tampered = br#"{"order_id":13,"state":"approved"}"#;
    assert_eq!(
        verify(SECRET, &header, tampered, T, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(SECRET, &header, b"", T, 300),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn wrong_secret_is_mismatch() {
    let header = sign(SECRET, T, BODY);
    assert_eq!(
        verify(b"whsec_other", &header, BODY, T, 300),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn timestamp_is_signed() {
    // Moving the timestamp into the window does not keep the signature valid.
    let header = sign(SECRET, T - 10_000, BODY);
    let moved = header.replacen(&format!("t={}", T - 10_000), &format!("t={T}"), 1);
    assert_eq!(
        verify(SECRET, &moved, BODY, T, 300),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn stale_in_either_direction() {
    let header = sign(SECRET, T, BODY);
    assert_eq!(
        verify(SECRET, &header, BODY, T + 301, 300),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify(SECRET, &header, BODY, T - 301, 300),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify(SECRET, &header, BODY, T + 1, 0),
        Err(SignatureError::Stale)
    );
    // A negative tolerance is taken as zero.
    assert_eq!(verify(SECRET, &header, BODY, T, -5), Ok(()));
    assert_eq!(DEFAULT_TOLERANCE_SECS, 300);
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    // Differences beyond i64::MAX are stale whatever the tolerance.
    for (t, now) in [(i64::MIN, i64::MAX), (i64::MAX, i64::MIN), (i64::MIN, 0)] {
        let header = sign(SECRET, t, BODY);
        for tolerance in [0, 300, i64::MAX] {
            assert_eq!(
                verify(SECRET, &header, BODY, now, tolerance),
                Err(SignatureError::Stale),
                "{t} {now} {tolerance}"
            );
        }
    }
    for (t, now) in [
        (i64::MAX, i64::MAX),
        (i64::MIN, i64::MIN + 5),
        (i64::MAX - 5, i64::MAX),
    ] {
        let header = sign(SECRET, t, BODY);
        assert_eq!(verify(SECRET, &header, BODY, now, 5), Ok(()), "{t} {now}");
    }
}

#[test]
fn forgery_with_old_timestamp_is_mismatch_not_stale() {
    let header = format!("t={},v1={}", T - 10_000, "00".repeat(32));
    assert_eq!(
        verify(SECRET, &header, BODY, T, 300),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn several_signatures_for_rotation_whitespace_and_unknown_keys() {
    let good = signature_hex(SECRET, T, BODY);
    let old = signature_hex(b"old secret", T, BODY);
    for header in [
        format!("t={T},v1={old},v1={good}"),
        format!("v1={good},t={T}"),
        format!(" t = {T} , v1 = {good} "),
        format!("t={T},v0=whatever,v2=zz,v1={good}"),
        format!("t={T},v1={}", good.to_uppercase()),
    ] {
        assert_eq!(verify(SECRET, &header, BODY, T, 300), Ok(()), "{header}");
    }
    assert_eq!(
        verify(SECRET, &format!("t={T},v1={old}"), BODY, T, 300),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn garbage_headers_are_malformed() {
    let good = signature_hex(SECRET, T, BODY);
    let too_many = (0..9).map(|_| format!(",v1={good}")).collect::<String>();
    let cases = [
        String::new(),
        ",".into(),
        "=".into(),
        "t=".into(),
        "v1=".into(),
        format!("t={T}"),
        format!("v1={good}"),
        format!("t=abc,v1={good}"),
        format!("t=+{T},v1={good}"),
        format!("t=1 2,v1={good}"),
        format!("t=99999999999999999999,v1={good}"),
        format!("t=１７,v1={good}"),
        format!("t={T},t={T},v1={good}"),
        format!("t={T},,v1={good}"),
        format!("t={T},v1={good},"),
        format!("t={T},v1=zz{}", &good[2..]),
        format!("t={T},v1={}", &good[..62]),
        format!("t={T},v1={good}00"),
        format!("t={T},v1"),
        format!("t={T};v1={good}"),
        format!("t={T},=x,v1={good}"),
        format!("t={T}{too_many}"),
        format!("t={T},v1={good},x={}", "a".repeat(5000)),
        "\u{0}\u{fffd}t=1,v1=\u{1F600}".into(),
    ];
    for header in cases {
        assert_eq!(
            verify(SECRET, &header, BODY, T, 300),
            Err(SignatureError::Malformed),
            "{header:?}"
        );
    }
}

proptest! {
    #[test]
    fn arbitrary_headers_never_panic_and_never_pass(header in any::<String>()) {
        prop_assert!(verify(SECRET, &header, BODY, T, 300).is_err());
    }

    #[test]
    fn header_like_strings_never_panic(
        t in any::<i64>(),
        sig in "[0-9a-fA-Fg ]{0,80}",
        extra in "[a-z0-9=, ]{0,20}",
    ) {
        let header = format!("t={t},v1={sig}{extra}");
        prop_assert!(verify(SECRET, &header, BODY, T, 300).is_err());
    }

    #[test]
    fn any_secret_body_and_time_round_trips(
        secret in proptest::collection::vec(any::<u8>(), 0..200),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        t in any::<i64>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let header = sign(&secret, t, &body);
        prop_assert_eq!(verify(&secret, &header, &body, t, 0), Ok(()));
        if !body.is_empty() {
            let mut tampered = body.clone();
            tampered[flip.index(body.len())] ^= 0x01;
            prop_assert_eq!(
                verify(&secret, &header, &tampered, t, 0),
                Err(SignatureError::Mismatch)
            );
        }
    }
}
