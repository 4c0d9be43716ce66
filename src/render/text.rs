//! Shaped text: lay out a string with cosmic-text and draw it onto a [`Canvas`].

use cosmic_text::{
    Align, Attrs, Buffer, Ellipsize, EllipsizeHeightLimit, Family, Metrics, Shaping, Weight, Wrap,
};

use super::canvas::{Canvas, Color};
use super::fonts::{LATIN_FAMILY, TextEngine};

/// How a piece of text looks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    /// Font size in pixels.
    pub size: f32,
    pub bold: bool,
    pub color: Color,
    /// Horizontally centred in the available width (else left-aligned).
    pub centered: bool,
    /// Lines shown before the rest is cut with an ellipsis.
    pub max_lines: usize,
}

impl TextStyle {
    pub(crate) fn new(
        size: f32,
        bold: bool,
        color: Color,
        centered: bool,
        max_lines: usize,
    ) -> Self {
        Self {
            size,
            bold,
            color,
            centered,
            max_lines,
        }
    }
}

/// Khmer stacks subscript consonants and vowels above and below the base line, so lines are
/// taller than Latin-only text would need.
const LINE_HEIGHT: f32 = 1.5;

/// Laid-out text ready to draw.
pub(crate) struct TextBlock {
    buffer: Buffer,
    color: Color,
    /// Height of all laid-out lines in pixels.
    pub height: f32,
    /// Width of the widest line in pixels.
    pub width: f32,
}

impl TextBlock {
    /// Shapes `text` into lines at most `max_width` pixels wide.
    pub(crate) fn layout(
        engine: &mut TextEngine,
        text: &str,
        style: TextStyle,
        max_width: f32,
    ) -> Self {
        let fonts = &mut engine.fonts;
        let metrics = Metrics::new(style.size, (style.size * LINE_HEIGHT).ceil());
        let mut buffer = Buffer::new(fonts, metrics);
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_ellipsize(Ellipsize::End(EllipsizeHeightLimit::Lines(
            style.max_lines.max(1),
        )));
        buffer.set_size(Some(max_width), None);
        let attrs = Attrs::new()
            .family(Family::Name(LATIN_FAMILY))
            .weight(if style.bold {
                Weight::BOLD
            } else {
                Weight::NORMAL
            });
        let align = if style.centered {
            Align::Center
        } else {
            Align::Left
        };
        // One paragraph: callers' newlines would otherwise escape the line limit.
        let single: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        buffer.set_text(&single, &attrs, Shaping::Advanced, Some(align));
        buffer.shape_until_scroll(fonts, false);
        // What none of our fonts can draw (an emoji in a shop name or a note: the KHQR may
        // carry it, bank apps show it) would be an empty box on the card: leave it out.
        if let Some(drawable) = without_missing_glyphs(&buffer, &single) {
            buffer.set_text(&drawable, &attrs, Shaping::Advanced, Some(align));
            buffer.shape_until_scroll(fonts, false);
        }

        let (mut width, mut height) = (0.0_f32, 0.0_f32);
        for run in buffer.layout_runs() {
            width = width.max(run.line_w);
            height = height.max(run.line_top + run.line_height);
        }
        Self {
            buffer,
            color: style.color,
            height,
            width,
        }
    }

    /// Shapes `text` on one line, shrinking the font size (down to `min_size`) until it fits
    /// in `max_width`; if even `min_size` is too wide, wraps as [`TextBlock::layout`] does.
    pub(crate) fn fit(
        engine: &mut TextEngine,
        text: &str,
        style: TextStyle,
        max_width: f32,
        min_size: f32,
    ) -> Self {
        let mut size = style.size;
        loop {
            let one_line = TextStyle {
                size,
                max_lines: 1,
                ..style
            };
            let block = Self::layout(engine, text, one_line, f32::MAX);
            if block.width <= max_width || size <= min_size {
                return if block.width <= max_width {
                    Self::layout(engine, text, one_line, max_width)
                } else {
                    Self::layout(engine, text, TextStyle { size, ..style }, max_width)
                };
            }
            // Jump close to the fitting size, then step down in case shaping rounds up.
            size = (size * max_width / block.width)
                .floor()
                .min(size - 1.0)
                .max(min_size);
        }
    }

    /// Draws the block so that the centre of its inked pixels (not of its line boxes) lands
    /// on `centre`: for symbols and wordmarks that must sit optically centred in a shape.
    pub(crate) fn draw_ink_centred(
        &mut self,
        engine: &mut TextEngine,
        canvas: &mut Canvas,
        centre: (f32, f32),
    ) {
        let mut ink: Vec<(i64, i64, f32)> = Vec::new();
        let base = cosmic_text::Color::rgb(self.color.0, self.color.1, self.color.2);
        self.buffer.draw(
            &mut engine.fonts,
            &mut engine.glyphs,
            base,
            |gx, gy, w, h, c| {
                for dy in 0..i64::from(h) {
                    for dx in 0..i64::from(w) {
                        ink.push((
                            i64::from(gx) + dx,
                            i64::from(gy) + dy,
                            f32::from(c.a()) / 255.0,
                        ));
                    }
                }
            },
        );
        let visible = ink.iter().filter(|p| p.2 > 0.25);
        let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        for &(x, y, _) in visible {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        if x0 > x1 {
            return;
        }
        let ox = (centre.0 - (x0 + x1 + 1) as f32 / 2.0).round() as i64;
        let oy = (centre.1 - (y0 + y1 + 1) as f32 / 2.0).round() as i64;
        for (x, y, alpha) in ink {
            canvas.blend(ox + x, oy + y, self.color, alpha);
        }
    }

    /// Every shaped glyph in visual order: (glyph id, family of its font, cluster start
    /// byte in the text). For tests that check shaping through the text stack itself.
    #[cfg(test)]
    pub(crate) fn shaped_glyphs(&self, engine: &TextEngine) -> Vec<(u16, String, usize)> {
        let db = engine.fonts.db();
        self.buffer
            .layout_runs()
            .flat_map(|run| run.glyphs.iter())
            .map(|g| {
                let family = db
                    .face(g.font_id)
                    .and_then(|f| f.families.first().map(|(n, _)| n.clone()))
                    .unwrap_or_default();
                (g.glyph_id, family, g.start)
            })
            .collect()
    }

    /// How many lines the text was laid out on.
    #[cfg(test)]
    pub(crate) fn line_count(&self) -> usize {
        self.buffer.layout_runs().count()
    }

    /// The text as laid out (after the control characters were replaced).
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.buffer
            .lines
            .iter()
            .map(|l| l.text())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Draws the block with its top-left corner at (x, y).
    pub(crate) fn draw(&mut self, engine: &mut TextEngine, canvas: &mut Canvas, x: f32, y: f32) {
        let (ox, oy) = (x.round() as i64, y.round() as i64);
        let base = cosmic_text::Color::rgb(self.color.0, self.color.1, self.color.2);
        self.buffer.draw(
            &mut engine.fonts,
            &mut engine.glyphs,
            base,
            |gx, gy, w, h, c| {
                let alpha = f32::from(c.a()) / 255.0;
                let color = Color(c.r(), c.g(), c.b());
                for dy in 0..i64::from(h) {
                    for dx in 0..i64::from(w) {
                        canvas.blend(
                            ox + i64::from(gx) + dx,
                            oy + i64::from(gy) + dy,
                            color,
                            alpha,
                        );
                    }
                }
            },
        );
    }
}

/// `text` without the clusters `buffer` shaped to the missing glyph (id 0), spaces
/// around them collapsed; `None` when every glyph is there.
fn without_missing_glyphs(buffer: &Buffer, text: &str) -> Option<String> {
    let mut missing: Vec<(usize, usize)> = buffer
        .layout_runs()
        .flat_map(|run| run.glyphs.iter())
        .filter(|g| g.glyph_id == 0)
        .map(|g| (g.start, g.end))
        .collect();
    if missing.is_empty() {
        return None;
    }
    missing.sort_unstable();
    let mut kept = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in missing {
        if start >= at {
            kept.push_str(text.get(at..start).unwrap_or_default());
        }
        at = at.max(end);
    }
    kept.push_str(text.get(at..).unwrap_or_default());
    // A variation selector or joiner left behind has nothing to join.
    let kept: String = kept
        .chars()
        .filter(|c| !matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{200d}'))
        .collect();
    Some(kept.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fonts::engine;

    /// An emoji (no font of ours has one) is left out rather than drawn as an empty box;
    /// the rest, Khmer included, is drawn as it was.
    #[test]
    fn characters_no_font_draws_are_left_out_not_boxed() {
        let mut engine = engine();
        let style = TextStyle::new(32.0, true, BLACK, false, 2);
        for (text, drawn) in [
            ("Sokha ☕ Coffee", "Sokha Coffee"),
            ("☕️ ហាងកាហ្វេ 👩‍🍳", "ហាងកាហ្វេ"),
            ("Sokha Coffee", "Sokha Coffee"),
        ] {
            let block = TextBlock::layout(&mut engine, text, style, 2000.0);
            assert_eq!(block.text(), drawn);
            let shaped = block.shaped_glyphs(&engine);
            assert!(shaped.iter().all(|g| g.0 != 0), "{text}: {shaped:?}");
        }
    }

    const BLACK: Color = Color(0, 0, 0);

    /// (glyph id, family of its font, x) of every glyph, in visual order.
    fn glyphs(text: &str) -> Vec<(u16, String, f32)> {
        let mut engine = engine();
        let block = TextBlock::layout(
            &mut engine,
            text,
            TextStyle::new(40.0, false, BLACK, false, 1),
            10_000.0,
        );
        let db = engine.fonts.db();
        block
            .buffer
            .layout_runs()
            .flat_map(|run| run.glyphs.iter())
            .map(|g| {
                let family = db
                    .face(g.font_id)
                    .and_then(|f| f.families.first().map(|(n, _)| n.clone()))
                    .unwrap_or_default();
                (g.glyph_id, family, g.x)
            })
            .collect()
    }

    /// Message ids drawn on images (besides `status-*-title`): the card, status cards,
    /// the /history chart, the pay-link poster.
    const DRAWN_PREFIXES: [&str; 4] = ["charge-card-", "status-line-", "history-chart-", "poster-"];

    /// Every message drawn on a card, status card or chart ([`DRAWN_PREFIXES`],
    /// `status-*-title`), in both languages, has a glyph for every character: the card
    /// fonts have no emoji, and a missing glyph is an empty box on the seller's image
    /// (`🕒` was one). Placeholders are left out; their values are amounts, times, accounts.
    #[test]
    fn every_message_drawn_on_an_image_has_all_its_glyphs() {
        let files = [
            ("en", include_str!("../../locales/en/khqr_bot.ftl")),
            ("km", include_str!("../../locales/km/khqr_bot.ftl")),
        ];
        let mut checked = 0;
        for (lang, file) in files {
            for line in file.lines() {
                let Some((id, value)) = line.split_once(" = ") else {
                    continue;
                };
                let drawn = DRAWN_PREFIXES.iter().any(|p| id.starts_with(p))
                    || (id.starts_with("status-") && id.ends_with("-title"));
                if !drawn {
                    continue;
                }
                let mut text = String::new();
                let mut rest = value;
                while let Some(open) = rest.find('{') {
                    text.push_str(&rest[..open]);
                    rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
                }
                text.push_str(rest);
                let missing: Vec<_> = glyphs(text.trim())
                    .into_iter()
                    .filter(|(id, ..)| *id == 0)
                    .collect();
                assert!(missing.is_empty(), "{lang} {id}: no glyph in {value:?}");
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} messages found");
    }

    #[test]
    fn khmer_and_latin_each_use_their_font_and_never_notdef() {
        let shaped = glyphs("ហាងកាហ្វេស្រីមុំ 12,000 ៛");
        assert!(
            shaped.iter().all(|(id, ..)| *id != 0),
            "missing glyph: {shaped:?}"
        );
        let families: Vec<&str> = shaped.iter().map(|(_, f, _)| f.as_str()).collect();
        assert!(families.contains(&"Noto Sans Khmer"));
        assert!(families.contains(&"Noto Sans"));
    }

    /// Coeng + consonant becomes one subscript glyph: ក្រ is three characters, two glyphs,
    /// and the subscript RO is drawn to the left of its base.
    #[test]
    fn coeng_forms_a_subscript_drawn_before_the_base() {
        let ka = glyphs("ក")[0].0;
        let kra = glyphs("ក្រ");
        assert_eq!(kra.len(), 2, "{kra:?}");
        assert_eq!(kra[1].0, ka, "base consonant should come second: {kra:?}");
        assert_ne!(kra[0].0, ka);
        assert!(kra[0].2 < kra[1].2);
    }

    /// The vowel sign េ is typed after its consonant but drawn before it.
    #[test]
    fn pre_base_vowel_is_reordered() {
        let ka = glyphs("ក")[0].0;
        let ke = glyphs("កេ");
        assert_eq!(ke.len(), 2, "{ke:?}");
        assert_eq!(ke[1].0, ka, "consonant should be drawn second: {ke:?}");
    }

    #[test]
    fn fit_shrinks_long_text_to_one_line() {
        let mut engine = engine();
        let style = TextStyle::new(64.0, true, BLACK, false, 1);
        let text = "999,999,999,999,999 ៛";
        let natural = TextBlock::layout(&mut engine, text, style, f32::MAX);
        let fitted = TextBlock::fit(&mut engine, text, style, 400.0, 20.0);
        assert!(natural.width > 400.0);
        assert!(fitted.width <= 400.0, "{}", fitted.width);
        assert!(fitted.height < natural.height);
    }

    #[test]
    fn wrapped_text_stops_at_max_lines() {
        let mut engine = engine();
        let style = TextStyle::new(20.0, false, BLACK, true, 2);
        let long = "word ".repeat(200);
        let block = TextBlock::layout(&mut engine, &long, style, 300.0);
        assert!(block.width <= 300.0);
        assert_eq!(block.height, 2.0 * (20.0 * LINE_HEIGHT).ceil());
    }
}
