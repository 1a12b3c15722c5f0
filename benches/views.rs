//! Frame cost of the workbench's big views, drawn headless through egui_kittest: the access log
//! with 100,000 entries must stay smooth (a frame well under 16 ms on 2 cores).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use sightline::access::LogEntry;
use sightline::ui::access_log::{AccessLogState, access_log_ui};

fn entries(n: usize) -> Vec<LogEntry> {
    let actions = [
        "login",
        "view-access-log",
        "import",
        "list-sessions",
        "replay-session",
        "lock",
    ];
    (0..n)
        .map(|i| LogEntry {
            seq: i as u64 + 1,
            time_ms: 1_795_000_000_000 + i as i64 * 1_000,
            user: format!("user-{}", i % 37),
            role: "analyst".into(),
            action: actions[i % actions.len()].into(),
            object: format!("session ses_{i:016x}"),
            purpose: if i % 5 == 0 {
                "TICKET-42".into()
            } else {
                String::new()
            },
            outcome: if i % 50 == 0 {
                "denied".into()
            } else {
                "allowed".into()
            },
            prev_hash: [0; 32],
            hash: [0; 32],
        })
        .collect()
}

fn access_log(c: &mut Criterion) {
    let mut group = c.benchmark_group("access_log_view");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let state = AccessLogState::new(entries(100_000));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .build_ui_state(
            |ui, state: &mut AccessLogState| {
                let _ = access_log_ui(ui, state);
            },
            state,
        );
    harness.run_steps(2);
    group.bench_function("frame_100k_entries", |b| b.iter(|| harness.step()));
    group.bench_function("refilter_100k_entries", |b| {
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            let state = harness.state_mut();
            state.text = if flip { "ticket".into() } else { String::new() };
            state.shown()
        })
    });
    group.finish();
}

criterion_group!(benches, access_log);
criterion_main!(benches);
