//! Frustration signals planted in sessions are found, scored by the documented formula,
//! shown in the session list, and computed for replays stored before signals existed.

use std::sync::atomic::AtomicBool;

use sightline::access::SessionSummary;
use sightline::dataset::Tier;
use sightline::ingest::{ImportInput, ImportOptions};

use super::common::{ANALYST, ENGINEER, Fixture};

/// A native session on /inbox starting at the given events (JSON lines after the header).
fn session(id: &str, subject: &str, events: &[&str]) -> String {
    let header = format!(
        r#"{{"sightline": 1, "session": "{id}", "subject": "{subject}", "started_at": "2026-11-20T10:00:00Z", "region": "EU", "consent": {{"heatmaps": true, "recordings": true}}, "url": "https://app.test/inbox", "viewport": {{"width": 1440, "height": 900}}}}"#
    );
    std::iter::once(header)
        .chain(events.iter().map(|e| (*e).to_owned()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One rage burst, one dead click, one error click and one quick back.
const PLANTED: &[&str] = &[
    r#"{"t": 1000, "kind": "click", "x": 100, "y": 100, "target": "button#send"}"#,
    r#"{"t": 1200, "kind": "click", "x": 104, "y": 100, "target": "button#send"}"#,
    r#"{"t": 1400, "kind": "click", "x": 100, "y": 106, "target": "button#send"}"#,
    r#"{"t": 1500, "kind": "scroll", "x": 0, "y": 300}"#,
    r#"{"t": 5000, "kind": "click", "x": 300, "y": 300, "target": "button#attach"}"#,
    r#"{"t": 8000, "kind": "click", "x": 500, "y": 500, "target": "button#save"}"#,
    r#"{"t": 8100, "kind": "scroll", "x": 0, "y": 600}"#,
    r#"{"t": 8500, "kind": "error"}"#,
    r#"{"t": 10000, "kind": "navigation", "url": "https://app.test/pricing"}"#,
    r#"{"t": 12000, "kind": "navigation", "url": "https://app.test/inbox"}"#,
    r#"{"t": 20000, "kind": "move", "x": 1, "y": 1}"#,
];

/// Scrolls down and up `turns` times on the page, each leg 400 px.
fn scrolling(turns: usize) -> Vec<String> {
    (0..=turns)
        .map(|i| {
            let y = if i % 2 == 0 { 800 } else { 0 };
            format!(
                r#"{{"t": {}, "kind": "scroll", "x": 0, "y": {y}}}"#,
                1000 + i * 500
            )
        })
        .collect()
}

fn import(fx: &Fixture, text: String) {
    let mut ws = fx.unlock(ENGINEER);
    ws.import_inputs(
        &[ImportInput::Memory {
            name: "sessions.jsonl".into(),
            text,
        }],
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
}

#[test]
fn planted_signals_are_found_and_scored_by_the_formula() {
    let fx = Fixture::with_all_roles();
    let calm = [
        r#"{"t": 1000, "kind": "click", "x": 10, "y": 10, "target": "button#send"}"#,
        r#"{"t": 1300, "kind": "scroll", "x": 0, "y": 200}"#,
    ];
    import(
        &fx,
        [
            session("planted", "p-1", PLANTED),
            session("calm", "p-2", &calm),
        ]
        .join("\n"),
    );
    let rows = fx.unlock(ANALYST).sessions(None).unwrap();
    assert_eq!(rows.len(), 2);
    let planted = rows
        .iter()
        .find(|r| r.rage_clicks == 1)
        .expect("the planted session");
    assert_eq!(planted.dead_clicks, 1, "button#attach");
    assert_eq!(planted.error_clicks, Some(1), "button#save");
    assert_eq!(planted.quick_backs, Some(1), "pricing for 2 s");
    assert_eq!(planted.excessive_scroll, Some(false));
    // 4 (rage burst) + 2 (dead) + 4 (error) + 3 (quick back) = 13 points: 100 × 13 / 23.
    assert_eq!(planted.frustration, Some(57));
    let calm = rows.iter().find(|r| r.rage_clicks == 0).unwrap();
    assert_eq!(calm.frustration, Some(0));
}

#[test]
fn scrolling_well_above_the_pages_median_is_excessive() {
    let fx = Fixture::with_all_roles();
    let mut text: Vec<String> = (0..5)
        .map(|i| {
            let events = scrolling(1);
            let refs: Vec<&str> = events.iter().map(String::as_str).collect();
            session(&format!("usual-{i}"), &format!("p-{i}"), &refs)
        })
        .collect();
    let restless = scrolling(6);
    let refs: Vec<&str> = restless.iter().map(String::as_str).collect();
    text.push(session("restless", "p-9", &refs));
    import(&fx, text.join("\n"));
    let rows = fx.unlock(ANALYST).sessions(None).unwrap();
    let excessive: Vec<&SessionSummary> = rows
        .iter()
        .filter(|r| r.excessive_scroll == Some(true))
        .collect();
    // Median 1 turn: the threshold is max(4, 2 × 1) = 4, and only the 6-turn session is past it.
    assert_eq!(excessive.len(), 1, "{rows:?}");
    assert_eq!(excessive[0].frustration, Some(23), "3 points: 100 × 3 / 13");
    assert!(
        rows.iter()
            .filter(|r| r.excessive_scroll == Some(false))
            .all(|r| r.frustration == Some(0))
    );
}

#[test]
fn replays_stored_before_signals_get_them_at_the_next_unlock() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("planted", "p-1", PLANTED));
    // As a dataset from the previous version: no signals stored.
    fx.raw(Tier::Recordings)
        .execute_batch(
            "UPDATE sessions SET error_clicks = NULL, quick_backs = NULL, excessive_scroll = NULL,
             frustration = NULL, page_reversals = NULL;
             DELETE FROM meta WHERE key = 'signals_computed';",
        )
        .unwrap();
    fx.raw_core()
        .execute_batch(
            "UPDATE heatmap_sessions SET rage_bursts = NULL, dead_clicks = NULL, error_clicks = NULL,
             quick_backs = NULL, excessive_scroll = NULL, frustration = NULL",
        )
        .unwrap();
    let analyst = fx.unlock(ANALYST);
    assert!(
        analyst
            .notices()
            .iter()
            .any(|n| n.text.contains("computed for 1 replays")),
        "{:?}",
        analyst.notices()
    );
    let rows = analyst.sessions(None).unwrap();
    assert_eq!(rows[0].frustration, Some(57));
    assert_eq!(rows[0].error_clicks, Some(1));
    let core_score: Option<i64> = fx
        .raw_core()
        .query_row("SELECT frustration FROM heatmap_sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(core_score, Some(57), "both tiers agree");
}

/// Eight people on /inbox: all click Send (some twice, one in a rage burst), five click Help,
/// two click a rare element.
pub(super) fn element_sessions() -> String {
    (0..8)
        .map(|i| {
            let mut events = vec![
                format!(r#"{{"t": {}, "kind": "click", "x": 100, "y": 100, "target": "button#send"}}"#, 1000 + i * 100),
                r#"{"t": 2500, "kind": "scroll", "x": 0, "y": 50}"#.to_owned(),
            ];
            if i % 2 == 0 {
                events.push(r#"{"t": 3000, "kind": "click", "x": 110, "y": 104, "target": "button#send"}"#.into());
            }
            if i == 0 {
                for t in [3200, 3400] {
                    events.push(format!(r#"{{"t": {t}, "kind": "click", "x": 108, "y": 102, "target": "button#send"}}"#));
                }
            }
            if i < 5 {
                events.push(r#"{"t": 6000, "kind": "click", "x": 900, "y": 40, "target": "a#help"}"#.into());
                events.push(r#"{"t": 6500, "kind": "error"}"#.into());
            }
            if i >= 6 {
                events.push(r#"{"t": 9000, "kind": "click", "x": 500, "y": 700, "target": "button#rare"}"#.into());
            }
            events.push(r#"{"t": 12000, "kind": "move", "x": 1, "y": 1}"#.into());
            let refs: Vec<&str> = events.iter().map(String::as_str).collect();
            session(&format!("e-{i}"), &format!("person-{i}"), &refs)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_element_table_matches_the_stored_events_and_keeps_the_floor() {
    use sightline::heatmap::segment::Segment;
    use std::collections::{HashMap, HashSet};
    let fx = Fixture::with_all_roles();
    import(&fx, element_sessions());
    // Counted directly from the stored events, as the replays hold them.
    let stored: Vec<Vec<u8>> = fx
        .raw(Tier::Recordings)
        .prepare("SELECT events FROM session_events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Per element: clicks, sessions, rage clicks and the sessions with one, dead likewise.
    type Counted = (
        u64,
        HashSet<usize>,
        u64,
        HashSet<usize>,
        u64,
        HashSet<usize>,
    );
    let mut clicks: HashMap<String, Counted> = HashMap::new();
    for (s, events) in stored.iter().enumerate() {
        let events = sightline::session::stored::decode(events).unwrap();
        for e in events.iter().filter(|e| e.is_click()) {
            let c = clicks.entry(e.target.clone().unwrap()).or_default();
            c.0 += 1;
            c.1.insert(s);
            c.2 += u64::from(e.rage);
            c.4 += u64::from(e.dead);
            if e.rage {
                c.3.insert(s);
            }
            if e.dead {
                c.5.insert(s);
            }
        }
    }
    let ux = fx.unlock(super::common::UX);
    let table = ux
        .elements("https://app.test/inbox", "desktop", &Segment::default())
        .unwrap();
    assert_eq!(table.page_sessions, 8);
    assert_eq!(table.below_floor, 1, "button#rare: 2 people, under k = 5");
    let selectors: Vec<&str> = table.rows.iter().map(|r| r.selector.as_str()).collect();
    assert_eq!(selectors, ["button#send", "a#help"], "most clicked first");
    for row in &table.rows {
        let (n, sessions, rage, raged, dead, deadened) = &clicks[&row.selector];
        // Each session here is its own person: a count from fewer than k = 5 is withheld.
        let floored = |count: u64, who: &HashSet<usize>| (who.len() >= 5).then_some(count);
        assert_eq!(row.clicks, *n, "{}", row.selector);
        assert_eq!(row.sessions, sessions.len() as u64, "{}", row.selector);
        assert_eq!(row.rage, floored(*rage, raged), "{}", row.selector);
        assert_eq!(row.dead, floored(*dead, deadened), "{}", row.selector);
        assert!((row.share - sessions.len() as f64 / 8.0).abs() < 1e-9);
    }
    let help = &table.rows[1];
    assert_eq!(
        help.error,
        Some(5),
        "each Help click was followed by an error"
    );
    assert_eq!(help.median_first_click_ms, 6000);
    assert_eq!(help.bounds, [900.0, 40.0, 900.0, 40.0]);
    let send = &table.rows[0];
    assert_eq!(send.clicks, 8 + 4 + 2);
    assert_eq!(
        send.rage, None,
        "one burst of three, by one person: withheld"
    );
    assert_eq!(
        send.median_first_click_ms, 1350,
        "1000…1700 ms: the middle two's mean"
    );
    // A segment of fewer than k people shows no element at all.
    let few = Segment {
        to: Some("2026-11-19".into()),
        ..Segment::default()
    };
    assert!(
        ux.elements("https://app.test/inbox", "desktop", &few)
            .unwrap()
            .rows
            .is_empty()
    );
    // Every read is logged.
    let logged = fx
        .unlock(super::common::LEAD)
        .access_log(&sightline::access::LogQuery {
            action: Some("view-elements".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().all(|e| e.user == super::common::UX.0));
}

/// 20 people of variant A (5 click Help) and 20 of variant B (15 click Help); all click Send.
fn ab_sessions() -> String {
    (0..40)
        .map(|i| {
            let variant = if i < 20 { "A" } else { "B" };
            let helps = if i < 20 { i < 5 } else { i < 35 };
            let mut text = format!(
                r#"{{"sightline": 1, "session": "ab-{i}", "subject": "ab-person-{i}", "started_at": "2026-11-20T10:00:00Z", "region": "EU", "variant": "{variant}", "consent": {{"heatmaps": true, "recordings": true}}, "url": "https://app.test/inbox", "viewport": {{"width": 1440, "height": 900}}}}
{{"t": 1000, "kind": "click", "x": 100, "y": 100, "target": "button#send"}}
{{"t": 1200, "kind": "scroll", "x": 0, "y": 100}}"#
            );
            if helps {
                text.push_str("\n{\"t\": 3000, \"kind\": \"click\", \"x\": 900, \"y\": 40, \"target\": \"a#help\"}\n{\"t\": 3100, \"kind\": \"scroll\", \"x\": 0, \"y\": 200}");
            }
            text
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn compared_segments_get_two_proportion_tests_and_a_few_people_are_not_singled_out() {
    use sightline::heatmap::segment::Segment;
    use sightline::insights::compare::two_proportions;
    let fx = Fixture::with_all_roles();
    import(&fx, ab_sessions());
    let variant = |v: &str| Segment {
        variant: Some(v.into()),
        ..Segment::default()
    };
    let ux = fx.unlock(super::common::UX);
    let c = ux
        .compare_segments(
            "https://app.test/inbox",
            "desktop",
            &variant("A"),
            &variant("B"),
        )
        .unwrap();
    let help = c.elements.iter().find(|e| e.selector == "a#help").unwrap();
    let expected = two_proportions((5, 20), (15, 20));
    assert_eq!((help.test.a, help.test.b), ((5, 20), (15, 20)));
    assert!((help.test.p - expected.p).abs() < 1e-12);
    // Two elements compared: Help's p-value is doubled by Holm (it is the smaller one).
    assert!((help.test.p_adjusted - 2.0 * expected.p).abs() < 1e-12);
    assert!(help.test.significant());
    assert!(
        help.test
            .sentence()
            .starts_with("75.0% of sessions vs 25.0% (+50.0 pts")
    );
    let send = c
        .elements
        .iter()
        .find(|e| e.selector == "button#send")
        .unwrap();
    assert!(!send.test.significant(), "everyone clicks Send");
    // Nobody raged, clicked dead, met an error or came back quickly: no signal has k people.
    assert!(c.signals.is_empty(), "{:?}", c.signals);
    // All sessions against all but one person's: the difference would be that person.
    let all_but_one = Segment {
        to: Some("2026-11-20".into()),
        ..Segment::default()
    };
    let all = Segment::default();
    assert!(
        ux.compare_segments("https://app.test/inbox", "desktop", &all, &all_but_one)
            .is_ok()
    );
    drop(ux);
    let mut almost = ab_sessions();
    almost.push('\n');
    almost.push_str(&session("late", "late-person", PLANTED).replace("2026-11-20", "2026-11-21"));
    import(&fx, almost);
    let ux = fx.unlock(super::common::UX);
    let err = ux
        .compare_segments("https://app.test/inbox", "desktop", &all, &all_but_one)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Not compared"), "{err}");
}

#[test]
fn health_figures_time_the_import_and_the_acknowledgement_and_count_denials() {
    use sightline::clock::{ManualClock, parse_ms};
    let hour = 3_600_000;
    let start = parse_ms("2026-11-20T10:00:00Z").unwrap();
    let mut fx = Fixture::with_all_roles();
    // Imported six hours after the sessions began.
    let clock = std::sync::Arc::new(ManualClock::at(start + 6 * hour));
    fx.device = fx.device.clone().with_clock(clock.clone());
    let calm = [r#"{"t": 1000, "kind": "click", "x": 10, "y": 10, "target": "button#send"}"#];
    import(
        &fx,
        [
            session("planted", "p-1", PLANTED),
            session("calm", "p-2", &calm),
        ]
        .join("\n"),
    );
    let lead = fx.unlock(super::common::LEAD);
    let mut ends: Vec<i64> = lead
        .sessions(None)
        .unwrap()
        .iter()
        .map(|s| parse_ms(&s.started_at).unwrap() + s.duration_ms)
        .collect();
    ends.sort_unstable();
    let health = lead.import_health("2026-11-01").unwrap();
    assert_eq!(health.days.len(), 1);
    assert_eq!((health.days[0].imports, health.days[0].sessions), (1, 2));
    let latency = health.latency.expect("two sessions timed");
    let imported = start + 6 * hour;
    // Nearest rank: the median of two is the shorter wait, the 95th percentile the longer.
    assert_eq!(latency.median_ms, imported - ends[1]);
    assert_eq!(latency.p95_ms, imported - ends[0]);
    assert_eq!(latency.within_target, 1.0);
    lead.lock().unwrap();

    // An anomaly found now and acknowledged two hours later; one denied attempt.
    fx.unlock(super::common::UX)
        .save_annotations(
            "https://app.test/inbox",
            "desktop",
            &[sightline::heatmap::annotation::Shape::Note {
                at: [1.0, 1.0],
                text: "ask Dana, +44 7700 900123".into(),
            }],
        )
        .unwrap();
    let lead = fx.unlock(super::common::LEAD);
    let leak = lead
        .anomalies()
        .unwrap()
        .into_iter()
        .find(|a| a.key.starts_with("pii:annotations"))
        .expect("the phone number in the note");
    clock.advance_ms(2 * hour);
    lead.acknowledge_anomaly(&leak.key).unwrap();
    let analyst = fx.unlock(ANALYST);
    assert!(
        analyst.compliance_health("2026-11-01").is_err(),
        "it reads the access log"
    );
    drop(analyst);
    let h = lead.compliance_health("2026-11-01").unwrap();
    assert_eq!(h.median_ack_ms, Some(2 * hour));
    assert_eq!(h.acks, 1);
    assert_eq!(h.denied_by_week.iter().map(|w| w.denied).sum::<u64>(), 1);
    // The log's times never go back along the chain, so the denial carries the time of the
    // dataset's latest entry or later: its week is the Monday before that.
    let denied_at = lead
        .access_log(&sightline::access::LogQuery::default())
        .unwrap()
        .into_iter()
        .find(|e| e.outcome == "denied")
        .unwrap()
        .time_ms;
    assert_eq!(
        h.denied_by_week[0].week,
        sightline::insights::health::week_of(denied_at)
    );
    assert_eq!(h.last_verify, None);
    lead.verify().unwrap();
    let h = lead.compliance_health("2026-11-01").unwrap();
    assert_eq!(h.last_verify.map(|v| v.1), Some("allowed".to_owned()));
    // The compliance report carries the same figures.
    let out = fx.tmp.path().join("report.html");
    lead.export_report(&out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    for figure in [
        "Median time to acknowledge an anomaly: 2.0 hours over 1 acknowledged".to_owned(),
        format!(
            "Denied attempts per week: week of {}: 1",
            sightline::insights::health::week_of(denied_at)
        ),
        "100% within the 24-hour target (2 sessions)".to_owned(),
    ] {
        assert!(html.contains(&figure), "{figure}");
    }
}

#[test]
fn the_png_export_can_list_the_top_elements_under_the_image() {
    use sightline::heatmap::segment::Segment;
    let fx = super::heatmaps::dataset(6, 0);
    let ux = fx.unlock(super::common::UX);
    let request = sightline::access::heatmaps::HeatmapRequest {
        page: "https://app.test/home".into(),
        viewport: "desktop".into(),
        params: Default::default(),
        segment: Segment::default(),
    };
    let heatmap = ux.heatmap(&request).unwrap();
    let lines = ux
        .elements("https://app.test/home", "desktop", &Segment::default())
        .unwrap()
        .lines(10);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("1. button#send — 100.0% of 6 sessions, 36 clicks"),
        "{}",
        lines[0]
    );
    let (plain, listed) = (
        fx.tmp.path().join("plain.png"),
        fx.tmp.path().join("listed.png"),
    );
    ux.export_heatmap(&heatmap, &[], &plain).unwrap();
    ux.export_heatmap_with(
        &heatmap,
        &[],
        &sightline::access::heatmaps::PngTable::TopElements(10),
        &listed,
    )
    .unwrap();
    let plain = image::open(&plain).unwrap();
    let listed = image::open(&listed).unwrap();
    assert_eq!(plain.height(), 2000);
    assert!(listed.height() > plain.height(), "a band for the table");
    assert_eq!(listed.width(), plain.width());
    // The band is drawn: dark text on white, not an empty strip.
    let band = listed.to_rgba8();
    let dark = (2000..band.height())
        .flat_map(|y| (0..band.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| band.get_pixel(x, y).0[0] < 100)
        .count();
    assert!(dark > 200, "{dark} dark pixels of text");
    // The export's log entry says what the table held.
    drop(ux);
    let logged = fx
        .unlock(super::common::LEAD)
        .access_log(&sightline::access::LogQuery {
            action: Some("export-heatmap".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        logged
            .iter()
            .any(|e| e.object.contains("with the top 10 elements"))
    );
}
