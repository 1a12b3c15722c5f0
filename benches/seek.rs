//! Replay: opening a 2-hour, 500,000-event session (read, decrypt, decode, index; goal
//! ≤ 300 ms) and seeking anywhere in it (goal ≤ 16 ms p99).

#![allow(clippy::expect_used)]

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use sightline::access::Keychain;
use sightline::device::Device;
use sightline::replay::Replay;
use sightline::sample::{bench, rng::Rng};

fn seek(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let device = Device::new(tmp.path().join("state"), Keychain::unavailable("benchmark"));
    let dataset =
        bench::seek_dataset(&tmp.path().join("seek"), &device, 500_000, 2.0).expect("dataset");
    let ws = dataset
        .unlock("bench-lead", "bench-password-1", &device)
        .expect("unlock");
    let id = ws.sessions(Some(1)).expect("sessions")[0].id.clone();
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("open_500k_events", |b| {
        b.iter(|| Replay::new(ws.replay(&id, "benchmark").expect("replay").events));
    });
    let replay = Replay::new(ws.replay(&id, "benchmark").expect("replay").events);
    let mut rng = Rng::new(1);
    group.sample_size(100);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("seek_random_500k_events", |b| {
        b.iter(|| {
            let t = rng.int(0, replay.duration_ms());
            (replay.state_at(t), replay.events_between(t - 1000, t).len())
        });
    });
    group.finish();
}

criterion_group!(benches, seek);
criterion_main!(benches);
