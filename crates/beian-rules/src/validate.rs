//! Format and check-character validators for credentials, phones and e-mail (SPEC §7.3).
//! Pure functions over already-normalised strings (trimmed, upper-cased credential numbers).

use time::{Date, Month};

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID (GB 11643).
/// `None` when the input is not 17 ASCII digits.
pub fn mod11_2_check(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Weights are 2^(17-i) mod 11, i = 0..17.
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(b"10X98765432"[(sum % 11) as usize])
}

/// 17 digits followed by a digit or `X`.
pub fn resident_id_format(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
}

/// The check character is right (format assumed).
pub fn resident_id_checksum_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && mod11_2_check(&b[..17]) == Some(b[17])
}

/// The six-digit region prefix.
pub fn resident_id_region(s: &str) -> Option<u32> {
    s.get(..6)?.parse().ok()
}

/// The birth date (characters 7–14), if it is a calendar date.
pub fn resident_id_birth_date(s: &str) -> Option<Date> {
    let y: i32 = s.get(6..10)?.parse().ok()?;
    let m: u8 = s.get(10..12)?.parse().ok()?;
    let d: u8 = s.get(12..14)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// A birth date is possible when it is a calendar date from 1900-01-01 up to `today`.
pub fn birth_date_possible(s: &str, today: Date) -> bool {
    match resident_id_birth_date(s) {
        Some(d) => d.year() >= 1900 && d <= today,
        None => false,
    }
}

/// The 31 characters of a unified social credit code (GB 32100), in value order: no I, O, S, V, Z.
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARS
        .iter()
        .position(|&x| x == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// Check character of the first 17 characters of a USCC: index `(31 − Σ vᵢ·wᵢ mod 31) mod 31`
/// with wᵢ = 3^i mod 31. `None` when a character is outside the alphabet.
pub fn uscc_check(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    const W: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut sum = 0u32;
    for (&c, w) in first17.iter().zip(W) {
        sum += uscc_value(c)? * w;
    }
    USCC_CHARS.get(((31 - sum % 31) % 31) as usize).copied()
}

/// 18 characters of the USCC alphabet.
pub fn uscc_format(s: &str) -> bool {
    s.len() == 18 && s.bytes().all(|c| uscc_value(c).is_some())
}

pub fn uscc_checksum_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && uscc_check(&b[..17]) == Some(b[17])
}

/// The registering province (1-based characters 3–4 of a USCC), as a number.
pub fn uscc_province(s: &str) -> Option<u8> {
    s.get(2..4)?.parse().ok()
}

fn org_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// Check character of an organisation code body (GB 11714): `11 − Σ vᵢ·wᵢ mod 11`, 10 → X, 11 → 0.
pub fn org_code_check(first8: &[u8]) -> Option<u8> {
    if first8.len() != 8 {
        return None;
    }
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0u32;
    for (&c, w) in first8.iter().zip(W) {
        sum += org_value(c)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + u8::try_from(n).ok()?,
    })
}

/// An organisation code without its optional hyphen (`12345678-9` → `123456789`).
pub fn org_code_compact(s: &str) -> String {
    if s.len() == 10 && s.as_bytes().get(8) == Some(&b'-') {
        s.replacen('-', "", 1)
    } else {
        s.to_owned()
    }
}

/// Eight digits or capital letters and a check digit or `X` (hyphen before the check allowed).
pub fn org_code_format(s: &str) -> bool {
    let c = org_code_compact(s);
    let b = c.as_bytes();
    b.len() == 9
        && b[..8]
            .iter()
            .all(|&x| x.is_ascii_digit() || x.is_ascii_uppercase())
        && (b[8].is_ascii_digit() || b[8] == b'X')
}

pub fn org_code_checksum_ok(s: &str) -> bool {
    let c = org_code_compact(s);
    let b = c.as_bytes();
    b.len() == 9 && org_code_check(&b[..8]) == Some(b[8])
}

/// Mainland travel permit for Hong Kong and Macao residents: `H` or `M` and 8 or 10 digits.
pub fn hk_macao_permit_format(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 9 || b.len() == 11)
        && (b[0] == b'H' || b[0] == b'M')
        && b[1..].iter().all(u8::is_ascii_digit)
}

/// Mainland travel permit for Taiwan residents: 8 digits.
pub fn taiwan_permit_format(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Passports, foreign permanent residence cards and military IDs: 5–20 printable characters.
pub fn generic_document_format(s: &str) -> bool {
    let n = s.chars().count();
    (5..=20).contains(&n) && s.chars().all(|c| !c.is_control())
}

/// An office phone `086-0<2–3 digits>-<7–8 digits>`; returns the area code with its leading 0.
pub fn office_phone_area(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("086-")?;
    let (area, number) = rest.split_once('-')?;
    let area_ok = (area.len() == 3 || area.len() == 4)
        && area.starts_with('0')
        && area.bytes().all(|b| b.is_ascii_digit());
    let number_ok =
        (number.len() == 7 || number.len() == 8) && number.bytes().all(|b| b.is_ascii_digit());
    (area_ok && number_ok).then_some(area)
}

/// A mainland mobile number: 11 digits starting 13–19.
pub fn mobile_format(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// An e-mail address: one `@`, a dot-atom local part (RFC 5322) of at most 64 octets, and a
/// domain that is itself a valid domain name.
pub fn email_valid(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if domain.contains('@') || local.is_empty() || local.len() > 64 {
        return false;
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if !local
        .split('.')
        .all(|part| !part.is_empty() && part.chars().all(atext))
    {
        return false;
    }
    beian_domain::to_ascii(domain).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check(body17: &str) -> String {
        let c = mod11_2_check(body17.as_bytes()).unwrap();
        format!("{body17}{}", c as char)
    }

    #[test]
    fn known_resident_id() {
        // The GB 11643 worked example.
        assert!(resident_id_checksum_ok("11010519491231002X"));
        assert!(!resident_id_checksum_ok("110105194912310021"));
        assert!(resident_id_format("11010519491231002X"));
        assert!(!resident_id_format("11010519491231002x"));
        assert!(!resident_id_format("1101051949123100"));
        let today = Date::from_calendar_date(2026, Month::November, 22).unwrap();
        assert!(birth_date_possible("11010519491231002X", today));
        assert!(!birth_date_possible(
            &with_check("11010518991231002"),
            today
        ));
        assert!(!birth_date_possible(
            &with_check("11010520270101002"),
            today
        ));
        assert!(!birth_date_possible(
            &with_check("11010519990230002"),
            today
        ));
    }

    #[test]
    fn known_uscc_and_org_code() {
        // State Grid Corporation of China: USCC 91110000710925462X, embedding org code 71092546-2.
        assert!(uscc_format("91110000710925462X") && uscc_checksum_ok("91110000710925462X"));
        assert!(!uscc_checksum_ok("91110000710925462Y"));
        assert!(!uscc_format("91330106MA2CFU5EIX"));
        assert!(org_code_checksum_ok("71092546-2") && org_code_format("71092546-2"));
        assert_eq!(org_code_check(b"D2143569"), Some(b'X'));
        assert_eq!(org_code_check(b"00000000"), Some(b'0'));
        assert!(org_code_checksum_ok("D2143569-X"));
        assert!(!org_code_checksum_ok("D2143569-1"));
    }

    #[test]
    fn permits_phones_mail() {
        assert!(hk_macao_permit_format("H12345678"));
        assert!(hk_macao_permit_format("M1234567890"));
        assert!(!hk_macao_permit_format("X12345678"));
        assert!(!hk_macao_permit_format("H123456789"));
        assert!(taiwan_permit_format("12345678"));
        assert!(!taiwan_permit_format("1234567"));
        assert!(generic_document_format("E12345678"));
        assert!(!generic_document_format("E12"));
        assert_eq!(office_phone_area("086-0571-88888888"), Some("0571"));
        assert_eq!(office_phone_area("086-010-1234567"), Some("010"));
        assert_eq!(office_phone_area("0571-88888888"), None);
        assert_eq!(office_phone_area("086-0571-88888888-123"), None);
        assert_eq!(office_phone_area("086-571-88888888"), None);
        assert!(mobile_format("13800000000"));
        assert!(!mobile_format("12800000000"));
        assert!(!mobile_format("1380000000"));
        assert!(email_valid("zw@example.cn"));
        assert!(email_valid("first.last+tag@例子.中国"));
        assert!(!email_valid("a@@b.cn"));
        assert!(!email_valid("a..b@b.cn"));
        assert!(!email_valid("a@b"));
        assert!(!email_valid("a@1.2.3.4"));
        assert!(!email_valid("@b.cn"));
    }

    fn single_changes(s: &str, alphabet: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..s.len() {
            for &c in alphabet {
                if c != s.as_bytes()[i] {
                    let mut b = s.as_bytes().to_vec();
                    b[i] = c;
                    out.push(String::from_utf8(b).unwrap());
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn generated_resident_ids_pass_and_any_single_change_fails(
            region in 110000u32..660000, y in 1900i32..2026, m in 1u8..=12, d in 1u8..=28, seq in 0u32..1000
        ) {
            let body = format!("{region:06}{y:04}{m:02}{d:02}{seq:03}");
            let id = with_check(&body);
            prop_assert!(resident_id_format(&id) && resident_id_checksum_ok(&id));
            for changed in single_changes(&id, b"0123456789X") {
                prop_assert!(!(resident_id_format(&changed) && resident_id_checksum_ok(&changed)), "{} passed", changed);
            }
        }

        #[test]
        fn generated_usccs_pass_and_any_single_change_fails(body in "[0-9A-HJ-NP-RTUW-Y]{17}") {
            let check = uscc_check(body.as_bytes()).unwrap();
            let code = format!("{body}{}", check as char);
            prop_assert!(uscc_format(&code) && uscc_checksum_ok(&code));
            for changed in single_changes(&code, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
                prop_assert!(!(uscc_format(&changed) && uscc_checksum_ok(&changed)), "{} passed", changed);
            }
        }

        // GB 11714's modulus 11 cannot see a substitution whose values differ by 11 or 22 (0↔B↔M),
        // so the property holds for digit substitutions and for any change of the check character.
        #[test]
        fn generated_org_codes_pass_and_single_digit_changes_fail(body in "[0-9A-Z]{8}") {
            let check = org_code_check(body.as_bytes()).unwrap();
            let code = format!("{body}{}", check as char);
            prop_assert!(org_code_format(&code) && org_code_checksum_ok(&code));
            for changed in single_changes(&code, b"0123456789X") {
                let b = changed.as_bytes();
                let pos = (0..9).find(|&i| b[i] != code.as_bytes()[i]).unwrap();
                if pos == 8 || (code.as_bytes()[pos].is_ascii_digit() && b[pos].is_ascii_digit()) {
                    prop_assert!(!(org_code_format(&changed) && org_code_checksum_ok(&changed)), "{} passed", changed);
                }
            }
        }
    }
}
