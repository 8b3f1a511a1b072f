//! Plain domain lists: `--domains FILE` (one registrable domain per line, optionally followed by
//! a state; `#` comments) and `--acme-in-progress FILE` (one registrable domain per line).

use crate::DomainState;

/// A line of a domain list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ListError {
    pub line: usize,
    pub message: String,
}

/// Parse a domain list: `example.cn` (state `allow`) or `example.cn revoked`. Every name must be
/// a registrable domain (`www.example.cn` or `com.cn` is an error naming its line): the gate
/// looks up registrable domains only, so anything else could never match.
pub fn parse_domains(text: &str) -> Result<Vec<(String, DomainState)>, ListError> {
    let suffixes = beian_domain::SuffixList::miit();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or("");
        let state = match words.next() {
            None => DomainState::Allow,
            Some(s) => DomainState::parse(s).ok_or_else(|| ListError {
                line: line_no,
                message: format!(
                    "unknown state {s:?} (allow, filed_elsewhere, access_cancelled, revoked)"
                ),
            })?,
        };
        if words.next().is_some() {
            return Err(ListError {
                line: line_no,
                message: "expected `domain [state]`".into(),
            });
        }
        let host = crate::host::normalize(name).map_err(|e| ListError {
            line: line_no,
            message: format!("{name:?}: {e}"),
        })?;
        let ascii = host.as_str();
        match suffixes.registrable(ascii) {
            Ok(r) if r == ascii => out.push((ascii.to_owned(), state)),
            Ok(r) => {
                return Err(ListError {
                    line: line_no,
                    message: format!("{name:?} is not a registrable domain (did you mean {r}?)"),
                });
            }
            Err(_) => {
                return Err(ListError {
                    line: line_no,
                    message: format!("{name:?} is a public suffix"),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        let l = parse_domains("# filed\nExample.CN\n例子.中国 revoked # note\n\n").unwrap();
        assert_eq!(
            l,
            vec![
                ("example.cn".into(), DomainState::Allow),
                ("xn--fsqu00a.xn--fiqs8s".into(), DomainState::Revoked)
            ]
        );
        assert_eq!(parse_domains("a.cn\nwww.a.cn\n").unwrap_err().line, 2);
        assert_eq!(parse_domains("com.cn\n").unwrap_err().line, 1);
        assert_eq!(parse_domains("a.cn maybe\n").unwrap_err().line, 1);
        assert_eq!(parse_domains("1.2.3.4\n").unwrap_err().line, 1);
    }
}
