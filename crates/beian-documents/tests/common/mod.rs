//! Test images made with the `image` crate's encoders, and hand-built ones (PNG chunks with
//! correct CRCs, GIF and JPEG segments) for what an encoder will not produce.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// A gradient with some structure, so that JPEG has something to encode.
pub fn rgb(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 7) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
    })
}

pub fn rgba(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba([
            (x * 9) as u8,
            (y * 11) as u8,
            128,
            if (x + y) % 3 == 0 { 255 } else { 100 },
        ])
    })
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(
            rgb(width, height).as_raw(),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            rgba(width, height).as_raw(),
            width,
            height,
            ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

pub fn png_rgba16(width: u32, height: u32) -> Vec<u8> {
    let raw: Vec<u8> = (0..width * height * 8).map(|i| (i * 31) as u8).collect();
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(&raw, width, height, ExtendedColorType::Rgba16)
        .unwrap();
    out
}

/// A GIF of few colours (quantisation keeps them exactly).
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(width, height, |x, y| match (x / 4 + y / 4) % 3 {
        0 => Rgba([255, 0, 0, 255]),
        1 => Rgba([0, 0, 255, 255]),
        _ => Rgba([255, 255, 255, 255]),
    });
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.encode(img.as_raw(), width, height, ExtendedColorType::Rgba8)
            .unwrap();
    }
    out
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(12 + data.len());
    c.extend_from_slice(&(data.len() as u32).to_be_bytes());
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    c.extend_from_slice(&h.finalize().to_be_bytes());
    c
}

/// A valid PNG of a few dozen bytes that declares `width`×`height` RGB pixels: magic, IHDR (with
/// its CRC), an IDAT holding an empty zlib stream, IEND. What a decompression bomb looks like to
/// a header reader.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive, no interlace
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend(png_chunk(b"IHDR", &ihdr));
    p.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    p.extend(png_chunk(b"IEND", &[]));
    p
}

/// Insert a chunk right after IHDR (magic 8 + IHDR 25 bytes).
pub fn png_with_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut p = png[..33].to_vec();
    p.extend(png_chunk(kind, data));
    p.extend_from_slice(&png[33..]);
    p
}

/// Insert a marker segment right after SOI.
pub fn jpeg_with_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut j = jpeg[..2].to_vec();
    j.extend_from_slice(&[0xFF, marker]);
    j.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    j.extend_from_slice(payload);
    j.extend_from_slice(&jpeg[2..]);
    j
}

/// An APP1 EXIF payload: big-endian TIFF, IFD0 with Orientation = `orientation` and a
/// GPSInfo-looking ASCII tag whose value (at an offset) is `secret`.
pub fn exif_payload(orientation: u16, secret: &[u8]) -> Vec<u8> {
    let mut e = b"Exif\0\0".to_vec();
    let tiff_start = e.len();
    e.extend_from_slice(b"MM\0\x2A\0\0\0\x08"); // header, IFD0 at 8
    e.extend_from_slice(&2u16.to_be_bytes()); // two entries
    // Orientation: SHORT, count 1, value left-justified.
    e.extend_from_slice(&0x0112u16.to_be_bytes());
    e.extend_from_slice(&3u16.to_be_bytes());
    e.extend_from_slice(&1u32.to_be_bytes());
    e.extend_from_slice(&orientation.to_be_bytes());
    e.extend_from_slice(&[0, 0]);
    // ImageDescription (0x010E): ASCII, value at offset 8 + 2 + 2*12 + 4 = 38.
    e.extend_from_slice(&0x010Eu16.to_be_bytes());
    e.extend_from_slice(&2u16.to_be_bytes());
    e.extend_from_slice(&((secret.len() + 1) as u32).to_be_bytes());
    e.extend_from_slice(&38u32.to_be_bytes());
    e.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    assert_eq!(e.len() - tiff_start, 38);
    e.extend_from_slice(secret);
    e.push(0);
    e
}

/// A GIF whose logical screen is `screen` and whose first image descriptor declares `frame`,
/// with a one-pixel LZW stream: the decoder would allocate for the frame, not the screen.
pub fn gif_with_frame(screen: (u16, u16), frame: (u16, u16)) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&screen.0.to_le_bytes());
    g.extend_from_slice(&screen.1.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0]); // global colour table of 2 entries
    g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    g.extend_from_slice(&[0x21, 0xF9, 4, 0, 0, 0, 0, 0]); // graphic control extension
    g.push(0x2C);
    g.extend_from_slice(&[0, 0, 0, 0]);
    g.extend_from_slice(&frame.0.to_le_bytes());
    g.extend_from_slice(&frame.1.to_le_bytes());
    g.push(0);
    g.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]); // min code size 2, one pixel, end
    g.push(0x3B);
    g
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
