//! The host normaliser and the decision on arbitrary bytes: never a panic; a normalised host is
//! lower-case LDH ASCII of two labels or more and normalises to itself; a batch (the input split
//! at newlines) answers each host as one call does.
#![no_main]

use beian_gate::host::{normalize, normalize_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = normalize_bytes(data) {
        let a = h.as_str();
        assert!(!a.is_empty() && a.len() <= 253 && a.contains('.'));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        );
        assert_eq!(
            normalize(a).map(|h| h.as_str().to_owned()),
            Ok(a.to_owned())
        );
        let _ = beian_gate::suffix::Suffixes::miit().registrable(a);
    }
    static GATE: std::sync::OnceLock<beian_gate::Gate> = std::sync::OnceLock::new();
    let gate = GATE.get_or_init(|| {
        beian_gate::Gate::from_entries([("example.cn", beian_gate::DomainState::Allow)], 1)
    });
    let _ = gate.decide_request(data, data);
    let hosts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let mut batch = Vec::new();
    gate.decide_batch(&hosts, &mut batch);
    assert_eq!(batch.len(), hosts.len());
    for (h, d) in hosts.iter().zip(batch) {
        assert_eq!(gate.decide_uncounted(h, None).decision, d);
    }
});
