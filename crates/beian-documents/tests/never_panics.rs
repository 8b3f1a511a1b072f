//! `inspect` answers every input with `Ok` or an error, never a panic: arbitrary bytes, arbitrary
//! bytes behind each magic number, and real images with bytes changed or cut off. A decoder panic
//! would be caught by `inspect` and reported as `Corrupt("the decoder panicked")`, so that answer
//! fails these properties too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use beian_documents::{DocumentError, Limits, inspect};
use proptest::prelude::*;

const MAGICS: [&[u8]; 4] = [b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"GIF87a"];

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    check_with(bytes, Limits::default())
}

/// Under the default limits, and small ones so that the limit paths are reached by small inputs.
fn check_with(bytes: &[u8], first: Limits) -> Result<(), TestCaseError> {
    for limits in [
        first,
        Limits {
            max_width: 64,
            max_height: 64,
            max_pixels: 1024,
            max_alloc: 4096,
            ..Limits::default()
        },
    ] {
        match inspect(bytes, &limits) {
            Ok(c) => {
                prop_assert!(c.width >= 1 && c.height >= 1);
                prop_assert!(u64::from(c.width) * u64::from(c.height) <= limits.max_pixels);
                prop_assert!(image::load_from_memory(&c.bytes).is_ok());
            }
            Err(DocumentError::Corrupt(why)) => {
                prop_assert!(!why.contains("panicked"), "decoder panic: {why}")
            }
            Err(_) => {}
        }
    }
    Ok(())
}

fn samples() -> Vec<Vec<u8>> {
    vec![
        common::jpeg(20, 12),
        common::png(9, 7),
        common::png_rgba16(5, 3),
        common::gif(8, 8),
        common::gif_with_frame((3, 3), (2, 2)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_after_each_magic(
        which in 0..MAGICS.len(),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = MAGICS[which].to_vec();
        bytes.extend_from_slice(&tail);
        check(&bytes)?;
    }

    #[test]
    fn real_images_mutated_or_cut(
        which in 0..5usize,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut bytes = samples().swap_remove(which);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if do_cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
check(&bytes)?;
    }
}
