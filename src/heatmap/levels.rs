//! Normalisation: density values to 256 colour levels. Computed once per density and
//! normalisation, so recolouring is a table lookup per pixel.

use serde::{Deserialize, Serialize};

use super::grid::{Grid, par_map, par_rows};

/// How density values map onto the colour scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Normalisation {
    /// Linear, the densest pixel at the top of the scale.
    Max,
    /// Linear, the 99th percentile of non-empty pixels at the top (outliers saturate).
    #[default]
    P99,
    /// Logarithmic over three decades below the densest pixel.
    Log,
}

impl Normalisation {
    /// Every choice, for pickers.
    pub const ALL: [Normalisation; 3] =
        [Normalisation::Max, Normalisation::P99, Normalisation::Log];

    /// Its name in the legend.
    pub fn label(self) -> &'static str {
        match self {
            Normalisation::Max => "max",
            Normalisation::P99 => "p99",
            Normalisation::Log => "log",
        }
    }
}

/// Resolution of the value quantisation before the level table.
const STEPS: usize = 1 << 16;
/// Decades the log scale spans.
const LOG_RANGE: f32 = 1000.0;

/// Levels per pixel (0 = nothing there) and the value that maps to the top of the scale.
#[derive(Debug, Clone)]
pub struct Levels {
    /// One level per grid cell.
    pub levels: Vec<u8>,
    /// The largest density value.
    pub max: f32,
    /// The value drawn at the top of the scale.
    pub top: f32,
}

/// The 99th percentile of the non-zero cells, to 1/65536 of the maximum.
pub fn p99(cells: &[f32], max: f32) -> f32 {
    if max <= 0.0 {
        return 0.0;
    }
    let scale = (STEPS - 1) as f32 / max;
    let partial = par_map(cells, |chunk| {
        let mut hist = vec![0u32; STEPS];
        let mut nonzero = 0u64;
        for &v in chunk {
            if v > 0.0 {
                hist[((v * scale) as usize).min(STEPS - 1)] += 1;
                nonzero += 1;
            }
        }
        (hist, nonzero)
    });
    let mut hist = vec![0u64; STEPS];
    let mut nonzero = 0u64;
    for (h, nz) in partial {
        for (a, b) in hist.iter_mut().zip(h) {
            *a += u64::from(b);
        }
        nonzero += nz;
    }
    let target = (nonzero as f64 * 0.99).ceil() as u64;
    let mut seen = 0u64;
    for (i, &c) in hist.iter().enumerate() {
        seen += c;
        if seen >= target {
            return ((i + 1) as f32 / scale).min(max);
        }
    }
    max
}

/// Maps every cell of `grid` to a level.
pub fn levels(grid: &Grid, normalisation: Normalisation) -> Levels {
    let max = par_map(&grid.cells, |c| c.iter().copied().fold(0.0f32, f32::max))
        .into_iter()
        .fold(0.0f32, f32::max);
    let top = match normalisation {
        Normalisation::P99 => p99(&grid.cells, max),
        Normalisation::Max | Normalisation::Log => max,
    };
    let mut out = vec![0u8; grid.cells.len()];
    if top <= 0.0 {
        return Levels {
            levels: out,
            max,
            top,
        };
    }
    let table: Vec<u8> = (0..STEPS)
        .map(|q| {
            if q == 0 {
                return 0;
            }
            let t = q as f32 / (STEPS - 1) as f32;
            let t = match normalisation {
                Normalisation::Log => (1.0 + t * LOG_RANGE).ln() / (1.0 + LOG_RANGE).ln(),
                Normalisation::Max | Normalisation::P99 => t,
            };
            (1.0 + t * 254.0).round().clamp(1.0, 255.0) as u8
        })
        .collect();
    let scale = (STEPS - 1) as f32 / top;
    let width = grid.width;
    let cells = &grid.cells;
    par_rows(&mut out, width, |row0, band| {
        let src = &cells[row0 * width..row0 * width + band.len()];
        for (l, &v) in band.iter_mut().zip(src) {
            // Tiny values from the blur's rounding are not drawn.
            *l = if v > top * 1e-6 {
                table[((v * scale) as usize).min(STEPS - 1)]
            } else {
                0
            };
        }
    });
    Levels {
        levels: out,
        max,
        top,
    }
}

/// Levels for a signed grid (a difference map): 128 is zero, 1 the most negative, 255 the
/// most positive, symmetric around `top` = the 99th percentile of the magnitudes (so one hot
/// spot does not wash out every other difference; larger ones saturate).
pub fn signed_levels(grid: &Grid) -> Levels {
    let magnitudes: Vec<f32> = grid.cells.iter().map(|v| v.abs()).collect();
    let max = magnitudes.iter().copied().fold(0.0f32, f32::max);
    let top = p99(&magnitudes, max);
    let mut out = vec![128u8; grid.cells.len()];
    if top > 0.0 {
        for (l, &v) in out.iter_mut().zip(&grid.cells) {
            // Rounding noise of the blur is no difference.
            if v.abs() > top * 1e-4 {
                *l = (128.0 + (v / top) * 127.0).round().clamp(1.0, 255.0) as u8;
            }
        }
    }
    Levels {
        levels: out,
        max,
        top,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_normalisation() {
        let mut g = Grid::zeros(1000, 1);
        for (i, c) in g.cells.iter_mut().enumerate() {
            *c = i as f32;
        }
        g.cells[999] = 1_000_000.0;
        let max = levels(&g, Normalisation::Max);
        assert_eq!(max.levels[0], 0);
        assert_eq!(max.levels[999], 255);
        assert!(max.levels[998] < 10, "an outlier squeezes the rest");
        let p = levels(&g, Normalisation::P99);
        assert!(p.top > 980.0 && p.top < 1000.0, "{}", p.top);
        assert!(p.levels[500] > 100, "{}", p.levels[500]);
        let log = levels(&g, Normalisation::Log);
        assert!(log.levels[900] > max.levels[900] + 20);
    }

    #[test]
    fn signed_levels_put_zero_in_the_middle() {
        let g = Grid {
            width: 3,
            height: 1,
            cells: vec![-2.0, 0.0, 1.0],
        };
        assert_eq!(signed_levels(&g).levels, vec![1, 128, 192]);
    }
}
