//! The heatmap engine (plain Rust, no UI): points binned at screenshot resolution, blurred, normalised to
//! colour levels and coloured through a palette. The density is kept, so a new colour map or
//! opacity only re-runs the last, cheap step, and only where asked.

pub mod annotation;
pub mod areas;
pub mod blur;
pub mod colormap;
pub mod figure;
pub mod grid;
pub mod k_floor;
pub mod levels;
pub mod profile;
pub mod segment;

use serde::{Deserialize, Serialize};

pub use colormap::{ColorMap, Palette};
pub use grid::Grid;
pub use levels::{Levels, Normalisation};

/// What a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Clicks and taps.
    #[default]
    Click,
    /// Pointer movement.
    Move,
    /// Share of sessions that reached each depth.
    Scroll,
    /// Time spent at each depth.
    Attention,
}

impl Kind {
    /// Every kind, in menu order.
    pub const ALL: [Kind; 4] = [Kind::Click, Kind::Move, Kind::Scroll, Kind::Attention];

    /// Its name on the command line and in the legend.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Click => "click",
            Kind::Move => "move",
            Kind::Scroll => "scroll",
            Kind::Attention => "attention",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether it is drawn from points (rather than depths).
    pub fn uses_points(self) -> bool {
        matches!(self, Kind::Click | Kind::Move)
    }
}

/// Everything that decides how a heatmap looks; recorded with every image so it can be
/// reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RenderParams {
    /// What is shown.
    pub kind: Kind,
    /// Standard deviation of the Gaussian kernel, in screenshot pixels.
    pub sigma_px: f32,
    /// How densities map onto the scale.
    pub normalisation: Normalisation,
    /// The colour scale.
    pub colormap: ColorMap,
    /// Overlay opacity, 0–1.
    pub opacity: f32,
}

impl Default for RenderParams {
    fn default() -> RenderParams {
        RenderParams {
            kind: Kind::Click,
            sigma_px: 12.0,
            normalisation: Normalisation::P99,
            colormap: ColorMap::Viridis,
            opacity: 0.65,
        }
    }
}

impl RenderParams {
    /// One line for legends and footers.
    pub fn describe(&self) -> String {
        let kernel = if self.kind.uses_points() {
            format!("{}, sigma {:.0} px, ", blur::KERNEL, self.sigma_px)
        } else {
            String::new()
        };
        format!(
            "{}: {kernel}normalised to {}, {} colours, opacity {:.0}%",
            self.kind.as_str(),
            self.normalisation.label(),
            self.colormap.label(),
            self.opacity * 100.0
        )
    }
}

/// A computed density and its colour levels.
#[derive(Debug, Clone)]
pub struct Density {
    /// Blurred counts (points) or per-row values (depth maps), one cell per screenshot pixel.
    pub grid: Grid,
    /// Colour level per cell.
    pub levels: Levels,
    /// Points that landed on the grid.
    pub points: usize,
    /// Points outside the screenshot (or not finite), left out.
    pub outside: usize,
}

impl Density {
    /// The whole overlay as straight RGBA.
    pub fn colorize(&self, palette: &Palette) -> Vec<[u8; 4]> {
        colormap::colorize(&self.levels.levels, self.grid.width, &palette.colors)
    }
}

/// Points (page CSS px) to a density at `width × height` screenshot pixels.
pub fn point_density(
    xs: &[f32],
    ys: &[f32],
    image_from_page: f32,
    size: (usize, usize),
    sigma_px: f32,
    normalisation: Normalisation,
) -> Density {
    point_density_with(
        xs,
        ys,
        |_| (0, 0),
        image_from_page,
        size,
        sigma_px,
        normalisation,
    )
}

/// [`point_density`] with counts binned elsewhere added before the blur (warehouse grids):
/// `extra` adds them to the grid and returns how many events it drew and how many fell
/// outside.
pub fn point_density_with(
    xs: &[f32],
    ys: &[f32],
    extra: impl FnOnce(&mut Grid) -> (usize, usize),
    image_from_page: f32,
    (width, height): (usize, usize),
    sigma_px: f32,
    normalisation: Normalisation,
) -> Density {
    let (mut grid, outside) = grid::bin(xs, ys, image_from_page, width, height);
    let (drawn, extra_outside) = extra(&mut grid);
    let points = xs.len().min(ys.len()) - outside + drawn;
    let outside = outside + extra_outside;
    blur::gaussian(&mut grid, sigma_px);
    let levels = levels::levels(&grid, normalisation);
    Density {
        grid,
        levels,
        points,
        outside,
    }
}

/// Per-row values (depth maps) to a density `width` pixels wide.
pub fn row_density(rows: &[f32], width: usize, normalisation: Normalisation) -> Density {
    let grid = profile::rows_to_grid(rows, width);
    let levels = levels::levels(&grid, normalisation);
    Density {
        grid,
        levels,
        points: 0,
        outside: 0,
    }
}

/// A − B per session: each density divided by its number of sessions, so segments of
/// different sizes compare fairly. Drawn with [`levels::signed_levels`].
pub fn difference(a: &Grid, sessions_a: usize, b: &Grid, sessions_b: usize) -> Grid {
    let (sa, sb) = (
        1.0 / sessions_a.max(1) as f32,
        1.0 / sessions_b.max(1) as f32,
    );
    let mut out = Grid::zeros(a.width.min(b.width), a.height.min(b.height));
    for (y, row) in out
        .cells
        .chunks_mut(a.width.min(b.width).max(1))
        .enumerate()
    {
        let ra = &a.cells[y * a.width..];
        let rb = &b.cells[y * b.width..];
        for (x, o) in row.iter_mut().enumerate() {
            *o = ra[x] * sa - rb[x] * sb;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One click at integer page coordinates, drawn at scales `num / den`, lands in the pixel
    /// `floor(page × num / den)` (worked out in integers) whether or not it is blurred, on
    /// either side of every boundary the work is split at: the binning's 32-row bands, the
    /// blur's 16-line strips, the threads' halves and the 256- and 2048-row texture bands.
    #[test]
    fn a_single_point_lands_in_its_pixel_at_every_scale_and_boundary() {
        let (w, h) = (40usize, 2200usize);
        let rows = [
            0usize, 15, 16, 31, 32, 33, 255, 256, 1099, 1100, 2047, 2048, 2199,
        ];
        let cols = [0usize, 15, 16, 17, 39];
        for (num, den) in [(1usize, 2usize), (1, 1), (3, 2), (2, 1), (3, 1)] {
            let scale = num as f32 / den as f32;
            for &py in &rows {
                for &px in &cols {
                    // The smallest page coordinate whose pixel is at or past the one named
                    // (at 3/2 not every pixel is reached from whole page pixels).
                    let page = |p: usize| (p * den).div_ceil(num);
                    let (x, y) = (page(px), page(py));
                    let (px, py) = ((x * num / den), (y * num / den));
                    if px >= w || py >= h {
                        continue;
                    }
                    for sigma in [0.0f32, 8.0] {
                        let d = point_density(
                            &[x as f32],
                            &[y as f32],
                            scale,
                            (w, h),
                            sigma,
                            Normalisation::Max,
                        );
                        let at = py * w + px;
                        let (peak, _) = d
                            .grid
                            .cells
                            .iter()
                            .enumerate()
                            .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
                        assert_eq!(
                            (peak % w, peak / w),
                            (px, py),
                            "scale {scale}, sigma {sigma}, page ({x}, {y})"
                        );
                        assert_eq!(d.levels.levels[at], 255);
                        for band in [256usize, 2048] {
                            let y0 = py / band * band;
                            let mut out = Vec::new();
                            let palette = Palette::new(ColorMap::Viridis, 1.0).colors;
                            colormap::colorize_region(
                                &d.levels.levels,
                                w,
                                (0, y0, w, (y0 + band).min(h)),
                                &palette,
                                &mut out,
                            );
                            assert_eq!(out[(py - y0) * w + px], palette[255]);
                        }
                    }
                }
            }
        }
    }
}
