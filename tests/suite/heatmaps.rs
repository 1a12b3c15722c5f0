//! Heatmaps through the gate: the k floor, segments, compare, annotations, the annotated PNG
//! export and its role rules, in the library and the CLI.

use std::sync::atomic::AtomicBool;

use sightline::access::Role;
use sightline::access::heatmaps::{Heatmap, HeatmapRequest};
use sightline::heatmap::annotation::Shape;
use sightline::heatmap::segment::Segment;
use sightline::heatmap::{Kind, RenderParams};
use sightline::ingest::{ImportInput, ImportOptions};

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX, sightline, stderr, user_of};

const PAGE: &str = "https://app.test/home";

/// A native session of `variant` clicking around `x` (CSS px) on the home page.
fn session(id: usize, variant: &str, region: &str, x: f32) -> String {
    session_on(PAGE, id, variant, region, x)
}

/// [`session`] on another page.
fn session_on(page: &str, id: usize, variant: &str, region: &str, x: f32) -> String {
    let mut out = format!(
        r#"{{"sightline": 1, "session": "s-{id}", "subject": "u-{id}", "started_at": "2026-11-{:02}T10:00:00Z", "region": "{region}", "variant": "{variant}", "consent": {{"heatmaps": true, "recordings": true}}, "url": "{page}", "viewport": {{"width": 1440, "height": 900}}}}"#,
        1 + id % 28
    );
    for i in 0..6 {
        let t = 1000 + i * 700;
        let y = 300.0 + (i as f32) * 40.0 + (id % 7) as f32;
        out.push_str(&format!(
            "\n{{\"t\": {t}, \"kind\": \"move\", \"x\": {x}, \"y\": {y}}}\n{{\"t\": {}, \"kind\": \"click\", \"x\": {x}, \"y\": {y}, \"target\": \"button#send\"}}",
            t + 200
        ));
    }
    out.push_str("\n{\"t\": 6000, \"kind\": \"scroll\", \"x\": 0, \"y\": 700}");
    out
}

/// A dataset with a 1440 × 2000 screenshot of the home page and `a` sessions of variant A
/// (clicking on the left, region EU) and `b` of variant B (on the right, region US).
pub(super) fn dataset(a: usize, b: usize) -> Fixture {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(1440, 2000, image::Rgba([250, 250, 250, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    ws.import_screenshot_bytes(PAGE, 1440, "home.png", &png)
        .unwrap();
    let text: Vec<String> = (0..a)
        .map(|i| session(i, "A", "EU", 200.0))
        .chain((0..b).map(|i| session(100 + i, "B", "US", 1200.0)))
        .collect();
    let input = ImportInput::Memory {
        name: "sessions.jsonl".into(),
        text: text.join("\n"),
    };
    let report = ws
        .import_inputs(
            &[input],
            &ImportOptions::default(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(report.heatmap_sessions, a + b, "{report:?}");
    ws.lock().unwrap();
    fx
}

/// Imports `n` more sessions on `page` (no screenshot), as the data engineer.
pub(super) fn add_sessions(fx: &Fixture, page: &str, n: usize) {
    let mut ws = fx.unlock(ENGINEER);
    let text: Vec<String> = (0..n)
        .map(|i| session_on(page, 500 + i, "A", "EU", 300.0))
        .collect();
    let input = ImportInput::Memory {
        name: "more.jsonl".into(),
        text: text.join("\n"),
    };
    ws.import_inputs(
        &[input],
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
}

fn request(segment: Segment) -> HeatmapRequest {
    HeatmapRequest {
        page: PAGE.into(),
        viewport: "desktop".into(),
        params: RenderParams::default(),
        segment,
    }
}

fn variant(v: &str) -> Segment {
    Segment {
        variant: Some(v.into()),
        ..Segment::default()
    }
}

#[test]
fn a_segment_below_the_k_floor_is_not_drawn_and_a_wider_one_is() {
    let fx = dataset(4, 6);
    let ws = fx.unlock(ANALYST);
    let small = ws.heatmap(&request(variant("A"))).unwrap();
    // Under the floor there is no count at all, only the floor.
    assert_eq!((small.sessions, small.subjects, small.k), (0, 0, 5));
    assert!(small.below_floor);
    assert!(small.density.is_none());
    assert!(small.markers.is_empty() && small.top_areas.is_empty());
    let why = small.withheld.as_deref().unwrap();
    assert!(
        why.contains("fewer than 5 people") && !why.contains('4'),
        "{why}"
    );
    let wide = ws.heatmap(&request(Segment::default())).unwrap();
    assert_eq!(wide.sessions, 10);
    let density = wide.density.as_ref().unwrap();
    assert_eq!(wide.size, (1440, 2000));
    assert_eq!(density.points, 60);
    assert!(wide.withheld.is_none());
    // The heaviest areas are where the points are.
    assert!(
        wide.top_areas.iter().all(|a| a.x == 200 || a.x == 1200),
        "{:?}",
        wide.top_areas
    );
    // The log names the page and the segment of each view.
    ws.lock().unwrap();
    let lead = fx.unlock(LEAD);
    let entries = lead.access_log(&Default::default()).unwrap();
    let views: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "view-heatmap")
        .collect();
    assert!(
        views.iter().any(|e| e.object.contains("variant A")),
        "{views:?}"
    );
    assert!(views.iter().any(|e| e.object.contains("all sessions")));
}

#[test]
fn segments_filter_by_variant_region_and_dates() {
    let fx = dataset(6, 7);
    let ws = fx.unlock(UX);
    let b = ws.heatmap(&request(variant("B"))).unwrap();
    assert_eq!(b.sessions, 7);
    let grid = &b.density.as_ref().unwrap().grid;
    assert!(grid.mass_in(1100, 0, 1300, 2000) > 0.99 * grid.total());
    let us = ws
        .heatmap(&request(Segment {
            region: Some("US".into()),
            ..Segment::default()
        }))
        .unwrap();
    assert_eq!(us.sessions, 7);
    let none = ws
        .heatmap(&request(Segment {
            from: Some("2027-01-01".into()),
            ..Segment::default()
        }))
        .unwrap();
    assert_eq!(none.sessions, 0);
    assert!(none.density.is_none());
    let values = ws.segment_values().unwrap();
    assert_eq!(values.variants, vec!["A".to_owned(), "B".to_owned()]);
    assert_eq!(values.regions, vec!["EU".to_owned(), "US".to_owned()]);
}

#[test]
fn the_difference_map_is_positive_where_a_clicks_more() {
    let fx = dataset(6, 6);
    let ws = fx.unlock(ANALYST);
    let cmp = ws
        .heatmap_compare(&request(variant("A")), &variant("B"))
        .unwrap();
    let diff = cmp.difference.as_ref().unwrap();
    let at = |x: usize, y: usize| diff.grid.cells[y * diff.grid.width + x];
    assert!(at(200, 400) > 0.0, "A's area is positive");
    assert!(at(1200, 400) < 0.0, "B's area is negative");
    assert!(diff.levels.levels[400 * 1440 + 200] > 128);
    assert!(diff.levels.levels[400 * 1440 + 1200] < 128);
    assert_eq!(
        diff.levels.levels[1900 * 1440 + 700],
        128,
        "no difference is the middle"
    );
    // Below the floor on one side: no difference is drawn.
    let fx = dataset(6, 3);
    let ws = fx.unlock(ANALYST);
    let cmp = ws
        .heatmap_compare(&request(variant("A")), &variant("B"))
        .unwrap();
    assert!(cmp.difference.is_none() && cmp.b.withheld.is_some());
}

#[test]
fn depth_kinds_draw_reach_and_attention() {
    let fx = dataset(6, 0);
    let ws = fx.unlock(ANALYST);
    let mut req = request(Segment::default());
    req.params.kind = Kind::Scroll;
    let scroll = ws.heatmap(&req).unwrap();
    let d = scroll.density.as_ref().unwrap();
    // Everyone saw the top of the page; the viewport's bottom reached 900 + 700 px at most.
    assert_eq!(d.grid.cells[10 * 1440], 1.0);
    assert_eq!(d.grid.cells[1700 * 1440], 0.0);
    assert_eq!(scroll.fold_px, Some(900.0));
    assert!(!scroll.depth_curve.is_empty());
    req.params.kind = Kind::Attention;
    let attention = ws.heatmap(&req).unwrap();
    assert!(attention.density.is_some());
}

fn export(
    fx: &Fixture,
    role: Role,
    shapes: &[Shape],
) -> (Heatmap, sightline::error::Result<usize>, std::path::PathBuf) {
    let ws = fx.unlock(user_of(role));
    let heatmap = ws.heatmap(&request(Segment::default())).unwrap();
    let out = fx.tmp.path().join(format!("{}.png", role.as_str()));
    let result = ws.export_heatmap(&heatmap, shapes, &out);
    ws.lock().unwrap();
    (heatmap, result, out)
}

#[test]
fn the_exported_png_has_the_screenshot_size_text_chunks_and_footer() {
    let fx = dataset(8, 0);
    let shapes = vec![
        Shape::Rect {
            from: [100.0, 100.0],
            to: [400.0, 300.0],
        },
        Shape::Pin {
            at: [700.0, 700.0],
            number: 1,
        },
        Shape::Note {
            at: [800.0, 900.0],
            text: "Nobody finds the button".into(),
        },
    ];
    let (_, result, out) = export(&fx, Role::UxLiaison, &shapes);
    assert!(result.unwrap() > 0);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (1440, 2000));
    let text: std::collections::HashMap<String, String> = info
        .utf8_text
        .iter()
        .map(|c| (c.keyword.clone(), c.get_text().unwrap()))
        .collect();
    assert_eq!(text["Page"], "https://app.test/home");
    assert_eq!(text["Viewport"], "desktop");
    assert_eq!(text["Sessions"], "8 sessions from 8 people");
    assert_eq!(text["Author"], UX.0);
    assert_eq!(text["Dataset"], "Test dataset");
    assert!(
        text["Render parameters"].contains("\"sigma_px\":12"),
        "{}",
        text["Render parameters"]
    );
    assert!(text["Render parameters"].contains("viridis"));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    let px = |x: usize, y: usize| &buf[(y * 1440 + x) * 4..(y * 1440 + x) * 4 + 4];
    // The footer band is dark over the plain screenshot; the page above it is not.
    assert!(px(700, 1995)[0] < 60, "{:?}", px(700, 1995));
    assert!(px(700, 1500)[0] > 200);
    // The rectangle's outline and the pin are drawn.
    assert!(px(250, 100)[1] < 100, "{:?}", px(250, 100));
    assert!(px(700, 709)[1] < 100, "{:?}", px(700, 709));
    // The heatmap is over the clicks.
    assert_ne!(px(200, 320), &[250, 250, 250, 255]);
}

#[test]
fn export_follows_the_role_matrix_and_is_logged() {
    let fx = dataset(6, 0);
    for role in [Role::UxLiaison, Role::Analyst, Role::ComplianceLead] {
        let (_, result, out) = export(&fx, role, &[]);
        assert!(result.is_ok(), "{role:?}");
        assert!(out.exists());
    }
    let (_, result, out) = export(&fx, Role::DataEngineer, &[]);
    assert!(matches!(
        result,
        Err(sightline::error::Error::Denied { .. })
    ));
    assert!(!out.exists());
    let lead = fx.unlock(LEAD);
    let entries = lead.access_log(&Default::default()).unwrap();
    let exports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "export-heatmap")
        .collect();
    assert_eq!(exports.len(), 4);
    assert_eq!(exports.iter().filter(|e| e.outcome == "denied").count(), 1);
    assert!(
        exports
            .iter()
            .all(|e| e.object.contains("https://app.test/home"))
    );
}

#[test]
fn annotations_are_saved_per_page_and_viewport_and_engineers_cannot_save() {
    let fx = dataset(6, 0);
    let shapes = vec![Shape::Arrow {
        from: [10.0, 10.0],
        to: [200.0, 300.0],
    }];
    let ws = fx.unlock(UX);
    ws.save_annotations(PAGE, "desktop", &shapes).unwrap();
    ws.lock().unwrap();
    let ws = fx.unlock(ANALYST);
    assert_eq!(
        ws.heatmap(&request(Segment::default()))
            .unwrap()
            .annotations,
        shapes
    );
    let mut mobile = request(Segment::default());
    mobile.viewport = "mobile".into();
    assert!(ws.heatmap(&mobile).unwrap().annotations.is_empty());
    ws.lock().unwrap();
    let ws = fx.unlock(ENGINEER);
    assert!(matches!(
        ws.save_annotations(PAGE, "desktop", &[]),
        Err(sightline::error::Error::Denied { .. })
    ));
}

#[test]
fn the_cli_refuses_small_segments_and_engineers_and_writes_pngs() {
    let fx = dataset(6, 3);
    let state = fx.tmp.path().join("cli-state");
    let path = fx.path.to_str().unwrap();
    let out = fx.tmp.path().join("cli.png");
    let run = |user: (&str, &str), extra: &[&str]| {
        let mut args = vec![
            "heatmap",
            path,
            "--as",
            user.0,
            "--page",
            "app.test/home",
            "--viewport",
            "desktop",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sightline(&state, &args, &[("SIGHTLINE_PASSWORD", user.1)])
    };
    let small = run(ANALYST, &["--variant", "B"]);
    assert_eq!(small.status.code(), Some(1));
    assert!(
        stderr(&small).contains("fewer than 5 people"),
        "{}",
        stderr(&small)
    );
    assert!(!out.exists());
    let denied = run(ENGINEER, &[]);
    assert_eq!(denied.status.code(), Some(4));
    assert!(!out.exists());
    let ok = run(
        UX,
        &["--variant", "A", "--colormap", "inferno", "--kind", "move"],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (1440, 2000));
    let bad = run(UX, &["--score", "high"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--score"));
}

#[test]
fn an_erasure_shows_in_the_next_heatmap_of_the_same_sitting() {
    let fx = dataset(6, 0);
    let ws = fx.unlock(LEAD);
    // Drawn once: the page's points are now cached for this sitting.
    assert_eq!(
        ws.heatmap(&request(Segment::default())).unwrap().sessions,
        6
    );
    ws.erase_subject("u-0").unwrap();
    let after = ws.heatmap(&request(Segment::default())).unwrap();
    assert_eq!(
        after.sessions, 5,
        "the erased subject's session is gone at once"
    );
    assert_eq!(after.density.unwrap().points, 30, "six clicks each");
}

/// One native session: its id, its subject, its day of November, and its clicks (t, x).
type Visit<'a> = (&'a str, &'a str, u32, &'a [(i64, f32)]);

/// Imports native sessions on the home page.
fn import_people(fx: &Fixture, sessions: &[Visit<'_>]) {
    let text: Vec<String> = sessions
        .iter()
        .map(|(id, subject, day, clicks)| {
            let mut s = format!(
                r#"{{"sightline": 1, "session": "{id}", "subject": "{subject}", "started_at": "2026-11-{day:02}T10:00:00Z", "region": "EU", "variant": "A", "consent": {{"heatmaps": true, "recordings": true}}, "url": "{PAGE}", "viewport": {{"width": 1440, "height": 900}}}}"#
            );
            for (t, x) in *clicks {
                s.push_str(&format!(
                    "\n{{\"t\": {t}, \"kind\": \"click\", \"x\": {x}, \"y\": 400}}"
                ));
            }
            s
        })
        .collect();
    let mut ws = fx.unlock(ENGINEER);
    ws.import_inputs(
        &[ImportInput::Memory {
            name: "people.jsonl".into(),
            text: text.join("\n"),
        }],
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
}

fn days(from: u32, to: u32) -> Segment {
    Segment {
        from: Some(format!("2026-11-{from:02}")),
        to: Some(format!("2026-11-{to:02}")),
        ..Segment::default()
    }
}

#[test]
fn one_person_with_many_sessions_is_one_person_under_the_floor() {
    let fx = Fixture::with_all_roles();
    // Eight sessions, all of one person: eight sessions, but one person.
    let clicks: &[(i64, f32)] = &[(1000, 300.0), (5000, 500.0)];
    let ids: Vec<String> = (0..8).map(|i| format!("same-{i}")).collect();
    let sessions: Vec<Visit<'_>> = ids
        .iter()
        .map(|id| (id.as_str(), "Jane@Example.org", 3, clicks))
        .collect();
    import_people(&fx, &sessions);
    let ws = fx.unlock(UX);
    let h = ws.heatmap(&request(Segment::default())).unwrap();
    assert!(h.below_floor && h.density.is_none(), "{}", h.count_label());
    assert_eq!(h.count_label(), "fewer than 5 people");
    let pages = ws.pages().unwrap();
    assert_eq!(pages[0].sessions_label(), "fewer than 5 people");
}

#[test]
fn the_differencing_attack_on_compare_is_refused_and_logged() {
    // The attacker's steps: six people visit on days 1–6; compare days 1–6 with days 1–5,
    // both above the floor, hoping the difference shows the day-6 person alone.
    let fx = Fixture::with_all_roles();
    let clicks: &[(i64, f32)] = &[(1000, 300.0), (5000, 500.0)];
    let people: Vec<(String, String)> = (1..=6)
        .map(|d| (format!("visit-{d}"), format!("person-{d}@example.org")))
        .collect();
    let sessions: Vec<Visit<'_>> = people
        .iter()
        .enumerate()
        .map(|(i, (id, who))| (id.as_str(), who.as_str(), i as u32 + 1, clicks))
        .collect();
    import_people(&fx, &sessions);
    let ws = fx.unlock(ANALYST);
    // Each side alone passes the floor…
    assert!(ws.heatmap(&request(days(1, 6))).unwrap().density.is_some());
    assert!(ws.heatmap(&request(days(1, 5))).unwrap().density.is_some());
    // …but side by side they differ by one person: refused, with the reason and no count.
    let refused = ws.heatmap_compare(&request(days(1, 6)), &days(1, 5));
    let why = match refused {
        Err(sightline::error::Error::Invalid(why)) => why,
        other => panic!("compare was not refused: {:?}", other.map(|c| c.a.sessions)),
    };
    assert!(
        why.contains("fewer than 5 people") && !why.contains('1'),
        "{why}"
    );
    // The same segment twice differs by nobody: allowed.
    assert!(
        ws.heatmap_compare(&request(days(1, 6)), &days(1, 6))
            .is_ok()
    );
    ws.lock().unwrap();
    // The refusal is in the log, as a refused heatmap view.
    let lead = fx.unlock(LEAD);
    let log = lead
        .access_log(&sightline::access::log::LogQuery::default())
        .unwrap();
    assert!(
        log.iter().any(|e| e.action == "view-heatmap"
            && e.outcome != "allowed"
            && e.object.contains(" vs ")),
        "{:?}",
        log.iter()
            .map(|e| (&e.action, &e.outcome, &e.object))
            .collect::<Vec<_>>()
    );
}

#[test]
fn rage_clicks_of_one_person_are_not_marked_even_on_a_drawn_heatmap() {
    let fx = Fixture::with_all_roles();
    let calm: &[(i64, f32)] = &[(1000, 300.0), (5000, 500.0)];
    let rage: &[(i64, f32)] = &[(1000, 700.0), (1100, 700.0), (1200, 700.0), (1300, 700.0)];
    let ids: Vec<(String, String)> = (0..6)
        .map(|i| (format!("calm-{i}"), format!("p{i}@example.org")))
        .collect();
    let mut sessions: Vec<Visit<'_>> = ids
        .iter()
        .map(|(id, who)| (id.as_str(), who.as_str(), 2, calm))
        .collect();
    sessions.push(("angry", "angry@example.org", 2, rage));
    import_people(&fx, &sessions);
    let ws = fx.unlock(UX);
    let h = ws.heatmap(&request(Segment::default())).unwrap();
    assert!(h.density.is_some());
    assert!(h.markers.iter().all(|m| !m.rage), "{:?}", h.markers);
    assert!(h.markers_withheld.contains(&"rage"));
    // Every top area holds clicks of at least k people: the angry corner is not one.
    assert!(h.top_areas.iter().all(|a| a.x != 700), "{:?}", h.top_areas);
}

#[test]
fn the_log_names_pages_by_pattern_not_by_the_url_as_typed() {
    let fx = dataset(6, 0);
    let ws = fx.unlock(UX);
    let typed = HeatmapRequest {
        page: "https://app.test/home?to=ana.canary@example.org#m5".into(),
        ..request(Segment::default())
    };
    assert!(ws.heatmap(&typed).unwrap().density.is_some());
    let unknown = HeatmapRequest {
        page: "https://app.test/u/jane.doe?t=Xk9fPqLmZrTwYb3nVcQa8sDe".into(),
        ..request(Segment::default())
    };
    assert!(ws.heatmap(&unknown).is_err());
    ws.lock().unwrap();
    let lead = fx.unlock(LEAD);
    let log = serde_json::to_string(
        &lead
            .access_log(&sightline::access::log::LogQuery::default())
            .unwrap(),
    )
    .unwrap();
    for canary in ["ana.canary", "jane.doe", "Xk9fPqLmZrTwYb3nVcQa8sDe"] {
        assert!(!log.contains(canary), "{canary} in the log");
    }
    assert!(log.contains("https://app.test/home desktop click"));
}

#[test]
fn sessions_whose_person_is_unknown_count_as_one_person_until_an_import_fills_them_in() {
    // Sessions stored before people were counted carry no bucket: together they are one
    // person (the strict side) until the next import fills their buckets in.
    let fx = dataset(6, 0);
    fx.raw_core()
        .execute("UPDATE heatmap_sessions SET subject_group = NULL", [])
        .unwrap();
    let ws = fx.unlock(UX);
    assert!(
        ws.heatmap(&request(Segment::default()))
            .unwrap()
            .below_floor
    );
    ws.lock().unwrap();
    let mut engineer = fx.unlock(ENGINEER);
    engineer
        .import_inputs(
            &[],
            &ImportOptions::default(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    engineer.lock().unwrap();
    let ws = fx.unlock(UX);
    let h = ws.heatmap(&request(Segment::default())).unwrap();
    assert_eq!((h.sessions, h.subjects), (6, 6));
}

#[test]
fn erasing_one_person_takes_their_points_out_of_the_blocks_they_share() {
    // Twelve people's clicks and moves land in shared point blocks (one batch, one page).
    let fx = dataset(6, 6);
    let stored = stored_sessions(&fx);
    assert_eq!(stored.len(), 12);
    assert!(stored.values().all(|&n| n == 12), "{stored:?}");
    let ws = fx.unlock(ANALYST);
    let before = ws.heatmap(&request(variant("B"))).unwrap();
    assert_eq!(before.density.as_ref().unwrap().points, 36);
    ws.lock().unwrap();

    let ws = fx.unlock(LEAD);
    let receipt = ws.erase_subject("u-100").unwrap();
    let removed: std::collections::HashMap<_, _> = receipt.detail.removed.iter().cloned().collect();
    // Their six clicks and six pointer moves.
    assert_eq!(removed["heatmap points"], 12);
    ws.lock().unwrap();

    // The blocks were rewritten: one session fewer, every other session's points intact.
    let after = stored_sessions(&fx);
    assert_eq!(after.len(), 11);
    assert!(after.iter().all(|(s, n)| stored.get(s) == Some(n)));

    let ws = fx.unlock(ANALYST);
    let b = ws.heatmap(&request(variant("B"))).unwrap();
    assert_eq!((b.sessions, b.subjects), (5, 5));
    assert_eq!(b.density.as_ref().unwrap().points, 30);
    let a = ws.heatmap(&request(variant("A"))).unwrap();
    assert_eq!(
        a.density.as_ref().unwrap().points,
        36,
        "everyone else stays"
    );
    let mut moves = request(Segment::default());
    moves.params.kind = Kind::Move;
    let moved = ws.heatmap(&moves).unwrap();
    assert_eq!(moved.density.as_ref().unwrap().points, 66);
}

/// Points per session as the stored blocks hold them (decoded from the raw core.db), checking
/// that blocks are shared.
fn stored_sessions(fx: &Fixture) -> std::collections::BTreeMap<u32, u32> {
    let core = fx.raw_core();
    let blobs: Vec<Vec<u8>> = core
        .prepare("SELECT data FROM point_blocks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut sessions = std::collections::BTreeMap::new();
    for blob in blobs {
        let block = sightline::dataset::points::Block::decode(&blob).unwrap();
        assert!(
            block.runs.len() > 1,
            "one block per stream holds every session"
        );
        for run in block.runs {
            *sessions.entry(run.session).or_insert(0) += run.len;
        }
    }
    sessions
}

#[test]
fn a_damaged_point_block_is_left_out_and_the_analyst_is_told() {
    // Someone holding the core key cuts the clicks' block short (or a disk error does).
    let fx = dataset(6, 6);
    let core = fx.raw_core();
    let cut = core
        .execute(
            "UPDATE point_blocks SET data = substr(data, 1, 12) WHERE kind = 'click'",
            [],
        )
        .unwrap();
    assert_eq!(cut, 1);
    drop(core);
    let ws = fx.unlock(ANALYST);
    let clicks = ws.heatmap(&request(Segment::default())).unwrap();
    assert!(clicks.density.is_none(), "nothing is guessed from it");
    let notices: Vec<String> = ws.notices().into_iter().map(|n| n.text).collect();
    assert!(
        notices.iter().any(|n| n.contains("could not be read")),
        "{notices:?}"
    );
    // The moves' block is whole and still draws.
    let mut moves = request(Segment::default());
    moves.params.kind = Kind::Move;
    assert_eq!(ws.heatmap(&moves).unwrap().density.unwrap().points, 72);
}
