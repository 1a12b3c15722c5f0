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

/// Interleaved histograms in [`max_and_p99`]: neighbouring cells often fall in the same bin,
/// and increments of one counter in a row wait for each other; cell `i` counts into copy
/// `i % WAYS`.
const WAYS: usize = 4;

/// Low bits of an `f32` left out of its histogram bin: the bins of positive values follow
/// their order (no maximum is needed first), each 2⁻⁸ (0.4%) of its values wide.
const BIN_SHIFT: u32 = 15;

/// Bins for the non-negative `f32`s.
const BINS: usize = 1 << (31 - BIN_SHIFT);

/// Cells below this share of the largest count as empty for the percentile: the recursive
/// blur leaves traces far from any click (a box blur left exact zeros), and counting them
/// would pull the percentile down by how empty the page is.
const EMPTY_BELOW: f32 = 1e-5;

/// The largest cell and the 99th percentile of the cells that are not empty (the upper edge
/// of its bin: at most 0.4% above it), in one pass.
pub fn max_and_p99(cells: &[f32]) -> (f32, f32) {
    let partial = par_map(cells, |chunk| {
        let mut hist = vec![[0u32; WAYS]; BINS];
        let mut max = 0.0f32;
        for group in chunk.chunks(WAYS) {
            for (way, &v) in group.iter().enumerate() {
                max = max.max(v);
                // Zero (and anything not positive) counts in bin 0, which is left out.
                let bin = (v.to_bits() >> BIN_SHIFT) as usize * usize::from(v > 0.0);
                hist[bin][way] += 1;
            }
        }
        (max, hist)
    });
    let mut max = 0.0f32;
    let mut hist = vec![0u64; BINS];
    for (m, h) in partial {
        max = max.max(m);
        for (a, b) in hist.iter_mut().zip(h) {
            *a += b.iter().map(|&c| u64::from(c)).sum::<u64>();
        }
    }
    let first = ((max * EMPTY_BELOW).to_bits() >> BIN_SHIFT) as usize + 1;
    let positive: u64 = hist.iter().skip(first).sum();
    let target = (positive as f64 * 0.99).ceil() as u64;
    let mut seen = 0u64;
    for (bin, &c) in hist.iter().enumerate().skip(first) {
        seen += c;
        if seen >= target {
            let upper = f32::from_bits(((bin + 1) << BIN_SHIFT) as u32);
            return (max, upper.min(max));
        }
    }
    (max, max)
}

/// Maps every cell of `grid` to a level.
pub fn levels(grid: &Grid, normalisation: Normalisation) -> Levels {
    let (max, top) = match normalisation {
        Normalisation::P99 => max_and_p99(&grid.cells),
        Normalisation::Max | Normalisation::Log => {
            let max = par_map(&grid.cells, |c| c.iter().copied().fold(0.0f32, f32::max))
                .into_iter()
                .fold(0.0f32, f32::max);
            (max, max)
        }
    };
    let mut out = vec![0u8; grid.cells.len()];
    if top <= 0.0 {
        return Levels {
            levels: out,
            max,
            top,
        };
    }
    let scale = (STEPS - 1) as f32 / top;
    let width = grid.width;
    let cells = &grid.cells;
    if normalisation == Normalisation::Log {
        let table: Vec<u8> = (0..STEPS)
            .map(|q| {
                if q == 0 {
                    return 0;
                }
                let t = q as f32 / (STEPS - 1) as f32;
                let t = (1.0 + t * LOG_RANGE).ln() / (1.0 + LOG_RANGE).ln();
                (1.0 + t * 254.0).round().clamp(1.0, 255.0) as u8
            })
            .collect();
        // Tiny values from the blur's rounding are not drawn.
        let floor = top * 1e-6;
        par_rows(&mut out, width, |row0, band| {
            let src = &cells[row0 * width..row0 * width + band.len()];
            for (l, &v) in band.iter_mut().zip(src) {
                *l = if v > floor {
                    table[((v * scale) as usize).min(STEPS - 1)]
                } else {
                    0
                };
            }
        });
    } else {
        // Linear scales are computed rather than looked up, so the loop runs in vector
        // registers. Values below one step of the scale are not drawn.
        let inv = 1.0 / top;
        par_rows(&mut out, width, |row0, band| {
            let src = &cells[row0 * width..row0 * width + band.len()];
            for (l, &v) in band.iter_mut().zip(src) {
                let level = (1.0 + (v * inv).min(1.0) * 254.0 + 0.5) as u8;
                *l = if v * scale >= 1.0 { level } else { 0 };
            }
        });
    }
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
    let (max, top) = max_and_p99(&magnitudes);
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
    fn the_p99_is_within_its_bin_of_the_exact_one() {
        let mut state = 11u32;
        let mut cells: Vec<f32> = (0..50_000)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // A third of the cells empty, the rest spread over five decades.
                if i % 3 == 0 {
                    0.0
                } else {
                    10f32.powf((state >> 8) as f32 / 16_777_216.0 * 5.0 - 2.0)
                }
            })
            .collect();
        cells.push(1e6); // an outlier sets the maximum, not the top
        let (max, top) = max_and_p99(&cells);
        // Cells under 1e-5 of the maximum (here 10) are as good as empty.
        let mut positive: Vec<f32> = cells.iter().copied().filter(|&v| v >= 10.0).collect();
        positive.sort_by(f32::total_cmp);
        let exact = positive[(positive.len() as f64 * 0.99).ceil() as usize - 1];
        assert_eq!(max, 1e6);
        assert!(
            top >= exact && top <= exact * 1.004,
            "{top} against {exact}"
        );
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
