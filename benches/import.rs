//! Import throughput, end to end: generated rrweb JSON in memory → parse, mask, consent,
//! committed storage in a fresh encrypted dataset. Goal (PRODUCT.md): ≥ 50 MB/s on 2 cores.

// A benchmark that cannot set up should stop loudly.
#![allow(clippy::expect_used)]

use std::time::Duration;

// The same allocator as the shipped binary, so the figure is the one users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sightline::access::Keychain;
use sightline::device::Device;
use sightline::sample::bench;

fn import(c: &mut Criterion) {
    let sessions = 500;
    let (inputs, bytes) = bench::inputs(sessions);
    let tmp = tempfile::tempdir().expect("temp dir");
    let device = Device::new(tmp.path().join("state"), Keychain::unavailable("benchmark"));
    let mut group = c.benchmark_group("import");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(format!("rrweb_{sessions}_sessions"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let dir = tmp.path().join(format!("run-{i}-{}", rand_suffix()));
                let dataset = bench::fresh_dataset(&dir, &device).expect("dataset");
                total += bench::timed_import(&dataset, &device, &inputs).expect("import");
                std::fs::remove_dir_all(&dir).expect("clean up");
            }
            total
        });
    });
    group.finish();
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

criterion_group!(benches, import);
criterion_main!(benches);
