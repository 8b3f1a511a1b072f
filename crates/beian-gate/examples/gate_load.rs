//! Snapshot size, snapshot load time and resident bytes per domain for N synthetic domains.
//!
//! `cargo run --release -p beian-gate --example gate_load -- 10000000 /tmp/gate-10m.snap`
//! writes the snapshot (if absent), then measures in this process: RSS before, decode + load,
//! RSS after (the snapshot bytes dropped), and a few decisions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use beian_gate::testdata::domain;
use beian_gate::{DomainState, Gate, snapshot};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(10_000_000, |a| a.parse().unwrap());
    let path = args.next().unwrap_or_else(|| format!("/tmp/gate-{n}.snap"));
    if !std::path::Path::new(&path).exists() {
        let t = Instant::now();
        let names: Vec<String> = (0..n).map(domain).collect();
        let states = [
            DomainState::Allow,
            DomainState::Allow,
            DomainState::Allow,
            DomainState::FiledElsewhere,
            DomainState::AccessCancelled,
            DomainState::Revoked,
        ];
        let bytes = snapshot::encode(
            n,
            names
                .iter()
                .enumerate()
                .map(|(i, d)| (d.as_str(), states[i % states.len()])),
        );
        std::fs::write(&path, &bytes).unwrap();
        println!(
            "encoded {n} domains: {} bytes ({:.2} B/domain) in {:.2?}",
            bytes.len(),
            bytes.len() as f64 / n as f64,
            t.elapsed()
        );
        // Measure the load in a fresh process, without the generator's heap.
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .arg(n.to_string())
            .arg(&path)
            .status()
            .unwrap();
        std::process::exit(status.code().unwrap_or(1));
    }
    let gate = Gate::new();
    let before = rss_bytes();
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    let read = t.elapsed();
    let snap = snapshot::decode(&bytes).unwrap();
    drop(bytes);
    let decoded = t.elapsed();
    gate.load_snapshot(&snap);
    let loaded = t.elapsed();
    drop(snap);
    let after = rss_bytes();
    println!(
        "load {} domains: read {read:.2?}, decoded and checked {:.2?}, set built {:.2?} (total {loaded:.2?})",
        gate.len(),
        decoded - read,
        loaded - decoded,
    );
    println!(
        "RSS before {:.1} MiB, after {:.1} MiB: {:.2} bytes resident per domain (table slots {:.2} B/domain)",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        (after - before) as f64 / gate.len().max(1) as f64,
        gate.table_bytes() as f64 / gate.len().max(1) as f64
    );
    for h in [
        format!("www.{}", domain(12345)),
        format!("{}:443", domain(3).to_uppercase()),
        "www.not-there.cn".to_owned(),
    ] {
        println!("{h}: {:?}", gate.decide(h.as_bytes()).decision);
    }
}
