//! The heatmap engine against known densities: mass lands where the points are.

use sightline::heatmap::{Normalisation, point_density};
use sightline::sample::rng::Rng;

/// Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), enough for a truth to 1e-6.
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - t * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
            * (-x * x).exp();
    if x >= 0.0 { y } else { -y }
}

/// A standard normal draw (Box–Muller), since the sample generator's is only roughly normal.
fn gaussian(rng: &mut Rng) -> f64 {
    let (u1, u2) = (rng.unit().max(1e-300), rng.unit());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn normal_cdf(x: f64, mean: f64, sd: f64) -> f64 {
    0.5 * (1.0 + erf((x - mean) / (sd * std::f64::consts::SQRT_2)))
}

/// Overlap of `[a0, a1)` and `[b0, b1)`.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

#[test]
fn mass_in_every_region_is_within_one_percent_of_the_truth() {
    // A page 720 × 2000 CSS px drawn on a 2× screenshot (1440 × 4000), so the page-to-image
    // scale is exercised too. The density: 40% a Gaussian blob, 25% a uniform rectangle,
    // 35% uniform over the page.
    let (page_w, page_h, scale) = (720.0f64, 2000.0f64, 2.0f32);
    let (blob_x, blob_y, blob_sd) = (180.0, 250.0, 30.0);
    let rect = (400.0, 1050.0, 650.0, 1450.0);
    let n = 4_000_000;
    let mut rng = Rng::new(11);
    let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (x, y) = match rng.weighted(&[0.40, 0.25, 0.35]) {
            0 => (
                blob_x + gaussian(&mut rng) * blob_sd,
                blob_y + gaussian(&mut rng) * blob_sd,
            ),
            1 => (rng.range(rect.0, rect.2), rng.range(rect.1, rect.3)),
            _ => (rng.range(0.0, page_w), rng.range(0.0, page_h)),
        };
        xs.push(x as f32);
        ys.push(y as f32);
    }
    let density = point_density(&xs, &ys, scale, (1440, 4000), 12.0, Normalisation::P99);
    let total = density.grid.total();
    assert_eq!(density.points + density.outside, n);
    assert!(
        (total - density.points as f64).abs() / total < 1e-4,
        "the blur keeps the mass"
    );

    // Regions: a 2 × 4 grid of tiles, 720 × 1000 image px (360 × 500 page px) each, large
    // enough that sampling noise (under 0.3% of a tile's mass) leaves the engine's error visible.
    let mut checked = 0;
    for ty in 0..4 {
        for tx in 0..2 {
            let (x0, y0) = (tx as f64 * 360.0, ty as f64 * 500.0);
            let (x1, y1) = (x0 + 360.0, y0 + 500.0);
            let blob = (normal_cdf(x1, blob_x, blob_sd) - normal_cdf(x0, blob_x, blob_sd))
                * (normal_cdf(y1, blob_y, blob_sd) - normal_cdf(y0, blob_y, blob_sd));
            let in_rect = overlap(x0, x1, rect.0, rect.2) * overlap(y0, y1, rect.1, rect.3)
                / ((rect.2 - rect.0) * (rect.3 - rect.1));
            let uniform = (x1 - x0) * (y1 - y0) / (page_w * page_h);
            let truth = 0.40 * blob + 0.25 * in_rect + 0.35 * uniform;
            let (ix, iy) = (tx * 720, ty * 1000);
            let measured = density.grid.mass_in(ix, iy, ix + 720, iy + 1000) / n as f64;
            let error = (measured - truth).abs();
            assert!(
                error <= 0.01 * truth,
                "tile ({tx}, {ty}): measured {measured:.5}, truth {truth:.5}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}

#[test]
fn hostile_points_are_left_out_not_drawn() {
    let xs = [f32::NAN, f32::INFINITY, -1.0, 1e30, 10.0];
    let ys = [1.0, 1.0, 1.0, 1.0, 10.0];
    let d = point_density(&xs, &ys, 1.0, (100, 100), 3.0, Normalisation::Max);
    assert_eq!((d.points, d.outside), (1, 4));
    assert!((d.grid.total() - 1.0).abs() < 1e-4);
}
