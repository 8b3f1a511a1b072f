//! ICP numbers (备案号), SPEC §3: the subject number `{abbr}ICP备{serial}号` with a serial unique
//! within the province and never reused, and website numbers `…号-{n}` with `n` increasing per
//! subject and never reused. Assignment here is arithmetic on the last number issued; the store
//! makes it atomic (a unique constraint and a conditional update).

use std::fmt;

/// A subject's ICP number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectNumber {
    /// The province abbreviation (浙).
    pub abbr: char,
    /// `YYYY` followed by a six-digit sequence within the year (2026000123).
    pub serial: u64,
}

/// A website's ICP number: the subject number and a per-subject sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebsiteNumber {
    pub subject: SubjectNumber,
    pub n: u32,
}

/// Why a string is not an ICP number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ICP number (expected 浙ICP备2026000123号 or 浙ICP备2026000123号-1): {0}")]
pub struct NumberError(pub String);

/// The serial block size per year: a province issues at most 999,999 numbers in a year before
/// spilling into the next year's block, which keeps serials increasing and never reused.
const PER_YEAR: u64 = 1_000_000;

/// The next subject serial of a province, given the last one issued there (if any).
pub fn next_subject_serial(year: i32, last: Option<u64>) -> u64 {
    let base = u64::try_from(year).unwrap_or(0) * PER_YEAR;
    match last {
        Some(l) if l >= base => l + 1,
        _ => base + 1,
    }
}

/// The next website sequence of a subject, given the last one issued (never reused, so
/// cancelled websites keep their numbers).
pub fn next_website_n(last: Option<u32>) -> u32 {
    last.map_or(1, |n| n + 1)
}

impl fmt::Display for SubjectNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ICP备{}号", self.abbr, self.serial)
    }
}

impl fmt::Display for WebsiteNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.subject, self.n)
    }
}

impl std::str::FromStr for SubjectNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || NumberError(s.to_owned());
        let t = s.trim();
        let mut chars = t.chars();
        let abbr = chars.next().ok_or_else(bad)?;
        if abbr.is_ascii() {
            return Err(bad());
        }
        let rest = chars.as_str().strip_prefix("ICP备").ok_or_else(bad)?;
        let digits = rest.strip_suffix('号').ok_or_else(bad)?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(SubjectNumber {
            abbr,
            serial: digits.parse().map_err(|_| bad())?,
        })
    }
}

impl std::str::FromStr for WebsiteNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || NumberError(s.to_owned());
        let (subject, n) = s.trim().rsplit_once('-').ok_or_else(bad)?;
        let n: u32 = n.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        Ok(WebsiteNumber {
            subject: subject.parse()?,
            n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_parses() {
        let s = SubjectNumber {
            abbr: '浙',
            serial: 2026000123,
        };
        assert_eq!(s.to_string(), "浙ICP备2026000123号");
        let w = WebsiteNumber {
            subject: s.clone(),
            n: 1,
        };
        assert_eq!(w.to_string(), "浙ICP备2026000123号-1");
        assert_eq!("浙ICP备2026000123号".parse::<SubjectNumber>().unwrap(), s);
        assert_eq!("浙ICP备2026000123号-1".parse::<WebsiteNumber>().unwrap(), w);
        for bad in [
            "ICP备123号",
            "浙ICP123号",
            "浙ICP备号",
            "浙ICP备12a号",
            "浙ICP备1号-0",
            "浙ICP备1号-x",
        ] {
            assert!(
                bad.parse::<WebsiteNumber>().is_err() || bad.parse::<SubjectNumber>().is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn serials_increase_within_and_across_years() {
        assert_eq!(next_subject_serial(2026, None), 2026000001);
        assert_eq!(next_subject_serial(2026, Some(2026000123)), 2026000124);
        assert_eq!(next_subject_serial(2027, Some(2026000999)), 2027000001);
        // A clock set back never reuses a serial.
        assert_eq!(next_subject_serial(2025, Some(2026000010)), 2026000011);
        assert_eq!(next_website_n(None), 1);
        assert_eq!(next_website_n(Some(3)), 4);
    }

    proptest! {
        #[test]
        fn assignment_sequences_never_repeat(years in prop::collection::vec(2020i32..2030, 1..200)) {
            let mut last = None;
            let mut seen = std::collections::HashSet::new();
            for y in years {
                let s = next_subject_serial(y, last);
                prop_assert!(last.is_none_or(|l| s > l));
                prop_assert!(seen.insert(s));
                last = Some(s);
                let n = SubjectNumber { abbr: '京', serial: s };
                prop_assert_eq!(n.to_string().parse::<SubjectNumber>().unwrap(), n);
            }
        }
    }
}
