//! Synthetic domain sets for benchmarks, examples and tests (deterministic).

/// Suffixes the synthetic names are spread over (ASCII forms; `xn--fiqs8s` is `.中国`).
pub const SUFFIXES: [&str; 10] = [
    "cn",
    "com.cn",
    "com",
    "net",
    "org.cn",
    "xn--fiqs8s",
    "top",
    "net.cn",
    "bj.cn",
    "gov.cn",
];

/// The `i`-th synthetic registrable domain: 5–14 pseudo-random letters and digits plus a suffix.
/// Distinct for distinct `i` (letters, then the index in digits).
pub fn domain(i: u64) -> String {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let len = 5 + (x % 10) as usize;
    let mut s = String::with_capacity(len + 12);
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..len.saturating_sub(4) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(char::from(ALPHA[(x % 26) as usize]));
    }
    // Letters, then the index in decimal digits: unique names.
    s.push_str(&i.to_string());
    s.push('.');
    s.push_str(SUFFIXES[(i % SUFFIXES.len() as u64) as usize]);
    s
}

/// A host under a domain that is never in a set of `domain(0..n)` (a different shape).
pub fn absent(i: u64) -> String {
    format!("www.q{}-x.{}", i, SUFFIXES[(i % 7) as usize])
}

/// Benchmark queries over a set of `domain(0..n)`, spread uniformly: a quarter `www.` + a filed
/// domain, a quarter a filed domain upper-cased with a port, half unfiled hosts (two shapes, one
/// with a trailing dot). Half are allowed.
pub fn uniform_queries(n: u64, count: u64) -> Vec<Vec<u8>> {
    let n = n.max(1);
    (0..count)
        .map(|i| {
            let pick = i.wrapping_mul(0x2545_F491_4F6C_DD1D) % n;
            match i % 4 {
                0 => format!("www.{}", domain(pick)),
                1 => format!("{}:8080", domain(pick).to_uppercase()),
                2 => absent(i),
                _ => format!("img.{}.", absent(i)),
            }
            .into_bytes()
        })
        .collect()
}

/// Skewed queries, closer to a provider's traffic: half unfiled hosts, and 90 % of the filed
/// half on 1 % of the domains.
pub fn skewed_queries(n: u64, count: u64) -> Vec<Vec<u8>> {
    let n = n.max(1);
    (0..count)
        .map(|i| {
            let r = i.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let pick = if i % 10 == 0 {
                r % n
            } else {
                r % (n / 100).max(1)
            };
            if i % 2 == 0 {
                format!("www.{}", domain(pick)).into_bytes()
            } else {
                absent(i).into_bytes()
            }
        })
        .collect()
}
