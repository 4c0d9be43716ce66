//! The KHQR payment card: what the customer scans.

use image::RgbImage;

use super::RenderError;
use super::fonts;
use super::frame::{body_top, card_x, draw_frame};
use super::png;
use super::qr::QrMatrix;
use super::text::{TextBlock, TextStyle};
use super::theme::{INK, MARGIN, MUTED, PAD, RULE, WIDTH};

/// What to draw on a payment card. All text is shown as given (already localized).
#[derive(Debug, Clone, Copy)]
pub struct CardSpec<'a> {
    /// The KHQR string, encoded verbatim into the QR code.
    pub payload: &'a str,
    /// Shop or merchant name (may be Khmer).
    pub shop_name: &'a str,
    /// The amount as the customer reads it, e.g. from [`format_money`](super::format_money):
    /// `$5.00`, `12,000 ៛`. For a static QR (customer types the amount) pass a short hint
    /// or an empty string.
    pub amount_text: &'a str,
    /// Currency of the badge in the middle of the QR code: `$` when true, `៛` otherwise.
    pub usd: bool,
    /// Optional note under the code (what is being paid for), on up to four lines.
    pub note: Option<&'a str>,
    /// Optional expiry line under the code, e.g. "Expires 14:05".
    pub expires_line: Option<&'a str>,
    /// Optional short reference of the charge, e.g. `#XK9RW3`: the last line starts with
    /// it (before the expiry), so the card can be matched to the messages about it.
    pub reference: Option<&'a str>,
}

/// Largest side of the QR area (symbol + quiet zone) in pixels.
const QR_MAX_SIDE: u32 = 540;

/// Lines the note may take before it is cut with an ellipsis: 60 characters of the widest
/// Khmer stacks (the longest note the bot takes) need four.
const NOTE_LINES: usize = 4;

/// How the note is set: 26 px, centred, at most [`NOTE_LINES`] lines.
pub(super) fn note_style() -> TextStyle {
    TextStyle::new(26.0, false, INK, true, NOTE_LINES)
}

/// Width of the card's text column.
fn text_width() -> f32 {
    let (x0, x1) = card_x();
    x1 - x0 - 2.0 * PAD
}

/// Renders the payment card as PNG bytes: ~720 px wide, height depends on the text.
///
/// The QR code uses error-correction level M, a 4-module quiet zone and a whole number of
/// pixels per module. CPU-bound (a few milliseconds): call from a blocking thread.
///
/// # Errors
/// [`RenderError::EmptyPayload`], [`RenderError::PayloadTooLong`] or
/// [`RenderError::TooDense`] when the payload cannot become a scannable code, and
/// [`RenderError::Encode`] if PNG encoding fails.
pub fn card_png(spec: &CardSpec<'_>) -> Result<Vec<u8>, RenderError> {
    let qr = QrMatrix::encode(spec.payload)?;
    let module_px = qr.module_px(QR_MAX_SIDE)?;
    let image = paint(spec, &qr, module_px);
    png::encode(&image)
}

/// Lays out and draws the card; holds the font engine only for this part.
fn paint(spec: &CardSpec<'_>, qr: &QrMatrix, module_px: u32) -> RgbImage {
    let qr_side = qr.side_px(module_px);
    let mut engine = fonts::engine();
    let engine = &mut *engine;
    let (x0, x1) = card_x();
    let text_w = text_width();
    let present = |t: &&str| !t.trim().is_empty();

    let mut name = Some(spec.shop_name).filter(present).map(|t| {
        let style = TextStyle::new(30.0, false, INK, false, 2);
        TextBlock::fit(engine, t, style, text_w, 22.0)
    });
    let mut amount = Some(spec.amount_text).filter(present).map(|t| {
        let style = TextStyle::new(64.0, true, INK, false, 1);
        TextBlock::fit(engine, t, style, text_w, 30.0)
    });
    let mut note = spec
        .note
        .filter(present)
        .map(|t| TextBlock::layout(engine, t, note_style(), text_w));
    let last_line = match (
        spec.reference.filter(present),
        spec.expires_line.filter(present),
    ) {
        (Some(reference), Some(expires)) => Some(format!("{reference} · {expires}")),
        (one, other) => one.or(other).map(str::to_owned),
    };
    let mut expires = last_line.map(|t| {
        let style = TextStyle::new(24.0, false, MUTED, true, 1);
        TextBlock::layout(engine, &t, style, text_w)
    });

    // Vertical layout, top to bottom. Line boxes are 1.5 em tall (room for Khmer stacks),
    // so consecutive blocks are pulled together a little.
    let mut y = body_top() + 34.0;
    let name_y = y;
    if let Some(b) = &name {
        y += b.height - 4.0;
    }
    let amount_y = y;
    if let Some(b) = &amount {
        y += b.height;
    }
    let rule_y = y + 22.0;
    let qr_y = (rule_y + 18.0).round();
    y = qr_y + qr_side as f32 - 6.0;
    let note_y = y;
    if let Some(b) = &note {
        y += b.height;
    }
    let expires_y = y;
    if let Some(b) = &expires {
        y += b.height;
    }
    let height = (y + 30.0 + MARGIN).ceil() as u32;

    let mut canvas = draw_frame(engine, height);
    for (block, top) in [(&mut name, name_y), (&mut amount, amount_y)] {
        if let Some(b) = block {
            b.draw(engine, &mut canvas, x0 + PAD, top);
        }
    }
    canvas.dashed_hline((x0 + PAD / 2.0, x1 - PAD / 2.0), rule_y, RULE);
    let badge = if spec.usd { "$" } else { "៛" };
    let qr_x = (WIDTH - qr_side) / 2;
    qr.draw(
        &mut canvas,
        engine,
        (qr_x, qr_y as u32),
        module_px,
        Some(badge),
    );
    for (block, top) in [(&mut note, note_y), (&mut expires, expires_y)] {
        if let Some(b) = block {
            b.draw(engine, &mut canvas, x0 + PAD, top);
        }
    }
    canvas.into_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widest notes the bot takes (60 characters as a person counts them: Latin capitals,
    /// dashes, Khmer consonants with subscripts and vowels) fit on the card uncut.
    #[test]
    fn the_longest_notes_fit_in_the_note_lines() {
        let mut engine = fonts::engine();
        for unit in ["W", "m", "—", "ញ", "ញ្ញា", "ស្ត្រី", "ឃ្លាំ", "កៀ", "ឡើ"]
        {
            let note = unit.repeat(60);
            let unlimited = TextStyle {
                max_lines: 100,
                ..note_style()
            };
            let block = TextBlock::layout(&mut engine, &note, unlimited, text_width());
            assert!(
                block.line_count() <= NOTE_LINES,
                "60 × {unit} takes {} lines",
                block.line_count()
            );
        }
    }
}
