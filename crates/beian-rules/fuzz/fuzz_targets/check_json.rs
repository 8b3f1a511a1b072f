//! Arbitrary bytes as a `beian check` input document: parsing either fails cleanly or the engine
//! runs; neither may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(doc) = beian_rules::parse_document(text) {
        if let Ok(engine) = beian_rules::Engine::embedded() {
            let today = time::Date::from_calendar_date(2026, time::Month::November, 22).unwrap_or(time::Date::MIN);
            let report = engine.check(&doc.application, &doc.context, today);
            let _ = serde_json::to_vec(&report);
        }
    }
});
