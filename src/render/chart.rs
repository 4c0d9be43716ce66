//! The `/history` chart: paid totals per slot (an hour or a day), one panel per currency.
//!
//! USD and KHR differ by four orders of magnitude, so they never share an axis: each
//! currency is its own panel with its own round ticks, stacked in one card-style image
//! (the cards' frame, colours and text stack, so Khmer is shaped as on the cards).

use image::RgbImage;

use super::RenderError;
use super::canvas::{Canvas, Color};
use super::chart_scale::{Axis, label_every};
use super::fonts::{self, TextEngine};
use super::frame::{body_top, card_x, draw_frame};
use super::money::format_minor_units;
use super::png;
use super::text::{TextBlock, TextStyle};
use super::theme::{GREEN, INK, MARGIN, MUTED, RULE};
use crate::khqr::Currency;

/// One slot of the horizontal axis (an hour or a day), labelled by the caller.
#[derive(Debug, Clone, Copy)]
pub struct ChartSlot<'a> {
    /// Under the bar, e.g. the day of the month (`1`) or the hour (`08`).
    pub label: &'a str,
    /// A second line under the label (e.g. the weekday, `Mon`); empty for none.
    pub sublabel: &'a str,
    /// Still to come (later today, later this week): its label is drawn pale.
    pub upcoming: bool,
}

/// One currency's totals, one value per slot.
#[derive(Debug, Clone, Copy)]
pub struct ChartSeries<'a> {
    pub currency: Currency,
    /// The panel's heading, e.g. `USD: 3 paid · $12.50`.
    pub heading: &'a str,
    /// Paid total of each slot in minor units (cents, riel): as many as there are slots.
    pub minor: &'a [u64],
}

/// What to draw. All text is shown as given (already localized).
#[derive(Debug, Clone, Copy)]
pub struct ChartSpec<'a> {
    /// The shop's name.
    pub title: &'a str,
    /// The period, e.g. `This week, 2026-11-30 – 2026-12-06 · per day`.
    pub subtitle: &'a str,
    pub slots: &'a [ChartSlot<'a>],
    /// Panels top to bottom; a series with no payment in any slot is left out.
    pub series: &'a [ChartSeries<'a>],
    /// Shown instead of the panels when no series has a payment.
    pub empty_text: &'a str,
}

/// Renders the chart as PNG bytes: 720 px wide, a panel of about 380 px per currency.
///
/// CPU-bound (a few milliseconds): call it on the render thread.
///
/// # Errors
/// [`RenderError::ChartShape`] when a series does not have one value per slot, and
/// [`RenderError::Encode`] if PNG encoding fails.
pub fn chart_png(spec: &ChartSpec<'_>) -> Result<Vec<u8>, RenderError> {
    for s in spec.series {
        if s.minor.len() != spec.slots.len() {
            return Err(RenderError::ChartShape {
                slots: spec.slots.len(),
                values: s.minor.len(),
            });
        }
    }
    let image = {
        let mut engine = fonts::engine();
        let mut layout = lay_out(&mut engine, spec);
        layout.paint(&mut engine)
    };
    png::encode(&image)
}

/// Horizontal padding inside the card (narrower than the cards': the plot wants the room).
const PAD: f32 = 36.0;
/// Height of a panel's plot area.
const PLOT_H: f32 = 230.0;
/// Size of the axis and slot labels.
const LABEL_SIZE: f32 = 17.0;
/// Between the value labels and the plot.
const AXIS_GAP: f32 = 10.0;
/// Least room between two slot labels.
const LABEL_GAP: f32 = 10.0;
/// Widest bar, and its share of the slot.
const BAR_MAX_W: f32 = 56.0;
const BAR_SHARE: f32 = 0.66;
/// Riel bars: a blue that is neither the brand red (read as "failed") nor the USD green.
const KHR_BLUE: Color = Color::hex(0x2563EB);
/// Labels of slots still to come.
const UPCOMING: Color = Color::hex(0xB4B9C2);
/// Gridlines.
const GRID: Color = Color::hex(0xE3E6EA);

fn bar_colour(currency: Currency) -> Color {
    match currency {
        Currency::Usd => GREEN,
        Currency::Khr => KHR_BLUE,
    }
}

/// A text block and where its top-left corner goes.
pub(crate) struct Placed {
    pub block: TextBlock,
    pub x: f32,
    pub y: f32,
}

/// A bar: which panel and slot, and its rectangle `(x0, y0, x1, y1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bar {
    pub panel: usize,
    pub slot: usize,
    pub rect: (f32, f32, f32, f32),
    pub colour: Color,
}

/// Everything positioned, before anything is drawn.
pub(crate) struct Layout {
    pub height: u32,
    pub texts: Vec<Placed>,
    pub bars: Vec<Bar>,
    /// Colour swatches before the panel headings: `(x, y, side, colour)`.
    swatches: Vec<(f32, f32, f32, Color)>,
    /// Whole-pixel lines (gridlines, baselines): `(x, y, w, h, colour)`.
    lines: Vec<(u32, u32, u32, u32, Color)>,
    /// Dashed separators between blocks: `(x0, x1, y)`.
    dashes: Vec<(f32, f32, f32)>,
    /// The plot area of each panel: `(x0, top, x1, baseline)`.
    pub plots: Vec<(f32, f32, f32, f32)>,
}

/// Lays the chart out (the engine shapes every text).
pub(crate) fn lay_out(engine: &mut TextEngine, spec: &ChartSpec<'_>) -> Layout {
    let (card_l, card_r) = card_x();
    let (x0, x1) = (card_l + PAD, card_r - PAD);
    let width = x1 - x0;
    let present = |t: &&str| !t.trim().is_empty();
    let mut out = Layout {
        height: 0,
        texts: Vec::new(),
        bars: Vec::new(),
        swatches: Vec::new(),
        lines: Vec::new(),
        dashes: Vec::new(),
        plots: Vec::new(),
    };

    let mut y = body_top() + 26.0;
    if let Some(t) = Some(spec.title).filter(present) {
        let block = TextBlock::fit(
            engine,
            t,
            TextStyle::new(32.0, true, INK, false, 2),
            width,
            22.0,
        );
        let h = block.height;
        out.texts.push(Placed { block, x: x0, y });
        y += h - 4.0;
    }
    if let Some(t) = Some(spec.subtitle).filter(present) {
        let block = TextBlock::layout(
            engine,
            t,
            TextStyle::new(22.0, false, MUTED, false, 2),
            width,
        );
        let h = block.height;
        out.texts.push(Placed { block, x: x0, y });
        y += h;
    }
    y += 10.0;

    let shown: Vec<&ChartSeries<'_>> = spec
        .series
        .iter()
        .filter(|s| s.minor.iter().any(|v| *v > 0))
        .collect();
    if shown.is_empty() {
        out.dashes
            .push((card_l + PAD / 2.0, card_r - PAD / 2.0, y + 8.0));
        y += 48.0;
        let block = TextBlock::layout(
            engine,
            spec.empty_text,
            TextStyle::new(26.0, false, MUTED, true, 3),
            width,
        );
        let h = block.height;
        out.texts.push(Placed { block, x: x0, y });
        y += h + 36.0;
    }
    // Every panel's value axis first: the plots share one left edge, so a day's bars
    // line up from panel to panel.
    let axes: Vec<(Axis, Vec<(u64, TextBlock)>)> = shown
        .iter()
        .map(|series| value_axis(engine, series, width))
        .collect();
    let axis_w = axes
        .iter()
        .flat_map(|(_, ticks)| ticks.iter().map(|(_, b)| b.width))
        .fold(0.0, f32::max);
    let plot_l = (x0 + axis_w + AXIS_GAP).round();
    for (panel, (series, axis)) in shown.into_iter().zip(axes).enumerate() {
        out.dashes
            .push((card_l + PAD / 2.0, card_r - PAD / 2.0, y + 8.0));
        y += 30.0;
        let frame = PanelFrame {
            x0,
            plot_l,
            x1,
            top: y,
        };
        y = lay_out_panel(engine, &mut out, spec.slots, series, panel, axis, frame);
    }
    out.height = (y + 20.0 + MARGIN).ceil() as u32;
    out
}

/// A series' round ticks and their money labels.
fn value_axis(
    engine: &mut TextEngine,
    series: &ChartSeries<'_>,
    width: f32,
) -> (Axis, Vec<(u64, TextBlock)>) {
    let max = series.minor.iter().copied().max().unwrap_or(0);
    let axis = Axis::for_max(max);
    let style = TextStyle::new(LABEL_SIZE, false, MUTED, false, 1);
    let ticks = axis
        .ticks()
        .into_iter()
        .map(|t| {
            let text = format_minor_units(t, series.currency);
            (t, TextBlock::layout(engine, &text, style, width))
        })
        .collect();
    (axis, ticks)
}

/// Where a panel goes: its left edge, the plot's left edge, its right edge, its top.
#[derive(Debug, Clone, Copy)]
struct PanelFrame {
    x0: f32,
    plot_l: f32,
    x1: f32,
    top: f32,
}

/// One currency's panel from `frame.top` down; returns the y below it.
fn lay_out_panel(
    engine: &mut TextEngine,
    out: &mut Layout,
    slots: &[ChartSlot<'_>],
    series: &ChartSeries<'_>,
    panel: usize,
    (axis, tick_labels): (Axis, Vec<(u64, TextBlock)>),
    frame: PanelFrame,
) -> f32 {
    let PanelFrame {
        x0,
        plot_l,
        x1,
        top,
    } = frame;
    let colour = bar_colour(series.currency);
    let mut y = top;
    let swatch = 18.0;
    let heading = TextBlock::fit(
        engine,
        series.heading,
        TextStyle::new(25.0, true, INK, false, 2),
        x1 - x0 - swatch - 12.0,
        18.0,
    );
    // The swatch sits on the middle of the heading's first line (1.5 em line box).
    let first_line = (25.0_f32 * 1.5).ceil().min(heading.height.max(1.0));
    out.swatches
        .push((x0, y + (first_line - swatch) / 2.0, swatch, colour));
    let h = heading.height;
    out.texts.push(Placed {
        block: heading,
        x: x0 + swatch + 12.0,
        y,
    });
    y += h + 12.0;

    // Value axis: round ticks, money labels right-aligned on the left.
    let plot_top = (y + 10.0).round();
    let base = plot_top + PLOT_H;
    out.plots.push((plot_l, plot_top, x1, base));
    for (t, block) in tick_labels {
        let ty = (base - axis.fraction(t) * PLOT_H).round();
        let (thick, line) = if t == 0 { (2, RULE) } else { (1, GRID) };
        out.lines
            .push((plot_l as u32, ty as u32, (x1 - plot_l) as u32, thick, line));
        let (w, h) = (block.width, block.height);
        out.texts.push(Placed {
            block,
            x: plot_l - AXIS_GAP - w,
            y: ty - h / 2.0,
        });
    }

    // Bars, centred in equal slots.
    let n = slots.len().max(1) as f32;
    let slot_w = (x1 - plot_l) / n;
    let bar_w = (slot_w * BAR_SHARE).clamp(1.0, BAR_MAX_W);
    for (slot, value) in series.minor.iter().enumerate() {
        if *value == 0 {
            continue;
        }
        let cx = plot_l + (slot as f32 + 0.5) * slot_w;
        // A payment is never invisible: at least 3 px.
        let h = (axis.fraction(*value) * PLOT_H).max(3.0);
        out.bars.push(Bar {
            panel,
            slot,
            rect: (cx - bar_w / 2.0, base - h, cx + bar_w / 2.0, base),
            colour,
        });
    }

    // Slot labels (one or two lines), thinned until they no longer touch.
    let y_labels = base + 8.0;
    let label_box = slot_w.max(140.0);
    let mut rows: [Vec<(usize, TextBlock)>; 2] = [Vec::new(), Vec::new()];
    for (i, slot) in slots.iter().enumerate() {
        let colour = if slot.upcoming { UPCOMING } else { MUTED };
        for (row, text) in [slot.label, slot.sublabel].into_iter().enumerate() {
            if text.trim().is_empty() {
                continue;
            }
            let style = TextStyle::new(LABEL_SIZE, row == 1, colour, true, 1);
            rows[row].push((i, TextBlock::layout(engine, text, style, label_box)));
        }
    }
    let widest = rows
        .iter()
        .flatten()
        .map(|(_, b)| b.width)
        .fold(0.0, f32::max);
    let every = label_every(slot_w, widest, LABEL_GAP);
    let mut y = y_labels;
    for row in rows {
        let mut row_h: f32 = 0.0;
        for (i, block) in row {
            row_h = row_h.max(block.height);
            if i % every != 0 {
                continue;
            }
            let cx = plot_l + (i as f32 + 0.5) * slot_w;
            out.texts.push(Placed {
                block,
                x: cx - label_box / 2.0,
                y,
            });
        }
        y += row_h - 2.0;
    }
    y + 6.0
}

impl Layout {
    /// Draws the laid-out chart on a card frame.
    pub(crate) fn paint(&mut self, engine: &mut TextEngine) -> RgbImage {
        let mut canvas: Canvas = draw_frame(engine, self.height);
        for &(x0, x1, y) in &self.dashes {
            canvas.dashed_hline((x0, x1), y, RULE);
        }
        for &(x, y, w, h, colour) in &self.lines {
            canvas.fill_rect(x, y, w, h, colour);
        }
        for bar in &self.bars {
            let (x0, y0, x1, y1) = bar.rect;
            let radius = (x1 - x0).min(y1 - y0).min(10.0) / 2.0;
            canvas.fill_rounded_rect(bar.rect, radius, true, bar.colour);
        }
        for &(x, y, side, colour) in &self.swatches {
            canvas.fill_rounded_rect((x, y, x + side, y + side), 4.0, false, colour);
        }
        for placed in &mut self.texts {
            placed.block.draw(engine, &mut canvas, placed.x, placed.y);
        }
        canvas.into_image()
    }
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
