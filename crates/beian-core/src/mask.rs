//! Masking personal data (个人信息脱敏) wherever it is not needed: the console's lists, logs and
//! notifications show these forms; the public query shows none of them (SPEC §10).

/// `330106198503120036` → `3301**********0036`: the region of issue and the last four stay.
pub fn credential_number(n: &str) -> String {
    keep_ends(n.trim(), 4, 4)
}

/// `13906710000` → `139****0000`.
pub fn mobile(m: &str) -> String {
    keep_ends(m.trim(), 3, 4)
}

/// `086-0571-88888888` → `086-0571-****8888`.
pub fn office_phone(p: &str) -> String {
    let p = p.trim();
    match p.rsplit_once('-') {
        Some((head, number)) => format!("{head}-{}", keep_ends(number, 0, 4)),
        None => keep_ends(p, 0, 4),
    }
}

/// `浙江省杭州市西湖区文三路100号5幢301室` → `浙江省杭州市西湖区****`: up to the district (区/县/市 after
/// the first six characters), the rest hidden.
pub fn address(a: &str) -> String {
    let chars: Vec<char> = a.trim().chars().collect();
    let cut = chars
        .iter()
        .enumerate()
        .skip(2)
        .filter(|(_, c)| matches!(c, '区' | '县' | '市' | '旗'))
        .map(|(i, _)| i + 1)
        .take_while(|&i| i <= 12)
        .last()
        .unwrap_or(chars.len().min(3));
    let kept: String = chars[..cut].iter().collect();
    format!("{kept}****")
}

/// `zw@yunfan.cn` → `z*@yunfan.cn`.
pub fn email(e: &str) -> String {
    match e.trim().split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", keep_ends(local, 1, 0)),
        None => keep_ends(e.trim(), 1, 0),
    }
}

/// Keep `head` leading and `tail` trailing characters, star the rest (at least one star, and
/// everything starred when the value is too short to keep both ends).
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(1));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(
            credential_number("330106198503120036"),
            "3301**********0036"
        );
        assert_eq!(mobile("13906710000"), "139****0000");
        assert_eq!(office_phone("086-0571-88888888"), "086-0571-****8888");
        assert_eq!(
            address("浙江省杭州市西湖区文三路100号5幢301室"),
            "浙江省杭州市西湖区****"
        );
        assert_eq!(address("北京市朝阳区建国路88号"), "北京市朝阳区****");
        assert_eq!(email("zw@yunfan.cn"), "z*@yunfan.cn");
        assert_eq!(mobile("123"), "***");
        assert_eq!(credential_number(""), "*");
    }

    proptest::proptest! {
        /// A masked value never shows more than the kept ends of the original.
        #[test]
        fn masked_numbers_hide_the_middle(n in "[0-9X]{9,18}") {
            let m = credential_number(&n);
            proptest::prop_assert_eq!(m.chars().count(), n.chars().count());
            proptest::prop_assert!(m[4..m.len() - 4].chars().all(|c| c == '*'));
        }
    }
}
