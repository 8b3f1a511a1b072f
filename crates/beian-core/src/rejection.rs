//! Field-level rejection (按字段驳回): what a rejection points at and what it leaves open.
//!
//! A reviewer or the administration names the fields of the application (JSON paths such as
//! `websites[0].name`, the same paths the rules engine's findings and the console's form use)
//! and the document slots that are wrong, each with a catalogued reason and an optional note.
//! The applicant may then change only those fields (and what lies inside them), unless the
//! rejection opens the whole application; on resubmission the reviewer sees what changed since
//! the rejection. Plain functions on `serde_json::Value`: no I/O.

use beian_rules::model::ReasonCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field a rejection names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RejectedField {
    /// The field's JSON path in the application (`subject.admin.mobile`, `websites[1].domains`).
    pub path: String,
    pub reason: ReasonCode,
    #[serde(default)]
    pub note: String,
}

fn no_website() -> i32 {
    -1
}

/// One document slot a rejection names (the slot's upload is rejected; the others stay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RejectedDocument {
    /// The slot's kind (`subject_credential`, `face_photo`, …).
    pub kind: String,
    /// The website index for a website's documents, else -1.
    #[serde(default = "no_website")]
    pub website: i32,
    /// The preapproval category for a preapproval document, else empty.
    #[serde(default)]
    pub category: String,
    pub reason: ReasonCode,
    #[serde(default)]
    pub note: String,
}

/// Is `path` a well-formed application path: names joined by `.`, each optionally followed by
/// `[n]` indexes (`websites[0].domains[2]`)? Names are lower-case ASCII with `_` and digits.
pub fn valid_path(path: &str) -> bool {
    if path.is_empty() || path.len() > 200 {
        return false;
    }
    path.split('.').all(|segment| {
        let (name, mut rest) = match segment.find('[') {
            Some(i) => segment.split_at(i),
            None => (segment, ""),
        };
        let name_ok = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        while !rest.is_empty() {
            let Some(close) = rest.find(']') else {
                return false;
            };
            let index = &rest[1..close];
            if !rest.starts_with('[')
                || index.is_empty()
                || index.len() > 4
                || !index.chars().all(|c| c.is_ascii_digit())
            {
                return false;
            }
            rest = &rest[close + 1..];
        }
        name_ok
    })
}

/// The path's steps: object keys and array indexes.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for segment in path.split('.') {
        let mut parts = segment.split('[');
        if let Some(name) = parts.next()
            && !name.is_empty()
        {
            out.push(Step::Key(name));
        }
        for p in parts {
            if let Ok(i) = p.trim_end_matches(']').parse() {
                out.push(Step::Index(i));
            }
        }
    }
    out
}

/// The value at `path` in `v`, if there is one.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = v;
    for s in steps(path) {
        at = match s {
            Step::Key(k) => at.get(k)?,
            Step::Index(i) => at.get(i)?,
        };
    }
    Some(at)
}

/// Is `path` the field `named` or inside it (`websites[0].name` is inside `websites[0]`)?
pub fn within(path: &str, named: &str) -> bool {
    path == named
        || (path.starts_with(named)
            && matches!(path.as_bytes().get(named.len()), Some(b'.') | Some(b'[')))
}

/// One difference between two versions of an application: a leaf value that changed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub path: String,
    /// The value before (null: there was none).
    pub before: Value,
    /// The value after (null: there is none now).
    pub after: Value,
}

/// Nothing, for a comparison: absent, null, an empty string, list or object. (A form that
/// sends back an empty field has not changed a field that was never filled.)
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.iter().all(is_empty),
        Value::Object(o) => o.values().all(is_empty),
        _ => false,
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    if is_empty(before) && is_empty(after) {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(
                    &child(path, k),
                    b.get(k.as_str()).unwrap_or(&Value::Null),
                    a.get(k.as_str()).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            for i in 0..b.len().max(a.len()) {
                walk(
                    &format!("{path}[{i}]"),
                    b.get(i).unwrap_or(&Value::Null),
                    a.get(i).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        // A list or object that appeared or went: its leaves, one by one.
        (Value::Object(_) | Value::Array(_), _) if is_empty(after) => {
            walk(path, before, &empty_like(before), out)
        }
        (_, Value::Object(_) | Value::Array(_)) if is_empty(before) => {
            walk(path, &empty_like(after), after, out)
        }
        (b, a) if b == a => {}
        (b, a) => out.push(Change {
            path: path.to_owned(),
            before: if is_empty(b) { Value::Null } else { b.clone() },
            after: if is_empty(a) { Value::Null } else { a.clone() },
        }),
    }
}

fn empty_like(v: &Value) -> Value {
    match v {
        Value::Object(_) => Value::Object(serde_json::Map::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        _ => Value::Null,
    }
}

/// Every leaf that differs between `before` and `after`, in path order (emptiness is equal).
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

/// Of `changes`, those outside every field in `open` (what a rejection that names fields does
/// not let the applicant change).
pub fn outside<'a>(changes: &'a [Change], open: &[&str]) -> Vec<&'a Change> {
    changes
        .iter()
        .filter(|c| !open.iter().any(|o| within(&c.path, o)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn paths_are_names_and_indexes() {
        for ok in [
            "subject",
            "subject.admin.mobile",
            "websites[0].name",
            "websites[12].domains[3]",
            "websites[0].admin.credential.number",
        ] {
            assert!(valid_path(ok), "{ok}");
        }
        for bad in [
            "",
            ".subject",
            "subject.",
            "Subject",
            "websites[]",
            "websites[a]",
            "websites[0",
            "websites]0[",
            "a..b",
            "subject/admin",
            "websites[0]x",
            "websites[99999]",
        ] {
            assert!(!valid_path(bad), "{bad}");
        }
    }

    #[test]
    fn within_means_the_field_or_inside_it() {
        assert!(within("websites[0].name", "websites[0].name"));
        assert!(within("websites[0].name", "websites[0]"));
        assert!(within("websites[0].domains[1]", "websites[0].domains"));
        assert!(!within("websites[10].name", "websites[1]"));
        assert!(!within(
            "subject.admin.mobile_backup",
            "subject.admin.mobile"
        ));
        assert!(!within("websites[0]", "websites[0].name"));
    }

    #[test]
    fn lookup_follows_keys_and_indexes() {
        let v = json!({"websites": [{"name": "a", "domains": ["x.cn", "y.cn"]}]});
        assert_eq!(lookup(&v, "websites[0].domains[1]"), Some(&json!("y.cn")));
        assert_eq!(lookup(&v, "websites[1]"), None);
        assert_eq!(lookup(&v, "subject"), None);
    }

    #[test]
    fn diff_names_each_changed_leaf() {
        let before = json!({"subject": {"name": "云帆", "admin": {"mobile": "13906710000", "email": ""}},
                            "websites": [{"name": "云帆博客", "domains": ["a.cn"]}]});
        let after = json!({"subject": {"name": "云帆", "admin": {"mobile": "13906719999"}},
                           "websites": [{"name": "云帆博客", "domains": ["a.cn", "b.cn"]},
                                        {"name": "新站"}]});
        let d = diff(&before, &after);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "subject.admin.mobile",
                "websites[0].domains[1]",
                "websites[1].name"
            ]
        );
        assert_eq!(d[0].before, json!("13906710000"));
        assert_eq!(d[2].before, Value::Null);
        assert_eq!(d[2].after, json!("新站"));
    }

    #[test]
    fn empty_equals_absent() {
        assert!(diff(&json!({"a": "", "b": [], "c": {}}), &json!({"d": null})).is_empty());
        let gone = diff(&json!({"a": {"b": "x"}}), &json!({}));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].path, "a.b");
        assert_eq!(gone[0].after, Value::Null);
    }

    #[test]
    fn outside_keeps_what_no_open_field_covers() {
        let d = diff(
            &json!({"subject": {"name": "a", "address": "x"}, "websites": [{"name": "n"}]}),
            &json!({"subject": {"name": "b", "address": "y"}, "websites": [{"name": "m"}]}),
        );
        let out = outside(&d, &["subject.name", "websites[0]"]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "subject.address");
        assert!(outside(&d, &["subject", "websites"]).is_empty());
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            "[a-c]{0,2}".prop_map(Value::from),
            (0i64..3).prop_map(Value::from)
        ];
        leaf.prop_recursive(3, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                prop::collection::btree_map("[a-c]", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// No change from a document to itself; every change's path leads to its values.
        #[test]
        fn diff_is_empty_on_itself_and_points_at_its_values(a in value(), b in value()) {
            prop_assert!(diff(&a, &a).is_empty());
            for c in diff(&a, &b) {
                let before = lookup(&a, &c.path).cloned().unwrap_or(Value::Null);
                let after = lookup(&b, &c.path).cloned().unwrap_or(Value::Null);
                prop_assert!(c.before == before || (c.before.is_null() && is_empty(&before)));
                prop_assert!(c.after == after || (c.after.is_null() && is_empty(&after)));
                prop_assert!(c.before != c.after);
            }
            // Symmetric: the same paths either way.
            let there: Vec<String> = diff(&a, &b).into_iter().map(|c| c.path).collect();
            let back: Vec<String> = diff(&b, &a).into_iter().map(|c| c.path).collect();
            prop_assert_eq!(there, back);
        }
    }
}
