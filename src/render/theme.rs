//! Colours and dimensions shared by the card and the status cards.

use super::canvas::Color;

/// KHQR brand red.
pub(crate) const RED: Color = Color::hex(0xE1232E);
pub(crate) const WHITE: Color = Color::hex(0xFFFFFF);
/// Backdrop around the card.
pub(crate) const BACKDROP: Color = Color::hex(0xECEEF1);
/// Main text.
pub(crate) const INK: Color = Color::hex(0x17181C);
/// Secondary text.
pub(crate) const MUTED: Color = Color::hex(0x6A707C);
/// Dashed separator.
pub(crate) const RULE: Color = Color::hex(0xC4C8CF);
/// QR modules: pure black on pure white scans best.
pub(crate) const QR_DARK: Color = Color::hex(0x000000);
pub(crate) const GREEN: Color = Color::hex(0x17A34A);
pub(crate) const AMBER: Color = Color::hex(0xE08A00);
pub(crate) const GREY: Color = Color::hex(0x8A909B);

/// Image width in pixels.
pub(crate) const WIDTH: u32 = 720;
/// Backdrop visible around the card.
pub(crate) const MARGIN: f32 = 20.0;
/// Corner radius of the card.
pub(crate) const CARD_RADIUS: f32 = 28.0;
/// Height of the red header band.
pub(crate) const HEADER_H: f32 = 104.0;
/// Horizontal padding of the card body.
pub(crate) const PAD: f32 = 48.0;
