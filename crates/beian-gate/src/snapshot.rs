//! The snapshot: every domain with a state, as of one change-feed sequence number, in a compact,
//! checksummed file.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "BEIANGS" + format version 0x01
//! 8       8     version: the last change-feed sequence number included (u64, little-endian)
//! 16      8     count of entries (u64 LE)
//! 24      …     entries, sorted by name, names unique:
//!                 state  u8  (0 allow, 1 filed_elsewhere, 2 access_cancelled, 3 revoked)
//!                 shared u8  (bytes shared with the previous name)
//!                 len    u8  (bytes that follow)
//!                 bytes  [len] (the rest of the name: lower-case LDH ASCII and dots)
//! end-4   4     CRC-32 (IEEE) of everything before it (u32 LE)
//! ```
//!
//! Front coding of the sorted names makes ten million `.cn` names about 9 bytes each. A decoded
//! snapshot keeps the bytes and is walked with [`Snapshot::visit`], so decoding allocates once.

use crate::DomainState;
use crate::host::MAX_DOMAIN;

const MAGIC: &[u8; 8] = b"BEIANGS\x01";
const HEADER: usize = 24;

/// Why bytes are not a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a beian gate snapshot (bad magic or format version)")]
    Magic,
    #[error("snapshot truncated")]
    Truncated,
    #[error("snapshot checksum mismatch")]
    Checksum,
    #[error("snapshot entry {index}: {message}")]
    Entry { index: u64, message: &'static str },
    #[error("snapshot has {0} bytes after its last entry")]
    Trailing(usize),
}

/// A decoded (validated) snapshot.
#[derive(Clone)]
pub struct Snapshot {
    bytes: Vec<u8>,
    version: u64,
    count: u64,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("version", &self.version)
            .field("count", &self.count)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Snapshot {
    /// The last change-feed sequence number included.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of domains.
    pub fn len(&self) -> usize {
        usize::try_from(self.count).unwrap_or(usize::MAX)
    }

    /// True when it holds no domain.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded bytes (what was decoded).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Call `f` with every domain and its state, in name order.
    pub fn visit(&self, mut f: impl FnMut(&str, DomainState)) {
        // Validated by `decode`: the walk cannot fail here.
        let _ = walk(&self.bytes, self.count, |name, _, state| {
            f(std::str::from_utf8(name).unwrap_or(""), state);
            Ok(())
        });
    }

    /// Every entry, owned (tests and small sets).
    pub fn entries(&self) -> Vec<(String, DomainState)> {
        let mut out = Vec::with_capacity(self.len());
        self.visit(|d, s| out.push((d.to_owned(), s)));
        out
    }
}

/// Encode a snapshot. Entries need not be sorted or unique: a later duplicate wins. Names are
/// normalised (`beian_gate::host::normalize`); a name that is not a domain is left out.
pub fn encode<'a>(version: u64, entries: impl Iterator<Item = (&'a str, DomainState)>) -> Vec<u8> {
    let mut all: Vec<(Box<str>, DomainState)> = entries
        .filter_map(|(d, s)| {
            crate::host::normalize(d)
                .ok()
                .map(|h| (Box::from(h.as_str()), s))
        })
        .collect();
    // Stable: among equal names the arrival order remains, so keeping the last keeps the latest.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut unique: Vec<(Box<str>, DomainState)> = Vec::with_capacity(all.len());
    for e in all {
        match unique.last_mut() {
            Some(last) if last.0 == e.0 => *last = e,
            _ => unique.push(e),
        }
    }
    let mut out = Vec::with_capacity(HEADER + unique.len() * 10 + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(unique.len() as u64).to_le_bytes());
    let mut prev: &[u8] = b"";
    for (name, state) in &unique {
        let name = name.as_bytes();
        let shared = prev
            .iter()
            .zip(name)
            .take_while(|(a, b)| a == b)
            .count()
            .min(255);
        let rest = &name[shared..];
        out.push(state.code());
        out.push(shared as u8);
        out.push(rest.len() as u8);
        out.extend_from_slice(rest);
        prev = name;
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decode and validate a snapshot: magic, checksum, every entry (state, name syntax, strict
/// name order).
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(SnapshotError::Magic);
    }
    if bytes.len() < HEADER + 4 {
        return Err(SnapshotError::Truncated);
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let crc = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32fast::hash(body) != crc {
        return Err(SnapshotError::Checksum);
    }
    let version = read_u64(&body[8..16]);
    let count = read_u64(&body[16..24]);
    let mut prev = [0u8; MAX_DOMAIN];
    let mut prev_len = 0usize;
    let mut index = 0u64;
    let end = walk(body, count, |name, shared, _| {
        let err = |message| SnapshotError::Entry { index, message };
        let ok = check_name(name).map_err(err);
        let common = prev[..prev_len]
            .iter()
            .zip(name)
            .take_while(|(a, b)| a == b)
            .count();
        let ordered = if index > 0 && name <= &prev[..prev_len] {
            Err(err("names not in strictly ascending order"))
        } else if shared != common {
            // One encoding per set: the shared prefix is always the longest.
            Err(err("shared prefix is not the longest"))
        } else {
            Ok(())
        };
        prev[..name.len()].copy_from_slice(name);
        prev_len = name.len();
        index += 1;
        ok.and(ordered)
    })?;
    if end != body.len() {
        return Err(SnapshotError::Trailing(body.len() - end));
    }
    Ok(Snapshot {
        bytes: bytes.to_vec(),
        version,
        count,
    })
}

fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Walk `count` entries of `body` (from offset 24), calling `f`; the end offset.
fn walk(
    body: &[u8],
    count: u64,
    mut f: impl FnMut(&[u8], usize, DomainState) -> Result<(), SnapshotError>,
) -> Result<usize, SnapshotError> {
    let mut name = [0u8; MAX_DOMAIN];
    let mut len = 0usize;
    let mut at = HEADER;
    for index in 0..count {
        let head = body.get(at..at + 3).ok_or(SnapshotError::Truncated)?;
        let (state, shared, rest) = (head[0], usize::from(head[1]), usize::from(head[2]));
        if state > 3 {
            return Err(SnapshotError::Entry {
                index,
                message: "unknown state",
            });
        }
        if shared > len || shared + rest > MAX_DOMAIN {
            return Err(SnapshotError::Entry {
                index,
                message: "bad name lengths",
            });
        }
        let tail = body
            .get(at + 3..at + 3 + rest)
            .ok_or(SnapshotError::Truncated)?;
        name[shared..shared + rest].copy_from_slice(tail);
        len = shared + rest;
        f(&name[..len], shared, DomainState::from_code(state))?;
        at += 3 + rest;
    }
    Ok(at)
}

/// A name must be in the gate's comparison form already (what `encode` writes).
fn check_name(name: &[u8]) -> Result<(), &'static str> {
    match crate::host::normalize_bytes(name) {
        Ok(h) if h.as_str().as_bytes() == name => Ok(()),
        Ok(_) => Err("name is not in normal form (lower-case, no trailing dot)"),
        Err(_) => Err("not a domain name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DomainState::*;

    #[test]
    fn round_trip_with_duplicates_and_normalisation() {
        let bytes = encode(
            42,
            [
                ("b.cn", Allow),
                ("a.cn", Revoked),
                ("例子.中国", FiledElsewhere),
                ("b.cn", AccessCancelled),
                ("Upper.CN", Allow),
                ("not a domain", Allow),
                ("aa.cn", Allow),
            ]
            .into_iter(),
        );
        let s = decode(&bytes).unwrap();
        assert_eq!(s.version(), 42);
        assert_eq!(
            s.entries(),
            vec![
                ("a.cn".to_owned(), Revoked),
                ("aa.cn".to_owned(), Allow),
                ("b.cn".to_owned(), AccessCancelled),
                ("upper.cn".to_owned(), Allow),
                ("xn--fsqu00a.xn--fiqs8s".to_owned(), FiledElsewhere),
            ]
        );
    }

    #[test]
    fn corruption_is_detected() {
        let bytes = encode(1, [("a.cn", Allow), ("b.cn", Allow)].into_iter());
        assert!(decode(&bytes).is_ok());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode(&b).is_err(), "flip at {i}");
        }
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err());
        }
        assert!(matches!(decode(b"nonsense"), Err(SnapshotError::Magic)));
        let empty = encode(0, std::iter::empty());
        assert!(decode(&empty).unwrap().is_empty());
    }

    #[test]
    fn a_valid_checksum_does_not_excuse_a_bad_entry() {
        // Forge: two names out of order with a correct CRC.
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&2u64.to_le_bytes());
        for name in [b"b.cn", b"a.cn"] {
            out.extend_from_slice(&[0, 0, 4]);
            out.extend_from_slice(name);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            decode(&out),
            Err(SnapshotError::Entry { index: 1, .. })
        ));
        // Found by cargo-fuzz: `ab.c` then `ab.cn` written with a shared prefix of 1 instead of
        // 4. Every set has one encoding, so it is refused.
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&2u64.to_le_bytes());
        out.extend_from_slice(&[0, 0, 4]);
        out.extend_from_slice(b"ab.c");
        out.extend_from_slice(&[3, 1, 4]);
        out.extend_from_slice(b"b.cn");
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            decode(&out),
            Err(SnapshotError::Entry { index: 1, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = decode(&bytes);
        }
    }
}
