//! Snapshot decoding on arbitrary bytes: never a panic; what decodes re-encodes to the same bytes.
//! The input is tried as it is and with a valid checksum appended, so that the fuzzer reaches the
//! entry parser behind the CRC.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    if let Ok(s) = beian_gate::snapshot::decode(bytes) {
        let entries = s.entries();
        let again = beian_gate::snapshot::encode(
            s.version(),
            entries.iter().map(|(d, st)| (d.as_str(), *st)),
        );
        assert_eq!(again, bytes);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut b = b"BEIANGS\x01".to_vec();
    b.extend_from_slice(data);
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    check(&b);
});
