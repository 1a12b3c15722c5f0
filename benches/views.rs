//! Frame cost of the workbench's big views, drawn headless through egui_kittest: the access log
//! with 100,000 entries must stay smooth (a frame well under 16 ms on 2 cores), and so must the
//! session list with 100,000 sessions (goal ≤ 8 ms per frame).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use sightline::access::{LogEntry, SessionSummary};
use sightline::ui::access_log::{AccessLogState, access_log_ui};
use sightline::ui::replay::list::{ListState, list_ui};

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
            signer: format!("user-{}", i % 37),
            signature: Some(vec![0; 64]),
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
                access_log_ui(ui, state, &mut Vec::new());
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

fn sessions(n: usize) -> Vec<SessionSummary> {
    let devices = ["desktop", "tablet", "mobile"];
    let regions = ["EU-DE", "EU-FR", "US-CA", "US-NY", "UK", "IN", "BR"];
    let pages = [
        "inbox",
        "conversation",
        "pricing",
        "signup",
        "settings-privacy",
    ];
    (0..n)
        .map(|i| SessionSummary {
            id: format!("ses_{i:016x}"),
            subject: format!("p_{:016x}", i * 7919),
            started_at: format!(
                "2026-11-{:02}T{:02}:{:02}:00.000Z",
                1 + i % 28,
                i % 24,
                i % 60
            ),
            duration_ms: (i as i64 * 7_919) % 900_000,
            device: devices[i % 3].into(),
            viewport_width: [1440, 768, 390][i % 3],
            region: regions[i % regions.len()].into(),
            pages: (0..1 + i % 3)
                .map(|k| {
                    format!(
                        "https://app.parley.example/{}.html",
                        pages[(i + k) % pages.len()]
                    )
                })
                .collect(),
            clicks: (i % 40) as i64,
            rage_clicks: (i % 13 == 0) as i64,
            dead_clicks: (i % 7) as i64,
            variant: if i % 2 == 0 { "A".into() } else { "B".into() },
            survey_score: (i % 9 == 0).then_some((i % 5 + 1) as i64),
            error_clicks: Some((i % 11 == 0) as i64),
            quick_backs: Some((i % 17 == 0) as i64),
            excessive_scroll: Some(i % 19 == 0),
            frustration: Some((i * 37 % 101) as u8),
        })
        .collect()
}

fn session_list(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_list_view");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let state = ListState::new(sessions(100_000), true);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .build_ui_state(
            |ui, state: &mut ListState| {
                list_ui(ui, state, &mut Vec::new());
            },
            state,
        );
    harness.run_steps(2);
    group.bench_function("frame_100k_sessions", |b| b.iter(|| harness.step()));
    group.bench_function("refilter_100k_sessions", |b| {
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            let state = harness.state_mut();
            state.page = if flip {
                "pricing".into()
            } else {
                String::new()
            };
            state.refresh();
            state.shown()
        })
    });
    group.finish();
}

criterion_group!(benches, access_log, session_list);
criterion_main!(benches);
