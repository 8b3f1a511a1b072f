//! `inspect` on real images made by the `image` crate's encoders and on hand-built hostile ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use beian_documents::{CleanImage, DocumentError, ImageFormat, Limits, inspect};
use common::*;
use sha2::{Digest, Sha256};

fn ok(bytes: &[u8]) -> CleanImage {
    match inspect(bytes, &Limits::default()) {
        Ok(c) => c,
        Err(e) => panic!("refused: {e:?}"),
    }
}

fn err(bytes: &[u8]) -> DocumentError {
    match inspect(bytes, &Limits::default()) {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e,
    }
}

/// The stored bytes decode again, in the stored format, at the stated size.
fn assert_decodes(c: &CleanImage) -> image::DynamicImage {
    assert_eq!(ImageFormat::detect(&c.bytes), Some(c.format));
    let fmt = image::guess_format(&c.bytes).unwrap();
    assert_eq!(fmt.to_mime_type(), c.format.mime());
    let img = image::load_from_memory(&c.bytes).unwrap();
    assert_eq!((img.width(), img.height()), (c.width, c.height));
    let digest = Sha256::digest(&c.bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(c.sha256, hex);
    // What was stored is itself acceptable, unchanged in kind and size.
    let again = ok(&c.bytes);
    assert_eq!(
        (again.format, again.width, again.height),
        (c.format, c.width, c.height)
    );
    img
}

#[test]
fn jpeg_is_accepted_and_reencoded_as_jpeg() {
    let c = ok(&jpeg(64, 48));
    assert_eq!(c.detected, ImageFormat::Jpeg);
    assert_eq!(c.format, ImageFormat::Jpeg);
    assert_eq!((c.width, c.height), (64, 48));
    assert_decodes(&c);
}

#[test]
fn grey_jpeg_stays_grey() {
    let grey = image::GrayImage::from_fn(30, 20, |x, y| image::Luma([(x * 8 + y) as u8]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageLuma8(grey)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let c = ok(&bytes);
    let img = assert_decodes(&c);
    assert_eq!(img.color(), image::ColorType::L8);
}

#[test]
fn png_is_accepted_losslessly() {
    let c = ok(&png(33, 17));
    assert_eq!((c.detected, c.format), (ImageFormat::Png, ImageFormat::Png));
    assert_eq!((c.width, c.height), (33, 17));
    let img = assert_decodes(&c);
    assert_eq!(img.to_rgba8(), rgba(33, 17));
}

#[test]
fn sixteen_bit_png_keeps_its_depth() {
    let c = ok(&png_rgba16(9, 7));
    let img = assert_decodes(&c);
    assert_eq!(img.color(), image::ColorType::Rgba16);
    let original = image::load_from_memory(&png_rgba16(9, 7)).unwrap();
    assert_eq!(img, original);
}

#[test]
fn gif_comes_back_as_png_of_its_first_frame() {
    let g = gif(24, 16);
    let c = ok(&g);
    assert_eq!(c.detected, ImageFormat::Gif);
    assert_eq!(c.format, ImageFormat::Png);
    assert_eq!((c.width, c.height), (24, 16));
    assert!(c.bytes.starts_with(b"\x89PNG"));
    let img = assert_decodes(&c);
    let original = image::load_from_memory(&g).unwrap().to_rgba8();
    assert_eq!(img.to_rgba8(), original);
    assert_eq!(original.get_pixel(0, 0).0, [255, 0, 0, 255]);
}

#[test]
fn format_is_judged_by_content_not_by_the_name_the_caller_had() {
    // The caller received "photo.jpg"; the bytes are a PNG. inspect takes no name at all.
    let claimed = ImageFormat::parse("jpg").unwrap();
    assert_eq!(claimed, ImageFormat::Jpeg);
    let c = ok(&png(10, 10));
    assert_eq!(c.detected, ImageFormat::Png);
    assert_ne!(c.detected, claimed);
    // And a JPEG is a JPEG whatever it was called.
    assert_eq!(ok(&jpeg(10, 10)).detected, ImageFormat::Jpeg);
}

#[test]
fn empty_is_refused() {
    assert_eq!(err(b""), DocumentError::Empty);
}

#[test]
fn one_byte_over_four_mb_is_refused_before_anything_else() {
    let max = 4 * 1024 * 1024;
    assert_eq!(Limits::default().max_bytes, max);
    // Not an image at all: refused for size, not format, so size came first.
    assert_eq!(
        err(&vec![b'<'; max as usize + 1]),
        DocumentError::TooLarge { size: max + 1, max }
    );
    // A bomb header padded past the limit: refused for size, not pixels.
    let mut bomb = png_bomb(100_000, 100_000);
    bomb.resize(max as usize + 1, 0);
    let e = err(&bomb);
    assert_eq!(e, DocumentError::TooLarge { size: max + 1, max });
    assert_eq!(e.code(), "DOCUMENT_TOO_LARGE");
    assert!(e.message_zh().contains("4 MB"), "{}", e.message_zh());
    assert!(e.message_zh().contains("4194305"), "{}", e.message_zh());
}

#[test]
fn exactly_four_mb_is_not_refused_for_size() {
    let max = 4 * 1024 * 1024;
    // A real JPEG padded after its end-of-image marker to exactly the limit.
    let mut j = jpeg(40, 30);
    j.resize(max, 0);
    let c = ok(&j);
    assert_eq!((c.width, c.height), (40, 30));
    assert!(c.bytes.len() < 100_000);
}

#[test]
fn the_size_limit_is_inclusive() {
    let p = png(20, 20);
    let at = Limits {
        max_bytes: p.len() as u64,
        ..Limits::default()
    };
    assert!(inspect(&p, &at).is_ok());
    let below = Limits {
        max_bytes: p.len() as u64 - 1,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&p, &below).unwrap_err(),
        DocumentError::TooLarge {
            size: p.len() as u64,
            max: p.len() as u64 - 1
        }
    );
}

#[test]
fn html_and_other_files_are_unsupported() {
    let html = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><img src=x onerror=alert(1)></body></html>";
    assert_eq!(err(html), DocumentError::UnsupportedFormat);
    assert_eq!(err(b"%PDF-1.7\n"), DocumentError::UnsupportedFormat);
    assert_eq!(err(b"PK\x03\x04zip"), DocumentError::UnsupportedFormat);
    assert_eq!(err(b"BM\x36\0\0\0"), DocumentError::UnsupportedFormat); // BMP
    assert_eq!(
        err(b"RIFF\0\0\0\0WEBPVP8 "),
        DocumentError::UnsupportedFormat
    );
    // A PNG after a byte of something else is not a PNG.
    let mut shifted = b" ".to_vec();
    shifted.extend(png(4, 4));
    assert_eq!(err(&shifted), DocumentError::UnsupportedFormat);
    let e = err(html);
    assert_eq!(e.code(), "DOCUMENT_FORMAT_UNSUPPORTED");
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let j = jpeg(64, 64);
    for cut in [j.len() / 2, j.len() - 2, 3, 10] {
        let e = err(&j[..cut]);
        assert!(
            matches!(e, DocumentError::Corrupt(_)),
            "cut at {cut}: {e:?}"
        );
        assert_eq!(e.code(), "DOCUMENT_CORRUPT");
    }
}

#[test]
fn truncated_png_is_corrupt() {
    let p = png(64, 64);
    for cut in [p.len() / 2, 8, 20, 40] {
        let e = err(&p[..cut]);
        assert!(
            matches!(e, DocumentError::Corrupt(_)),
            "cut at {cut}: {e:?}"
        );
    }
}

#[test]
fn truncated_gif_is_corrupt() {
    let g = gif(64, 64);
    for cut in [g.len() / 2, 6, 12] {
        let e = err(&g[..cut]);
        assert!(
            matches!(e, DocumentError::Corrupt(_)),
            "cut at {cut}: {e:?}"
        );
    }
}

#[test]
fn png_with_a_bad_crc_is_corrupt() {
    let mut p = png(16, 16);
    let n = p.len();
    p[n - 20] ^= 0xFF; // inside the IDAT data, so its CRC no longer matches
    assert!(matches!(err(&p), DocumentError::Corrupt(_)));
}

#[test]
fn png_bomb_is_refused_from_its_header() {
    for (w, h) in [
        (30_000, 30_000),
        (100_000, 100_000),
        (8000, 8000),
        (1, 9000),
    ] {
        let bomb = png_bomb(w, h);
        assert!(bomb.len() < 100);
        let e = err(&bomb);
        assert_eq!(
            e,
            DocumentError::TooManyPixels {
                width: w,
                height: h
            }
        );
        assert_eq!(e.code(), "DOCUMENT_TOO_MANY_PIXELS");
        assert!(e.message_zh().contains(&format!("{w}×{h}")));
    }
    // Within the limits the same construction gets to the decoder, which finds no pixel data.
    assert!(matches!(err(&png_bomb(3, 2)), DocumentError::Corrupt(_)));
}

#[test]
fn png_bomb_is_refused_even_with_limits_the_header_check_would_pass() {
    // With the dimension limits lifted, the bomb gets as far as the decoder; the memory budget
    // (100 000² RGB = 30 GB against 256 MiB) refuses it before the pixel buffer is allocated.
    let lax = Limits {
        max_width: u32::MAX,
        max_height: u32::MAX,
        max_pixels: u64::MAX,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&png_bomb(100_000, 100_000), &lax).unwrap_err(),
        DocumentError::TooManyPixels {
            width: 100_000,
            height: 100_000
        }
    );
}

#[test]
fn real_images_over_configured_limits_are_refused() {
    let few = Limits {
        max_pixels: 1000,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&png(100, 100), &few).unwrap_err(),
        DocumentError::TooManyPixels {
            width: 100,
            height: 100
        }
    );
    let narrow = Limits {
        max_width: 50,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&jpeg(51, 10), &narrow).unwrap_err(),
        DocumentError::TooManyPixels {
            width: 51,
            height: 10
        }
    );
    assert!(inspect(&jpeg(50, 10), &narrow).is_ok());
    // Pixels allowed, but the decoded 16-bit RGBA buffer (20×20×8 = 3200 bytes) is over budget.
    let tight = Limits {
        max_alloc: 3000,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&png_rgba16(20, 20), &tight).unwrap_err(),
        DocumentError::TooManyPixels {
            width: 20,
            height: 20
        }
    );
    assert!(inspect(&png(20, 20), &tight).is_ok()); // 8-bit: 1600 bytes
}

#[test]
fn gif_frame_larger_than_its_screen_is_refused() {
    assert_eq!(
        err(&gif_with_frame((1, 1), (65_535, 65_535))),
        DocumentError::TooManyPixels {
            width: 65_535,
            height: 65_535
        }
    );
    // 16 M pixels is under max_pixels but over what the GIF decoder will allocate (50 MB RGBA).
    assert_eq!(
        err(&gif_with_frame((4000, 4000), (4000, 4000))),
        DocumentError::TooManyPixels {
            width: 4000,
            height: 4000
        }
    );
    assert_eq!(
        err(&gif_with_frame((10_000, 10), (1, 1))),
        DocumentError::TooManyPixels {
            width: 10_000,
            height: 10
        }
    );
    let small = ok(&gif_with_frame((2, 2), (1, 1)));
    assert_eq!((small.width, small.height), (2, 2));
}

#[test]
fn jpeg_bomb_header_is_refused() {
    // Patch the frame header of a real JPEG to declare 65535×65535.
    let mut j = jpeg(16, 16);
    let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    j[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(
        err(&j),
        DocumentError::TooManyPixels {
            width: 65_535,
            height: 65_535
        }
    );
}

#[test]
fn exif_is_dropped_and_its_orientation_applied() {
    let secret = b"GPS 39.9042N 116.4074E SECRET";
    let j = jpeg_with_segment(&jpeg(40, 20), 0xE1, &exif_payload(6, secret));
    let j = jpeg_with_segment(&j, 0xFE, b"COMMENT-SECRET");
    assert!(contains(&j, b"Exif\0\0") && contains(&j, secret));
    let c = ok(&j);
    assert!(!contains(&c.bytes, b"Exif"));
    assert!(!contains(&c.bytes, b"SECRET"));
    assert!(!contains(&c.bytes, &[0xFF, 0xE1]), "no APP1 segment at all");
    // Orientation 6 (rotate 90° clockwise to display): the stored image is upright, 20×40.
    assert_eq!((c.width, c.height), (20, 40));
    assert_decodes(&c);
}

#[test]
fn exif_without_rotation_keeps_the_size() {
    let j = jpeg_with_segment(&jpeg(40, 20), 0xE1, &exif_payload(1, b"x"));
    let c = ok(&j);
    assert_eq!((c.width, c.height), (40, 20));
    assert!(!contains(&c.bytes, b"Exif"));
    // Garbage in the EXIF segment is no reason to refuse the photo.
    let j = jpeg_with_segment(&jpeg(40, 20), 0xE1, b"Exif\0\0MM\0\x2A\xFF\xFF\xFF\xFF");
    assert_eq!((ok(&j).width, ok(&j).height), (40, 20));
}

#[test]
fn png_text_and_exif_chunks_are_dropped() {
    let p = png_with_chunk(&png(12, 12), b"tEXt", b"Comment\0PNG-SECRET");
    let p = png_with_chunk(&p, b"eXIf", &exif_payload(1, b"EXIF-SECRET")[6..]);
    assert!(contains(&p, b"PNG-SECRET"));
    let c = ok(&p);
    assert!(!contains(&c.bytes, b"SECRET"));
    assert!(!contains(&c.bytes, b"tEXt"));
    assert!(!contains(&c.bytes, b"eXIf"));
    assert_eq!(
        image::load_from_memory(&c.bytes).unwrap().to_rgba8(),
        rgba(12, 12)
    );
}

#[test]
fn garbage_after_magic_is_corrupt_not_a_panic() {
    for magic in [
        &b"\xFF\xD8\xFF"[..],
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"GIF87a",
    ] {
        let mut b = magic.to_vec();
        b.extend_from_slice(&[0xAB; 64]);
        let e = err(&b);
        assert!(matches!(e, DocumentError::Corrupt(_)), "{e:?}");
        assert!(matches!(err(magic), DocumentError::Corrupt(_)));
    }
}

#[test]
fn zero_sized_declarations_are_corrupt() {
    assert!(matches!(err(&png_bomb(0, 10)), DocumentError::Corrupt(_)));
    assert!(matches!(
        err(&gif_with_frame((0, 0), (1, 1))),
        DocumentError::Corrupt(_)
    ));
}

#[test]
fn error_codes_and_messages() {
    let all = [
        DocumentError::Empty,
        DocumentError::TooLarge { size: 5, max: 4 },
        DocumentError::UnsupportedFormat,
        DocumentError::TooManyPixels {
            width: 1,
            height: 2,
        },
        DocumentError::Corrupt("x".into()),
    ];
    let codes: Vec<_> = all.iter().map(DocumentError::code).collect();
    assert_eq!(
        codes,
        [
            "DOCUMENT_EMPTY",
            "DOCUMENT_TOO_LARGE",
            "DOCUMENT_FORMAT_UNSUPPORTED",
            "DOCUMENT_TOO_MANY_PIXELS",
            "DOCUMENT_CORRUPT"
        ]
    );
    for e in &all {
        let zh = e.message_zh();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert!(zh.contains('请'), "says what to do: {zh}");
        let en = e.message_en();
        assert!(en.is_ascii() || en.contains('×'), "{en}");
        assert!(en.contains("please"), "{en}");
        assert!(!e.to_string().is_empty());
    }
    // Sizes are shown in the unit applicants know.
    let e = DocumentError::TooLarge {
        size: 5 * 1024 * 1024,
        max: 4 * 1024 * 1024,
    };
    assert_eq!(
        e.message_zh(),
        "文件超过 4 MB（5242880 字节），请压缩后重新上传"
    );
    assert!(
        e.message_en()
            .starts_with("The file is over 4 MB (5242880 bytes)")
    );
    let odd = DocumentError::TooLarge {
        size: 1001,
        max: 1000,
    };
    assert!(odd.message_en().contains("1000 bytes"));
}

#[test]
fn image_format_names() {
    use ImageFormat::*;
    for (f, s, mime, ext) in [
        (Jpeg, "jpeg", "image/jpeg", "jpg"),
        (Png, "png", "image/png", "png"),
        (Gif, "gif", "image/gif", "gif"),
    ] {
        assert_eq!(f.as_str(), s);
        assert_eq!(f.to_string(), s);
        assert_eq!(f.mime(), mime);
        assert_eq!(f.extension(), ext);
        for name in [s, mime, ext, &s.to_uppercase()] {
            assert_eq!(ImageFormat::parse(name), Some(f), "{name}");
        }
        assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{s}\""));
        assert_eq!(
            serde_json::from_str::<ImageFormat>(&format!("\"{s}\"")).unwrap(),
            f
        );
    }
    for bad in ["", "bmp", "webp", "image/svg+xml", ".png", "png "] {
        assert_eq!(ImageFormat::parse(bad), None, "{bad}");
    }
}

#[test]
fn limits_defaults_and_config() {
    let l = Limits::default();
    assert_eq!(
        (
            l.max_bytes,
            l.max_width,
            l.max_height,
            l.max_pixels,
            l.max_alloc
        ),
        (4 << 20, 8192, 8192, 40_000_000, 256 << 20)
    );
    let partial: Limits = serde_json::from_str(r#"{"max_bytes": 1048576}"#).unwrap();
    assert_eq!(
        partial,
        Limits {
            max_bytes: 1 << 20,
            ..l
        }
    );
    assert!(serde_json::from_str::<Limits>(r#"{"max_byte": 1}"#).is_err());
}

#[test]
fn tiny_jpeg_declaring_a_large_frame_is_corrupt_not_decoded() {
    // A 16×16 JPEG whose frame header says 8000×5000 (within every limit): 40 M pixels of work
    // for the lenient decoder, which would fill them grey. Its scan data cannot cover that many
    // blocks (one bit each at least), so it is refused before decoding.
    let mut j = jpeg(16, 16);
    let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    j[sof + 5..sof + 9].copy_from_slice(&[0x13, 0x88, 0x1F, 0x40]);
    assert!(j.len() < 1000);
    let e = err(&j);
    assert!(
        matches!(&e, DocumentError::Corrupt(why) if why.contains("too short")),
        "{e:?}"
    );
}
