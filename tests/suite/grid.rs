//! Warehouse grids (issue #17): the DuckDB-made fixtures in `tests/fixtures/` (made by
//! `warehouse/make_sample_grid.sh` from `grid_sample_heatmaps.csv`) import as layers with their
//! source, and every way a grid could break the dataset's rules is refused whole, by row.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use sightline::access::Workspace;
use sightline::error::Error;
use sightline::heatmap::figure::HeatmapRequest;
use sightline::heatmap::segment::Segment;
use sightline::heatmap::{Kind, RenderParams};
use sightline::ingest::{ImportInput, ImportOptions};

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A click heatmap of the fixtures' page, desktop, everyone.
fn click_request() -> HeatmapRequest {
    HeatmapRequest {
        page: "https://shop.example/checkout".into(),
        viewport: "desktop".into(),
        params: RenderParams {
            kind: Kind::Click,
            ..RenderParams::default()
        },
        segment: Segment::default(),
    }
}

/// The fixture the session 9 tests share: DuckDB's k=5, 50 px grid of the sample data.
const SAMPLE: &str = "sample_grid_k5_50px.parquet";

/// A dataset with every role and these fixtures imported as grids.
fn with_grids(names: &[&str]) -> Fixture {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    for name in names {
        ws.import_grid(&fixture(name), None).unwrap();
    }
    ws.lock().unwrap();
    fx
}

/// Imports `path` as the data engineer, expecting a refusal: nothing is stored. Returns it.
fn refused(fx: &Fixture, path: &std::path::Path) -> Error {
    let mut ws = fx.unlock(ENGINEER);
    let layers = ws.grid_layers().unwrap().len();
    let Err(err) = ws.import_grid(path, None) else {
        panic!("{} was imported", path.display());
    };
    assert_eq!(ws.grid_layers().unwrap().len(), layers, "stored: {err}");
    ws.lock().unwrap();
    err
}

fn logged(fx: &Fixture) -> Vec<(String, String, String)> {
    fx.unlock(LEAD)
        .access_log(&sightline::access::LogQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.object.contains("grid"))
        .map(|e| (e.user, e.action, e.outcome))
        .collect()
}

#[test]
fn the_duckdb_grid_imports_as_layers_with_its_recipe_and_is_logged() {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    // Stopped (the workbench locked): nothing is stored, and the log says it failed.
    let stopped = ws.import_grid_watched(&fixture(SAMPLE), None, &|_| {}, &AtomicBool::new(true));
    assert!(
        matches!(&stopped, Err(Error::Busy(why)) if why.contains("nothing was stored")),
        "{:?}",
        stopped.map(|r| r.rows)
    );
    assert!(ws.grid_layers().unwrap().is_empty());
    let read = std::cell::Cell::new(0);
    let report = ws
        .import_grid_watched(
            &fixture(SAMPLE),
            None,
            &|n| read.set(n),
            &AtomicBool::new(false),
        )
        .unwrap();
    ws.lock().unwrap();
    assert_eq!(report.rows, 38);
    // The rows read are told as the import goes, the last time when all are read.
    assert_eq!(read.get(), 38);
    assert_eq!(report.events, 754 + 18);
    // Every role that sees heatmaps sees the layers, with where they came from.
    for who in [ANALYST, UX, LEAD] {
        let layers = fx.unlock(who).grid_layers().unwrap();
        let described: Vec<String> = layers.iter().map(|l| l.describe()).collect();
        assert_eq!(
            described,
            [
                "warehouse grid, 2026-11-10…11, 754 clicks",
                "warehouse grid, 2026-11-10…11, 18 moves"
            ]
        );
        let source = &layers[0].source;
        assert_eq!(source.recipe.as_deref(), Some("warehouse/duckdb_grid.sql"));
        assert_eq!(
            source.params.as_deref(),
            Some("k=5 bin_px=50 from=2026-11-10 to=2026-11-12")
        );
        assert_eq!(
            (
                layers[0].page.as_str(),
                layers[0].viewport.as_str(),
                layers[0].bin_px
            ),
            ("https://shop.example/checkout", "desktop", 50)
        );
    }
    // The page list names the layers with their source.
    let pages = fx.unlock(ANALYST).pages().unwrap();
    let page = pages
        .iter()
        .find(|p| p.page == "https://shop.example/checkout")
        .unwrap();
    assert_eq!(
        page.grids,
        [
            "desktop click: warehouse grid, 2026-11-10…11, 754 clicks",
            "desktop move: warehouse grid, 2026-11-10…11, 18 moves"
        ]
    );
    let log = logged(&fx);
    assert!(
        log.iter().any(|(user, action, outcome)| user == "eddie"
            && action == "import"
            && outcome == "allowed"),
        "{log:?}"
    );
}

#[test]
fn a_grid_row_below_the_k_floor_refuses_the_file_by_row_and_stores_nothing() {
    // Made with k = 3; the dataset's floor is 5.
    let fx = Fixture::with_all_roles();
    let message = refused(&fx, &fixture("sample_grid.parquet")).to_string();
    assert!(
        message.contains("grid refused at row 1: the bin describes fewer than 5 sessions"),
        "{message}"
    );
    let log = logged(&fx);
    assert!(
        log.iter().any(|(_, _, outcome)| outcome == "failed"),
        "{log:?}"
    );
}

#[test]
fn a_malformed_grid_is_refused_naming_the_row() {
    let fx = Fixture::with_all_roles();
    let err = refused(&fx, &fixture("bad_row_grid.parquet"));
    assert!(matches!(err, Error::Format(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("grid refused at row 5: `sessions` must be 1 to `count`"),
        "{err}"
    );
    // Parquet cut short: refused, not a crash.
    let cut = fx.tmp.path().join("cut_grid.parquet");
    let bytes = std::fs::read(fixture(SAMPLE)).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&fx, &cut);
    assert!(err.to_string().contains("grid refused"), "{err}");
}

#[test]
fn a_grid_overlapping_a_grid_or_local_sessions_is_refused() {
    let fx = with_grids(&[SAMPLE]);
    let err = refused(&fx, &fixture(SAMPLE));
    assert!(
        err.to_string()
            .contains("on 2026-11-10 is already described by a grid imported before"),
        "{err}"
    );

    // The same clicks imported as recordings first: the grid would count them twice.
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    let report = import(
        &mut ws,
        ImportInput::File(fixture("grid_sample_sessions.jsonl")),
    );
    assert_eq!(report.heatmap_sessions, 60, "{report:?}");
    ws.lock().unwrap();
    let err = refused(&fx, &fixture(SAMPLE));
    assert!(
        err.to_string()
            .contains("is already described by local sessions"),
        "{err}"
    );
}

#[test]
fn an_analyst_cannot_import_a_grid() {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ANALYST);
    let err = ws.import_grid(&fixture(SAMPLE), None).unwrap_err();
    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
}

#[test]
fn a_grid_layer_is_drawn_for_everyone_and_for_no_segment_it_cannot_answer() {
    let fx = with_grids(&[SAMPLE]);
    let ux = fx.unlock(UX);
    let request = click_request();
    // No local session here: the grid alone is drawn, and the count says where it came from.
    let heatmap = ux.heatmap(&request).unwrap();
    let density = heatmap.density.as_ref().expect("drawn from the grid");
    assert_eq!(heatmap.grid_events, 754);
    // The canvas (no screenshot) reaches down to the grid's last bin: nothing falls off it.
    assert_eq!((density.points, density.outside), (754, 0));
    assert_eq!(heatmap.count_label(), "754 events from a warehouse grid");
    assert_eq!(
        heatmap.grid_sources,
        [
            "sample_grid_k5_50px.parquet, made by warehouse/duckdb_grid.sql (k=5 bin_px=50 from=2026-11-10 to=2026-11-12)"
        ]
    );
    // A day range keeps only its days' bins.
    let one_day = HeatmapRequest {
        segment: Segment {
            from: Some("2026-11-11".into()),
            to: Some("2026-11-11".into()),
            ..Segment::default()
        },
        ..request.clone()
    };
    let day = ux.heatmap(&one_day).unwrap();
    assert!(
        day.grid_events > 0 && day.grid_events < 754,
        "{}",
        day.grid_events
    );
    // A survey band cannot be told apart inside a grid: nothing of it is drawn.
    let banded = HeatmapRequest {
        segment: Segment {
            score: Some((4, 5)),
            ..Segment::default()
        },
        ..request
    };
    let banded = ux.heatmap(&banded).unwrap();
    assert_eq!(banded.grid_events, 0);
    assert!(banded.density.is_none());
}

/// Two people's sessions on the grid's page, a week after its days, each with a burst of
/// rage clicks: fewer than the floor of 5.
fn few_local_sessions_with_rage() -> String {
    let mut out = String::new();
    for (i, subject) in ["u-local-1", "u-local-2"].iter().enumerate() {
        out.push_str(&format!(
            "{{\"sightline\": 1, \"session\": \"local-{i}\", \"subject\": \"{subject}\", \
             \"started_at\": \"2026-11-20T10:0{i}:00Z\", \"consent\": {{\"heatmaps\": true, \"recordings\": true}}, \
             \"url\": \"https://shop.example/checkout\", \"viewport\": {{\"width\": 1440, \"height\": 900}}}}\n"
        ));
        for (t, x) in [
            (1000, 400),
            (1200, 401),
            (1400, 402),
            (1600, 400),
            (5000, 900),
        ] {
            out.push_str(&format!(
                "{{\"t\": {t}, \"kind\": \"click\", \"x\": {x}, \"y\": 300, \"target\": \"button#pay\"}}\n"
            ));
        }
    }
    out
}

#[test]
fn local_sessions_below_the_floor_say_nothing_beside_a_grid_not_even_in_a_compare() {
    let fx = with_grids(&[SAMPLE]);
    let mut ws = fx.unlock(ENGINEER);
    let report = import(
        &mut ws,
        ImportInput::Memory {
            name: "local.jsonl".into(),
            text: few_local_sessions_with_rage(),
        },
    );
    assert_eq!(report.heatmap_sessions, 2, "{report:?}");
    ws.lock().unwrap();
    let analyst = fx.unlock(ANALYST);
    let request = click_request();
    let heatmap = analyst.heatmap(&request).unwrap();
    // The grid is drawn; of the two people nothing is: no points, no markers, and not even a
    // note that their rage clicks were left out.
    assert_eq!(heatmap.density.as_ref().unwrap().points, 754);
    assert!(heatmap.markers.is_empty(), "{:?}", heatmap.markers);
    assert!(
        heatmap.markers_withheld.is_empty(),
        "{:?}",
        heatmap.markers_withheld
    );
    // Not even "fewer than 5 people": the label reads as it would with nobody local.
    assert_eq!(heatmap.count_label(), "754 events from a warehouse grid");
    assert_eq!(
        heatmap.sources(),
        [
            "warehouse grid (sample_grid_k5_50px.parquet, made by warehouse/duckdb_grid.sql \
          (k=5 bin_px=50 from=2026-11-10 to=2026-11-12))"
        ]
    );
    // Compared with a region nobody is in: the two people are not drawn on either side, so
    // they are not counted either (a refusal "differ by fewer than 5 people" would tell that
    // they exist).
    let b = Segment {
        region: Some("EU".into()),
        ..Segment::default()
    };
    let compared = analyst.heatmap_compare(&request, &b).unwrap();
    assert_eq!(compared.a.grid_events, 754);
    assert!(compared.b.density.is_none());
    assert!(compared.difference.is_none());
}

fn variant(v: &str) -> Segment {
    Segment {
        variant: Some(v.into()),
        ..Segment::default()
    }
}

#[test]
fn grid_segments_compare_per_event() {
    let fx = with_grids(&["hotspot_grid.parquet", "hotspot_grid_variant.parquet"]);
    let analyst = fx.unlock(ANALYST);
    // The segment pickers offer the grid's variants and days, with no local session.
    let values = analyst.segment_values().unwrap();
    assert_eq!(values.variants, ["A", "B"]);
    assert_eq!(values.days, ["2026-11-10", "2026-11-11"]);
    let a = HeatmapRequest {
        segment: variant("A"),
        ..click_request()
    };
    // Two values of one attribute share no session: compared, each side per event.
    let compared = analyst.heatmap_compare(&a, &variant("B")).unwrap();
    assert!(compared.per_event);
    let (ea, eb) = (compared.a.grid_events, compared.b.grid_events);
    assert!(ea > 0 && eb > 0 && ea + eb == 557, "{ea} {eb}");
    let difference = compared.difference.as_ref().expect("a difference map");
    let (da, db) = (
        compared.a.density.as_ref().unwrap(),
        compared.b.density.as_ref().unwrap(),
    );
    // Each pixel is A's share of A's events less B's share of B's.
    let at = |d: &sightline::heatmap::Density, i: usize| d.grid.cells[i];
    let busiest = (0..da.grid.cells.len())
        .max_by(|&i, &j| at(da, i).total_cmp(&at(da, j)))
        .unwrap();
    let want = at(da, busiest) / ea as f32 - at(db, busiest) / eb as f32;
    let got = difference.grid.cells[busiest];
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1e-9),
        "{got} {want}"
    );
    // Everyone against variant A: every bin holds the 15 sessions of variant B besides A's
    // on each day, at least the floor of 5, so it compares too.
    let everyone = analyst
        .heatmap_compare(&click_request(), &variant("A"))
        .unwrap();
    assert_eq!(everyone.a.grid_events, 557);
    assert!(everyone.difference.is_some());
}

/// A CSV grid of the fixtures' page on 2026-11-10: `(segment_key, segment_value, x_bin,
/// count, sessions)` rows at 10 px bins.
fn csv_grid(dir: &std::path::Path, name: &str, rows: &[(&str, &str, u32, u32, u32)]) -> PathBuf {
    csv_grid_binned(dir, name, 10, rows)
}

/// [`csv_grid`] at `bin_px` px bins.
fn csv_grid_binned(
    dir: &std::path::Path,
    name: &str,
    bin_px: u32,
    rows: &[(&str, &str, u32, u32, u32)],
) -> PathBuf {
    let mut text = String::from(
        "page,viewport_width,kind,segment_key,segment_value,day,x_bin,y_bin,bin_px,count,sessions\n",
    );
    for (key, value, x, count, sessions) in rows {
        text.push_str(&format!(
            "https://shop.example/checkout,1440,click,{key},{value},2026-11-10,{x},30,{bin_px},{count},{sessions}\n"
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn grid_segments_that_differ_by_a_few_sessions_in_a_bin_are_not_compared() {
    // The attacker's plan: variant A is everyone but two people in one bin; comparing the two
    // would draw those two people's clicks alone.
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let mut ws = fx.unlock(ENGINEER);
    let everyone = csv_grid(
        dir,
        "everyone_grid.csv",
        &[("", "", 40, 30, 20), ("", "", 80, 9, 7)],
    );
    let a = csv_grid(
        dir,
        "variant_grid.csv",
        &[("variant", "A", 40, 24, 15), ("variant", "A", 80, 6, 5)],
    );
    for file in [&everyone, &a] {
        ws.import_grid(file, Some("hand-written")).unwrap();
    }
    ws.lock().unwrap();
    let analyst = fx.unlock(ANALYST);
    let Err(err) = analyst.heatmap_compare(&click_request(), &variant("A")) else {
        panic!("compared");
    };
    assert!(
        err.to_string()
            .contains("the two segments differ by fewer than 5 sessions"),
        "{err}"
    );
    // Either side alone is drawn: each bin is of 5 sessions or more.
    assert_eq!(analyst.heatmap(&click_request()).unwrap().grid_events, 39);
    drop(analyst);
    let log = logged_compares(&fx);
    assert!(log.iter().any(|o| o == "failed"), "{log:?}");
}

#[test]
fn grids_of_two_attributes_or_two_bin_sizes_are_not_compared() {
    // Region EU and variant A: 10 sessions each in the same bin, yet EU-but-not-A could be one
    // session, and no bin records it.
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let mut ws = fx.unlock(ENGINEER);
    let region = csv_grid(dir, "region_grid.csv", &[("region", "EU", 40, 30, 10)]);
    let variant_a = csv_grid(dir, "variant_grid.csv", &[("variant", "A", 40, 30, 10)]);
    // Everyone at 20 px bins the same day: no bin of it matches the variant's 10 px bins.
    let everyone = csv_grid_binned(dir, "everyone_grid.csv", 20, &[("", "", 20, 90, 40)]);
    for file in [&region, &variant_a, &everyone] {
        ws.import_grid(file, Some("hand-written")).unwrap();
    }
    ws.lock().unwrap();
    let analyst = fx.unlock(ANALYST);
    let eu = HeatmapRequest {
        segment: Segment {
            region: Some("EU".into()),
            ..Segment::default()
        },
        ..click_request()
    };
    let Err(err) = analyst.heatmap_compare(&eu, &variant("A")) else {
        panic!("two attributes compared");
    };
    assert!(
        err.to_string().contains("two different attributes"),
        "{err}"
    );
    // A cohort no grid was counted by draws no bin: the variant's grid is drawn whole.
    let cohort = HeatmapRequest {
        segment: Segment {
            cohort: Some("trial".into()),
            ..Segment::default()
        },
        ..click_request()
    };
    let compared = analyst.heatmap_compare(&cohort, &variant("A"));
    assert!(
        compared.as_ref().is_ok_and(|c| c.b.grid_events == 30),
        "{:?}",
        compared.err()
    );
    let Err(err) = analyst.heatmap_compare(&click_request(), &variant("A")) else {
        panic!("two bin sizes compared");
    };
    assert!(err.to_string().contains("bins of different sizes"), "{err}");
}

fn logged_compares(fx: &Fixture) -> Vec<String> {
    fx.unlock(LEAD)
        .access_log(&sightline::access::LogQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.object.contains(" vs ["))
        .map(|e| e.outcome)
        .collect()
}

#[test]
fn recordings_imported_after_a_grid_keep_their_replays_but_not_its_points() {
    let fx = with_grids(&[SAMPLE]);
    let mut ws = fx.unlock(ENGINEER);
    // The same clicks as recordings: the grid counts them already.
    let report = import(
        &mut ws,
        ImportInput::File(fixture("grid_sample_sessions.jsonl")),
    );
    assert_eq!(report.heatmap_sessions, 0, "{report:?}");
    assert_eq!(report.replays_stored, 60, "{report:?}");
    assert_eq!(
        report.sessions_dropped["heatmap points already in a warehouse grid"],
        60
    );
    ws.lock().unwrap();
    let heatmap = fx.unlock(ANALYST).heatmap(&click_request()).unwrap();
    assert_eq!(heatmap.density.as_ref().unwrap().points, 754);
}

#[test]
fn a_bin_an_insider_writes_below_the_floor_is_not_drawn() {
    // The attacker holds core.db's key: they add a bin of one session straight into the grid,
    // bypassing the import's checks.
    let fx = with_grids(&[SAMPLE]);
    let core = fx.raw(sightline::dataset::Tier::Core);
    core.execute(
        "INSERT INTO grid_cells (layer_id, day, x_bin, y_bin, count, sessions)
         SELECT id, '2026-11-10', 27, 39, 500, 1 FROM grid_layers WHERE kind = 'click'",
        [],
    )
    .unwrap();
    drop(core);
    let heatmap = fx.unlock(ANALYST).heatmap(&click_request()).unwrap();
    // The forged bin's 500 clicks are not among those drawn.
    assert_eq!(heatmap.grid_events, 754);
}

/// Imports one input as `ws` (no manifest, no assumed consent).
fn import(ws: &mut Workspace, input: ImportInput) -> sightline::ingest::ImportReport {
    ws.import_inputs(
        &[input],
        &ImportOptions {
            manifest: None,
            assume_consent: None,
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap()
}

fn import_recordings(fx: &Fixture, name: &str) -> sightline::ingest::ImportReport {
    let mut ws = fx.unlock(ENGINEER);
    let report = import(&mut ws, ImportInput::File(fixture(name)));
    ws.lock().unwrap();
    report
}

#[test]
fn the_duckdb_grid_draws_the_density_its_sessions_draw_as_recordings() {
    // The same 60 sessions, once as recordings and once as the grid DuckDB made of their
    // PostHog export (1 px bins, k = 5: every click is on a button every session pressed).
    let recordings = Fixture::with_all_roles();
    let report = import_recordings(&recordings, "grid_hotspot_sessions.jsonl");
    assert_eq!(report.heatmap_sessions, 60, "{report:?}");
    let local = recordings
        .unlock(ANALYST)
        .heatmap(&click_request())
        .unwrap();
    let grid = with_grids(&["hotspot_grid.parquet"]);
    let warehouse = grid.unlock(ANALYST).heatmap(&click_request()).unwrap();
    let (a, b) = (
        local.density.as_ref().expect("local density"),
        warehouse.density.as_ref().expect("grid density"),
    );
    assert_eq!((local.grid_events, warehouse.grid_events), (0, 557));
    assert_eq!((a.points, b.points), (557, 557));
    assert_eq!((a.grid.width, a.grid.height), (b.grid.width, b.grid.height));
    let peak = a.grid.cells.iter().fold(0f32, |m, &v| m.max(v));
    let worst = a
        .grid
        .cells
        .iter()
        .zip(&b.grid.cells)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(peak > 0.0);
    assert!(
        worst <= 0.01 * peak,
        "worst {worst} against a peak of {peak}"
    );
    let (mass_a, mass_b): (f64, f64) = (
        a.grid.cells.iter().map(|&v| f64::from(v)).sum(),
        b.grid.cells.iter().map(|&v| f64::from(v)).sum(),
    );
    assert!(
        (mass_a - mass_b).abs() <= 0.01 * mass_a,
        "{mass_a} {mass_b}"
    );
    assert_eq!(a.levels.levels, b.levels.levels);
}

/// `people` people's sessions on the fixtures' page on 2026-11-20, a week after the grids'
/// days, each with three clicks.
fn local_sessions(people: usize) -> String {
    let mut out = String::new();
    for i in 0..people {
        out.push_str(&format!(
            "{{\"sightline\": 1, \"session\": \"local-{i}\", \"subject\": \"u-local-{i}\", \
             \"started_at\": \"2026-11-20T10:{i:02}:00Z\", \"consent\": {{\"heatmaps\": true, \"recordings\": false}}, \
             \"url\": \"https://shop.example/checkout\", \"viewport\": {{\"width\": 1440, \"height\": 900}}}}\n"
        ));
        for (t, x) in [(1000, 300), (3000, 700), (6000, 1100)] {
            out.push_str(&format!(
                "{{\"t\": {t}, \"kind\": \"click\", \"x\": {x}, \"y\": 500}}\n"
            ));
        }
    }
    out
}

fn png_text(path: &std::path::Path) -> std::collections::HashMap<String, String> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    reader
        .info()
        .utf8_text
        .iter()
        .map(|c| (c.keyword.clone(), c.get_text().unwrap()))
        .collect()
}

#[test]
fn exports_and_the_compliance_report_name_each_figures_source() {
    let fx = with_grids(&[SAMPLE]);
    let mut ws = fx.unlock(ENGINEER);
    import(
        &mut ws,
        ImportInput::Memory {
            name: "local.jsonl".into(),
            text: local_sessions(6),
        },
    );
    ws.lock().unwrap();
    let grid_source = "warehouse grid (sample_grid_k5_50px.parquet, made by \
                       warehouse/duckdb_grid.sql (k=5 bin_px=50 from=2026-11-10 to=2026-11-12))";
    let dir = fx.tmp.path();
    // The local sessions and the grid together: the PNG names both.
    let ux = fx.unlock(UX);
    let heatmap = ux.heatmap(&click_request()).unwrap();
    let out = dir.join("both.png");
    ux.export_heatmap_with(
        &heatmap,
        &[],
        &sightline::access::heatmaps::PngTable::TopElements(5),
        &out,
    )
    .unwrap();
    let text = png_text(&out);
    assert_eq!(
        text["Source"],
        format!("local sessions (6 sessions from 6 people); {grid_source}")
    );
    let facts = sightline::export::png::ExportFacts {
        dataset: "Test dataset".into(),
        user: UX.0.into(),
        time: String::new(),
    };
    assert_eq!(
        sightline::export::png::footer_lines(&heatmap, &facts)[2],
        format!("Source: {}", text["Source"])
    );
    // The grid's days alone: the grid is the only source.
    let grid_days = HeatmapRequest {
        segment: Segment {
            from: Some("2026-11-10".into()),
            to: Some("2026-11-11".into()),
            ..Segment::default()
        },
        ..click_request()
    };
    let grid_only = ux.heatmap(&grid_days).unwrap();
    let out = dir.join("grid.png");
    ux.export_heatmap(&grid_only, &[], &out).unwrap();
    assert_eq!(png_text(&out)["Source"], grid_source);
    // A week later, only the local sessions.
    let local_days = HeatmapRequest {
        segment: Segment {
            from: Some("2026-11-20".into()),
            ..Segment::default()
        },
        ..click_request()
    };
    let local_only = ux.heatmap(&local_days).unwrap();
    let out = dir.join("local.png");
    ux.export_heatmap(&local_only, &[], &out).unwrap();
    assert_eq!(
        png_text(&out)["Source"],
        "local sessions (6 sessions from 6 people)"
    );
    drop(ux);
    // The compliance report lists the layer with its file, recipe and parameters.
    let report = dir.join("report.html");
    fx.unlock(LEAD).export_report(&report).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();
    let sources = &html[html.find("id=\"sources\"").expect("a sources section")..];
    for fact in [
        "sample_grid_k5_50px.parquet",
        "warehouse/duckdb_grid.sql",
        "k=5 bin_px=50 from=2026-11-10 to=2026-11-12",
        "2026-11-10 to 2026-11-11",
        "<td>754</td>",
    ] {
        assert!(sources.contains(fact), "{fact} missing from the report");
    }
}

#[test]
fn warehouse_grid_bins_age_out_with_the_heatmap_points() {
    let mut fx = with_grids(&[SAMPLE]);
    let day = 86_400_000;
    let nov_21_noon = sightline::clock::parse_ms("2026-11-21T12:00:00Z").unwrap();
    let clock = std::sync::Arc::new(sightline::clock::ManualClock::at(nov_21_noon));
    fx.device = fx.device.clone().with_clock(clock.clone());
    let lead = fx.unlock(LEAD);
    let mut policy = lead.retention_policy().unwrap();
    policy.points_days = 10;
    lead.set_retention_policy(&policy).unwrap();
    let bins = |receipt: sightline::compliance::Receipt| {
        receipt
            .detail
            .removed
            .iter()
            .find(|(what, _)| what == "warehouse grid bins")
            .map_or(0, |(_, n)| *n)
    };
    // Ten days before 2026-11-21 is 2026-11-11: the bins of the 10th go, the 11th's stay.
    assert!(bins(lead.purge("on demand").unwrap()) > 0);
    let layers = lead.grid_layers().unwrap();
    assert_eq!(layers[0].day_from, "2026-11-11");
    let left = lead.heatmap(&click_request()).unwrap().grid_events;
    assert!(left > 0 && left < 754, "{left}");
    assert_eq!(layers[0].events, left);
    // A day on, the rest goes, and the layers with it.
    clock.advance_ms(day);
    assert!(bins(lead.purge("on demand").unwrap()) > 0);
    assert!(lead.grid_layers().unwrap().is_empty());
    let heatmap = lead.heatmap(&click_request()).unwrap();
    assert_eq!(heatmap.grid_events, 0);
    assert!(heatmap.density.is_none());
}

#[test]
fn a_grid_layer_is_removed_only_by_a_data_engineer_and_logged() {
    let fx = with_grids(&[SAMPLE]);
    let layers = fx.unlock(ANALYST).grid_layers().unwrap();
    let click = layers.iter().find(|l| l.kind == "click").unwrap().id;
    for who in [ANALYST, UX, LEAD] {
        assert!(
            matches!(
                fx.unlock(who).remove_grid_layer(click),
                Err(Error::Denied { .. })
            ),
            "{who:?}"
        );
    }
    let mut ws = fx.unlock(ENGINEER);
    let removed = ws.remove_grid_layer(click).unwrap();
    assert_eq!(removed.events, 754);
    assert!(ws.remove_grid_layer(click).is_err(), "gone already");
    ws.lock().unwrap();
    let analyst = fx.unlock(ANALYST);
    let left: Vec<String> = analyst
        .grid_layers()
        .unwrap()
        .iter()
        .map(|l| l.kind.clone())
        .collect();
    assert_eq!(left, ["move"]);
    assert_eq!(analyst.heatmap(&click_request()).unwrap().grid_events, 0);
    drop(analyst);
    let log: Vec<(String, String)> = fx
        .unlock(LEAD)
        .access_log(&sightline::access::LogQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "remove-grid-layer")
        .map(|e| (e.user, e.outcome))
        .collect();
    for outcome in ["denied", "allowed", "failed"] {
        assert!(log.iter().any(|(_, o)| o == outcome), "{outcome}: {log:?}");
    }
}
