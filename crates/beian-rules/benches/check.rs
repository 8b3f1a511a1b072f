//! `cargo bench -p beian-rules --bench check`: one typical application (organisation, two
//! websites, full context) through the engine, and the whole per-line path of `--batch`
//! (parse, check, serialise).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use beian_rules::engine::Engine;
use beian_rules::parse_document;
use criterion::{Criterion, black_box, criterion_group, criterion_main};

const TYPICAL: &str = include_str!("../../../examples/check/valid-enterprise-zhejiang.json");
const INVALID: &str = include_str!("../../../examples/check/invalid-enterprise-shanghai.json");

fn bench(c: &mut Criterion) {
    let engine = Engine::embedded().unwrap();
    let today = time::macros::date!(2026 - 11 - 22);
    let doc = parse_document(TYPICAL).unwrap();
    let bad = parse_document(INVALID).unwrap();
    let line = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(TYPICAL).unwrap())
        .unwrap();

    c.bench_function("check/typical_org_two_websites", |b| {
        b.iter(|| {
            black_box(engine.check(black_box(&doc.application), black_box(&doc.context), today))
        })
    });
    c.bench_function("check/invalid_org_many_findings", |b| {
        b.iter(|| {
            black_box(engine.check(black_box(&bad.application), black_box(&bad.context), today))
        })
    });
    c.bench_function("line/parse_check_serialise", |b| {
        b.iter(|| {
            let d = parse_document(black_box(&line)).unwrap();
            let r = engine.check(&d.application, &d.context, today);
            black_box(serde_json::to_vec(&r).unwrap())
        })
    });
    c.bench_function("line/parse_only", |b| {
        b.iter(|| black_box(parse_document(black_box(&line)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
