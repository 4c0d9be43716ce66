//! Status cards that replace the QR once a charge is settled: no code to scan, one clear
//! symbol (drawn as shapes, so it never depends on a font having the glyph).

use image::RgbImage;

use super::RenderError;
use super::canvas::{Canvas, Color};
use super::card::note_style;
use super::fonts;
use super::frame::{body_top, card_x, draw_frame};
use super::png;
use super::text::{TextBlock, TextStyle};
use super::theme::{AMBER, GREEN, GREY, INK, MARGIN, MUTED, PAD, RED, RULE, WHITE, WIDTH};

/// The outcome a status card announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// Money received: green disc with a check mark.
    Paid,
    /// The QR expired unpaid: amber disc with a clock.
    Expired,
    /// The payment failed, or the money did not reach the seller: red disc with a cross.
    Failed,
    /// Money arrived that needs a look (less than asked, another currency): amber disc with
    /// an exclamation mark. Never red: the money is the seller's.
    Attention,
    /// The merchant cancelled the charge: grey disc with a bar.
    Cancelled,
}

impl StatusKind {
    fn colour(self) -> Color {
        match self {
            Self::Paid => GREEN,
            Self::Expired => AMBER,
            Self::Failed => RED,
            Self::Attention => AMBER,
            Self::Cancelled => GREY,
        }
    }
}

/// What to draw on a status card. All text is shown as given (already localized).
#[derive(Debug, Clone, Copy)]
pub struct StatusSpec<'a> {
    pub kind: StatusKind,
    /// Headline under the symbol, e.g. "Paid".
    pub title: &'a str,
    pub shop_name: &'a str,
    /// e.g. `$5.00`, from [`format_money`](super::format_money).
    pub amount_text: &'a str,
    /// The charge's note (what was paid for), whole: under the shop name, on up to four
    /// lines, as on the payment card it replaces.
    pub note: Option<&'a str>,
    /// The charge's short reference, e.g. `#XK9RW3`, under the note: the same one the
    /// payment card and every message about the charge show.
    pub reference: Option<&'a str>,
    /// Detail lines shown under the separator, e.g. payer, time, short hash.
    pub lines: &'a [&'a str],
}

/// Renders a status card as PNG bytes (~720 px wide). It contains no QR code.
///
/// CPU-bound (a few milliseconds): call from a blocking thread.
///
/// # Errors
/// [`RenderError::Encode`] if PNG encoding fails.
pub fn status_png(spec: &StatusSpec<'_>) -> Result<Vec<u8>, RenderError> {
    let image = paint(spec);
    png::encode(&image)
}

/// Lays out and draws the card; holds the font engine only for this part.
fn paint(spec: &StatusSpec<'_>) -> RgbImage {
    let mut engine = fonts::engine();
    let engine = &mut *engine;
    let (x0, x1) = card_x();
    let text_w = x1 - x0 - 2.0 * PAD;
    let colour = spec.kind.colour();
    let present = |t: &&str| !t.trim().is_empty();

    // (text, style, smallest size when shrinking to one line, pull-up of the next block)
    let head = [
        (
            spec.title,
            TextStyle::new(40.0, true, colour, true, 1),
            24.0,
            2.0,
        ),
        (
            spec.amount_text,
            TextStyle::new(60.0, true, INK, true, 1),
            30.0,
            8.0,
        ),
        (
            spec.shop_name,
            TextStyle::new(28.0, false, MUTED, true, 2),
            22.0,
            0.0,
        ),
    ];
    let mut head: Vec<(TextBlock, f32)> = head
        .into_iter()
        .filter(|(text, ..)| present(text))
        .map(|(text, style, min, pull)| (TextBlock::fit(engine, text, style, text_w, min), pull))
        .collect();
    // The note as the payment card sets it (60 of the widest Khmer stacks need four lines),
    // then the reference, muted.
    if let Some(note) = spec.note.filter(present) {
        head.push((TextBlock::layout(engine, note, note_style(), text_w), 0.0));
    }
    if let Some(reference) = spec.reference.filter(present) {
        let style = TextStyle::new(24.0, false, MUTED, true, 1);
        head.push((TextBlock::layout(engine, reference, style, text_w), 0.0));
    }
    let mut lines: Vec<TextBlock> = spec
        .lines
        .iter()
        .filter(|l| present(l))
        .map(|l| {
            let style = TextStyle::new(25.0, false, INK, true, 2);
            TextBlock::layout(engine, l, style, text_w)
        })
        .collect();

    let icon_r = 56.0;
    let icon_cy = body_top() + 44.0 + icon_r;
    let mut y = icon_cy + icon_r + 16.0;
    let mut head_ys = Vec::with_capacity(head.len());
    for (block, pull) in &head {
        head_ys.push(y);
        y += block.height - pull;
    }
    // Details go under a dashed rule; without details the card ends after the name.
    let rule_y = y + 22.0;
    if !lines.is_empty() {
        y = rule_y + 24.0;
    }
    let mut line_ys = Vec::with_capacity(lines.len());
    for line in &lines {
        line_ys.push(y);
        y += line.height;
    }
    let height = (y + 30.0 + MARGIN).ceil() as u32;

    let mut canvas = draw_frame(engine, height);
    let centre = (WIDTH as f32 / 2.0, icon_cy);
    draw_symbol(&mut canvas, spec.kind, centre, icon_r);
    for ((block, _), top) in head.iter_mut().zip(head_ys) {
        block.draw(engine, &mut canvas, x0 + PAD, top);
    }
    if !lines.is_empty() {
        canvas.dashed_hline((x0 + PAD / 2.0, x1 - PAD / 2.0), rule_y, RULE);
    }
    for (line, top) in lines.iter_mut().zip(line_ys) {
        line.draw(engine, &mut canvas, x0 + PAD, top);
    }
    canvas.into_image()
}

/// The status symbol: a coloured disc with a white mark, all vector shapes.
fn draw_symbol(canvas: &mut Canvas, kind: StatusKind, (cx, cy): (f32, f32), r: f32) {
    canvas.fill_circle(cx, cy, r + 10.0, tint(kind.colour()));
    canvas.fill_circle(cx, cy, r, kind.colour());
    let stroke = r * 0.17;
    let at = |dx: f32, dy: f32| (cx + dx * r, cy + dy * r);
    match kind {
        StatusKind::Paid => {
            canvas.stroke_line(at(-0.42, 0.02), at(-0.12, 0.32), stroke, WHITE);
            canvas.stroke_line(at(-0.12, 0.32), at(0.45, -0.28), stroke, WHITE);
        }
        StatusKind::Failed => {
            canvas.stroke_line(at(-0.32, -0.32), at(0.32, 0.32), stroke, WHITE);
            canvas.stroke_line(at(-0.32, 0.32), at(0.32, -0.32), stroke, WHITE);
        }
        StatusKind::Cancelled => {
            canvas.stroke_line(at(-0.42, 0.0), at(0.42, 0.0), stroke, WHITE);
        }
        StatusKind::Attention => {
            canvas.stroke_line(at(0.0, -0.45), at(0.0, 0.12), stroke, WHITE);
            canvas.fill_circle(cx, cy + 0.36 * r, stroke * 0.6, WHITE);
        }
        StatusKind::Expired => {
            canvas.stroke_circle(cx, cy, r * 0.55, stroke * 0.8, WHITE);
            canvas.stroke_line(at(0.0, 0.0), at(0.0, -0.36), stroke * 0.8, WHITE);
            canvas.stroke_line(at(0.0, 0.0), at(0.26, 0.0), stroke * 0.8, WHITE);
        }
    }
}

/// A pale version of `c` for the halo around the symbol.
fn tint(c: Color) -> Color {
    let mix = |v: u8| (u16::from(v) + 5 * 255).div_ceil(6) as u8;
    Color(mix(c.0), mix(c.1), mix(c.2))
}
