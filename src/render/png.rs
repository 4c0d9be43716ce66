//! PNG encoding of finished images.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbImage};

use super::RenderError;

/// Encodes an RGB image (no alpha channel: a quarter fewer bytes to compress).
///
/// zlib level 2 with adaptive filters: about 33 KB and 3 ms for a card, against 31 KB and
/// 5 ms at the default level (figures in BENCHMARKS.md).
pub(crate) fn encode(img: &RgbImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(64 * 1024);
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Level(2), FilterType::Adaptive);
    encoder.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}
