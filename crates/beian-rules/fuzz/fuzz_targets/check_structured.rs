//! Arbitrary strings dropped into every string field of a valid application, so that the fuzzer
//! reaches the rules (names, domains, numbers, phones) rather than the JSON parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

const BASE: &str = include_str!("../../../../examples/check/valid-enterprise-zhejiang.json");

fn fill(v: &mut serde_json::Value, words: &mut std::str::Split<'_, char>) {
    match v {
        serde_json::Value::String(s) => {
            if let Some(w) = words.next() {
                *s = w.to_owned();
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fill(x, words)),
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                // Keep enumerations and dates parseable so the engine runs.
                if !matches!(k.as_str(), "nature" | "type" | "category" | "filing_type" | "billing" | "provider" | "today" | "expires" | "real_name_date" | "filed") {
                    fill(x, words);
                }
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(BASE) else { return };
    fill(&mut v, &mut text.split('\u{1}'));
    if let Ok(doc) = beian_rules::parse_document(&v.to_string()) {
        if let Ok(engine) = beian_rules::Engine::embedded() {
            let today = time::Date::from_calendar_date(2026, time::Month::November, 22).unwrap_or(time::Date::MIN);
            let _ = engine.check(&doc.application, &doc.context, today);
        }
    }
});
