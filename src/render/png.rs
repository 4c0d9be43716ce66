//! PNG encoding of finished images.
//!
//! Written with the `png` crate directly (the encoder `image` uses) so the zlib level can be
//! chosen: `image` 0.25.8, which the rxing test decoder pins, has no `CompressionType::Level`.

use image::RgbImage;
use png::{BitDepth, ColorType, Compression, DeflateCompression, Encoder, Filter};

use super::RenderError;

/// zlib level: about 33 KB and 3 ms for a card, against 31 KB and 5 ms at the default level
/// (figures in BENCHMARKS.md).
const ZLIB_LEVEL: u8 = 2;

/// Encodes an RGB image (no alpha channel: a quarter fewer bytes to compress), zlib level 2
/// with adaptive filters.
pub(crate) fn encode(img: &RgbImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut encoder = Encoder::new(&mut out, img.width(), img.height());
    encoder.set_color(ColorType::Rgb);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::Fast);
    encoder.set_deflate_compression(DeflateCompression::Level(ZLIB_LEVEL));
    encoder.set_filter(Filter::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(img.as_raw())?;
    writer.finish()?;
    Ok(out)
}
