//! Decisions per second on one core, one call per host against `decide_batch`, alternating in
//! rounds so that both see the same machine (a shared VM drifts by tens of percent between runs).
//!
//! `cargo run --release -p beian-gate --example decide_rounds -- 10000000 7`
//!
//! Builds a set of N synthetic domains, then per round times 1 M uniform and 1 M skewed queries
//! (`beian_gate::testdata`) through `Gate::decide` and through `Gate::decide_batch`, and prints
//! each round and the medians.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use beian_gate::testdata::{domain, skewed_queries, uniform_queries};
use beian_gate::{Decision, DomainState, Gate};

fn single(gate: &Gate, queries: &[Vec<u8>]) -> (f64, usize) {
    let t = Instant::now();
    let mut allowed = 0usize;
    for q in queries {
        allowed += usize::from(black_box(gate.decide(black_box(q))).decision.is_allow());
    }
    (
        queries.len() as f64 / t.elapsed().as_secs_f64() / 1e6,
        allowed,
    )
}

fn batch(gate: &Gate, queries: &[Vec<u8>], out: &mut Vec<Decision>) -> (f64, usize) {
    out.clear();
    let t = Instant::now();
    gate.decide_batch(black_box(queries), out);
    let rate = queries.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
    (rate, out.iter().filter(|d| d.is_allow()).count())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(10_000_000, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(7, |a| a.parse().unwrap());
    let t = Instant::now();
    let gate = {
        let names: Vec<String> = (0..n).map(domain).collect();
        Gate::from_entries(names.iter().map(|d| (d.as_str(), DomainState::Allow)), 1)
    };
    let huge = std::fs::read_to_string("/proc/self/smaps_rollup")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("AnonHugePages"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        .unwrap_or_default();
    println!(
        "set of {} domains built in {:.2?}: table {} MB, {huge} kB of the process in huge pages",
        gate.len(),
        t.elapsed(),
        gate.table_bytes() >> 20
    );
    let uniform = uniform_queries(n, 1_000_000);
    let skewed = skewed_queries(n, 1_000_000);
    let mut out = Vec::with_capacity(uniform.len());
    // One pass of each to warm up (and to check both paths give the same answers).
    let (_, a) = single(&gate, &uniform);
    let (_, b) = batch(&gate, &uniform, &mut out);
    assert_eq!(a, b);
    assert_eq!(a, uniform.len() / 2);
    let mut cols: [Vec<f64>; 4] = Default::default();
    println!("round  single-uniform  batch-uniform  single-skewed  batch-skewed   (M decisions/s)");
    for r in 1..=rounds {
        let row = [
            single(&gate, &uniform).0,
            batch(&gate, &uniform, &mut out).0,
            single(&gate, &skewed).0,
            batch(&gate, &skewed, &mut out).0,
        ];
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
        println!(
            "{r:>5}  {:>14.2}  {:>13.2}  {:>13.2}  {:>12.2}",
            row[0], row[1], row[2], row[3]
        );
    }
    let m: Vec<f64> = cols.iter_mut().map(|c| median(c)).collect();
    println!(
        "median {:>13.2}  {:>13.2}  {:>13.2}  {:>12.2}",
        m[0], m[1], m[2], m[3]
    );
}
