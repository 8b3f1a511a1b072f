//! The floor under one decision on a large set: the time of one random memory access on this
//! machine, measured as a chain of dependent loads over a buffer of the table's size (each load's
//! address comes from the previous one, so nothing overlaps), in memory advised for huge pages as
//! the table is; and the same loads independent of each other (addresses known in advance, so the
//! core overlaps them — what `Gate::decide_batch` arranges).
//!
//! `cargo run --release -p beian-gate --example mem_latency -- 100`   (MiB; default 100)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let mib: usize = std::env::args().nth(1).map_or(100, |a| a.parse().unwrap());
    let lines = mib * 1024 * 1024 / 64;
    let mut map = memmap2::MmapOptions::new()
        .len(lines * 64)
        .map_anon()
        .unwrap();
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    let words: &mut [u64] = bytemuck::try_cast_slice_mut(&mut map[..]).unwrap();
    // One random cycle through every cache line (Sattolo's shuffle), the next index in each line.
    let mut order: Vec<usize> = (0..lines).collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in (1..lines).rev() {
        let j = (next() % i as u64) as usize;
        order.swap(i, j);
    }
    for w in 0..lines {
        words[order[w] * 8] = (order[(w + 1) % lines] * 8) as u64;
    }
    let loads = 20_000_000usize;
    let t = Instant::now();
    let mut p = 0usize;
    for _ in 0..loads {
        p = words[p] as usize;
    }
    let dependent = t.elapsed().as_secs_f64() * 1e9 / loads as f64;
    black_box(p);
    let t = Instant::now();
    let mut sum = 0u64;
    for _ in 0..loads {
        sum = sum.wrapping_add(words[(next() % lines as u64) as usize * 8]);
    }
    let independent = t.elapsed().as_secs_f64() * 1e9 / loads as f64;
    black_box(sum);
    println!(
        "{mib} MiB: dependent random load {dependent:.1} ns, independent {independent:.1} ns per load"
    );
}
