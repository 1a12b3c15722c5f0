//! The density grid at screenshot resolution, and binning points into it on every core.

/// A row-major grid of `f32` cells, one per screenshot pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` cells, row by row.
    pub cells: Vec<f32>,
}

impl Grid {
    /// A grid of zeros.
    pub fn zeros(width: usize, height: usize) -> Grid {
        Grid {
            width,
            height,
            cells: vec![0.0; width * height],
        }
    }

    /// The sum of the cells in the pixel rectangle `[x0, x1) × [y0, y1)` (clamped).
    pub fn mass_in(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        if x0 >= x1 || y0 >= y1 {
            return 0.0;
        }
        (y0..y1)
            .map(|y| {
                let row = &self.cells[y * self.width..(y + 1) * self.width];
                row[x0..x1].iter().map(|&v| f64::from(v)).sum::<f64>()
            })
            .sum()
    }

    /// The sum of all cells.
    pub fn total(&self) -> f64 {
        self.cells.iter().map(|&v| f64::from(v)).sum()
    }
}

/// How many threads to split grid work into.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Maps `f` over about one slice of `data` per core and returns the results in order.
pub fn par_map<T: Sync, R: Send>(data: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let per = data.len().div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = data
            .chunks(per)
            .map(|chunk| {
                let f = &f;
                s.spawn(move || f(chunk))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Maps `f` over about one share of `0..n` per core and returns the results in order.
pub fn par_ranges<R: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> R + Sync) -> Vec<R> {
    let per = n.div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n.div_ceil(per).max(1))
            .map(|i| {
                let f = &f;
                s.spawn(move || f(i * per..((i + 1) * per).min(n)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Runs `f(first_row, rows)` over bands of whole rows of `data` (row length `width`) on every
/// core.
pub fn par_rows<T: Send>(data: &mut [T], width: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if width == 0 || data.is_empty() {
        return;
    }
    let rows = data.len() / width;
    let band = rows.div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        for (i, chunk) in data.chunks_mut(band * width).enumerate() {
            let f = &f;
            s.spawn(move || f(i * band, chunk));
        }
    });
}

/// Rows per band when binning: a band of a 1440-px grid is 184 KB, so counting into it stays
/// in the core's cache.
const BAND_ROWS: usize = 32;

/// Counts points (in page CSS pixels) into a grid of `width × height` screenshot pixels.
/// `image_from_page` scales page coordinates to screenshot pixels. Returns the grid and the
/// number of points that fell outside it (or were not finite).
///
/// Random increments over a grid of tens of megabytes would miss the cache on nearly every
/// point, so binning is a radix partition: each thread sorts its share of the points by band
/// into one array of cell offsets (counted first, so the array is exactly as large as it must
/// be: in a fresh process every page touched is one the kernel has to zero), then each thread
/// counts whole bands, whose cells stay in cache. Counts are exact up to 2^24 per pixel.
pub fn bin(
    xs: &[f32],
    ys: &[f32],
    image_from_page: f32,
    width: usize,
    height: usize,
) -> (Grid, usize) {
    let n = xs.len().min(ys.len());
    let mut grid = Grid::zeros(width, height);
    if width == 0 || height == 0 {
        return (grid, n);
    }
    let bands = height.div_ceil(BAND_ROWS);
    let parts = threads().min(n.div_ceil(1 << 16)).max(1);
    let per = n.div_ceil(parts).max(1);
    let scattered: Vec<Scattered> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..parts)
            .map(|p| {
                let (from, to) = ((p * per).min(n), ((p + 1) * per).min(n));
                let (xs, ys) = (&xs[from..to], &ys[from..to]);
                s.spawn(move || scatter(xs, ys, image_from_page, (width, height), bands))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let outside = scattered.iter().map(|s| s.outside).sum();
    let band_len = BAND_ROWS * width;
    let mut chunks: Vec<(usize, &mut [f32])> =
        grid.cells.chunks_mut(band_len).enumerate().collect();
    let per_thread = chunks.len().div_ceil(threads()).max(1);
    std::thread::scope(|s| {
        while !chunks.is_empty() {
            let mine: Vec<(usize, &mut [f32])> =
                chunks.drain(..per_thread.min(chunks.len())).collect();
            let scattered = &scattered;
            s.spawn(move || {
                for (band, cells) in mine {
                    for part in scattered {
                        for &i in &part.offsets[part.starts[band]..part.starts[band + 1]] {
                            cells[i as usize] += 1.0;
                        }
                    }
                }
            });
        }
    });
    (grid, outside)
}

/// One thread's share of the points, sorted by band.
struct Scattered {
    /// Offsets of the points' cells within their band, band after band.
    offsets: Vec<u32>,
    /// Where each band's offsets start in `offsets`, and the end.
    starts: Vec<usize>,
    /// Points outside the grid or not finite.
    outside: usize,
}

/// Sorts points into band order: counts per band, then places each point's offset.
fn scatter(
    xs: &[f32],
    ys: &[f32],
    image_from_page: f32,
    (width, height): (usize, usize),
    bands: usize,
) -> Scattered {
    let (w, h) = (width as f32, height as f32);
    // The comparisons are false for NaN, so NaN counts as outside too.
    let cell = |x: f32, y: f32| {
        let (ix, iy) = (x * image_from_page, y * image_from_page);
        (ix >= 0.0 && iy >= 0.0 && ix < w && iy < h).then_some((iy as usize, ix as usize))
    };
    let mut starts = vec![0usize; bands + 1];
    for (&x, &y) in xs.iter().zip(ys) {
        if let Some((row, _)) = cell(x, y) {
            starts[row / BAND_ROWS + 1] += 1;
        }
    }
    for b in 0..bands {
        starts[b + 1] += starts[b];
    }
    let inside = starts[bands];
    let mut offsets = vec![0u32; inside];
    let mut next = starts.clone();
    for (&x, &y) in xs.iter().zip(ys) {
        if let Some((row, col)) = cell(x, y) {
            let band = row / BAND_ROWS;
            offsets[next[band]] = ((row % BAND_ROWS) * width + col) as u32;
            next[band] += 1;
        }
    }
    Scattered {
        offsets,
        starts,
        outside: xs.len().min(ys.len()) - inside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_land_in_their_pixels_and_outsiders_are_counted() {
        let xs = [0.0, 1.5, 9.9, -1.0, f32::NAN, 10.0];
        let ys = [0.0, 2.5, 4.9, 1.0, 1.0, 1.0];
        let (g, outside) = bin(&xs, &ys, 1.0, 10, 5);
        assert_eq!(outside, 3);
        assert_eq!(g.cells[0], 1.0);
        assert_eq!(g.cells[2 * 10 + 1], 1.0);
        assert_eq!(g.cells[4 * 10 + 9], 1.0);
        assert_eq!(g.total(), 3.0);
    }

    #[test]
    fn counts_past_u16_are_carried() {
        let xs = vec![3.5f32; 70_000];
        let (g, _) = bin(&xs, &xs, 1.0, 4, 4);
        assert_eq!(g.cells[3 * 4 + 3], 70_000.0);
        assert_eq!(g.total(), 70_000.0);
    }

    #[test]
    fn scale_maps_page_pixels_to_image_pixels() {
        let (g, _) = bin(&[5.0], &[5.0], 2.0, 20, 20);
        assert_eq!(g.cells[10 * 20 + 10], 1.0);
    }
}
