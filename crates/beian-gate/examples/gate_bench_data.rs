//! Data for the proxy-versus-nginx benchmark: the same N synthetic domains as a gate domain list
//! and as an nginx `map` (`hostnames`, `.example.cn` wildcard entries), and the hosts wrk rotates
//! through (half allowed subdomains, half unfiled).
//!
//! `cargo run --release -p beian-gate --example gate_bench_data -- 1000000 /tmp/gate-bench`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;

use beian_gate::testdata::{absent, domain};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp/gate-bench".into()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut list = std::io::BufWriter::new(std::fs::File::create(dir.join("domains.txt")).unwrap());
    let mut map = std::io::BufWriter::new(std::fs::File::create(dir.join("map.conf")).unwrap());
    for i in 0..n {
        let d = domain(i);
        writeln!(list, "{d}").unwrap();
        // `.d` matches d and every name under it (nginx `hostnames`).
        writeln!(map, ".{d} 1;").unwrap();
    }
    // 20,000 hosts for wrk: even allowed (a subdomain of a filed domain), odd unfiled.
    let mut lua = std::io::BufWriter::new(std::fs::File::create(dir.join("hosts.lua")).unwrap());
    writeln!(lua, "return {{").unwrap();
    for i in 0..20_000u64 {
        let h = if i % 2 == 0 {
            format!("www.{}", domain(i.wrapping_mul(7_919) % n))
        } else {
            absent(i)
        };
        writeln!(lua, "  \"{h}\",").unwrap();
    }
    writeln!(lua, "}}").unwrap();
    println!("wrote {n} domains to {}", dir.display());
}
