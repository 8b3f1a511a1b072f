//! No input may panic the parser or the engine: arbitrary JSON documents, and arbitrary strings in
//! every string field of a valid application (the cargo-fuzz targets in `fuzz/` do the same for
//! longer runs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use beian_rules::{Engine, parse_document};
use proptest::prelude::*;
use serde_json::Value;

const BASE: &str = include_str!("../../../examples/check/valid-enterprise-zhejiang.json");

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "33",
            "individual",
            "uscc",
            "yunfan.cn",
            "2026-11-22",
            "ecs",
            "news"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "application",
                    "context",
                    "subject",
                    "websites",
                    "region",
                    "province",
                    "name",
                    "domains",
                    "credential",
                    "type",
                    "number",
                    "admin",
                    "mobile",
                    "products",
                    "filings",
                    "today",
                    "nature",
                    "service_number",
                ]),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn fill(v: &mut Value, words: &mut impl Iterator<Item = String>) {
    match v {
        Value::String(s) => {
            if let Some(w) = words.next() {
                *s = w;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| fill(x, words)),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if !matches!(
                    k.as_str(),
                    "nature"
                        | "type"
                        | "category"
                        | "filing_type"
                        | "billing"
                        | "provider"
                        | "today"
                        | "expires"
                        | "real_name_date"
                ) {
                    fill(x, words);
                }
            }
        }
        _ => {}
    }
}

fn check_text(text: &str) {
    if let Ok(doc) = parse_document(text) {
        let engine = Engine::embedded().unwrap();
        let today = time::macros::date!(2026 - 11 - 22);
        let report = engine.check(&doc.application, &doc.context, today);
        assert_eq!(report.of(beian_rules::RuleId::DocumentsRequired).count(), 1);
        serde_json::to_vec(&report).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        check_text(&v.to_string());
        check_text(&serde_json::json!({"application": v}).to_string());
    }

    #[test]
    fn arbitrary_field_values_never_panic(words in prop::collection::vec("\\PC{0,24}|[0-9X]{15,19}|[a-z0-9.-]{1,30}|086-0[0-9]{2,3}-[0-9]{6,9}", 60)) {
        let mut v: Value = serde_json::from_str(BASE).unwrap();
        fill(&mut v, &mut words.into_iter());
        check_text(&v.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        check_text(&s);
    }
}
