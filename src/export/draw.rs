//! A small software canvas for exports: alpha blending, lines, rectangles, circles and text in
//! the font shipped in `assets/fonts` (so an export looks the same on every machine).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// DejaVu Sans (see `assets/fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Straight RGBA pixels, row by row.
pub struct Canvas {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` pixels.
    pub pixels: Vec<[u8; 4]>,
    font: Option<FontRef<'static>>,
}

/// A colour with alpha.
pub type Rgba = [u8; 4];

impl Canvas {
    /// A canvas holding `pixels` (`width * height` of them).
    pub fn new(width: usize, height: usize, pixels: Vec<[u8; 4]>) -> Canvas {
        Canvas {
            width,
            height,
            pixels,
            font: FontRef::try_from_slice(FONT).ok(),
        }
    }

    /// Blends `color` over the pixel at `(x, y)` with extra coverage `cover` (0–1).
    pub fn blend(&mut self, x: i64, y: i64, color: Rgba, cover: f32) {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return;
        }
        let a = f32::from(color[3]) / 255.0 * cover.clamp(0.0, 1.0);
        if a <= 0.0 {
            return;
        }
        let p = &mut self.pixels[y as usize * self.width + x as usize];
        for c in 0..3 {
            p[c] = (f32::from(color[c]) * a + f32::from(p[c]) * (1.0 - a)).round() as u8;
        }
        p[3] = (255.0 * a + f32::from(p[3]) * (1.0 - a)).round() as u8;
    }

    /// Fills `[x0, x1) × [y0, y1)`.
    pub fn fill_rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgba) {
        for y in y0.max(0.0) as i64..y1.min(self.height as f32) as i64 {
            for x in x0.max(0.0) as i64..x1.min(self.width as f32) as i64 {
                self.blend(x, y, color, 1.0);
            }
        }
    }

    /// A line `thickness` pixels wide, anti-aliased.
    pub fn line(&mut self, a: [f32; 2], b: [f32; 2], thickness: f32, color: Rgba) {
        let r = thickness / 2.0;
        let (x0, x1) = (a[0].min(b[0]) - r - 1.0, a[0].max(b[0]) + r + 1.0);
        let (y0, y1) = (a[1].min(b[1]) - r - 1.0, a[1].max(b[1]) + r + 1.0);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = (dx * dx + dy * dy).max(1e-6);
        for y in y0.max(0.0) as i64..=y1.min(self.height as f32) as i64 {
            for x in x0.max(0.0) as i64..=x1.min(self.width as f32) as i64 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let t = (((px - a[0]) * dx + (py - a[1]) * dy) / len2).clamp(0.0, 1.0);
                let (cx, cy) = (a[0] + t * dx - px, a[1] + t * dy - py);
                let d = (cx * cx + cy * cy).sqrt();
                self.blend(x, y, color, r + 0.5 - d);
            }
        }
    }

    /// A rectangle outline.
    pub fn stroke_rect(&mut self, a: [f32; 2], b: [f32; 2], thickness: f32, color: Rgba) {
        let (c, d) = ([a[0], b[1]], [b[0], a[1]]);
        for (p, q) in [(a, d), (d, b), (b, c), (c, a)] {
            self.line(p, q, thickness, color);
        }
    }

    /// An arrow from `a` to `b` with a filled head.
    pub fn arrow(&mut self, a: [f32; 2], b: [f32; 2], thickness: f32, color: Rgba) {
        self.line(a, b, thickness, color);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-3);
        let (ux, uy) = (dx / len, dy / len);
        let head = (thickness * 5.0).max(12.0);
        for side in [-1.0f32, 1.0] {
            let p = [
                b[0] - ux * head - side * uy * head * 0.5,
                b[1] - uy * head + side * ux * head * 0.5,
            ];
            self.line(b, p, thickness, color);
        }
    }

    /// A filled circle, anti-aliased.
    pub fn fill_circle(&mut self, c: [f32; 2], radius: f32, color: Rgba) {
        for y in (c[1] - radius - 1.0) as i64..=(c[1] + radius + 1.0) as i64 {
            for x in (c[0] - radius - 1.0) as i64..=(c[0] + radius + 1.0) as i64 {
                let (dx, dy) = (x as f32 + 0.5 - c[0], y as f32 + 0.5 - c[1]);
                let d = (dx * dx + dy * dy).sqrt();
                self.blend(x, y, color, radius + 0.5 - d);
            }
        }
    }

    /// The width of `text` at `size` pixels.
    pub fn text_width(&self, text: &str, size: f32) -> f32 {
        let Some(font) = &self.font else { return 0.0 };
        let scaled = font.as_scaled(PxScale::from(size));
        text.chars()
            .map(|ch| scaled.h_advance(font.glyph_id(ch)))
            .sum()
    }

    /// Draws one line of `text` with its top-left corner at `at`.
    pub fn text(&mut self, at: [f32; 2], size: f32, color: Rgba, text: &str) {
        let Some(font) = self.font.clone() else {
            return;
        };
        let scaled = font.as_scaled(PxScale::from(size));
        let mut x = at[0];
        let baseline = at[1] + scaled.ascent();
        let mut previous = None;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = previous {
                x += scaled.kern(p, id);
            }
            let glyph =
                id.with_scale_and_position(PxScale::from(size), ab_glyph::point(x, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, cover| {
                    self.blend(
                        bounds.min.x as i64 + i64::from(gx),
                        bounds.min.y as i64 + i64::from(gy),
                        color,
                        cover,
                    );
                });
            }
            x += scaled.h_advance(id);
            previous = Some(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_text_change_the_pixels_they_cover() {
        let mut c = Canvas::new(200, 60, vec![[255, 255, 255, 255]; 200 * 60]);
        c.text([4.0, 4.0], 20.0, [0, 0, 0, 255], "Sightline");
        let dark = c.pixels.iter().filter(|p| p[0] < 128).count();
        assert!(dark > 50, "{dark}");
        assert!(c.text_width("Sightline", 20.0) > 60.0);
        c.fill_circle([150.0, 30.0], 10.0, [255, 0, 0, 255]);
        assert_eq!(c.pixels[30 * 200 + 150], [255, 0, 0, 255]);
        c.line([0.0, 55.0], [199.0, 55.0], 2.0, [0, 0, 255, 255]);
        assert_eq!(c.pixels[55 * 200 + 100][2], 255);
        assert!(c.pixels[55 * 200 + 100][0] < 50);
    }
}
