//! Uploaded filing documents (备案材料): credential photos, the face photo against the backdrop,
//! the signed authenticity statement and the like, uploaded as images.
//!
//! [`inspect`] judges an upload by its content alone, never by its file name or the type the
//! client claims: size first, then the magic bytes (JPEG, PNG, GIF), then the dimensions the
//! headers declare (a decompression bomb is refused before a pixel is decoded), then a full decode
//! under [`image::Limits`], then a re-encode that keeps the pixels and nothing else (EXIF with its
//! GPS position, XMP, comments, text chunks and ICC profiles are dropped; the EXIF orientation is
//! applied to the pixels first, so that a phone photo stays upright). [`FileStore`] keeps the clean
//! result on disk under server-generated names, written crash-safely.
//!
//! Every refusal is a [`DocumentError`] with a stable [`code`](DocumentError::code) and a message
//! in Chinese and English that tells the applicant what to do.

mod header;
mod store;

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use store::{FileStore, TMP_MAX_AGE, is_stored_name};

/// Image formats accepted (SPEC: jpg/png/gif by content, never by file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Gif,
}

impl ImageFormat {
    /// `"jpeg"`, `"png"`, `"gif"` (the serde form too).
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
        }
    }

    /// `"image/jpeg"`, `"image/png"`, `"image/gif"`.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
        }
    }

    /// The extension of stored files, without the dot: `"jpg"`, `"png"`, `"gif"`.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
        }
    }

    /// The inverse of [`as_str`](Self::as_str), [`extension`](Self::extension) and
    /// [`mime`](Self::mime), ASCII case-insensitive (`"jpeg"`, `"JPG"`, `"image/png"`…).
    pub fn parse(s: &str) -> Option<Self> {
        [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif]
            .into_iter()
            .find(|f| {
                s.eq_ignore_ascii_case(f.as_str())
                    || s.eq_ignore_ascii_case(f.extension())
                    || s.eq_ignore_ascii_case(f.mime())
            })
    }

    /// The format of `bytes` by their magic number (`FF D8 FF`, `89 50 4E 47 0D 0A 1A 0A`,
    /// `GIF87a`/`GIF89a`), or `None` when it is none of the accepted ones.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        header::detect(bytes)
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Gif => image::ImageFormat::Gif,
        }
    }
}

impl std::fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an upload may be. Deserialises from a config table with every field optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Size of the upload in bytes. Default 4 MiB (4 × 1024 × 1024, shown to applicants as
    /// "4 MB"): a 12-megapixel phone photo at normal JPEG quality is 2–4 MiB, and the server must
    /// hold the upload in memory anyway.
    pub max_bytes: u64,
    /// Declared width in pixels. Default 8192: above every phone camera in common use
    /// (48-megapixel sensors are 8000 wide) and the widest a reviewer can use.
    pub max_width: u32,
    /// Declared height in pixels. Default 8192 (portrait photos swap width and height).
    pub max_height: u32,
    /// Declared width × height. Default 40 000 000: a 12-, 24- or 36-megapixel photo passes, a
    /// full-resolution 48-megapixel one (which rarely fits in 4 MiB anyway) does not. This is what
    /// bounds decoding time and memory: 40 M pixels are 160 MB as RGBA, 120 MB as RGB.
    pub max_pixels: u64,
    /// The decoder's memory budget for the decoded image (passed to `image::Limits::max_alloc` and
    /// checked against the decoder's own buffer size before decoding). Default 256 MiB: room for
    /// the largest 8-bit RGBA image `max_pixels` allows, not for a 16-bit RGBA PNG of that size.
    /// Peak memory of one [`inspect`] is about twice this (a rotation or colour conversion copies
    /// the pixels once), so the caller should bound how many run at once.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_width: 8192,
            max_height: 8192,
            max_pixels: 40_000_000,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    fn image_limits(&self) -> image::Limits {
        let mut l = image::Limits::no_limits();
        l.max_image_width = Some(self.max_width);
        l.max_image_height = Some(self.max_height);
        l.max_alloc = Some(self.max_alloc);
        l
    }

    fn check_canvas(&self, width: u32, height: u32) -> Result<(), DocumentError> {
        if width > self.max_width
            || height > self.max_height
            || u64::from(width) * u64::from(height) > self.max_pixels
        {
            return Err(DocumentError::TooManyPixels { width, height });
        }
        Ok(())
    }
}

/// The largest frame the `gif` crate decodes with the options `image` gives it (its default
/// memory limit, 50 MB of RGBA). Larger frames would fail inside the decoder as a generic decoding
/// error; they are refused up front as too many pixels instead.
const GIF_MAX_FRAME_BYTES: u64 = 50_000_000;

/// JPEG quality of re-encoded JPEGs.
const JPEG_QUALITY: u8 = 90;

/// An accepted image: decoded and re-encoded (metadata such as EXIF/GPS dropped).
#[derive(Clone, PartialEq, Eq)]
pub struct CleanImage {
    /// The format of [`bytes`](Self::bytes): JPEG for a JPEG upload, PNG for PNG and GIF.
    pub format: ImageFormat,
    /// The format of the upload, by its magic bytes.
    pub detected: ImageFormat,
    /// Dimensions of the stored image (after the EXIF orientation is applied).
    pub width: u32,
    pub height: u32,
    /// The re-encoded image.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of [`bytes`](Self::bytes).
    pub sha256: String,
}

impl std::fmt::Debug for CleanImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanImage")
            .field("format", &self.format)
            .field("detected", &self.detected)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// No bytes at all.
    #[error("the upload is empty")]
    Empty,
    /// Over [`Limits::max_bytes`]; refused before anything else is looked at.
    #[error("the upload is {size} bytes, over the limit of {max}")]
    TooLarge { size: u64, max: u64 },
    /// Not JPEG/PNG/GIF by magic bytes (e.g. HTML named .png).
    #[error("not a JPEG, PNG or GIF image")]
    UnsupportedFormat,
    /// The declared canvas is over the limits (width, height, pixel count, or the memory the
    /// decoded image needs): a decompression bomb, or simply too large a photo. Refused before
    /// decoding pixels.
    #[error("the image declares {width}x{height} pixels, over the limits")]
    TooManyPixels { width: u32, height: u32 },
    /// Truncated, malformed, or using a feature the decoder does not support (e.g. 12-bit or
    /// arithmetic-coded JPEG). The text is for logs, not for applicants.
    #[error("the image cannot be decoded: {0}")]
    Corrupt(String),
}

impl DocumentError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::Empty => "DOCUMENT_EMPTY",
            DocumentError::TooLarge { .. } => "DOCUMENT_TOO_LARGE",
            DocumentError::UnsupportedFormat => "DOCUMENT_FORMAT_UNSUPPORTED",
            DocumentError::TooManyPixels { .. } => "DOCUMENT_TOO_MANY_PIXELS",
            DocumentError::Corrupt(_) => "DOCUMENT_CORRUPT",
        }
    }

    /// What is wrong and what to do, in Chinese, for the applicant.
    pub fn message_zh(&self) -> String {
        match self {
            DocumentError::Empty => "上传的文件是空的，请选择图片文件后重新上传".to_string(),
            DocumentError::TooLarge { size, max } => format!(
                "文件超过 {}（{size} 字节），请压缩后重新上传",
                human_size(*max)
            ),
            DocumentError::UnsupportedFormat => {
                "文件不是 JPG、PNG 或 GIF 图片（按文件内容判断，与文件名无关），请上传这三种格式之一的图片"
                    .to_string()
            }
            DocumentError::TooManyPixels { width, height } => format!(
                "图片尺寸过大（{width}×{height} 像素），请缩小图片尺寸后重新上传"
            ),
            DocumentError::Corrupt(_) => {
                "图片已损坏、不完整或无法解析，请重新拍摄或另存为标准 JPG/PNG 图片后上传".to_string()
            }
        }
    }

    /// What is wrong and what to do, in English, for the applicant.
    pub fn message_en(&self) -> String {
        match self {
            DocumentError::Empty => "The uploaded file is empty; please choose an image file and upload it again.".to_string(),
            DocumentError::TooLarge { size, max } => format!(
                "The file is over {} ({size} bytes); please compress it and upload it again.",
                human_size(*max)
            ),
            DocumentError::UnsupportedFormat => "The file is not a JPG, PNG or GIF image (judged by its content, not its name); please upload an image in one of these formats.".to_string(),
            DocumentError::TooManyPixels { width, height } => format!(
                "The image is too large ({width}×{height} pixels); please reduce its dimensions and upload it again."
            ),
            DocumentError::Corrupt(_) => "The image is damaged, incomplete or cannot be read; please take it again or save it as a standard JPG/PNG image and upload it.".to_string(),
        }
    }
}

/// `4 MB` for 4 MiB, `512 KB` for 512 KiB, else bytes (applicants read MB, not MiB).
fn human_size(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n % MIB == 0 {
        format!("{} MB", n / MIB)
    } else if n >= KIB && n % KIB == 0 {
        format!("{} KB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Judge an upload by content: size first, then magic bytes, then the declared dimensions against
/// the limits (without decoding pixels; for JPEG also the end-of-image marker and enough scan data
/// for the declared size), then a full decode with `image::Limits` set, then re-encode: JPEG→JPEG (quality 90), PNG→PNG, GIF→PNG (first frame). The EXIF orientation of a
/// JPEG is applied to the pixels before the metadata is dropped. CPU-bound: call it inside
/// `spawn_blocking`, and bound how many run at once (see [`Limits::max_alloc`]).
///
/// A panic inside a decoder on hostile input is caught and reported as [`DocumentError::Corrupt`]
/// (the checks before decoding already refuse whatever this crate knows to be dangerous).
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<CleanImage, DocumentError> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(DocumentError::Empty);
    }
    if size > limits.max_bytes {
        return Err(DocumentError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    let detected = header::detect(bytes).ok_or(DocumentError::UnsupportedFormat)?;
    let declared = header::declared(detected, bytes).map_err(DocumentError::Corrupt)?;
    limits.check_canvas(declared.width, declared.height)?;
    if let Some((fw, fh)) = declared.first_frame {
        let too_many = DocumentError::TooManyPixels {
            width: fw,
            height: fh,
        };
        limits.check_canvas(fw, fh).map_err(|_| too_many.clone())?;
        if u64::from(fw) * u64::from(fh) * 4 > GIF_MAX_FRAME_BYTES.min(limits.max_alloc) {
            return Err(too_many);
        }
    }
    if let Some(defect) = declared.defect {
        return Err(DocumentError::Corrupt(defect));
    }
    let too_many = DocumentError::TooManyPixels {
        width: declared.width,
        height: declared.height,
    };
    match catch_unwind(AssertUnwindSafe(|| {
        decode_and_reencode(bytes, detected, limits)
    })) {
        Ok(Ok(clean)) => Ok(clean),
        Ok(Err(Refusal::Limits)) => Err(too_many),
        Ok(Err(Refusal::Error(e))) => Err(e),
        Err(_) => Err(DocumentError::Corrupt("the decoder panicked".into())),
    }
}

enum Refusal {
    /// `image` reported a limit (`ImageError::Limits`) or the decoder's buffer is over budget.
    Limits,
    Error(DocumentError),
}

impl From<ImageError> for Refusal {
    fn from(e: ImageError) -> Self {
        match e {
            ImageError::Limits(_) => Refusal::Limits,
            other => Refusal::Error(DocumentError::Corrupt(other.to_string())),
        }
    }
}

fn decode_and_reencode(
    bytes: &[u8],
    detected: ImageFormat,
    limits: &Limits,
) -> Result<CleanImage, Refusal> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), detected.image_format());
    reader.limits(limits.image_limits());
    let mut decoder = reader.into_decoder()?;
    let (w, h) = decoder.dimensions();
    // `DynamicImage::from_decoder` does not reserve the output buffer against `max_alloc` (only
    // `ImageReader::decode` does, and it gives no access to the orientation): check it here.
    if limits.check_canvas(w, h).is_err() || decoder.total_bytes() > limits.max_alloc {
        return Err(Refusal::Limits);
    }
    // Only JPEG orientation is honoured: that is where phones put it. A broken EXIF block is no
    // reason to refuse the photo: it is then taken as upright.
    let orientation = match detected {
        ImageFormat::Jpeg => decoder.orientation().unwrap_or(Orientation::NoTransforms),
        ImageFormat::Png | ImageFormat::Gif => Orientation::NoTransforms,
    };
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());

    let mut out = Vec::new();
    let format = match detected {
        ImageFormat::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            // The JPEG encoder takes 8-bit grey or RGB; zune-jpeg decodes to those (CMYK and
            // YCCK come out as RGB, a rare alpha channel is dropped here).
            if img.color().has_color() {
                DynamicImage::ImageRgb8(img.into_rgb8()).write_with_encoder(encoder)?;
            } else {
                DynamicImage::ImageLuma8(img.into_luma8()).write_with_encoder(encoder)?;
            }
            ImageFormat::Jpeg
        }
        ImageFormat::Png | ImageFormat::Gif => {
            // The PNG encoder takes every colour type the PNG and GIF decoders produce
            // (8/16-bit grey, grey+alpha, RGB, RGBA).
            let encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                FilterType::Adaptive,
            );
            img.write_with_encoder(encoder)?;
            ImageFormat::Png
        }
    };
    let sha256 = hex(&Sha256::digest(&out));
    Ok(CleanImage {
        format,
        detected,
        width,
        height,
        bytes: out,
        sha256,
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}
