//! Host normalisation: a `Host` header, an HTTP/2 `:authority` or a TLS server name turned into
//! the one comparison form of beian (lower-case IDNA ASCII, no port, no trailing dot).
//!
//! The common case (an ASCII host of letters, digits, hyphens and dots) is lower-cased into a
//! stack buffer without allocating; anything else goes through `beian_domain::to_ascii` (UTS #46).
//! Every input is answered: a value that is not a domain name is an error, never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest raw value looked at (a `Host` header or server name); longer values are refused.
pub const MAX_RAW_HOST: usize = 1024;
/// Longest domain name (RFC 1035, without the trailing dot).
pub const MAX_DOMAIN: usize = 253;

/// Why a host is not a domain name the gate can decide on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("no host")]
    Empty,
    #[error("an IP address, not a domain name")]
    IpAddress,
    #[error("not a valid host: {0}")]
    Malformed(&'static str),
}

/// Hosts up to this length are held inline (no allocation); longer ones on the heap.
const INLINE: usize = 62;

/// A normalised host: lower-case ASCII, at most 253 octets, at least two LDH labels. Small (64
/// bytes) so that passing it along costs no copy of a whole 253-byte buffer.
#[derive(Clone)]
pub struct Host(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl Host {
    /// The comparison form.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ASCII is ever written into `buf`; the fallback is unreachable in practice.
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or("")
            }
            Repr::Heap(b) => b,
        }
    }

    /// Lower-case an ASCII name already checked.
    #[inline]
    fn lowered(name: &[u8]) -> Host {
        if name.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            for (d, &s) in buf.iter_mut().zip(name) {
                // `to_ascii_lowercase` without a branch, so that the loop is vector code.
                *d = s | (u8::from(s.wrapping_sub(b'A') < 26) << 5);
            }
            Host(Repr::Inline {
                len: name.len() as u8,
                buf,
            })
        } else {
            Host(Repr::Heap(
                String::from_utf8_lossy(name)
                    .to_ascii_lowercase()
                    .into_boxed_str(),
            ))
        }
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Host").field(&self.as_str()).finish()
    }
}

impl PartialEq<&str> for Host {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Normalise raw bytes (a header value may carry any octet; non-UTF-8 is malformed).
pub fn normalize_bytes(raw: &[u8]) -> Result<Host, HostError> {
    if raw.is_empty() {
        return Err(HostError::Empty);
    }
    if raw.len() > MAX_RAW_HOST {
        return Err(HostError::Malformed("too long"));
    }
    // The fast path takes only ASCII, so UTF-8 is checked only when it declines.
    match fast(raw) {
        Fast::Done(r) => r,
        Fast::Slow => match std::str::from_utf8(raw) {
            Ok(s) => general(s),
            Err(_) => Err(HostError::Malformed("not UTF-8")),
        },
    }
}

/// Normalise a host: strip the port (`host:port`, `[v6]:port`), one trailing dot, lower-case,
/// IDNA to ASCII; refuse IP literals and anything that is not a domain name of two labels or more.
pub fn normalize(raw: &str) -> Result<Host, HostError> {
    if raw.is_empty() {
        return Err(HostError::Empty);
    }
    if raw.len() > MAX_RAW_HOST {
        return Err(HostError::Malformed("too long"));
    }
    match fast(raw.as_bytes()) {
        Fast::Done(r) => r,
        Fast::Slow => general(raw),
    }
}

enum Fast {
    Done(Result<Host, HostError>),
    Slow,
}

/// The common case: an LDH host with an optional port, checked and lower-cased in a few short
/// loops that the compiler turns into vector code (a byte-at-a-time state machine cost more than
/// the rest of a decision), without allocating. Anything else (brackets, non-ASCII, a stray
/// character) is left to [`general`].
#[inline]
fn fast(bytes: &[u8]) -> Fast {
    let (name, port) = match bytes.iter().position(|&b| b == b':') {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    // Non-short-circuiting, so that the loop has no branch per byte.
    let ldh = name.iter().fold(true, |ok, &b| {
        ok & (((b | 0x20).wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'-')
            | (b == b'.'))
    });
    if !ldh || port.is_some_and(|p| !valid_port(p)) {
        return Fast::Slow;
    }
    // One trailing dot is the root, dropped.
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.is_empty() {
        return Fast::Done(Err(HostError::Malformed("empty name")));
    }
    if name.len() > MAX_DOMAIN {
        return Fast::Done(Err(HostError::Malformed("longer than 253 characters")));
    }
    let mut labels = 0usize;
    let mut last: &[u8] = name;
    for label in name.split(|&b| b == b'.') {
        if let Err(e) = check_label(label) {
            return Fast::Done(Err(e));
        }
        labels += 1;
        last = label;
    }
    if last.iter().all(u8::is_ascii_digit) {
        // `1.2.3.4` is an address; `example.123` or `1.2.3` is simply not a domain name.
        let name = std::str::from_utf8(name).unwrap_or("");
        return Fast::Done(if name.parse::<Ipv4Addr>().is_ok() {
            Err(HostError::IpAddress)
        } else {
            Err(HostError::Malformed("numeric top-level domain"))
        });
    }
    if labels < 2 {
        return Fast::Done(Err(HostError::Malformed("a single label")));
    }
    Fast::Done(Ok(Host::lowered(name)))
}

/// Everything the fast path does not take: checks, then `[v6]`, ports, IDNA.
fn general(raw: &str) -> Result<Host, HostError> {
    let bytes = raw.as_bytes();
    if bytes
        .iter()
        .any(|&b| b <= b' ' || b == 0x7f || b == b'/' || b == b'\\' || b == b'@')
    {
        return Err(HostError::Malformed(
            "control, space or delimiter character",
        ));
    }
    let name = strip_port(raw)?;
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err(HostError::Malformed("empty name"));
    }
    if name.is_ascii() {
        ascii_fast(name)
    } else {
        idna_slow(name)
    }
}

/// The name without its port; bracketed and bare IPv6 literals are `IpAddress`.
fn strip_port(raw: &str) -> Result<&str, HostError> {
    if let Some(rest) = raw.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(HostError::Malformed("unclosed bracket"));
        };
        let after = &rest[close + 1..];
        if !after.is_empty() && !valid_port(after.strip_prefix(':').unwrap_or("x")) {
            return Err(HostError::Malformed("bad port"));
        }
        let inside = &rest[..close];
        return if inside.parse::<Ipv6Addr>().is_ok() || inside.parse::<Ipv4Addr>().is_ok() {
            Err(HostError::IpAddress)
        } else {
            Err(HostError::Malformed("bracketed value is not an IP address"))
        };
    }
    match raw.find(':') {
        None => Ok(raw),
        Some(i) if !raw[i + 1..].contains(':') => {
            if valid_port(&raw[i + 1..]) {
                Ok(&raw[..i])
            } else {
                Err(HostError::Malformed("bad port"))
            }
        }
        Some(_) => {
            if raw.parse::<Ipv6Addr>().is_ok() {
                Err(HostError::IpAddress)
            } else {
                Err(HostError::Malformed("more than one colon"))
            }
        }
    }
}

/// An empty port is allowed (RFC 3986 `authority = host [":" port]`, port = *DIGIT).
fn valid_port(port: impl AsRef<[u8]>) -> bool {
    let port = port.as_ref();
    if port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return false;
    }
    port.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= 65535
}

/// ASCII: check LDH syntax while lower-casing into the buffer.
fn ascii_fast(name: &str) -> Result<Host, HostError> {
    let bytes = name.as_bytes();
    if bytes.len() > MAX_DOMAIN {
        return Err(HostError::Malformed("longer than 253 characters"));
    }
    let mut label_start = 0usize;
    let mut labels = 0usize;
    let mut last_all_digits = true;
    for (i, &b) in bytes.iter().enumerate() {
        let lower = b.to_ascii_lowercase();
        match lower {
            b'a'..=b'z' => last_all_digits = false,
            b'0'..=b'9' => {}
            b'-' => last_all_digits = false,
            b'.' => {
                check_label(&bytes[label_start..i])?;
                labels += 1;
                label_start = i + 1;
                last_all_digits = true;
            }
            _ => {
                return Err(HostError::Malformed(
                    "only letters, digits, hyphens and dots",
                ));
            }
        }
    }
    check_label(&bytes[label_start..])?;
    labels += 1;
    if last_all_digits {
        // `1.2.3.4` is an address; `example.123` or `1.2.3` is simply not a domain name.
        return if name.parse::<Ipv4Addr>().is_ok() {
            Err(HostError::IpAddress)
        } else {
            Err(HostError::Malformed("numeric top-level domain"))
        };
    }
    if labels < 2 {
        return Err(HostError::Malformed("a single label"));
    }
    Ok(Host::lowered(bytes))
}

fn check_label(label: &[u8]) -> Result<(), HostError> {
    if label.is_empty() {
        return Err(HostError::Malformed("empty label"));
    }
    if label.len() > 63 {
        return Err(HostError::Malformed("label longer than 63 characters"));
    }
    if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
        return Err(HostError::Malformed("label starts or ends with a hyphen"));
    }
    Ok(())
}

/// Unicode: UTS #46 through beian-domain (maps `例子。中国`, full-width letters, case).
fn idna_slow(name: &str) -> Result<Host, HostError> {
    let ascii = beian_domain::to_ascii(name).map_err(|e| match e {
        beian_domain::DomainError::IpAddress => HostError::IpAddress,
        beian_domain::DomainError::Empty => HostError::Empty,
        _ => HostError::Malformed("not a valid internationalised domain name"),
    })?;
    // Checked again on the ASCII result: length, labels, numeric TLD.
    ascii_fast(&ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<String, HostError> {
        normalize(s).map(|h| h.as_str().to_owned())
    }

    #[test]
    fn ports_case_dots_idn() {
        assert_eq!(n("Example.CN").unwrap(), "example.cn");
        assert_eq!(n("www.example.cn:8080").unwrap(), "www.example.cn");
        assert_eq!(n("www.example.cn.:443").unwrap(), "www.example.cn");
        assert_eq!(n("www.example.cn:").unwrap(), "www.example.cn");
        assert_eq!(n("例子。中国").unwrap(), "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(n("例子.中国:80").unwrap(), "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(n("ＥＸＡＭＰＬＥ.cn").unwrap(), "example.cn");
    }

    #[test]
    fn ip_literals() {
        for ip in [
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:443",
            "::1",
            "[2001:db8::1]:8080",
            "10.0.0.1.",
            "[127.0.0.1]",
        ] {
            assert_eq!(normalize(ip).unwrap_err(), HostError::IpAddress, "{ip}");
        }
    }

    proptest::proptest! {
        /// The fast path and the general path agree on every host shape they both take.
        #[test]
        fn fast_agrees_with_general(s in "[a-zA-Z0-9.:-]{0,40}") {
            let f = match fast(s.as_bytes()) { Fast::Done(r) => Some(r.map(|h| h.as_str().to_owned())), Fast::Slow => None };
            if let (Some(f), false) = (f, s.is_empty()) {
                let g = general(&s).map(|h| h.as_str().to_owned());
                proptest::prop_assert_eq!(f.is_ok(), g.is_ok(), "{:?}: {:?} vs {:?}", s, f, g);
                if let (Ok(a), Ok(b)) = (&f, &g) { proptest::prop_assert_eq!(a, b); }
            }
        }

        /// Normalising is idempotent, never panics, and yields lower-case LDH of two labels or more.
        #[test]
        fn normalise_is_idempotent(s in "\\PC{0,60}") {
            if let Ok(h) = normalize(&s) {
                let a = h.as_str().to_owned();
                proptest::prop_assert!(a.len() <= MAX_DOMAIN && a.contains('.'));
                proptest::prop_assert!(a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
                proptest::prop_assert_eq!(normalize(&a).map(|h| h.as_str().to_owned()), Ok(a.clone()));
                proptest::prop_assert_eq!(normalize(&format!("{}:443", a.to_uppercase())).map(|h| h.as_str().to_owned()), Ok(a.clone()));
                proptest::prop_assert_eq!(normalize(&format!("{a}.")).map(|h| h.as_str().to_owned()), Ok(a.clone()));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let _ = normalize_bytes(&b);
        }
    }

    #[test]
    fn long_names_at_the_bound() {
        let l63 = "a".repeat(63);
        let name = format!("{l63}.{l63}.{l63}.{}", "b".repeat(61)); // 253
        assert_eq!(name.len(), 253);
        assert_eq!(n(&name).unwrap(), name);
        assert_eq!(n(&format!("{name}.")).unwrap(), name);
        assert_eq!(n(&format!("{name}.:80")).unwrap(), name);
        assert!(n(&format!("{name}b")).is_err());
        assert!(n(&format!("{name}..")).is_err());
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "localhost",
            "a..cn",
            ".example.cn",
            "example.cn..",
            "-a.cn",
            "a-.cn",
            "a_b.cn",
            "example.cn:99999",
            "example.cn:8o",
            "example.cn:80:80",
            "exa mple.cn",
            "user@example.cn",
            "example.cn/path",
            "[::1",
            "[::1]x",
            "[example.cn]",
            "example.123",
            "1.2.3",
            ".",
            ":80",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?} accepted");
        }
        assert!(normalize(&"a".repeat(2000)).is_err());
        assert!(normalize(&format!("{}.cn", "a".repeat(64))).is_err());
        let long = format!("{}cn", "abcdefghi.".repeat(26));
        assert!(long.len() > 253);
        assert!(normalize(&long).is_err());
        assert!(normalize_bytes(b"\xff\xfe.cn").is_err());
    }
}
