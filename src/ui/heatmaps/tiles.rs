//! GPU textures for a heatmap: the screenshot and each overlay cut into bands of rows no
//! taller than the GPU allows, so a 1440 × 12000 page works anywhere. Overlay bands are
//! recoloured only when they are drawn with a palette they were not coloured with.

use std::collections::HashMap;

use egui::{ColorImage, TextureHandle, TextureOptions};

use crate::heatmap::{ColorMap, Density, Palette, colormap};

use super::state::ShotPixels;

/// Which overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Segment A.
    A,
    /// Segment B.
    B,
    /// A − B.
    Difference,
}

/// A band of rows `[y0, y1)` and its texture.
pub struct Band {
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
    texture: Option<TextureHandle>,
    /// The palette the texture was coloured with.
    colored_with: Option<(ColorMap, u8)>,
}

/// All textures of one result.
#[derive(Default)]
pub struct Layers {
    shot: Vec<Band>,
    overlays: HashMap<Layer, Vec<Band>>,
    /// Bands coloured so far: a test proves a palette change touches only the visible ones.
    pub recoloured: usize,
}

/// Rows per band: the GPU's limit, but no more than 2048 so a recolour stays small.
pub fn band_rows(ctx: &egui::Context) -> usize {
    ctx.input(|i| i.max_texture_side).clamp(256, 2048)
}

fn bands(height: usize, rows: usize) -> Vec<Band> {
    (0..height.div_ceil(rows.max(1)))
        .map(|i| Band {
            y0: i * rows,
            y1: ((i + 1) * rows).min(height),
            texture: None,
            colored_with: None,
        })
        .collect()
}

impl Layers {
    /// The screenshot's band textures, made on first use.
    pub fn shot(
        &mut self,
        ctx: &egui::Context,
        shot: &ShotPixels,
    ) -> Vec<(usize, usize, egui::TextureId)> {
        let [w, h] = shot.size;
        if self.shot.is_empty() {
            self.shot = bands(h, band_rows(ctx));
        }
        self.shot
            .iter_mut()
            .enumerate()
            .map(|(i, band)| {
                let texture = band.texture.get_or_insert_with(|| {
                    let bytes = &shot.rgba[band.y0 * w * 4..band.y1 * w * 4];
                    let image = ColorImage::from_rgba_unmultiplied([w, band.y1 - band.y0], bytes);
                    ctx.load_texture(format!("shot-{i}"), image, TextureOptions::LINEAR)
                });
                (band.y0, band.y1, texture.id())
            })
            .collect()
    }

    /// The same screenshot's textures with no overlays, for a new result on the same page.
    pub fn keep_shot(self) -> Layers {
        Layers {
            shot: self.shot,
            overlays: HashMap::new(),
            recoloured: 0,
        }
    }

    /// The overlay band `index` of `layer` coloured with `map` at `opacity`, recoloured only if
    /// it was last coloured differently. Call only for bands that are on screen.
    pub fn overlay_band(
        &mut self,
        ctx: &egui::Context,
        layer: Layer,
        density: &Density,
        index: usize,
        (map, opacity): (ColorMap, f32),
    ) -> Option<(usize, usize, egui::TextureId)> {
        let (w, h) = (density.grid.width, density.grid.height);
        let rows = band_rows(ctx);
        let list = self.overlays.entry(layer).or_insert_with(|| bands(h, rows));
        let band = list.get_mut(index)?;
        let key = (map, (opacity.clamp(0.0, 1.0) * 100.0).round() as u8);
        if band.colored_with != Some(key) || band.texture.is_none() {
            let palette = Palette::new(map, opacity).premultiplied();
            let mut rgba = Vec::new();
            colormap::colorize_region(
                &density.levels.levels,
                w,
                (0, band.y0, w, band.y1),
                &palette,
                &mut rgba,
            );
            let pixels = rgba
                .iter()
                .map(|&[r, g, b, a]| egui::Color32::from_rgba_premultiplied(r, g, b, a))
                .collect();
            let image = ColorImage::new([w, band.y1 - band.y0], pixels);
            match &mut band.texture {
                Some(t) => t.set(image, TextureOptions::LINEAR),
                None => {
                    band.texture = Some(ctx.load_texture(
                        format!("overlay-{layer:?}-{index}"),
                        image,
                        TextureOptions::LINEAR,
                    ));
                }
            }
            band.colored_with = Some(key);
            self.recoloured += 1;
        }
        band.texture.as_ref().map(|t| (band.y0, band.y1, t.id()))
    }

    /// How many overlay bands `density` has.
    pub fn overlay_bands(ctx: &egui::Context, density: &Density) -> usize {
        density.grid.height.div_ceil(band_rows(ctx))
    }
}
