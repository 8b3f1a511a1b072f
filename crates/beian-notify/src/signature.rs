//! Webhook signatures: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

use hmac::digest::{FixedOutput, KeyInit, Update};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The request header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Beian-Signature";

/// A sensible default for [`verify`]'s `tolerance_secs`: five minutes, as Stripe uses.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Headers longer than this are rejected as malformed before any parsing.
const MAX_HEADER_LEN: usize = 4096;
/// At most this many `v1=` signatures are checked (several are allowed for secret rotation);
/// more is malformed, so a header cannot make the receiver compute many MACs.
const MAX_SIGNATURES: usize = 8;
/// SHA-256's block size: HMAC keys are normalised to it.
const BLOCK_LEN: usize = 64;

/// Why [`verify`] rejected a signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<integer>,v1=<64 hex digits>[,v1=…]`.
    #[error("malformed signature header")]
    Malformed,
    /// The signature is genuine but its timestamp is further from now than the tolerance.
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` signature matches the body and secret.
    #[error("signature does not match")]
    Mismatch,
}

/// An HMAC-SHA256 keyed with `secret`.
///
/// HMAC accepts keys of any length (RFC 2104: longer than a block are hashed first, shorter are
/// zero-padded). Doing that normalisation here lets us use the infallible fixed-size constructor
/// instead of `new_from_slice`, whose error case cannot happen for HMAC but would need a panic
/// path. The RFC 4231 vectors in the tests (including a 131-byte key) pin the equivalence.
fn keyed_mac(secret: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; BLOCK_LEN];
    if secret.len() > BLOCK_LEN {
        let digest = Sha256::digest(secret);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..secret.len()].copy_from_slice(secret);
    }
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

fn signed_mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = keyed_mac(secret);
    Update::update(&mut mac, timestamp.to_string().as_bytes());
    Update::update(&mut mac, b".");
    Update::update(&mut mac, body);
    mac
}

/// The lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret` (the `v1` value).
pub fn signature_hex(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    hex::encode(signed_mac(secret, timestamp, body).finalize_fixed())
}

/// The [`SIGNATURE_HEADER`] value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        signature_hex(secret, timestamp, body)
    )
}

/// Check a [`SIGNATURE_HEADER`] value against `body` and `secret`.
///
/// The header is `t=<unix seconds>` and one or more `v1=<hex>` (a sender rotating its secret may
/// send one per secret), comma-separated, in any order; unknown keys are ignored. The
/// signatures are compared in constant time. A genuine signature whose timestamp is more than
/// `tolerance_secs` away from `now` (either direction) is [`SignatureError::Stale`]: a replay.
/// The signature is checked before the time, so `Stale` is only ever said of authentic
/// requests and a forgery is always `Mismatch`.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let (timestamp, signatures) = parse(header)?;
    let mac = signed_mac(secret, timestamp, body);
    let genuine = signatures
        .iter()
        .fold(false, |ok, sig| mac.clone().verify_slice(sig).is_ok() | ok);
    if !genuine {
        return Err(SignatureError::Mismatch);
    }
    let tolerance = u64::try_from(tolerance_secs).unwrap_or(0);
    if now.abs_diff(timestamp) > tolerance {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

type Parsed = (i64, Vec<[u8; 32]>);

fn parse(header: &str) -> Result<Parsed, SignatureError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key.trim() {
            "t" => {
                let value = value.trim();
                // Digits with an optional leading minus only: no '+', no spaces inside.
                let digits = value.strip_prefix('-').unwrap_or(value);
                if timestamp.is_some()
                    || digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "v1" => {
                if signatures.len() == MAX_SIGNATURES {
                    return Err(SignatureError::Malformed);
                }
                let mut sig = [0u8; 32];
                hex::decode_to_slice(value.trim(), &mut sig)
                    .map_err(|_| SignatureError::Malformed)?;
                signatures.push(sig);
            }
            "" => return Err(SignatureError::Malformed),
            _ => {} // other schemes (e.g. a future v2): ignored
        }
    }
    match timestamp {
        Some(t) if !signatures.is_empty() => Ok((t, signatures)),
        _ => Err(SignatureError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn hmac_hex(key: &[u8], data: &[u8]) -> String {
        let mut mac = keyed_mac(key);
        Update::update(&mut mac, data);
        hex::encode(mac.finalize_fixed())
    }

    /// RFC 4231 test cases 1, 2 and 6 (the last with a 131-byte key, longer than a block).
    #[test]
    fn rfc4231_vectors() {
        assert_eq!(
            hmac_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// Our key normalisation agrees with hmac's own `new_from_slice` for every key length
    /// around the block size.
    #[test]
    fn key_normalisation_matches_new_from_slice() {
        for len in [0, 1, 31, 32, 63, 64, 65, 128, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut ours = keyed_mac(&key);
            let mut theirs = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            Update::update(&mut ours, b"body");
            Mac::update(&mut theirs, b"body");
            assert_eq!(
                ours.finalize_fixed(),
                theirs.finalize().into_bytes(),
                "{len}"
            );
        }
    }
}
