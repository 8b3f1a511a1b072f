//! A loop for profilers (`valgrind --tool=callgrind`): parse, check and serialise the typical
//! application N times (first argument, default 2000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

const TYPICAL: &str = include_str!("../../../examples/check/valid-enterprise-zhejiang.json");

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let engine = beian_rules::Engine::embedded().unwrap();
    let today = time::macros::date!(2026 - 11 - 22);
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(TYPICAL).unwrap())
        .unwrap();
    let mut bytes = 0;
    for _ in 0..n {
        let d = beian_rules::parse_document(&line).unwrap();
        let r = engine.check(&d.application, &d.context, today);
        bytes += serde_json::to_vec(&r).unwrap().len();
    }
    println!("{bytes}");
}
