//! A plain, scannable QR code PNG for a KHQR string (the branded card lives elsewhere).

use std::io::Cursor;

use image::{ImageFormat, Luma};

use super::encode::qr_code;

/// The image is about this wide: the largest whole module size that fits.
pub const PLAIN_TARGET_WIDTH_PX: u32 = 640;
/// Light modules around the code, as the QR standard asks.
const QUIET_ZONE_MODULES: u32 = 4;

/// Why a payload could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PlainRenderError {
    /// Too long (or otherwise unencodable) for a QR code at error-correction level M.
    #[error("cannot make a QR code of this payload: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// PNG encoding failed.
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// Black-on-white QR code of `payload` (its UTF-8 bytes in numeric, alphanumeric and byte
/// segments, never Kanji — see [`qr_code`](super::qr_code) — error correction M), with a
/// 4-module quiet zone and an integer module size chosen so the PNG is about 640 px wide.
pub fn plain_png(payload: &str) -> Result<Vec<u8>, PlainRenderError> {
    let code = qr_code(payload)?;
    let modules = u32::try_from(code.width()).unwrap_or(u32::MAX) + 2 * QUIET_ZONE_MODULES;
    let module_px = (PLAIN_TARGET_WIDTH_PX / modules).max(1);
    let image = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .build();
    let mut png = Vec::new();
    image.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}
