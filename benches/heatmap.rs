//! Heatmap engine: 10 million points to a coloured 1440 × 4000 overlay (goal ≤ 100 ms on
//! 2 cores), and recolouring a 1440 × 1000 visible region with a new palette (goal ≤ 2 ms).

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use sightline::heatmap::{ColorMap, Normalisation, Palette, colormap, point_density};
use sightline::sample::bench;

const W: usize = 1440;
const H: usize = 4000;

fn heatmap(c: &mut Criterion) {
    let (xs, ys) = bench::heatmap_points(10_000_000, W, H);
    let mut group = c.benchmark_group("heatmap");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("overlay_10M_points_1440x4000", |b| {
        b.iter(|| {
            let d = point_density(&xs, &ys, 1.0, (W, H), 12.0, Normalisation::P99);
            d.colorize(&Palette::new(ColorMap::Viridis, 0.65))
        });
    });
    let density = point_density(&xs, &ys, 1.0, (W, H), 12.0, Normalisation::P99);
    group.sample_size(100);
    group.measurement_time(Duration::from_secs(5));
    let mut out = Vec::new();
    let mut flip = false;
    group.bench_function("recolour_visible_1440x1000", |b| {
        b.iter(|| {
            flip = !flip;
            let map = if flip {
                ColorMap::Inferno
            } else {
                ColorMap::Classic
            };
            let palette = Palette::new(map, 0.5).premultiplied();
            colormap::colorize_region(
                &density.levels.levels,
                W,
                (0, 1500, W, 2500),
                &palette,
                &mut out,
            );
            out.len()
        });
    });
    group.finish();
}

criterion_group!(benches, heatmap);
criterion_main!(benches);
