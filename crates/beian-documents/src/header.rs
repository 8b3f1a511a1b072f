//! Format detection by magic bytes and the dimensions an image *declares*, read from its headers
//! without touching the pixel data. Everything here is plain byte parsing, bounded by the input,
//! so that a decompression bomb is refused before any decoder allocates for it.

use crate::ImageFormat;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const GIF87_MAGIC: &[u8] = b"GIF87a";
const GIF89_MAGIC: &[u8] = b"GIF89a";
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

/// The format of `bytes` by their magic number, if it is one this crate accepts.
pub fn detect(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(JPEG_MAGIC) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(GIF87_MAGIC) || bytes.starts_with(GIF89_MAGIC) {
        Some(ImageFormat::Gif)
    } else {
        None
    }
}

/// What the headers declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The canvas: PNG IHDR, JPEG frame header (SOFn), GIF logical screen.
    pub width: u32,
    pub height: u32,
    /// GIF only: the first frame's image descriptor, which may be larger than the logical screen
    /// and is allocated separately by the decoder.
    pub first_frame: Option<(u32, u32)>,
    /// JPEG only: what is wrong after the frame header (truncated, too little scan data). The
    /// size is judged first, then this makes the image corrupt.
    pub defect: Option<String>,
}

/// The declared dimensions of an image already detected as `format`. `Err` carries the reason the
/// headers are malformed or incomplete (the caller reports it as corrupt).
pub fn declared(format: ImageFormat, bytes: &[u8]) -> Result<Declared, String> {
    let d = match format {
        ImageFormat::Png => png(bytes)?,
        ImageFormat::Gif => gif(bytes)?,
        ImageFormat::Jpeg => jpeg(bytes)?,
    };
    if d.width == 0 || d.height == 0 {
        return Err(format!("declared size {}x{} is empty", d.width, d.height));
    }
    Ok(d)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// PNG: the first chunk must be IHDR (length 13); width and height are its first two fields.
fn png(b: &[u8]) -> Result<Declared, String> {
    let short = || "PNG header truncated".to_string();
    let len = be32(b, 8).ok_or_else(short)?;
    if b.get(12..16).ok_or_else(short)? != b"IHDR" || len != 13 {
        return Err("PNG does not start with an IHDR chunk".into());
    }
    let width = be32(b, 16).ok_or_else(short)?;
    let height = be32(b, 20).ok_or_else(short)?;
    Ok(Declared {
        width,
        height,
        first_frame: None,
        defect: None,
    })
}

/// GIF: the logical screen descriptor, then the blocks up to the first image descriptor (whose
/// frame size the decoder allocates on its own, whatever the screen says).
fn gif(b: &[u8]) -> Result<Declared, String> {
    let short = || "GIF header truncated".to_string();
    let width = u32::from(le16(b, 6).ok_or_else(short)?);
    let height = u32::from(le16(b, 8).ok_or_else(short)?);
    let flags = *b.get(10).ok_or_else(short)?;
    let mut pos = 13usize;
    if flags & 0x80 != 0 {
        pos += 3 * (1usize << ((flags & 0x07) + 1));
    }
    let mut first_frame = None;
    // Walk extension blocks (0x21 label, sub-blocks ending in 0) up to the first image (0x2C).
    loop {
        match b.get(pos) {
            Some(0x2C) => {
                let fw = u32::from(le16(b, pos + 5).ok_or_else(short)?);
                let fh = u32::from(le16(b, pos + 7).ok_or_else(short)?);
                first_frame = Some((fw, fh));
                break;
            }
            Some(0x21) => {
                pos += 2; // introducer and label
                loop {
                    let n = usize::from(*b.get(pos).ok_or_else(short)?);
                    pos += 1 + n;
                    if n == 0 {
                        break;
                    }
                }
            }
            // Trailer without any image, or data cut off: the decoder reports it as it sees fit;
            // the screen size is what is known.
            Some(0x3B) | None => break,
            Some(other) => return Err(format!("GIF block of unknown type 0x{other:02x}")),
        }
    }
    Ok(Declared {
        width,
        height,
        first_frame,
        defect: None,
    })
}

/// JPEG: walk the marker segments to the frame header (SOFn) for the size, then on through the
/// entropy-coded scans to the end-of-image marker.
///
/// The JPEG decoder in `image` (zune-jpeg, always run in lenient mode) fills whatever the data
/// does not cover with grey and calls it a success. So two checks are made here:
/// - a file without EOI is truncated (bytes after EOI are ignored: some cameras append data there;
///   they do not survive the re-encoding);
/// - the scans must hold at least one bit per 8×8 block of the full-resolution component: every
///   block's DC coefficient is coded with a Huffman code of one bit at least, in sequential and
///   progressive JPEG alike. A few hundred bytes declaring 40 M pixels are refused here instead of
///   costing a full decode. (Arithmetic coding can go below that bound; `image` does not decode it
///   anyway, so the bound is applied to Huffman-coded frames only.)
///
/// What still passes: a JPEG cut short on purpose and closed with an EOI marker, or with damaged
/// scan data, decodes with grey or garbled blocks (zune-jpeg's strict mode does not catch these
/// either once a marker ends the data). The reviewer sees that picture.
///
/// A defect found after the frame header is returned in [`Declared::defect`], so that the caller
/// can judge the declared size first.
fn jpeg(b: &[u8]) -> Result<Declared, String> {
    let mut size = None;
    let walked = jpeg_walk(b, &mut size);
    match (size, walked) {
        (Some((width, height)), walked) => Ok(Declared {
            width,
            height,
            first_frame: None,
            defect: walked.err(),
        }),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Err("JPEG without a frame header".into()),
    }
}

fn jpeg_walk(b: &[u8], size: &mut Option<(u32, u32)>) -> Result<(), String> {
    let trunc = |what: &str| format!("JPEG truncated ({what})");
    let mut huffman = true;
    let mut scan_bytes = 0u64;
    let mut pos = 2usize; // after SOI
    let mut in_scan = false;
    let mut scan_start = 0usize;
    loop {
        if in_scan {
            // Entropy-coded data: 0xFF 0x00 is a stuffed byte, 0xFF 0xD0..=0xD7 a restart marker,
            // 0xFF 0xFF fill; any other marker ends the scan.
            let rest = b.get(pos..).unwrap_or_default();
            let Some(i) = rest.iter().position(|&x| x == 0xFF) else {
                return Err(trunc("no end-of-image marker"));
            };
            pos += i;
            match b.get(pos + 1) {
                None => return Err(trunc("no end-of-image marker")),
                Some(0x00) | Some(0xD0..=0xD7) => {
                    pos += 2;
                    continue;
                }
                Some(0xFF) => {
                    pos += 1;
                    continue;
                }
                Some(_) => {
                    in_scan = false;
                    scan_bytes += (pos - scan_start) as u64;
                }
            }
        }
        // At a marker: 0xFF, optional fill 0xFF bytes, the marker code.
        if b.get(pos) != Some(&0xFF) {
            return Err(match b.get(pos) {
                None => trunc("no end-of-image marker"),
                Some(_) => format!("JPEG marker expected at byte {pos}"),
            });
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = b.get(pos) else {
            return Err(trunc("no end-of-image marker"));
        };
        pos += 1;
        match marker {
            0xD9 => {
                let (width, height) = size.ok_or("JPEG without a frame header")?;
                let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
                if huffman && scan_bytes * 8 < blocks {
                    return Err(format!(
                        "JPEG scan data ({scan_bytes} bytes) too short for {width}x{height} pixels"
                    ));
                }
                return Ok(());
            }
            // Standalone markers: TEM, RSTn, a stray SOI.
            0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let len = usize::from(be16(b, pos).ok_or_else(|| trunc("segment header"))?);
        if len < 2 {
            return Err(format!("JPEG segment 0xFF{marker:02X} with length {len}"));
        }
        let end = pos + len;
        if end > b.len() {
            return Err(trunc("segment body"));
        }
        match marker {
            // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if size.is_some() {
                    return Err("JPEG with more than one frame header".into());
                }
                let height = be16(b, pos + 3).ok_or_else(|| trunc("frame header"))?;
                let width = be16(b, pos + 5).ok_or_else(|| trunc("frame header"))?;
                if height == 0 {
                    return Err("JPEG height defined by a DNL marker is not supported".into());
                }
                *size = Some((u32::from(width), u32::from(height)));
                huffman = marker & 0x08 == 0; // SOF9..SOF15: arithmetic coding
            }
            0xDA => {
                if size.is_none() {
                    return Err("JPEG scan before the frame header".into());
                }
                in_scan = true;
                scan_start = end;
            }
            _ => {}
        }
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn detect_by_magic() {
        assert_eq!(detect(b"\xFF\xD8\xFF\xE0"), Some(ImageFormat::Jpeg));
        assert_eq!(detect(PNG_MAGIC), Some(ImageFormat::Png));
        assert_eq!(detect(b"GIF87a"), Some(ImageFormat::Gif));
        assert_eq!(detect(b"GIF89a"), Some(ImageFormat::Gif));
        assert_eq!(detect(b"GIF88a"), None);
        assert_eq!(detect(b"\x89PNG"), None);
        assert_eq!(detect(b"<!DOCTYPE html>"), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn jpeg_walk_handles_stuffing_restarts_and_progressive_scans() {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, 0xFF, 0xD9]); // APP0 hiding an EOI
        j.extend_from_slice(&[
            0xFF, 0xC2, 0x00, 0x0B, 8, 0x00, 0x10, 0x00, 0x20, 1, 1, 0x11, 0,
        ]);
        j.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56,
        ]);
        j.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x02]); // DHT between progressive scans
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x78, 0xFF, 0xFF]);
        let cut = j.len();
        j.extend_from_slice(&[0xD9, b'x']);
        let d = jpeg(&j).unwrap();
        assert_eq!((d.width, d.height, d.defect), (32, 16, None));
        assert!(
            jpeg(&j[..cut])
                .unwrap()
                .defect
                .unwrap()
                .contains("truncated")
        );
        assert!(jpeg(&j[..12]).is_err());
    }

    #[test]
    fn jpeg_scan_data_must_cover_one_bit_per_block() {
        // 64×64 = 64 blocks need 8 bytes of scan data; 7 are refused, 8 accepted.
        let make = |n: usize| {
            let mut j = vec![0xFF, 0xD8];
            j.extend_from_slice(&[
                0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x40, 0x00, 0x40, 1, 1, 0x11, 0,
            ]);
            j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
            j.extend(std::iter::repeat_n(0x55, n));
            j.extend_from_slice(&[0xFF, 0xD9]);
            j
        };
        assert!(
            jpeg(&make(7))
                .unwrap()
                .defect
                .unwrap()
                .contains("too short")
        );
        assert_eq!(jpeg(&make(8)).unwrap().defect, None);
        // Arithmetic-coded frames (SOF9) are not held to the bound.
        let mut arith = make(1);
        arith[3] = 0xC9;
        assert_eq!(jpeg(&arith).unwrap().defect, None);
    }
}
