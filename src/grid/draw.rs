//! A layer's counts on a heatmap's pixel grid: each bin's count spread over its square in
//! image pixels, in proportion to how much of each pixel the square covers. Points spread
//! evenly inside a bin would land the same way on average, so a grid and the points it was
//! counted from give the same density once blurred; at 1 px bins on a 1× screenshot, exactly
//! the same counts.

use crate::heatmap::grid::Grid;

/// Adds `cells` (`(x_bin, y_bin, count)` of `bin_px` CSS px bins) to `grid`, page px scaled
/// by `image_from_page`. Returns the events of bins wholly outside the grid.
pub fn add_cells(
    grid: &mut Grid,
    cells: impl IntoIterator<Item = (u32, u32, u64)>,
    bin_px: u32,
    image_from_page: f32,
) -> u64 {
    let side = bin_px as f32 * image_from_page;
    let mut outside = 0u64;
    if !(side.is_finite() && side > 0.0) {
        return cells
            .into_iter()
            .fold(0u64, |sum, (_, _, n)| sum.saturating_add(n));
    }
    for (x_bin, y_bin, count) in cells {
        let xs = coverage(x_bin as f32 * side, side, grid.width);
        let ys = coverage(y_bin as f32 * side, side, grid.height);
        if xs.is_empty() || ys.is_empty() {
            outside = outside.saturating_add(count);
            continue;
        }
        let count = count as f32;
        for &(y, wy) in &ys {
            let row = &mut grid.cells[y * grid.width..(y + 1) * grid.width];
            for &(x, wx) in &xs {
                row[x] += count * wx * wy;
            }
        }
    }
    outside
}

/// The pixels `[start, start + side)` covers in `0..len`, each with the share of the span it
/// holds (shares of pixels inside add up to the part of the span inside).
fn coverage(start: f32, side: f32, len: usize) -> Vec<(usize, f32)> {
    let end = start + side;
    let first = start.floor().max(0.0) as usize;
    let last = (end.ceil() as usize).min(len);
    (first..last)
        .filter_map(|i| {
            let lo = start.max(i as f32);
            let hi = end.min(i as f32 + 1.0);
            (hi > lo).then(|| (i, (hi - lo) / side))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pixel_bins_at_scale_one_are_exact_counts() {
        let mut grid = Grid::zeros(10, 10);
        let outside = add_cells(&mut grid, [(3, 4, 7), (9, 9, 2), (10, 0, 5)], 1, 1.0);
        assert_eq!(outside, 5);
        assert_eq!(grid.cells[4 * 10 + 3], 7.0);
        assert_eq!(grid.cells[9 * 10 + 9], 2.0);
        assert_eq!(grid.cells.iter().sum::<f32>(), 9.0);
    }

    #[test]
    fn a_bin_spreads_evenly_over_its_square_and_keeps_its_count() {
        let mut grid = Grid::zeros(100, 100);
        add_cells(&mut grid, [(1, 2, 100)], 10, 1.0);
        let inside: f32 = (20..30)
            .flat_map(|y| (10..20).map(move |x| (x, y)))
            .map(|(x, y)| grid.cells[y * 100 + x])
            .sum();
        assert!((inside - 100.0).abs() < 1e-3, "{inside}");
        assert!((grid.cells[25 * 100 + 15] - 1.0).abs() < 1e-6);
        // At a fractional scale the count is still kept whole.
        let mut grid = Grid::zeros(100, 100);
        add_cells(&mut grid, [(1, 2, 100)], 10, 1.5);
        assert!((grid.cells.iter().sum::<f32>() - 100.0).abs() < 1e-3);
    }
}
