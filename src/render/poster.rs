//! The pay-link poster (issue 15): a printable card in the style of the KHQR card, but its
//! QR is the link's `t.me` URL (a plain QR a phone camera opens; not a payment QR, so no
//! KHQR wordmark). Header band with a localized title, shop name, price, item, the QR, and
//! a line telling the buyer what scanning does. Khmer is shaped like every other text.

use image::RgbImage;

use super::RenderError;
use super::canvas::Canvas;
use super::fonts;
use super::png;
use super::qr::QrMatrix;
use super::text::{TextBlock, TextStyle};
use super::theme::{BACKDROP, CARD_RADIUS, HEADER_H, INK, MARGIN, MUTED, PAD, RULE, WHITE, WIDTH};

/// What to draw on a poster. All text is shown as given (already localized).
#[derive(Debug, Clone, Copy)]
pub struct PosterSpec<'a> {
    /// The link's URL, encoded verbatim into the QR code.
    pub url: &'a str,
    /// The title in the header band, e.g. "Scan to pay".
    pub title: &'a str,
    pub shop_name: &'a str,
    /// The price as the buyer reads it (`$5.00`, or "any amount in USD").
    pub amount_text: &'a str,
    /// Currency of the badge in the middle of the QR code: `$` when true, `៛` otherwise.
    pub usd: bool,
    /// What is sold.
    pub item: Option<&'a str>,
    /// Under the code: what scanning does.
    pub footer: Option<&'a str>,
}

/// The header band's colour: Telegram's blue, so nobody takes the poster for a KHQR.
const HEADER: super::canvas::Color = super::canvas::Color::hex(0x229ED9);

/// Largest side of the QR area (symbol + quiet zone) in pixels.
const QR_MAX_SIDE: u32 = 500;

/// Renders the poster as PNG bytes (720 px wide). CPU-bound: call it off the async workers.
///
/// # Errors
/// As [`card_png`](super::card_png): a URL that cannot become a scannable code, or PNG
/// encoding.
pub fn poster_png(spec: &PosterSpec<'_>) -> Result<Vec<u8>, RenderError> {
    let qr = QrMatrix::encode(spec.url)?;
    let module_px = qr.module_px(QR_MAX_SIDE)?;
    png::encode(&paint(spec, &qr, module_px))
}

fn paint(spec: &PosterSpec<'_>, qr: &QrMatrix, module_px: u32) -> RgbImage {
    let qr_side = qr.side_px(module_px);
    let mut engine = fonts::engine();
    let engine = &mut *engine;
    let (x0, x1) = (MARGIN, WIDTH as f32 - MARGIN);
    let text_w = x1 - x0 - 2.0 * PAD;
    let present = |t: &&str| !t.trim().is_empty();
    let block = |engine: &mut fonts::TextEngine, t: &str, size, bold, color, lines| {
        let style = TextStyle::new(size, bold, color, true, lines);
        TextBlock::fit(engine, t, style, text_w, size * 0.6)
    };
    let mut title = Some(spec.title)
        .filter(present)
        .map(|t| block(engine, t, 40.0, true, WHITE, 1));
    let mut shop = Some(spec.shop_name)
        .filter(present)
        .map(|t| block(engine, t, 34.0, false, INK, 2));
    let mut amount = Some(spec.amount_text)
        .filter(present)
        .map(|t| block(engine, t, 60.0, true, INK, 1));
    let mut item = spec
        .item
        .filter(present)
        .map(|t| block(engine, t, 30.0, false, INK, 2));
    // Wrapped, not shrunk: a sentence in small print stays readable.
    let mut footer = spec.footer.filter(present).map(|t| {
        let style = TextStyle::new(24.0, false, MUTED, true, 3);
        TextBlock::layout(engine, t, style, text_w)
    });

    let header_bottom = MARGIN + HEADER_H;
    let mut y = header_bottom + 30.0;
    let shop_y = y;
    if let Some(b) = &shop {
        y += b.height - 4.0;
    }
    let amount_y = y;
    if let Some(b) = &amount {
        y += b.height - 6.0;
    }
    let item_y = y;
    if let Some(b) = &item {
        y += b.height;
    }
    let rule_y = y + 16.0;
    let qr_y = (rule_y + 18.0).round();
    y = qr_y + qr_side as f32 + 4.0;
    let footer_y = y;
    if let Some(b) = &footer {
        y += b.height;
    }
    let height = (y + 24.0 + MARGIN).ceil() as u32;

    let mut canvas = Canvas::new(WIDTH, height, BACKDROP);
    let y1 = height as f32 - MARGIN;
    canvas.fill_rounded_rect((x0, MARGIN, x1, y1), CARD_RADIUS, false, WHITE);
    canvas.fill_rounded_rect((x0, MARGIN, x1, header_bottom), CARD_RADIUS, true, HEADER);
    if let Some(b) = &mut title {
        b.draw(
            engine,
            &mut canvas,
            x0 + PAD,
            MARGIN + (HEADER_H - b.height) / 2.0,
        );
    }
    for (block, top) in [
        (&mut shop, shop_y),
        (&mut amount, amount_y),
        (&mut item, item_y),
    ] {
        if let Some(b) = block {
            b.draw(engine, &mut canvas, x0 + PAD, top);
        }
    }
    canvas.dashed_hline((x0 + PAD / 2.0, x1 - PAD / 2.0), rule_y, RULE);
    let badge = if spec.usd { "$" } else { "៛" };
    let qr_x = (WIDTH - qr_side) / 2;
    qr.draw(&mut canvas, engine, (qr_x, qr_y as u32), module_px, badge);
    if let Some(b) = &mut footer {
        b.draw(engine, &mut canvas, x0 + PAD, footer_y);
    }
    canvas.into_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poster_is_a_png_taller_than_its_qr() {
        let png = poster_png(&PosterSpec {
            url: "https://t.me/khqr_bot?start=AZaz09_-AZaz09_-AZaz09",
            title: "Scan to pay",
            shop_name: "ហាងកាហ្វេ Sokha",
            amount_text: "$5.00",
            usd: true,
            item: Some("iced coffee"),
            footer: Some("Opens Telegram"),
        })
        .unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(img.width(), WIDTH);
        assert!(img.height() > QR_MAX_SIDE);
    }
}
