//! The heatmap view driven headless: each role opens it, picks a page, changes the segment
//! (and meets the k floor), adds, moves and nudges an annotation, compares, and exports.

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use sightline::app::SightlineApp;
use sightline::command::Command;
use sightline::heatmap::annotation::Shape;

use super::common::{ENGINEER, LEAD, UX, user_of};
use super::gui::{harness, log_in, wait_for};
use super::heatmaps::{add_sessions, dataset};

/// Runs frames until no heatmap is being computed (or wanted) and one is shown or refused.
fn settle(h: &mut Harness<'_, SightlineApp>) {
    for _ in 0..100 {
        h.step();
        let view = h.state().heatmap_view().expect("the heatmap view is open");
        if !view.computing
            && !view.needs_compute()
            && (view.loaded.is_some() || view.error.is_some())
        {
            h.run_steps(2);
            return;
        }
        h.state().wait_for_background(Duration::from_secs(60));
    }
    panic!("the heatmap did not finish");
}

pub(super) fn opened(
    fx: &super::common::Fixture,
    user: (&str, &str),
) -> Harness<'static, SightlineApp> {
    let mut h = harness(fx);
    log_in(&mut h, user);
    h.get_by_label("Heatmaps").click();
    settle(&mut h);
    h
}

/// Picks `item` in the `index`th combo box labelled `combo`.
fn choose(h: &mut Harness<'_, SightlineApp>, combo: &str, index: usize, item: &str) {
    h.get_all_by_label(combo).nth(index).unwrap().click();
    h.run_steps(2);
    h.get_all_by_label(item).last().unwrap().click();
    settle(h);
}

fn click_at(h: &mut Harness<'_, SightlineApp>, p: egui::Pos2) {
    h.hover_at(p);
    h.run_steps(1);
    h.drag_at(p);
    h.run_steps(1);
    h.drop_at(p);
    h.run_steps(2);
}

/// Picks `variant` for segment B (its combo sits where a click, not a label query, reaches).
fn choose_b_variant(h: &mut Harness<'_, SightlineApp>, variant: &str) {
    let b_variant = h
        .get_all_by_label("Variant")
        .nth(1)
        .unwrap()
        .rect()
        .center();
    click_at(h, b_variant);
    h.get_all_by_label(variant).last().unwrap().click();
    settle(h);
}

fn shapes(h: &Harness<'_, SightlineApp>) -> Vec<Shape> {
    h.state().heatmap_view().unwrap().annotations.shapes.clone()
}

#[test]
fn every_role_sees_heatmaps_and_only_annotating_roles_get_the_tools() {
    let fx = dataset(6, 0);
    for role in sightline::access::Role::ALL {
        let h = opened(&fx, user_of(role));
        assert!(
            h.query_by_label("6 sessions from 6 people (floor k = 5 people)")
                .is_some(),
            "{role}"
        );
        assert!(h.query_by_label_contains("app.test/home").is_some());
        let may = role != sightline::access::Role::DataEngineer;
        for tool in ["Pin", "Rectangle", "Export PNG…"] {
            let disabled = h.get_by_label(tool).accesskit_node().is_disabled();
            assert_eq!(!disabled, may, "{tool} for {role}");
        }
    }
}

#[test]
fn picking_a_page_from_the_searchable_list_draws_it_without_a_screenshot() {
    let fx = dataset(6, 0);
    add_sessions(&fx, "https://app.test/pricing", 7);
    let mut h = opened(&fx, UX);
    h.get_by_label("Search pages").click();
    h.run_steps(1);
    h.get_by_label("Search pages").type_text("pric");
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("app.test/home").is_none(),
        "the search filters"
    );
    h.get_by_label_contains("app.test/pricing").click();
    settle(&mut h);
    assert!(
        h.query_by_label("7 sessions from 7 people (floor k = 5 people)")
            .is_some()
    );
    let view = h.state().heatmap_view().unwrap();
    let heatmap = view.heatmap().unwrap();
    assert_eq!(heatmap.request.page, "https://app.test/pricing");
    assert!(heatmap.screenshot.is_none() && heatmap.density.is_some());
    assert_eq!(heatmap.size.0, 1440, "a plain canvas of the class's width");
    assert!(h.query_by_label("Desktop (no screenshot)").is_some());
}

#[test]
fn a_small_segment_is_refused_with_its_reason_and_a_wider_one_drawn() {
    let fx = dataset(4, 6);
    let mut h = opened(&fx, UX);
    assert!(
        h.query_by_label("10 sessions from 10 people (floor k = 5 people)")
            .is_some()
    );
    choose(&mut h, "Variant", 0, "A");
    assert!(
        h.query_by_label_contains("Not drawn: fewer than 5 people are in this segment")
            .is_some(),
        "the reason is shown"
    );
    let view = h.state().heatmap_view().unwrap();
    assert!(view.heatmap().unwrap().density.is_none());
    assert!(h.get_by_label("Export PNG…").accesskit_node().is_disabled());
    choose(&mut h, "Variant", 0, "B");
    assert!(
        h.query_by_label("6 sessions from 6 people (floor k = 5 people)")
            .is_some()
    );
    assert!(h.query_by_label_contains("Not drawn").is_none());
}

#[test]
fn annotations_are_added_moved_nudged_undone_saved_and_exported() {
    let fx = dataset(6, 0);
    let mut h = opened(&fx, UX);
    let canvas = h.get_by_label("Heatmap canvas").rect();
    let zoom = h.state().heatmap_view().unwrap().canvas.zoom;
    let p = canvas.center();
    h.get_by_label("Pin").click();
    h.run_steps(1);
    click_at(&mut h, p);
    let Shape::Pin {
        at: first,
        number: 1,
    } = shapes(&h)[0]
    else {
        panic!("a pin numbered 1: {:?}", shapes(&h));
    };
    // Move it with the select tool.
    h.get_by_label("Select").click();
    h.run_steps(1);
    let to = p + egui::vec2(60.0, 40.0);
    h.hover_at(p);
    h.run_steps(1);
    h.drag_at(p);
    h.run_steps(1);
    for i in 1..=4 {
        h.hover_at(p + (to - p) * (i as f32 / 4.0));
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
    let Shape::Pin { at: moved, .. } = shapes(&h)[0] else {
        panic!()
    };
    assert!(
        (moved[0] - first[0] - 60.0 / zoom).abs() < 2.0,
        "{first:?} -> {moved:?}"
    );
    assert!((moved[1] - first[1] - 40.0 / zoom).abs() < 2.0);
    // Nudge with the keyboard, then undo the nudge.
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(1);
    let Shape::Pin { at: nudged, .. } = shapes(&h)[0] else {
        panic!()
    };
    assert_eq!(nudged[0], moved[0] + 1.0);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(1);
    let Shape::Pin { at: undone, .. } = shapes(&h)[0] else {
        panic!()
    };
    assert_eq!(undone, moved);
    // Edits are saved once they pause: move the window's clock on past the pause.
    let now = h.ctx.input(|i| i.time);
    h.input_mut().time = Some(now + 1.0);
    h.run_steps(3);
    assert!(h.query_by_label_contains("Annotations saved").is_some());
    // Export what is on screen.
    let out = fx.tmp.path().join("gui-export.png");
    h.state_mut().run(Command::ExportHeatmapTo(out.clone()));
    // The PNG is rendered on a fork; the view says when it is written.
    wait_for(&mut h, "Exported");
    let img = image::open(&out).unwrap();
    // The screenshot's size, and a band under it listing the top elements (on by default).
    assert_eq!(img.width(), 1440);
    assert!(img.height() > 2000, "{}", img.height());
    drop(h);
    // The dataset kept the moved pin; the log has the saves and the export.
    let lead = fx.unlock(LEAD);
    let entries = lead.access_log(&Default::default()).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "annotate" && e.user == UX.0)
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "export-heatmap" && e.outcome == "allowed")
    );
    let ws = fx.unlock(UX);
    let stored = ws
        .heatmap(&sightline::access::heatmaps::HeatmapRequest {
            page: "https://app.test/home".into(),
            viewport: "desktop".into(),
            params: Default::default(),
            segment: Default::default(),
        })
        .unwrap()
        .annotations;
    assert_eq!(
        stored,
        vec![Shape::Pin {
            at: moved,
            number: 1
        }]
    );
}

#[test]
fn compare_mode_shows_both_segments_and_their_difference() {
    let fx = dataset(6, 7);
    let mut h = opened(&fx, UX);
    h.get_by_label("Compare with segment B").click();
    settle(&mut h);
    choose(&mut h, "Variant", 0, "A");
    choose_b_variant(&mut h, "B");
    assert!(h.query_by_label("B: 7 sessions from 7 people").is_some());
    // The statistics under the figures: everyone clicked Send in both segments.
    assert!(h.query_by_label("B compared with A").is_some());
    assert!(
        h.query_by_label_contains(
            "B: button#send clicked in 100.0% of sessions vs 100.0% (+0.0 pts"
        )
        .is_some()
    );
    // The PNG of a comparison: segment A's heatmap, B compared with A listed under it.
    let out = fx.tmp.path().join("compare.png");
    h.state_mut().run(Command::ExportHeatmapTo(out.clone()));
    wait_for(&mut h, "Exported");
    assert!(image::open(&out).unwrap().height() > 2000);
    h.get_by_label("Difference A − B").click();
    h.run_steps(2);
    let view = h.state().heatmap_view().unwrap();
    let diff = view
        .loaded
        .as_ref()
        .unwrap()
        .result
        .difference
        .as_ref()
        .unwrap();
    assert!(diff.grid.cells[400 * 1440 + 200] > 0.0 && diff.grid.cells[400 * 1440 + 1200] < 0.0);
    assert!(h.query_by_label("A more").is_some() && h.query_by_label("B more").is_some());
}

#[test]
fn forcing_an_export_as_a_data_engineer_is_denied_and_logged() {
    let fx = dataset(6, 0);
    let mut h = opened(&fx, ENGINEER);
    let out = fx.tmp.path().join("engineer.png");
    h.state_mut().run(Command::ExportHeatmapTo(out.clone()));
    wait_for(&mut h, "Not exported: Access denied");
    assert!(!out.exists());
    drop(h);
    let lead = fx.unlock(LEAD);
    let entries = lead.access_log(&Default::default()).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "export-heatmap" && e.outcome == "denied")
    );
}

#[test]
fn a_new_colour_map_recolours_only_the_bands_on_screen() {
    let fx = dataset(6, 0);
    add_sessions(&fx, "https://app.test/long", 6);
    let mut ws = fx.unlock(super::common::ENGINEER);
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(1440, 6000, image::Rgba([250, 250, 250, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    ws.import_screenshot_bytes("https://app.test/long", 1440, "long.png", &png)
        .unwrap();
    ws.lock().unwrap();
    let mut h = opened(&fx, UX);
    h.get_by_label_contains("app.test/long").click();
    settle(&mut h);
    let recoloured = |h: &Harness<'_, SightlineApp>| {
        h.state()
            .heatmap_view()
            .unwrap()
            .loaded
            .as_ref()
            .unwrap()
            .layers
            .recoloured
    };
    let view = h.state().heatmap_view().unwrap();
    assert_eq!(
        view.heatmap().unwrap().size,
        (1440, 6000),
        "three bands of 2048 rows"
    );
    let first = recoloured(&h);
    assert_eq!(first, 1, "only the top band is on screen");
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Colours")
        .click();
    h.run_steps(2);
    h.get_by_label("inferno").click();
    h.run_steps(3);
    assert!(
        !h.state().heatmap_view().unwrap().computing,
        "no recomputation"
    );
    assert_eq!(
        recoloured(&h),
        first + 1,
        "the visible band, and nothing else"
    );
}

#[test]
fn a_compare_that_would_single_out_a_few_people_is_refused_on_screen() {
    // Six people in variant A and one in B: everyone against variant A differs by one person.
    let fx = dataset(6, 1);
    let mut h = opened(&fx, UX);
    h.get_by_label("Compare with segment B").click();
    settle(&mut h);
    choose_b_variant(&mut h, "A");
    assert!(
        h.query_by_label_contains("Not compared: the two segments differ by fewer than 5 people")
            .is_some(),
        "the refusal and its reason are shown"
    );
    let view = h.state().heatmap_view().unwrap();
    assert!(view.loaded.is_none(), "neither segment is drawn");
}

#[test]
fn hovering_a_top_element_outlines_where_its_clicks_fall() {
    let fx = dataset(6, 0);
    let mut h = opened(&fx, UX);
    assert!(h.query_by_label("Top elements").is_some());
    let row = {
        let view = h.state().heatmap_view().unwrap();
        let table = view
            .loaded
            .as_ref()
            .unwrap()
            .result
            .elements
            .clone()
            .unwrap();
        assert_eq!(table.rows.len(), 1, "{table:?}");
        table.rows[0].clone()
    };
    assert_eq!(row.selector, "button#send");
    assert_eq!((row.sessions, row.clicks), (6, 36));
    assert!(
        h.query_by_label_contains("100.0% of sessions · 36 clicks")
            .is_some(),
        "6 of 6 sessions"
    );
    assert_eq!(h.state().heatmap_view().unwrap().hovered_element, None);
    h.get_by_label("button#send").hover();
    h.run_steps(2);
    assert_eq!(
        h.state().heatmap_view().unwrap().hovered_element,
        Some(row.bounds),
        "the outline follows the hovered row"
    );
    // Six sessions click from y = 300 + i (top) to 500 + i (bottom), i = 0…5: the box spans
    // where at least k = 5 of them reach, so no single session's click stretches it.
    assert_eq!(row.bounds, [200.0, 304.0, 200.0, 501.0]);
}
