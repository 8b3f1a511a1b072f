//! Domain names as the ICP filing rules see them (域名).
//!
//! Every comparison in beian uses one form: lower-case IDNA ASCII ("punycode"), no trailing dot.
//! The registrable domain comes from the ICANN section of the public suffix list (compiled into
//! the `psl` crate) extended by the second-level `.cn` zones of the MIIT list, which the PSL lacks
//! in part (`政务.cn`, `公益.cn`). The MIIT list also decides which TLDs may be filed at all.
//!
//! No I/O: the MIIT list is embedded from `data/miit-approved-suffixes.tsv` and parsed once.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// The MIIT-approved suffix list shipped with beian (source noted in the file's header).
pub const MIIT_SUFFIXES_TSV: &str = include_str!("../../../data/miit-approved-suffixes.tsv");

/// Why a string is not a usable domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("empty domain name")]
    Empty,
    #[error("IP address, not a domain name")]
    IpAddress,
    #[error("not a valid domain name: {0}")]
    Syntax(&'static str),
    #[error("a public suffix, not a registrable domain")]
    PublicSuffix,
}

/// Error in the MIIT suffix data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("miit-approved-suffixes.tsv line {line}: {message}")]
pub struct SuffixDataError {
    pub line: usize,
    pub message: String,
}

/// True when `host` (after stripping `[...]` brackets) is an IPv4 or IPv6 literal.
pub fn is_ip_literal(host: &str) -> bool {
    let h = host.trim().trim_end_matches('.');
    // Fast path: an IPv4 literal ends with a digit and an IPv6 literal contains ':'.
    if !h.ends_with(|c: char| c.is_ascii_digit() || c == ']') && !h.contains(':') {
        return false;
    }
    let h = h
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(h);
    h.parse::<Ipv4Addr>().is_ok() || h.parse::<Ipv6Addr>().is_ok()
}

/// Normalise a domain name to its comparison form: lower-case IDNA ASCII, trailing dot removed,
/// syntax checked (LDH labels of 1–63 octets, at most 253 octets, at least two labels).
/// Full-width and ideographic full stops (`例子。中国`) are mapped by UTS #46.
pub fn to_ascii(input: &str) -> Result<String, DomainError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(DomainError::Empty);
    }
    if is_ip_literal(trimmed) {
        return Err(DomainError::IpAddress);
    }
    let ascii = if trimmed.is_ascii() && !trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        trimmed.to_owned()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| DomainError::Syntax("IDNA conversion failed"))?
    };
    let ascii = ascii.strip_suffix('.').map(str::to_owned).unwrap_or(ascii);
    check_ldh(&ascii)?;
    if is_ip_literal(&ascii) {
        return Err(DomainError::IpAddress);
    }
    Ok(ascii)
}

/// The Unicode (display) form of an ASCII domain; falls back to the input when it does not decode.
pub fn to_unicode(ascii: &str) -> String {
    if !ascii.contains("xn--") {
        return ascii.to_owned();
    }
    let (unicode, result) = idna::domain_to_unicode(ascii);
    if result.is_ok() {
        unicode
    } else {
        ascii.to_owned()
    }
}

fn check_ldh(ascii: &str) -> Result<(), DomainError> {
    if ascii.is_empty() {
        return Err(DomainError::Empty);
    }
    if ascii.len() > 253 {
        return Err(DomainError::Syntax("longer than 253 characters"));
    }
    let mut labels = 0usize;
    let mut last = "";
    for label in ascii.split('.') {
        labels += 1;
        if label.is_empty() {
            return Err(DomainError::Syntax("empty label"));
        }
        if label.len() > 63 {
            return Err(DomainError::Syntax("label longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(DomainError::Syntax(
                "only letters, digits and hyphens are allowed",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::Syntax(
                "a label may not start or end with a hyphen",
            ));
        }
        last = label;
    }
    if labels < 2 {
        return Err(DomainError::Syntax("a domain needs at least two labels"));
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::Syntax(
            "the top-level domain cannot be numeric",
        ));
    }
    Ok(())
}

/// The last label of an ASCII domain (its TLD).
pub fn tld(ascii: &str) -> &str {
    ascii.rsplit('.').next().unwrap_or(ascii)
}

/// The MIIT list: which TLDs may be filed, and which second-level zones count as public suffixes.
#[derive(Debug, Clone)]
pub struct SuffixList {
    approved_tlds: HashSet<String>,
    /// Second-level zones (`gov.cn`, `xn--…cn`): all of two labels.
    overlay: HashSet<String>,
}

impl SuffixList {
    /// The list embedded in the binary, parsed once.
    pub fn miit() -> &'static SuffixList {
        static LIST: OnceLock<SuffixList> = OnceLock::new();
        LIST.get_or_init(|| {
            // The embedded file is validated by this crate's tests; an empty list is the safe
            // degenerate case (every TLD reported unapproved) rather than a panic.
            SuffixList::parse(MIIT_SUFFIXES_TSV).unwrap_or_else(|_| SuffixList {
                approved_tlds: HashSet::new(),
                overlay: HashSet::new(),
            })
        })
    }

    /// Parse `suffix<TAB>note` lines (`#` comments). Unicode suffixes are stored in ASCII form.
    pub fn parse(text: &str) -> Result<SuffixList, SuffixDataError> {
        let mut approved_tlds = HashSet::new();
        let mut overlay = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let suffix = line.split('\t').next().unwrap_or("").trim();
            let ascii = idna::domain_to_ascii(suffix).map_err(|_| SuffixDataError {
                line: line_no,
                message: format!("suffix {suffix:?} is not a valid IDN"),
            })?;
            if ascii.is_empty() || ascii.starts_with('.') || ascii.ends_with('.') {
                return Err(SuffixDataError {
                    line: line_no,
                    message: format!("bad suffix {suffix:?}"),
                });
            }
            if ascii.contains('.') {
                if ascii.matches('.').count() != 1 {
                    return Err(SuffixDataError {
                        line: line_no,
                        message: format!("zone {suffix:?} must have exactly two labels"),
                    });
                }
                overlay.insert(ascii);
            } else if !approved_tlds.insert(ascii) {
                return Err(SuffixDataError {
                    line: line_no,
                    message: format!("duplicate suffix {suffix:?}"),
                });
            }
        }
        if approved_tlds.is_empty() {
            return Err(SuffixDataError {
                line: 0,
                message: "no TLD listed".into(),
            });
        }
        // Every second-level zone must sit under an approved TLD.
        for zone in &overlay {
            if !approved_tlds.contains(tld(zone)) {
                return Err(SuffixDataError {
                    line: 0,
                    message: format!("zone {zone} is under an unlisted TLD"),
                });
            }
        }
        Ok(SuffixList {
            approved_tlds,
            overlay,
        })
    }

    /// Is this TLD (ASCII, lower case) approved for filing?
    pub fn is_approved_tld(&self, ascii_tld: &str) -> bool {
        self.approved_tlds.contains(ascii_tld)
    }

    /// Number of approved TLDs.
    pub fn tld_count(&self) -> usize {
        self.approved_tlds.len()
    }

    /// The public suffix of a normalised ASCII domain: ICANN rules of the PSL, or a longer
    /// MIIT second-level zone. Private PSL entries are ignored (`foo.github.io` → `io`).
    pub fn public_suffix<'a>(&self, ascii: &'a str) -> &'a str {
        let suffix = icann_suffix(ascii);
        // The overlay zones have two labels: look up the domain's last two.
        let last_two = match ascii.rfind('.').and_then(|i| ascii[..i].rfind('.')) {
            Some(i) => &ascii[i + 1..],
            None => ascii,
        };
        if last_two.len() > suffix.len()
            && last_two.contains('.')
            && self.overlay.contains(last_two)
        {
            last_two
        } else {
            suffix
        }
    }

    /// The registrable domain (suffix plus one label) of a normalised ASCII domain, or
    /// `DomainError::PublicSuffix` when the name is itself a public suffix.
    pub fn registrable<'a>(&self, ascii: &'a str) -> Result<&'a str, DomainError> {
        let suffix = self.public_suffix(ascii);
        if suffix.len() >= ascii.len() {
            return Err(DomainError::PublicSuffix);
        }
        let head = &ascii[..ascii.len() - suffix.len() - 1];
        let start = head.rfind('.').map_or(0, |i| i + 1);
        Ok(&ascii[start..])
    }
}

/// The ICANN public suffix of `ascii` (the last label when the PSL has no rule for it).
fn icann_suffix(ascii: &str) -> &str {
    let mut candidate = ascii;
    loop {
        match psl::suffix(candidate.as_bytes()) {
            Some(s) if s.typ() == Some(psl::Type::Private) => {
                // Drop the private rule's first label and look again within it.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(d: &str) -> Result<String, DomainError> {
        let a = to_ascii(d)?;
        SuffixList::miit().registrable(&a).map(str::to_owned)
    }

    #[test]
    fn embedded_list_parses_and_has_idn_tlds() {
        let list = SuffixList::parse(MIIT_SUFFIXES_TSV).unwrap();
        assert!(list.tld_count() > 100);
        assert!(list.is_approved_tld("cn"));
        let idn = to_ascii("例子.中国").unwrap();
        assert!(list.is_approved_tld(tld(&idn)));
        assert!(!list.is_approved_tld("io"));
        assert!(!list.is_approved_tld("ai"));
    }

    #[test]
    fn normalises_case_dots_and_idn() {
        assert_eq!(to_ascii("WWW.Example.CN.").unwrap(), "www.example.cn");
        assert_eq!(to_ascii("例子。中国").unwrap(), "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(to_unicode("xn--fsqu00a.xn--fiqs8s"), "例子.中国");
    }

    #[test]
    fn rejects_ips_and_bad_syntax() {
        assert_eq!(to_ascii("192.168.1.1"), Err(DomainError::IpAddress));
        assert_eq!(to_ascii("[::1]"), Err(DomainError::IpAddress));
        assert!(matches!(to_ascii("a_b.cn"), Err(DomainError::Syntax(_))));
        assert!(matches!(to_ascii("-a.cn"), Err(DomainError::Syntax(_))));
        assert!(matches!(to_ascii("cn"), Err(DomainError::Syntax(_))));
        assert!(matches!(to_ascii("a..cn"), Err(DomainError::Syntax(_))));
        assert!(matches!(
            to_ascii("example.123"),
            Err(DomainError::Syntax(_))
        ));
        assert_eq!(to_ascii("  "), Err(DomainError::Empty));
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(reg("www.example.com.cn").unwrap(), "example.com.cn");
        assert_eq!(reg("example.cn").unwrap(), "example.cn");
        assert_eq!(reg("a.b.example.gov.cn").unwrap(), "example.gov.cn");
        assert_eq!(reg("shop.example.zj.cn").unwrap(), "example.zj.cn");
        assert_eq!(
            reg("www.某局.政务.cn").unwrap(),
            to_ascii("某局.政务.cn").unwrap()
        );
        assert_eq!(
            reg("www.公益组织.公益.cn").unwrap(),
            to_ascii("公益组织.公益.cn").unwrap()
        );
        assert_eq!(reg("foo.github.io").unwrap(), "github.io");
        assert_eq!(reg("x.unknowntld").unwrap(), "x.unknowntld");
        assert_eq!(reg("com.cn"), Err(DomainError::PublicSuffix));
        assert_eq!(reg("政务.cn"), Err(DomainError::PublicSuffix));
    }

    #[test]
    fn bad_data_is_reported_with_line() {
        let err = SuffixList::parse("# c\ncn\ncn\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(SuffixList::parse("com.io\ncn\n").is_err());
    }

    proptest::proptest! {
        #[test]
        fn to_ascii_never_panics_and_is_idempotent(s in "\\PC{0,40}") {
            if let Ok(a) = to_ascii(&s) {
                let again = to_ascii(&a);
                proptest::prop_assert_eq!(again, Ok(a.clone()));
                let _ = SuffixList::miit().registrable(&a);
            }
        }
    }
}
