//! Heatmap engine: 10 million points to a coloured 1440 × 4000 overlay (goal ≤ 100 ms on
//! 2 cores), recolouring a 1440 × 1000 visible region with a new palette (goal ≤ 2 ms), and
//! reading 10 million points back from point blocks (the store's part of a first heatmap;
//! `sightline bench heatmap --from-store` times the whole cold path in a fresh process), and
//! the overlay of a 100-million-click warehouse grid (goal ≤ 100 ms).

#![allow(clippy::expect_used)]

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

fn point_blocks(c: &mut Criterion) {
    use sightline::dataset::points::{self, SessionPoints, Stream, Writer};
    // A plain (unencrypted) in-memory core.db: this measures the blocks' decoding, not
    // SQLCipher's page reads.
    let conn = rusqlite::Connection::open_in_memory().expect("in-memory database");
    sightline::dataset::schema::migrate(&conn, sightline::dataset::Tier::Core).expect("schema");
    conn.execute_batch(
        "INSERT INTO pages (id, pattern) VALUES (1, '/bench');
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 10000)
         INSERT INTO heatmap_sessions (ref, day, device, viewport_width, region, variant, cohort)
         SELECT v, '2026-11-01', 'desktop', 1440, '', '', '' FROM n;",
    )
    .expect("page and sessions");
    let (xs, ys) = bench::heatmap_points(10_000_000, W, H);
    let key = (1i64, "desktop".to_string(), Stream::Click);
    let mut writer = Writer::default();
    for (session, (xs, ys)) in xs.chunks(1000).zip(ys.chunks(1000)).enumerate() {
        let list = xs.iter().zip(ys).map(|(&x, &y)| (x, y, 0)).collect();
        let points = SessionPoints::from([(key.clone(), list)]);
        writer
            .add(&conn, session as u32 + 1, points)
            .expect("points");
    }
    writer.flush(&conn).expect("points");
    let mut group = c.benchmark_group("point_blocks");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("read_10M_points", |b| {
        b.iter(|| points::read(&conn, &key).expect("read").points.len());
    });
    group.finish();
}

/// A page described only by a warehouse grid of 100 million clicks at 50 px bins over 30 days
/// (69,600 rows): its coloured overlay through the gate, from the encrypted store (goal
/// ≤ 100 ms). `sightline bench heatmap --grid` times the same in a fresh process.
fn grid_overlay(c: &mut Criterion) {
    use sightline::audit::anchor::Keychain;
    use sightline::device::Device;
    use sightline::sample::{grid_bench, store_bench};
    let tmp = tempfile::tempdir().expect("temp dir");
    let device = Device::new(tmp.path().join("state"), Keychain::unavailable("benchmark"));
    let dir = tmp.path().join("grid");
    grid_bench::build(&dir, 100_000_000, (W as u32, H as u32), 50, 30, &device).expect("grid");
    let ws = store_bench::unlock(&dir, &device).expect("unlock");
    let mut group = c.benchmark_group("grid");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("overlay_100M_clicks_50px_bins_1440x4000", |b| {
        b.iter(|| {
            store_bench::first_overlay(&ws, W as u32)
                .expect("overlay")
                .grid_events
        });
    });
    group.finish();
}

criterion_group!(benches, heatmap, point_blocks, grid_overlay);
criterion_main!(benches);
