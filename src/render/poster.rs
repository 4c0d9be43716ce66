//! The pay-link poster: a printable card in the style of the KHQR card, but its
//! QR is the link's `t.me` URL, which a phone's camera opens in Telegram, and which a bank
//! app refuses ("not a KHQR"). So the poster must not look like a payment QR: a Telegram-blue
//! header that says to scan with the phone's camera, no KHQR wordmark and no currency badge
//! in the code, and a line under it saying a bank app will not read it. Shop name, price and
//! item are drawn as on the card; Khmer is shaped like every other text.

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
    /// The header's words: what to scan with and what opens ("Scan with your phone's camera —
    /// opens Telegram"); up to two lines.
    pub title: &'a str,
    pub shop_name: &'a str,
    /// The price as the buyer reads it (`$5.00`, or "any amount in USD").
    pub amount_text: &'a str,
    /// What is sold; up to three lines.
    pub item: Option<&'a str>,
    /// Under the code: what it is not (a KHQR a bank app reads) and what happens instead.
    pub footer: Option<&'a str>,
}

/// The header band's colour: Telegram's blue, so nobody takes the poster for a KHQR.
const HEADER: super::canvas::Color = super::canvas::Color::hex(0x229ED9);

/// Largest side of the QR area (symbol + quiet zone) in pixels.
const QR_MAX_SIDE: u32 = 500;

/// Lines of the title (bold, wrapped, not shrunk); the header grows to fit them.
const TITLE_LINES: usize = 2;
/// Lines of the item (shrunk to fit one line down to 18 px, then wrapped): the longest note
/// the bot takes, 60 wide Khmer stacks, fits.
const ITEM_LINES: usize = 3;

fn title_block(engine: &mut fonts::TextEngine, text: &str, width: f32, lines: usize) -> TextBlock {
    TextBlock::layout(
        engine,
        text,
        TextStyle::new(34.0, true, WHITE, true, lines),
        width,
    )
}

fn item_block(engine: &mut fonts::TextEngine, text: &str, width: f32, lines: usize) -> TextBlock {
    let style = TextStyle::new(30.0, false, INK, true, lines);
    TextBlock::fit(engine, text, style, width, 18.0)
}

/// Space above and below the title inside the header band, when the title needs more than
/// the card's header height.
const TITLE_PAD: f32 = 18.0;

/// Renders the poster as PNG bytes (720 px wide). CPU-bound: call it off the async workers.
///
/// # Errors
/// As [`card_png`](super::card_png): a URL that cannot become a scannable code, or PNG
/// encoding.
pub fn poster_png(spec: &PosterSpec<'_>) -> Result<Vec<u8>, RenderError> {
    let qr = QrMatrix::encode(spec.url)?;
    let module_px = qr.module_px(QR_MAX_SIDE)?;
    png::encode(&paint(spec, &qr, module_px).0)
}

/// Lays out and draws the poster; also returns where the QR's top-left corner (quiet zone
/// included) landed.
fn paint(spec: &PosterSpec<'_>, qr: &QrMatrix, module_px: u32) -> (RgbImage, (u32, u32)) {
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
        .map(|t| title_block(engine, t, text_w, TITLE_LINES));
    let mut shop = Some(spec.shop_name)
        .filter(present)
        .map(|t| block(engine, t, 34.0, false, INK, 2));
    let mut amount = Some(spec.amount_text)
        .filter(present)
        .map(|t| block(engine, t, 60.0, true, INK, 1));
    let mut item = spec
        .item
        .filter(present)
        .map(|t| item_block(engine, t, text_w, ITEM_LINES));
    // Wrapped, not shrunk: a sentence in small print stays readable.
    let mut footer = spec.footer.filter(present).map(|t| {
        let style = TextStyle::new(24.0, false, MUTED, true, 4);
        TextBlock::layout(engine, t, style, text_w)
    });

    let header_h = title
        .as_ref()
        .map_or(HEADER_H, |b| HEADER_H.max(b.height + 2.0 * TITLE_PAD));
    let header_bottom = MARGIN + header_h;
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
            MARGIN + (header_h - b.height) / 2.0,
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
    let qr_at = ((WIDTH - qr_side) / 2, qr_y as u32);
    qr.draw(&mut canvas, engine, qr_at, module_px, None);
    if let Some(b) = &mut footer {
        b.draw(engine, &mut canvas, x0 + PAD, footer_y);
    }
    (canvas.into_image(), qr_at)
}

#[cfg(test)]
mod tests {
    use super::super::qr::QUIET_ZONE;
    use super::*;

    const URL: &str = "https://t.me/khqr_bot?start=AZaz09_-AZaz09_-AZaz09";

    fn spec<'a>(title: &'a str, item: &'a str) -> PosterSpec<'a> {
        PosterSpec {
            url: URL,
            title,
            shop_name: "ហាងកាហ្វេ Sokha",
            amount_text: "$5.00",
            item: Some(item),
            footer: Some("Not a KHQR: a bank app will not read this code."),
        }
    }

    #[test]
    fn a_poster_is_a_png_taller_than_its_qr() {
        let png = poster_png(&spec(
            "Scan with your phone's camera — opens Telegram",
            "iced coffee",
        ))
        .unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(img.width(), WIDTH);
        assert!(img.height() > QR_MAX_SIDE);
    }

    /// No badge: every module of the symbol is drawn as encoded, the centre ones included
    /// (a card hides those under its currency sign).
    #[test]
    fn every_module_of_the_code_is_drawn_nothing_hidden_under_a_badge() {
        let qr = QrMatrix::encode(URL).unwrap();
        let module_px = qr.module_px(QR_MAX_SIDE).unwrap();
        let (image, (x, y)) = paint(&spec("Scan", "iced coffee"), &qr, module_px);
        let origin = |at: u32| at + u32::try_from(QUIET_ZONE).unwrap() * module_px;
        let mut wrong = Vec::new();
        for my in 0..qr.width() {
            for mx in 0..qr.width() {
                let px = |m: usize| u32::try_from(m).unwrap() * module_px + module_px / 2;
                let pixel = image.get_pixel(origin(x) + px(mx), origin(y) + px(my));
                let dark = pixel.0.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 128;
                if dark != qr.is_dark(mx, my) {
                    wrong.push((mx, my));
                }
            }
        }
        assert_eq!(wrong, Vec::new(), "modules drawn other than encoded");
    }

    /// Titles and the longest items the bot takes (60 wide Khmer stacks) are shown whole:
    /// laid out without a line limit, they need no more lines than the poster gives them.
    #[test]
    fn long_titles_and_items_are_shown_whole() {
        let mut engine = fonts::engine();
        let text_w = WIDTH as f32 - 2.0 * MARGIN - 2.0 * PAD;
        for title in [
            "Scan with your phone's camera — opens Telegram",
            "ស្កេនដោយកាមេរ៉ាទូរសព្ទ — បើក Telegram",
        ] {
            let lines = title_block(&mut engine, title, text_w, 100).line_count();
            assert!(lines <= TITLE_LINES, "{title}: {lines} lines");
        }
        for item in ["ញ្ញា".repeat(60), "W".repeat(60)] {
            let lines = item_block(&mut engine, &item, text_w, 100).line_count();
            assert!(lines <= ITEM_LINES, "{item}: {lines} lines");
        }
    }
}
