//! Decisions per second on a 10-million-domain set (BEIAN_GATE_BENCH_N overrides the size).
//!
//! `cargo bench -p beian-gate --bench decide`

use std::hint::black_box;

use beian_gate::testdata::{domain, skewed_queries, uniform_queries};
use beian_gate::{DomainState, Gate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("BEIAN_GATE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let names: Vec<String> = (0..n).map(domain).collect();
    let t = std::time::Instant::now();
    let gate = Gate::from_entries(names.iter().map(|d| (d.as_str(), DomainState::Allow)), 1);
    eprintln!("built a set of {} domains in {:?}", gate.len(), t.elapsed());
    // 1M query hosts spread over the whole set: half allowed (a subdomain, upper case, a port,
    // a trailing dot), half absent.
    let queries = uniform_queries(n, 1_000_000);
    drop(names);
    let allowed = queries
        .iter()
        .filter(|q| gate.decide_uncounted(q, None).decision.is_allow())
        .count();
    eprintln!("{allowed} of {} queries allowed", queries.len());

    let mut g = c.benchmark_group("gate");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.sample_size(10);
    g.bench_function(format!("decide_{n}_domains_1M_queries"), |b| {
        b.iter(|| {
            let mut allowed = 0usize;
            for q in &queries {
                allowed += usize::from(black_box(gate.decide(black_box(q))).decision.is_allow());
            }
            allowed
        })
    });
    // Skewed traffic, closer to a provider's: 90 % of the allowed queries go to 1 % of the domains.
    let skewed = skewed_queries(n, 1_000_000);
    g.bench_function(format!("decide_{n}_domains_1M_queries_skewed"), |b| {
        b.iter(|| {
            let mut allowed = 0usize;
            for q in &skewed {
                allowed += usize::from(black_box(gate.decide(black_box(q))).decision.is_allow());
            }
            allowed
        })
    });
    // The same queries through `decide_batch` (groups of lookups in flight together).
    let mut out = Vec::with_capacity(queries.len());
    g.bench_function(format!("decide_batch_{n}_domains_1M_queries"), |b| {
        b.iter(|| {
            out.clear();
            gate.decide_batch(black_box(&queries), &mut out);
            out.iter().filter(|d| d.is_allow()).count()
        })
    });
    g.bench_function(format!("decide_batch_{n}_domains_1M_queries_skewed"), |b| {
        b.iter(|| {
            out.clear();
            gate.decide_batch(black_box(&skewed), &mut out);
            out.iter().filter(|d| d.is_allow()).count()
        })
    });
    g.bench_function("normalise_only_1M", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for q in &queries {
                ok += usize::from(beian_gate::host::normalize_bytes(black_box(q)).is_ok());
            }
            ok
        })
    });
    let list = beian_domain::SuffixList::miit();
    let normalised: Vec<beian_gate::Host> = queries
        .iter()
        .filter_map(|q| beian_gate::host::normalize_bytes(q).ok())
        .collect();
    g.bench_function("beian_domain_registrable_only_1M", |b| {
        b.iter(|| {
            let mut len = 0usize;
            for h in &normalised {
                len += list.registrable(black_box(h.as_str())).map_or(0, str::len);
            }
            len
        })
    });
    let ours = beian_gate::suffix::Suffixes::miit();
    g.bench_function("gate_registrable_only_1M", |b| {
        b.iter(|| {
            let mut len = 0usize;
            for h in &normalised {
                len += ours.registrable(black_box(h.as_str())).map_or(0, str::len);
            }
            len
        })
    });
    g.bench_function("psl_suffix_only_1M", |b| {
        b.iter(|| {
            let mut len = 0usize;
            for h in &normalised {
                len +=
                    psl::suffix(black_box(h.as_str()).as_bytes()).map_or(0, |s| s.as_bytes().len());
            }
            len
        })
    });
    let regs: Vec<String> = normalised
        .iter()
        .filter_map(|h| list.registrable(h.as_str()).ok().map(str::to_owned))
        .collect();
    g.bench_function("state_lookup_only_1M", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for r in &regs {
                found += usize::from(gate.state(black_box(r)).is_some());
            }
            found
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
