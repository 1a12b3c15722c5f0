//! Gaussian blur approximated by three box blurs per axis: the cost per pixel does not depend
//! on the radius. Edges reflect, so no mass leaves the image.

use super::grid::{Grid, par_rows};

/// The three box widths whose succession approximates a Gaussian of standard deviation `sigma`
/// (W. Jarosz, "Fast image convolutions"; the ideal width is rounded to odd sizes).
pub fn box_sizes(sigma: f32) -> [usize; 3] {
    let n = 3.0f32;
    let ideal = (12.0 * sigma * sigma / n + 1.0).sqrt();
    let mut lower = ideal.floor() as i64;
    if lower % 2 == 0 {
        lower -= 1;
    }
    let lower = lower.max(1);
    let upper = lower + 2;
    let l = lower as f32;
    let m = ((12.0 * sigma * sigma - n * l * l - 4.0 * n * l - 3.0 * n) / (-4.0 * l - 4.0)).round();
    let mut sizes = [0usize; 3];
    for (i, s) in sizes.iter_mut().enumerate() {
        *s = if (i as f32) < m { lower } else { upper } as usize;
    }
    sizes
}

/// Blurs `grid` in place with a Gaussian of standard deviation `sigma` pixels.
pub fn gaussian(grid: &mut Grid, sigma: f32) {
    if sigma < 0.5 || grid.width == 0 || grid.height == 0 {
        return;
    }
    let radii = box_sizes(sigma).map(|w| w / 2);
    let width = grid.width;
    par_rows(&mut grid.cells, width, |_, band| {
        let mut a = vec![0.0f32; width];
        for row in band.chunks_mut(width) {
            for &r in &radii {
                a.copy_from_slice(row);
                box_line(&a, row, r);
            }
        }
    });
    vertical(grid, &radii);
}

/// Mirror index for half-sample symmetric reflection.
#[inline]
fn reflect(i: isize, n: isize) -> usize {
    let j = if i < 0 {
        -i - 1
    } else if i >= n {
        2 * n - i - 1
    } else {
        i
    };
    j.clamp(0, n - 1) as usize
}

/// One box of radius `r` along a line: `out[i]` is the mean of `src[i-r..=i+r]`.
fn box_line(src: &[f32], out: &mut [f32], r: usize) {
    let n = src.len() as isize;
    let r = (r as isize).min(n - 1);
    let inv = 1.0 / (2 * r + 1) as f32;
    let mut acc: f32 = (-r..=r).map(|j| src[reflect(j, n)]).sum();
    for i in 0..n {
        out[i as usize] = acc * inv;
        acc += src[reflect(i + r + 1, n)] - src[reflect(i - r, n)];
    }
}

/// The vertical boxes. Each thread takes a band of rows and slides a whole row of running sums
/// down it, so memory is read row by row and every thread writes only its own rows.
fn vertical(grid: &mut Grid, radii: &[usize; 3]) {
    let (w, h) = (grid.width, grid.height);
    let mut src = std::mem::take(&mut grid.cells);
    let mut tmp = vec![0.0f32; w * h];
    for &r in radii {
        let from = &src;
        par_rows(&mut tmp, w, |y0, band| box_rows(from, band, w, h, y0, r));
        std::mem::swap(&mut src, &mut tmp);
    }
    grid.cells = src;
}

/// Rows `y0..` of a vertical box of radius `r` over `src` (`w × h`), written into `out`.
fn box_rows(src: &[f32], out: &mut [f32], w: usize, h: usize, y0: usize, r: usize) {
    let n = h as isize;
    let r = (r as isize).min(n - 1);
    let inv = 1.0 / (2 * r + 1) as f32;
    let row = |y: isize| {
        let at = reflect(y, n) * w;
        &src[at..at + w]
    };
    let y0 = y0 as isize;
    let mut acc = vec![0.0f32; w];
    for j in y0 - r..=y0 + r {
        for (a, v) in acc.iter_mut().zip(row(j)) {
            *a += v;
        }
    }
    for (k, dst) in out.chunks_mut(w).enumerate() {
        let y = y0 + k as isize;
        let (add, sub) = (row(y + r + 1), row(y - r));
        for i in 0..w {
            dst[i] = acc[i] * inv;
            acc[i] += add[i] - sub[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_sizes_match_the_variance_of_the_gaussian() {
        for sigma in [2.0f32, 5.0, 12.0, 30.0] {
            let var: f32 = box_sizes(sigma)
                .iter()
                .map(|&w| ((w * w) as f32 - 1.0) / 12.0)
                .sum();
            assert!((var.sqrt() - sigma).abs() / sigma < 0.1, "{sigma}: {var}");
        }
    }

    #[test]
    fn blur_keeps_mass_spreads_it_and_stays_symmetric() {
        let mut g = Grid::zeros(64, 48);
        g.cells[24 * 64 + 32] = 100.0;
        g.cells[0] = 50.0; // a corner: reflection must keep it inside
        gaussian(&mut g, 4.0);
        assert!((g.total() - 150.0).abs() < 1e-2, "{}", g.total());
        let at = |x: usize, y: usize| g.cells[y * 64 + x];
        assert!(at(32, 24) < 100.0 && at(32, 24) > 0.5);
        assert!((at(28, 24) - at(36, 24)).abs() < 1e-4);
        assert!((at(32, 20) - at(32, 28)).abs() < 1e-4);
        assert!(at(32, 24) > at(35, 24));
    }
}
