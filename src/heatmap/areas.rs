//! The most clicked areas of a page: counts in square cells of the screenshot.

/// One area and its share of the points.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// Left edge (image px).
    pub x: usize,
    /// Top edge (image px).
    pub y: usize,
    /// Side length (image px).
    pub size: usize,
    /// Points in it.
    pub count: f64,
    /// Its share of all points on the grid (0–1).
    pub share: f64,
}

/// The `n` cells of `size × size` image pixels holding the most points, most first. Points are
/// in page CSS px; `image_from_page` scales them as for the heatmap.
pub fn top_areas(
    xs: &[f32],
    ys: &[f32],
    image_from_page: f32,
    (width, height): (usize, usize),
    size: usize,
    n: usize,
) -> Vec<Area> {
    let size = size.max(1);
    let (cols, rows) = (width.div_ceil(size), height.div_ceil(size));
    let (w, h) = (width as f32, height as f32);
    let points = xs.len().min(ys.len());
    let parts = crate::heatmap::grid::par_ranges(points, |range| {
        let mut cells = vec![0u32; cols * rows];
        for (&x, &y) in xs[range.clone()].iter().zip(&ys[range]) {
            let (ix, iy) = (x * image_from_page, y * image_from_page);
            if ix >= 0.0 && iy >= 0.0 && ix < w && iy < h {
                cells[(iy as usize / size) * cols + ix as usize / size] += 1;
            }
        }
        cells
    });
    let mut cells = vec![0f64; cols * rows];
    for part in parts {
        for (c, p) in cells.iter_mut().zip(part) {
            *c += f64::from(p);
        }
    }
    let total: f64 = cells.iter().sum();
    let mut ranked: Vec<(usize, f64)> = cells
        .into_iter()
        .enumerate()
        .filter(|(_, c)| *c > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(i, count)| Area {
            x: (i % cols) * size,
            y: (i / cols) * size,
            size,
            count,
            share: count / total,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_cell_comes_first() {
        let xs = [150.0, 150.5, 151.0, 10.0, -5.0];
        let ys = [150.0, 150.0, 150.0, 0.0, 0.0];
        let top = top_areas(&xs, &ys, 1.0, (200, 200), 100, 5);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].x, top[0].y), (100, 100));
        assert!((top[0].share - 0.75).abs() < 1e-9);
    }
}
