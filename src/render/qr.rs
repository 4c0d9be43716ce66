//! The QR symbol: level-M encoding, integer module size, and the round currency badge.

use qrcode::Color as Module;

use super::RenderError;
use super::canvas::{Canvas, Color};
use super::encode::qr_code;
use super::fonts::TextEngine;
use super::text::{TextBlock, TextStyle};
use super::theme::{QR_DARK, RED, WHITE};

/// Light modules around the symbol required by ISO/IEC 18004.
pub(crate) const QUIET_ZONE: usize = 4;

/// Smallest module size the card accepts: below this a phone camera struggles.
const MIN_MODULE_PX: u32 = 4;

/// Badge diameter as a fraction of the symbol width.
///
/// Level M restores about 15 % of the codewords; a disc of 18 % of the width (plus its
/// one-module white margin) hides about 3.5 % of the modules, leaving most of the budget for
/// real-world damage (glare, blur, a crease on a printed card). `tests/it/render/card.rs`
/// decodes cards with `rqrr` for every symbol size a card carries and counts the hidden
/// modules against a fresh encoding.
///
/// To a scanner the badge must be a light area with a small mark, not a shape of its own: a
/// solid red disc (dark once binarised) made zbar miss versions 11-13, and a red ring around
/// the red `$` looked enough like a finder pattern to hide a version-7 card. Hence a pale
/// ring (light after binarisation) and only the currency symbol in red; checked with zbar on
/// PNG, half-size and JPEG copies by `tests/it/render/zbar.rs` (ignored: needs zbar-tools).
const BADGE_FRACTION: f32 = 0.18;

/// Ring of the currency badge: a pale red that binarises as light.
const BADGE_RING: Color = Color::hex(0xF3B4B8);

/// A QR symbol as a square grid of modules (true = dark), without quiet zone.
pub(crate) struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `payload` at error-correction level M, without Kanji segments ([`qr_code`]).
    pub(crate) fn encode(payload: &str) -> Result<Self, RenderError> {
        if payload.is_empty() {
            return Err(RenderError::EmptyPayload);
        }
        let code = qr_code(payload).map_err(|source| RenderError::PayloadTooLong {
            len: payload.len(),
            source,
        })?;
        Ok(Self {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|m| m == Module::Dark)
                .collect(),
        })
    }

    /// Modules per side, without the quiet zone.
    #[cfg(test)]
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// The largest whole-pixel module size that fits the symbol and its quiet zone in
    /// `max_side` pixels.
    pub(crate) fn module_px(&self, max_side: u32) -> Result<u32, RenderError> {
        let total = u32::try_from(self.width + 2 * QUIET_ZONE).unwrap_or(u32::MAX);
        let px = max_side / total;
        if px < MIN_MODULE_PX {
            return Err(RenderError::TooDense {
                modules: self.width,
            });
        }
        Ok(px)
    }

    /// Side of the drawn area (symbol + quiet zone) in pixels.
    pub(crate) fn side_px(&self, module_px: u32) -> u32 {
        u32::try_from(self.width + 2 * QUIET_ZONE).unwrap_or(u32::MAX) * module_px
    }

    /// Draws the symbol with its quiet zone, top-left at (x, y), and, for a payment card, the
    /// currency badge (`$` or `៛`) in the centre over the modules it hides. A code that is no
    /// KHQR (a poster's link) gets no badge: a currency sign there says "bank app" to a
    /// customer, whose bank app would then refuse it.
    pub(crate) fn draw(
        &self,
        canvas: &mut Canvas,
        engine: &mut TextEngine,
        (x, y): (u32, u32),
        module_px: u32,
        badge: Option<&str>,
    ) {
        let side = self.side_px(module_px);
        canvas.fill_rect(x, y, side, side, WHITE);
        let origin_x = x + QUIET_ZONE as u32 * module_px;
        let origin_y = y + QUIET_ZONE as u32 * module_px;

        // Badge geometry in module units, centred on the middle module (widths are odd).
        let centre = self.width as f32 / 2.0;
        let badge_r = (self.width as f32 * BADGE_FRACTION / 2.0).max(2.5);
        let clear_r = badge_r + 1.0;

        for my in 0..self.width {
            for mx in 0..self.width {
                let (fx, fy) = (mx as f32 + 0.5 - centre, my as f32 + 0.5 - centre);
                let hidden = badge.is_some() && fx.hypot(fy) < clear_r;
                if self.is_dark(mx, my) && !hidden {
                    canvas.fill_rect(
                        origin_x + mx as u32 * module_px,
                        origin_y + my as u32 * module_px,
                        module_px,
                        module_px,
                        QR_DARK,
                    );
                }
            }
        }

        let Some(badge) = badge else {
            return;
        };
        let m = module_px as f32;
        let (cx, cy) = (origin_x as f32 + centre * m, origin_y as f32 + centre * m);
        let r = badge_r * m;
        // Only the symbol is dark to a scanner. A dark disc, or a dark ring around the dark
        // symbol (which reads like a finder pattern), made zbar miss some cards.
        canvas.stroke_circle(cx, cy, r - m * 0.4, m * 0.8, BADGE_RING);
        let style = TextStyle {
            size: r * 1.5,
            bold: true,
            color: RED,
            centered: true,
            max_lines: 1,
        };
        let mut glyph = TextBlock::layout(engine, badge, style, r * 4.0);
        glyph.draw_ink_centred(engine, canvas, (cx, cy));
    }
}
