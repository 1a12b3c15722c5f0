//! Insights at scale: the Overview's figures for 100,000 sessions (goal ≤ 150 ms) and its frame
//! (goal ≤ 8 ms), and the element table of a page with 1,000,000 clicks (goal ≤ 50 ms). The
//! rows are made in memory as the gate hands them over; reading them from SQLCipher is timed
//! separately (docs/BENCHMARKS.md).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use sightline::insights::elements::{self, ElementVisit};
use sightline::insights::overview::{self, ElementRowIn, SessionRow, Text};
use sightline::ui::overview::{OverviewState, overview_ui};

const PAGES: [&str; 8] = [
    "app.example/inbox",
    "app.example/conversation",
    "app.example/pricing",
    "app.example/signup",
    "app.example/settings",
    "app.example/help",
    "app.example/search",
    "app.example/profile",
];

/// A cheap deterministic spread.
fn mix(i: usize, salt: usize) -> usize {
    (i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) % 1_000_003
}

fn visit(i: usize, clicks: u32) -> ElementVisit {
    ElementVisit {
        clicks,
        rage: u32::from(mix(i, 1).is_multiple_of(17)) * 3,
        dead: u32::from(mix(i, 2).is_multiple_of(5)),
        error: u32::from(mix(i, 3).is_multiple_of(41)),
        first_click_ms: (mix(i, 4) % 20_000) as i64,
        bounds: [10.0, 10.0, 60.0, 40.0],
    }
}

/// 100,000 sessions over 60 days on 8 pages (2–3 pages each), with frustrated element visits.
fn overview_rows() -> (Vec<SessionRow>, Vec<(u32, Text)>, Vec<ElementRowIn>) {
    let viewports = ["desktop", "tablet", "mobile"];
    let sessions: Vec<SessionRow> = (0..100_000usize)
        .map(|i| SessionRow {
            r: i as u32,
            day: format!("2026-{:02}-{:02}", 10 + (i % 60) / 30, 1 + i % 30).into(),
            viewport: viewports[i % 3].into(),
            frustration: Some((mix(i, 5) % 100) as u8),
            survey: (i % 9 == 0).then_some((mix(i, 6) % 5 + 1) as i64),
            subject: (mix(i, 7) % 65_536) as u32,
        })
        .collect();
    let pages: Vec<(u32, Text)> = (0..100_000usize)
        .flat_map(|i| (0..2 + i % 2).map(move |k| (i as u32, Text::from(PAGES[(i + k) % 8]))))
        .collect();
    let elements: Vec<ElementRowIn> = (0..100_000usize)
        .filter(|i| mix(*i, 8).is_multiple_of(3))
        .map(|i| {
            (
                i as u32,
                PAGES[i % 8].into(),
                viewports[i % 3].into(),
                format!("button#b{}", mix(i, 9) % 40).into(),
                visit(i, 2),
            )
        })
        .collect();
    (sessions, pages, elements)
}

fn overview_compute(c: &mut Criterion) {
    let mut group = c.benchmark_group("overview");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let (sessions, pages, elements) = overview_rows();
    group.bench_function("compute_100k_sessions", |b| {
        b.iter(|| {
            overview::overview(
                &sessions,
                &pages,
                &elements,
                ("2026-11-01", "2026-11-30"),
                5,
            )
        })
    });
    let figures = overview::overview(
        &sessions,
        &pages,
        &elements,
        ("2026-11-01", "2026-11-30"),
        5,
    );
    let state = OverviewState {
        computed: Some(Default::default()),
        figures: Some(Ok(figures)),
        may_replay: true,
        ..OverviewState::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .build_ui_state(
            |ui, state: &mut OverviewState| {
                overview_ui(ui, "Overview", &[], state, &mut Vec::new());
            },
            state,
        );
    harness.run_steps(2);
    group.bench_function("frame_100k_sessions", |b| b.iter(|| harness.step()));
    group.finish();
}

fn element_table(c: &mut Criterion) {
    let mut group = c.benchmark_group("element_table");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    // 200,000 sessions on one page, 5 clicks each on 1–3 of 60 elements: 1,000,000 clicks.
    let visits: Vec<(u32, String, ElementVisit)> = (0..200_000usize)
        .flat_map(|s| {
            let n = 1 + s % 3;
            (0..n).map(move |k| {
                let clicks = if k == 0 { 5 - (n as u32 - 1) } else { 1 };
                (
                    s as u32,
                    format!("button#e{}", mix(s, k) % 60),
                    visit(s + k, clicks),
                )
            })
        })
        .collect();
    let clicks: u64 = visits.iter().map(|v| u64::from(v.2.clicks)).sum();
    assert_eq!(clicks, 1_000_000);
    // The page's sessions as the gate hands them over: looked up once by its segment filter.
    let page = elements::PageSessions::new((0..200_000u32).map(|r| (r, r % 65_536)));
    group.bench_function("table_1m_clicks", |b| {
        b.iter(|| elements::table_of(&visits, &page, 5))
    });
    group.finish();
}

criterion_group!(benches, overview_compute, element_table);
criterion_main!(benches);
