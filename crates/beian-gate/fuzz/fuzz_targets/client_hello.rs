//! The ClientHello reader on arbitrary bytes, whole and cut at every length the fuzzer picks:
//! never a panic; a prefix of a readable hello is never an error other than what the whole is.
#![no_main]

use beian_gate::sni::{Peek, peek};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = peek(data);
    if let Ok(Peek::Done(Some(name))) = &whole {
        // A name read from a hello goes to the decision as any host does.
        let _ = beian_gate::host::normalize_bytes(name);
    }
    // Fed in pieces as a socket would: each prefix of a readable hello needs more or reads the
    // same name.
    if let (Ok(Peek::Done(name)), Some(&first)) = (&whole, data.first()) {
        let cut = usize::from(first) % data.len();
        match peek(&data[..cut]) {
            Ok(Peek::NeedMore) => {}
            Ok(Peek::Done(n)) => assert_eq!(&n, name),
            Err(e) => panic!("prefix of a readable hello refused: {e}"),
        }
    }
});
