//! Snapshot decoding on arbitrary bytes: never a panic; what decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = beian_gate::snapshot::decode(data) {
        let entries = s.entries();
        let again = beian_gate::snapshot::encode(s.version(), entries.iter().map(|(d, st)| (d.as_str(), *st)));
        assert_eq!(again, data);
    }
});
