//! The page replay: a seek that draws the masked page from scratch (parse, style, layout,
//! paint at 1440×900; goal ≤ 50 ms p99) and a playback frame that repaints a laid-out page at
//! a new scroll (goal: 30 frames a second or more).

#![allow(clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sightline::dom::seek::DomReplay;
use sightline::render::worker::{FrameRequest, draw};
use sightline::sample::page_bench;

fn page(c: &mut Criterion) {
    let track = page_bench::long_track(0.25).expect("track");
    let replay = DomReplay::new(track);
    let request = |t_ms: i64, scroll_y: f32| FrameRequest {
        t_ms,
        width: 1440,
        height: 900,
        scroll_x: 0.0,
        scroll_y,
    };
    let mut group = c.benchmark_group("page_replay");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let mut t = 0;
    group.bench_function("seek_and_draw_1440x900", |b| {
        b.iter(|| {
            t = (t + 7_919) % 900_000;
            let mut doc = None;
            draw(&replay, &mut doc, &request(t, 0.0)).expect("frame")
        });
    });
    let mut doc = None;
    draw(&replay, &mut doc, &request(60_000, 0.0)).expect("frame");
    let mut y = 0.0;
    group.bench_function("playback_frame_scrolled_1440x900", |b| {
        b.iter(|| {
            y = (y + 37.0) % 600.0;
            draw(&replay, &mut doc, &request(60_000, y)).expect("frame")
        });
    });
    group.finish();
}

criterion_group!(benches, page);
criterion_main!(benches);
