//! The registrable domain on the decision's hot path.
//!
//! The same answer as `beian_domain::SuffixList::miit().registrable` (a property test holds the
//! two equal), computed faster: the ICANN section of the public suffix list (`psl`, private
//! rules skipped exactly as beian-domain skips them), and the MIIT overlay's second-level zones in
//! a sorted array consulted only under the few TLDs that have such zones (`.cn` today), instead of
//! a `HashSet<String>` hashed on every call. Measured in BENCHMARKS.md.

use std::sync::OnceLock;

/// The MIIT second-level zones (`gov.cn`, `xn--…cn`), sorted, and the TLDs they sit under.
#[derive(Debug)]
pub struct Suffixes {
    zones: Vec<String>,
    zone_tlds: Vec<String>,
}

impl Suffixes {
    /// The zones of the MIIT list embedded in beian-domain, parsed once.
    pub fn miit() -> &'static Suffixes {
        static S: OnceLock<Suffixes> = OnceLock::new();
        S.get_or_init(|| Suffixes::parse(beian_domain::MIIT_SUFFIXES_TSV))
    }

    /// Take the two-label zones of a MIIT list (lines beian-domain validates; a line it would
    /// refuse is skipped here).
    pub fn parse(text: &str) -> Suffixes {
        let mut zones: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| idna::domain_to_ascii(l.split('\t').next().unwrap_or("").trim()).ok())
            .filter(|a| a.matches('.').count() == 1 && !a.starts_with('.') && !a.ends_with('.'))
            .collect();
        zones.sort();
        zones.dedup();
        let mut zone_tlds: Vec<String> = zones
            .iter()
            .map(|z| beian_domain::tld(z).to_owned())
            .collect();
        zone_tlds.sort();
        zone_tlds.dedup();
        Suffixes { zones, zone_tlds }
    }

    /// The registrable domain of a normalised host, or `None` when it is a public suffix.
    #[inline]
    pub fn registrable<'a>(&self, ascii: &'a str) -> Option<&'a str> {
        let suffix = self.public_suffix(ascii);
        if suffix.len() >= ascii.len() {
            return None;
        }
        let head = &ascii[..ascii.len() - suffix.len() - 1];
        let start = last_dot(head).map_or(0, |i| i + 1);
        Some(&ascii[start..])
    }

    /// The public suffix: the ICANN rule's, or a longer MIIT zone.
    #[inline]
    pub fn public_suffix<'a>(&self, ascii: &'a str) -> &'a str {
        let suffix = icann_suffix(ascii);
        if suffix.contains('.') {
            // Every zone has two labels: a suffix of two labels or more is at least as long.
            return suffix;
        }
        let tld = tld(ascii);
        if !self.zone_tlds.iter().any(|t| t == tld) {
            return suffix;
        }
        let last_two = match last_dot(ascii).and_then(|i| last_dot(&ascii[..i])) {
            Some(i) => &ascii[i + 1..],
            None => ascii,
        };
        if self
            .zones
            .binary_search_by(|z| z.as_str().cmp(last_two))
            .is_ok()
        {
            last_two
        } else {
            suffix
        }
    }
}

/// The ICANN public suffix of `ascii` (the last label when the PSL has no rule for it); private
/// rules are dropped label by label, as in beian-domain.
fn icann_suffix(ascii: &str) -> &str {
    let mut candidate = ascii;
    loop {
        match psl::suffix(candidate.as_bytes()) {
            Some(s) if s.typ() == Some(psl::Type::Private) => {
                let suffix_len = s.as_bytes().len();
                let suffix = &candidate[candidate.len() - suffix_len..];
                match suffix.find('.') {
                    Some(i) => candidate = &suffix[i + 1..],
                    None => return tld(ascii),
                }
            }
            Some(s) => {
                let len = s.as_bytes().len().min(ascii.len());
                return &ascii[ascii.len() - len..];
            }
            None => return tld(ascii),
        }
    }
}

/// The position of the last dot. Names here are short: an inlined byte loop beats a call to
/// `memrchr`, and a decision asks this several times.
#[inline]
pub(crate) fn last_dot(name: &str) -> Option<usize> {
    name.bytes().rposition(|b| b == b'.')
}

/// The last label (`beian_domain::tld`, with the inlined loop).
#[inline]
fn tld(name: &str) -> &str {
    last_dot(name).map_or(name, |i| &name[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(host: &str) {
        let Ok(h) = crate::host::normalize(host) else {
            return;
        };
        let ours = Suffixes::miit().registrable(h.as_str());
        let theirs = beian_domain::SuffixList::miit()
            .registrable(h.as_str())
            .ok();
        assert_eq!(ours, theirs, "{host}");
    }

    #[test]
    fn agrees_with_beian_domain() {
        assert!(Suffixes::miit().zones.len() > 40);
        for h in [
            "www.example.com.cn",
            "example.cn",
            "a.b.example.gov.cn",
            "shop.example.zj.cn",
            "www.某局.政务.cn",
            "www.公益组织.公益.cn",
            "政务.cn",
            "foo.github.io",
            "x.unknowntld",
            "com.cn",
            "a.b.c.kawasaki.jp",
            "city.kawasaki.jp",
            "www.example.co.uk",
            "example.中国",
            "x.y.example.xn--fiqs8s",
            "blogspot.com",
            "a.blogspot.com.cn",
        ] {
            same(h);
        }
        for i in 0..20_000 {
            same(&crate::testdata::domain(i));
            same(&format!("www.{}", crate::testdata::domain(i)));
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_on_arbitrary_hosts(labels in proptest::collection::vec("[a-z0-9]{1,6}|cn|com|gov|bj|jp|uk|co|io|github|kawasaki|xn--fiqs8s|xn--zfr164b", 1..6)) {
            same(&labels.join("."));
        }
    }
}
