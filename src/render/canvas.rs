//! A small RGB raster with anti-aliased shapes described by signed distance functions.
//!
//! Shapes are drawn by evaluating the signed distance from each pixel centre to the shape
//! edge (negative inside) and using `0.5 - distance` as coverage: smooth edges without
//! supersampling. Axis-aligned rectangles on whole pixels (QR modules) are drawn exactly.

use image::{Rgb, RgbImage};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Color(pub u8, pub u8, pub u8);

impl Color {
    pub(crate) const fn hex(rgb: u32) -> Self {
        Self((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
    }
}

pub(crate) struct Canvas {
    img: RgbImage,
}

impl Canvas {
    pub(crate) fn new(width: u32, height: u32, background: Color) -> Self {
        let Color(r, g, b) = background;
        Self {
            img: RgbImage::from_pixel(width, height, Rgb([r, g, b])),
        }
    }

    pub(crate) fn into_image(self) -> RgbImage {
        self.img
    }

    /// Blends `color` over pixel (x, y) with opacity `alpha` in 0..=1; ignores pixels
    /// outside the canvas.
    pub(crate) fn blend(&mut self, x: i64, y: i64, color: Color, alpha: f32) {
        if alpha <= 0.0 || x < 0 || y < 0 {
            return;
        }
        let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
            return;
        };
        let Some(px) = self.img.get_pixel_mut_checked(x, y) else {
            return;
        };
        if alpha >= 1.0 {
            *px = Rgb([color.0, color.1, color.2]);
            return;
        }
        let mix = |dst: u8, src: u8| -> u8 {
            (f32::from(dst) + (f32::from(src) - f32::from(dst)) * alpha).round() as u8
        };
        *px = Rgb([
            mix(px[0], color.0),
            mix(px[1], color.1),
            mix(px[2], color.2),
        ]);
    }

    /// Fills whole pixels `[x, x+w) × [y, y+h)` (clipped to the canvas).
    pub(crate) fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32, color: Color) {
        let width = self.img.width() as usize;
        let x_end = x.saturating_add(w).min(self.img.width()) as usize;
        let y_end = y.saturating_add(h).min(self.img.height()) as usize;
        let (x, y) = (x as usize, y as usize);
        if x >= x_end || y >= y_end {
            return;
        }
        let value = [color.0, color.1, color.2];
        let buf: &mut [u8] = &mut self.img;
        for row in buf.chunks_exact_mut(width * 3).take(y_end).skip(y) {
            for px in row[x * 3..x_end * 3].chunks_exact_mut(3) {
                px.copy_from_slice(&value);
            }
        }
    }

    /// Fills the shape whose signed distance function is `sd`, evaluated over the pixels of
    /// the bounding box `[x0, x1] × [y0, y1]` (in pixels, grown by one for the soft edge).
    pub(crate) fn fill_sdf(
        &mut self,
        bounds: (f32, f32, f32, f32),
        color: Color,
        sd: impl Fn(f32, f32) -> f32,
    ) {
        let (x0, y0, x1, y1) = bounds;
        let (w, h) = (self.img.width() as f32, self.img.height() as f32);
        let xs = (x0 - 1.0).floor().max(0.0) as i64..=(x1 + 1.0).ceil().min(w - 1.0) as i64;
        let ys = (y0 - 1.0).floor().max(0.0) as i64..=(y1 + 1.0).ceil().min(h - 1.0) as i64;
        for y in ys {
            for x in xs.clone() {
                let d = sd(x as f32 + 0.5, y as f32 + 0.5);
                let coverage = (0.5 - d).clamp(0.0, 1.0);
                self.blend(x, y, color, coverage);
            }
        }
    }

    pub(crate) fn fill_circle(&mut self, cx: f32, cy: f32, r: f32, color: Color) {
        self.fill_sdf((cx - r, cy - r, cx + r, cy + r), color, |x, y| {
            (x - cx).hypot(y - cy) - r
        });
    }

    /// A ring centred on radius `r` with stroke width `width`.
    pub(crate) fn stroke_circle(&mut self, cx: f32, cy: f32, r: f32, width: f32, color: Color) {
        let outer = r + width / 2.0;
        self.fill_sdf(
            (cx - outer, cy - outer, cx + outer, cy + outer),
            color,
            |x, y| ((x - cx).hypot(y - cy) - r).abs() - width / 2.0,
        );
    }

    /// A rectangle with corners rounded by `radius`; `top_only` keeps the bottom corners square.
    ///
    /// Cards are mostly this shape, so pixels that are certainly covered are written directly
    /// and the distance function is only evaluated near the outline.
    pub(crate) fn fill_rounded_rect(
        &mut self,
        rect: (f32, f32, f32, f32),
        radius: f32,
        top_only: bool,
        color: Color,
    ) {
        let (x0, y0, x1, y1) = rect;
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (hw, hh) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
        let sd = |x: f32, y: f32| {
            let r = if top_only && y > cy { 0.0 } else { radius };
            let qx = (x - cx).abs() - (hw - r);
            let qy = (y - cy).abs() - (hh - r);
            qx.max(0.0).hypot(qy.max(0.0)) + qx.max(qy).min(0.0) - r
        };
        let (w, h) = (self.img.width() as f32, self.img.height() as f32);
        let ys = (y0 - 1.0).floor().max(0.0) as i64..=(y1 + 1.0).ceil().min(h - 1.0) as i64;
        let xs = (x0 - 1.0).floor().max(0.0) as i64..=(x1 + 1.0).ceil().min(w - 1.0) as i64;
        let bottom_r = if top_only { 0.0 } else { radius };
        for y in ys {
            let py = y as f32 + 0.5;
            // Pixel centres in [solid_l, solid_r] are at least half a pixel inside the shape.
            let (solid_l, solid_r) = if py >= y0 + radius.max(1.5) && py <= y1 - bottom_r.max(1.5) {
                (x0 + 1.5, x1 - 1.5)
            } else if py >= y0 + 1.5 && py <= y1 - 1.5 {
                (x0 + radius, x1 - radius)
            } else {
                (f32::INFINITY, f32::NEG_INFINITY)
            };
            // Whole pixels whose centres lie in [solid_l, solid_r]: x in [first, last).
            let first = (solid_l - 0.5).ceil().max(0.0) as i64;
            let last = ((solid_r - 0.5).floor() + 1.0).max(0.0) as i64;
            if first < last {
                // In bounds: both ends are clamped to the canvas above and below.
                let (fx, lx) = (first.max(*xs.start()), last.min(*xs.end() + 1));
                self.fill_rect(fx as u32, y as u32, (lx - fx).max(0) as u32, 1, color);
            }
            let (edge_l, edge_r) = if first < last {
                (*xs.start()..first, last..*xs.end() + 1)
            } else {
                (*xs.start()..*xs.end() + 1, 0..0)
            };
            for x in edge_l.chain(edge_r) {
                let coverage = (0.5 - sd(x as f32 + 0.5, py)).clamp(0.0, 1.0);
                self.blend(x, y, color, coverage);
            }
        }
    }

    /// A straight stroke with round caps from `a` to `b`.
    pub(crate) fn stroke_line(&mut self, a: (f32, f32), b: (f32, f32), width: f32, color: Color) {
        let r = width / 2.0;
        let bounds = (
            a.0.min(b.0) - r,
            a.1.min(b.1) - r,
            a.0.max(b.0) + r,
            a.1.max(b.1) + r,
        );
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = (dx * dx + dy * dy).max(f32::EPSILON);
        self.fill_sdf(bounds, color, |x, y| {
            let t = (((x - a.0) * dx + (y - a.1) * dy) / len2).clamp(0.0, 1.0);
            (x - (a.0 + t * dx)).hypot(y - (a.1 + t * dy)) - r
        });
    }

    /// A filled triangle (vertices in any order).
    pub(crate) fn fill_triangle(&mut self, p: [(f32, f32); 3], color: Color) {
        let bounds = (
            p[0].0.min(p[1].0).min(p[2].0),
            p[0].1.min(p[1].1).min(p[2].1),
            p[0].0.max(p[1].0).max(p[2].0),
            p[0].1.max(p[1].1).max(p[2].1),
        );
        // Orientation-independent: distance to the nearest edge, negative when inside all
        // three half-planes.
        let area = (p[1].0 - p[0].0) * (p[2].1 - p[0].1) - (p[1].1 - p[0].1) * (p[2].0 - p[0].0);
        let sign = if area < 0.0 { -1.0 } else { 1.0 };
        self.fill_sdf(bounds, color, |x, y| {
            let mut d = f32::NEG_INFINITY;
            for i in 0..3 {
                let (a, b) = (p[i], p[(i + 1) % 3]);
                let (ex, ey) = (b.0 - a.0, b.1 - a.1);
                let len = ex.hypot(ey).max(f32::EPSILON);
                // Outward distance from edge a→b.
                let dist = -sign * (ex * (y - a.1) - ey * (x - a.0)) / len;
                d = d.max(dist);
            }
            d
        });
    }

    /// A horizontal dashed separator of round-capped dashes between `x0` and `x1`, centred
    /// on `y`.
    pub(crate) fn dashed_hline(&mut self, (x0, x1): (f32, f32), y: f32, color: Color) {
        const DASH: f32 = 12.0;
        const GAP: f32 = 9.0;
        const WIDTH: f32 = 3.0;
        let (dash, gap, width) = (DASH, GAP, WIDTH);
        // Centre the pattern so both ends look the same.
        let period = dash + gap;
        let count = ((x1 - x0 + gap) / period).floor().max(1.0);
        let used = count * period - gap;
        let mut x = x0 + (x1 - x0 - used) / 2.0 + width / 2.0;
        for _ in 0..count as u32 {
            self.stroke_line((x, y), (x + dash - width, y), width, color);
            x += period;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Color = Color(255, 255, 255);
    const BLACK: Color = Color(0, 0, 0);

    #[test]
    fn circle_is_solid_inside_and_untouched_outside() {
        let mut c = Canvas::new(40, 40, WHITE);
        c.fill_circle(20.0, 20.0, 10.0, BLACK);
        let img = c.into_image();
        assert_eq!(img.get_pixel(20, 20).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(20, 12).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(20, 8).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(2, 2).0, [255, 255, 255]);
        // The edge is anti-aliased: some pixels are neither black nor white.
        assert!(img.pixels().any(|p| p.0[0] > 20 && p.0[0] < 235));
    }

    #[test]
    fn rect_fill_is_exact_and_clipped() {
        let mut c = Canvas::new(10, 10, WHITE);
        c.fill_rect(8, 8, 5, 5, BLACK);
        let img = c.into_image();
        let dark = img.pixels().filter(|p| p.0 == [0, 0, 0]).count();
        assert_eq!(dark, 4);
    }

    #[test]
    fn triangle_covers_its_inside_in_either_winding() {
        for pts in [
            [(0.0, 0.0), (20.0, 0.0), (0.0, 20.0)],
            [(0.0, 0.0), (0.0, 20.0), (20.0, 0.0)],
        ] {
            let mut c = Canvas::new(20, 20, WHITE);
            c.fill_triangle(pts, BLACK);
            let img = c.into_image();
            assert_eq!(img.get_pixel(3, 3).0, [0, 0, 0]);
            assert_eq!(img.get_pixel(17, 17).0, [255, 255, 255]);
        }
    }
}
