//! The part every card shares: backdrop, white rounded card, red header with the KHQR
//! wordmark and the header's folded corner.

use super::canvas::Canvas;
use super::fonts::TextEngine;
use super::text::{TextBlock, TextStyle};
use super::theme::{BACKDROP, CARD_RADIUS, HEADER_H, MARGIN, RED, WHITE, WIDTH};

/// Size of the triangular fold under the header's right end.
const FOLD: f32 = 34.0;

/// Card edges in image pixels: `(left, right)`; the body starts at [`body_top`].
pub(crate) fn card_x() -> (f32, f32) {
    (MARGIN, WIDTH as f32 - MARGIN)
}

/// First y coordinate below the header band.
pub(crate) fn body_top() -> f32 {
    MARGIN + HEADER_H
}

/// A canvas of `height` pixels with the empty card drawn on it.
pub(crate) fn draw_frame(engine: &mut TextEngine, height: u32) -> Canvas {
    let mut canvas = Canvas::new(WIDTH, height, BACKDROP);
    let (x0, x1) = card_x();
    let y1 = height as f32 - MARGIN;
    canvas.fill_rounded_rect((x0, MARGIN, x1, y1), CARD_RADIUS, false, WHITE);
    canvas.fill_rounded_rect((x0, MARGIN, x1, body_top()), CARD_RADIUS, true, RED);
    canvas.fill_triangle(
        [
            (x1 - FOLD, body_top() - 0.5),
            (x1, body_top() - 0.5),
            (x1, body_top() + FOLD),
        ],
        RED,
    );

    let wordmark = TextStyle {
        size: 50.0,
        bold: true,
        color: WHITE,
        centered: true,
        max_lines: 1,
    };
    let mut mark = TextBlock::layout(engine, "KHQR", wordmark, x1 - x0);
    mark.draw_ink_centred(
        engine,
        &mut canvas,
        ((x0 + x1) / 2.0, MARGIN + HEADER_H / 2.0),
    );
    canvas
}
