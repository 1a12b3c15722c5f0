use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use sightline::app::SightlineApp;
use sightline::command::{Command, Secret};

use super::common::{ANALYST, Fixture, LEAD, UX};

pub(super) fn harness(fx: &Fixture) -> Harness<'static, SightlineApp> {
    harness_for(SightlineApp::new(fx.device.clone(), Some(fx.path.clone())))
}

fn harness_for(app: SightlineApp) -> Harness<'static, SightlineApp> {
    // Frames 1/60 s apart on the window's clock, as on a screen: playback, pauses and the idle
    // lock follow that clock, not the wall clock.
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, app: &mut SightlineApp| {
                app.logic(ui.ctx());
                app.ui(ui);
            },
            app,
        )
}

/// A window signed in as `user` with the view `label` open.
fn signed_in_at(fx: &Fixture, user: (&str, &str), label: &str) -> Harness<'static, SightlineApp> {
    let mut harness = harness(fx);
    log_in(&mut harness, user);
    harness.get_by_label(label).click();
    harness.run_steps(2);
    harness
}

/// Runs frames until the background unlock has finished.
fn settle(harness: &mut Harness<'_, SightlineApp>) {
    harness.run_steps(2);
    settle_jobs(harness);
}

/// Runs frames until no background job is left. It waits on the jobs themselves, never on a
/// clock: each round blocks until the running jobs have finished, then steps a frame to take
/// their results up (which may start the next job).
pub(super) fn settle_jobs(harness: &mut Harness<'_, SightlineApp>) {
    for _ in 0..100 {
        if !harness.state().has_background_work() {
            harness.run_steps(2);
            return;
        }
        harness.state().wait_for_background(Duration::from_secs(60));
        harness.step();
    }
    panic!("background work did not end");
}

/// Runs frames until a label containing `text` shows, letting background work finish between
/// frames.
pub(super) fn wait_for(
    h: &mut egui_kittest::Harness<'_, sightline::app::SightlineApp>,
    text: &str,
) {
    for _ in 0..100 {
        if h.query_by_label_contains(text).is_some() {
            return;
        }
        h.state().wait_for_background(Duration::from_secs(60));
        h.step();
    }
    panic!("{text:?} did not show");
}

pub(super) fn log_in(harness: &mut Harness<'_, SightlineApp>, (user, password): (&str, &str)) {
    harness.get_by_label("User name").click();
    harness.run_steps(1);
    harness.get_by_label("User name").type_text(user);
    harness.get_by_label("Password").click();
    harness.run_steps(1);
    harness.get_by_label("Password").type_text(password);
    harness.run_steps(1);
    harness.get_by_label("Unlock").click();
    settle(harness);
}

#[test]
fn the_login_screen_shows_the_selected_dataset() {
    let fx = Fixture::new();
    let mut harness = harness(&fx);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Test dataset").is_some());
    assert!(harness.query_by_label("Unlock").is_some());
}

#[test]
fn a_wrong_password_shows_the_generic_message_and_then_the_back_off() {
    let fx = Fixture::with_all_roles();
    let mut harness = harness(&fx);
    let millis = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clock = std::sync::Arc::clone(&millis);
    harness.state_mut().set_clock(std::sync::Arc::new(move || {
        clock.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
    }));
    log_in(&mut harness, (ANALYST.0, "wrong-password"));
    assert!(harness.state().workspace().is_none());
    assert!(
        harness
            .query_by_label("Wrong user name or password.")
            .is_some()
    );
    for _ in 0..2 {
        harness.get_by_label("Password").click();
        harness.run_steps(1);
        harness.get_by_label("Password").type_text("still-wrong");
        harness.run_steps(1);
        harness.get_by_label("Unlock").click();
        settle(&mut harness);
    }
    let countdown = harness.query_by_label_contains("Try again in");
    assert!(
        countdown.is_some(),
        "no back-off countdown after three failures"
    );
    // The countdown follows the app's clock: moved on past the back-off, it is gone.
    millis.fetch_add(3_600_000, std::sync::atomic::Ordering::Relaxed);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Try again in").is_none());
}

#[test]
fn each_role_unlocks_to_a_frame_with_its_badge_and_lock_returns_to_login() {
    let fx = Fixture::with_all_roles();
    for (user, badge) in [
        (LEAD, "Compliance lead"),
        (ANALYST, "Analyst"),
        (UX, "UX liaison"),
    ] {
        let mut harness = harness(&fx);
        log_in(&mut harness, user);
        assert_eq!(
            harness
                .state()
                .workspace()
                .map(|w| w.user().to_owned())
                .as_deref(),
            Some(user.0)
        );
        assert!(harness.query_by_label(badge).is_some(), "no {badge} badge");
        harness.get_by_label("Lock").click();
        harness.run_steps(2);
        assert!(
            harness.state().workspace().is_none(),
            "Lock left the workspace open"
        );
        assert!(harness.query_by_label("Unlock").is_some());
        assert!(harness.query_by_label(badge).is_none());
        assert_eq!(
            harness.get_by_label("User name").value().as_deref(),
            Some(user.0),
            "user name kept"
        );
    }
    // The locks were logged.
    let ws = fx.unlock(LEAD);
    let locks = ws
        .access_log(&sightline::access::LogQuery {
            action: Some("lock".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(locks.len() >= 3);
}

#[test]
fn ctrl_l_locks() {
    let fx = Fixture::with_all_roles();
    let mut harness = harness(&fx);
    log_in(&mut harness, ANALYST);
    assert!(harness.state().workspace().is_some());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.run_steps(2);
    assert!(harness.state().workspace().is_none());
}

#[test]
fn a_folder_that_is_not_a_dataset_is_explained() {
    let fx = Fixture::new();
    let mut harness = harness(&fx);
    harness
        .state_mut()
        .run(Command::SelectDataset(fx.tmp.path().join("nothing-here")));
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("nothing-here").is_some());
    assert!(
        harness
            .get_by_label("Unlock")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn first_run_builds_the_demo_with_progress_then_offers_its_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let device = super::common::mock_device(&tmp.path().join("state"));
    let mut harness = harness_for(SightlineApp::with_demo_sessions(device.clone(), None, 20));
    harness.run_steps(1);
    assert!(harness.state().is_preparing());
    assert!(
        harness
            .query_by_label_contains("Building the demo dataset")
            .is_some()
    );
    settle_jobs(&mut harness);
    assert!(!harness.state().is_preparing());
    assert!(
        harness
            .query_by_label_contains("Demo dataset ready")
            .is_some()
    );
    assert!(harness.query_by_label_contains("Parley demo").is_some());
    log_in(&mut harness, ("analyst", "sightline-demo"));
    assert_eq!(
        harness
            .state()
            .workspace()
            .map(|w| w.user().to_owned())
            .as_deref(),
        Some("analyst")
    );

    // The next start opens the same demo without building it again.
    let again = SightlineApp::with_demo_sessions(device, None, 20);
    assert!(!again.is_preparing());
}

#[test]
fn the_compliance_lead_reads_filters_verifies_and_exports_the_access_log() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, LEAD, "Access log");
    // Every entry up to the view's own read is listed: the log as the view read it (its
    // last entry is that read), counted through the gate afterwards less that second read.
    let logged = fx
        .unlock(LEAD)
        .access_log(&sightline::access::LogQuery::default())
        .unwrap();
    let ws_entries = logged
        .iter()
        .position(|e| e.action == "view-access-log")
        .expect("the view's read")
        + 1;
    assert!(
        ws_entries >= 8,
        "create, login, 3 × add-user, lock, login, … view-access-log"
    );
    let count = format!("{ws_entries} of {ws_entries} entries");
    assert!(
        harness.query_by_label(&count).is_some(),
        "expected the label {count:?}"
    );
    assert!(
        harness.query_all_by_label("add-user").next().is_some(),
        "the table shows the entries"
    );

    let user_filter = || egui::accesskit::Role::TextInput;
    harness.get_by_role_and_label(user_filter(), "User").click();
    harness.run_steps(1);
    harness
        .get_by_role_and_label(user_filter(), "User")
        .type_text("uma");
    harness.run_steps(2);
    assert!(
        harness.query_all_by_label("add-user").next().is_none(),
        "the filter hides the lead's entries"
    );
    assert!(
        harness.query_by_label(&count).is_none(),
        "the count follows the filter"
    );

    harness.get_by_label("Verify").click();
    // Verify runs on a fork; the view shows it working and then the outcome.
    harness.run_steps(1);
    wait_for(&mut harness, "Intact:");

    let out = fx.tmp.path().join("log.jsonl");
    harness.state_mut().run(Command::ExportLogTo(
        sightline::access::LogFormat::Jsonl,
        out.clone(),
    ));
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Exported").is_some());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().last().unwrap().contains("chain_head"));
}

#[test]
fn verify_in_the_view_points_at_a_tampered_entry() {
    let fx = Fixture::with_all_roles();
    fx.raw_core()
        .execute_batch("UPDATE access_log SET object = 'forged' WHERE seq = 3")
        .unwrap();
    let mut harness = signed_in_at(&fx, LEAD, "Access log");
    harness.get_by_label("Verify").click();
    wait_for(&mut harness, "Problem at entry 3");
}

#[test]
fn the_compliance_lead_adds_resets_and_revokes_users() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, LEAD, "Users");
    assert!(harness.query_by_label("uma").is_some());

    harness.get_by_label("New user name").click();
    harness.run_steps(1);
    harness.get_by_label("New user name").type_text("newbie");
    harness.get_by_label("New user's role").click();
    harness.run_steps(2);
    // The role list's item (the grid also shows "Analyst" for ana).
    harness.get_all_by_label("Analyst").last().unwrap().click();
    harness.run_steps(1);
    harness.get_by_label("Initial password").click();
    harness.run_steps(1);
    harness
        .get_by_label("Initial password")
        .type_text("newbie-password-1");
    harness.run_steps(1);
    assert!(
        harness.query_by_label("Good.").is_some()
            || harness
                .query_by_label("Acceptable. Longer is stronger.")
                .is_some()
    );
    harness.get_by_label("Add user").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Added newbie as analyst.").is_some());
    assert!(harness.query_by_label("newbie").is_some());

    // Reset the analyst's password from the row's form.
    harness
        .get_all_by_label("Reset password…")
        .next()
        .unwrap()
        .click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("New password for")
            .is_some()
    );
    harness.state_mut().run(Command::ResetPassword(
        ANALYST.0.to_owned(),
        Secret(zeroize::Zeroizing::new("reset-by-lead-77".into())),
    ));
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("New password set for ana.")
            .is_some()
    );

    // Revoke the UX liaison: confirm, keys rotate, the row goes.
    let revoke_buttons = harness.query_all_by_label("Revoke…").count();
    assert_eq!(revoke_buttons, 5, "one per user");
    harness
        .state_mut()
        .run(Command::RevokeUser(UX.0.to_owned()));
    // The rotation runs on its own thread; the view shows its progress meanwhile.
    wait_for(&mut harness, "Revoked uma");
    harness.run_steps(1);
    assert!(harness.query_by_label("uma").is_none());
    // The window goes on with the rotated keys: the log (now in core.1.db) reads fine.
    harness.get_by_label("Access log").click();
    harness.run_steps(2);
    assert!(harness.query_all_by_label("revoke-user").next().is_some());
    drop(harness);
    assert!(fx.dataset().unlock(UX.0, UX.1, &fx.device).is_err());
    assert_eq!(
        fx.dataset()
            .unlock("newbie", "newbie-password-1", &fx.device)
            .unwrap()
            .role(),
        sightline::access::Role::Analyst
    );
    assert!(
        fx.dataset()
            .unlock(ANALYST.0, "reset-by-lead-77", &fx.device)
            .is_ok()
    );
}

#[test]
fn a_data_engineer_imports_with_progress_and_sees_the_report() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, super::common::ENGINEER, "Import");
    assert!(harness.query_by_label("No files chosen yet.").is_some());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rrweb");
    harness.state_mut().run(Command::AddImportFiles(vec![
        fixtures.join("rrweb-player-demoit-react.json"),
        fixtures.join("posthog-localhost-recording_snapshots.jsonl"),
    ]));
    harness.run_steps(1);
    harness
        .get_by_label("Consent was handled upstream for sessions without a consent record")
        .click();
    harness.run_steps(1);
    harness.get_by_label("heatmaps").click();
    harness.get_by_label("recordings").click();
    harness.run_steps(1);
    harness
        .get_by_label("Reason (goes into the access log)")
        .click();
    harness.run_steps(1);
    harness
        .get_by_label("Reason (goes into the access log)")
        .type_text("consent collected by the product (ticket 12)");
    harness.run_steps(1);
    harness.get_all_by_label("Import").last().unwrap().click();
    wait_for(&mut harness, "Import report");
    harness.run_steps(1);
    assert!(
        harness
            .query_by_label_contains("Replays stored   3")
            .is_some()
    );
    drop(harness);
    let ws = fx.unlock(LEAD);
    assert_eq!(ws.sessions(None).unwrap().len(), 3);
    let imports = ws
        .access_log(&sightline::access::LogQuery {
            action: Some("import".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        imports.iter().any(|e| e.purpose.contains("ticket 12")),
        "the reason is logged"
    );
}

#[test]
fn a_data_engineer_imports_a_grid_and_removes_a_layer_after_confirming() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, super::common::ENGINEER, "Import");
    assert!(harness.query_by_label("No grid layers yet.").is_some());
    let grid = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sample_grid_k5_50px.parquet");
    // Dropped on the window: a Parquet file is imported as a grid, not listed as a recording.
    harness
        .state_mut()
        .run(Command::AddImportFiles(vec![grid.clone()]));
    wait_for(&mut harness, "Stored 2 layer(s) from 38 rows (772 events).");
    harness.run_steps(1);
    assert!(harness.query_by_label("No files chosen yet.").is_some());
    let click_layer = "layer 1: https://shop.example/checkout (desktop, 50 px bins, everyone): \
                       warehouse grid, 2026-11-10…11, 754 clicks";
    // In the report and in the list of layers.
    assert_eq!(harness.query_all_by_label_contains(click_layer).count(), 2);
    // Remove… asks first; Keep leaves the layer.
    harness.get_all_by_label("Remove…").next().unwrap().click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Remove layer 1 (warehouse grid, 2026-11-10…11, 754 clicks)?")
            .is_some()
    );
    harness.get_by_label("Keep").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Remove layer 1 (")
            .is_none()
    );
    harness.get_all_by_label("Remove…").next().unwrap().click();
    harness.run_steps(2);
    harness.get_by_label("Remove").click();
    harness.run_steps(2);
    // Said once, in the message; gone from the list.
    assert!(harness.query_by_label_contains("Removed layer 1").is_some());
    assert_eq!(harness.query_all_by_label_contains(click_layer).count(), 1);
    assert_eq!(harness.get_all_by_label("Remove…").count(), 1);
    drop(harness);
    let layers = fx.unlock(LEAD).grid_layers().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].kind, "move");
}

#[test]
fn a_grid_import_that_ends_elsewhere_and_a_drop_outside_import_are_told_in_the_notices() {
    use sightline::command::View;
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, super::common::ENGINEER, "Import");
    let grid = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sample_grid_k5_50px.parquet");
    harness
        .state_mut()
        .run(Command::AddImportFiles(vec![grid.clone()]));
    // The user leaves for the heatmaps before it reports, and drops the file again there.
    harness.state_mut().run(Command::Open(View::Heatmaps));
    harness.state_mut().run(Command::AddImportFiles(vec![grid]));
    wait_for(&mut harness, "2 notices");
    harness.get_by_label("2 notices").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Grid import finished: 2 layer(s), 772 events.")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Files dropped outside the Import view are not imported")
            .is_some()
    );
}

#[test]
fn a_folder_adds_its_recordings_and_tables_only() {
    let fx = Fixture::with_all_roles();
    let folder = fx.tmp.path().join("drop");
    std::fs::create_dir_all(&folder).unwrap();
    for name in ["a.json", "b.csv", "notes.txt"] {
        std::fs::write(folder.join(name), "[]").unwrap();
    }
    let mut harness = signed_in_at(&fx, super::common::ENGINEER, "Import");
    harness
        .state_mut()
        .run(Command::AddImportFiles(vec![folder.clone()]));
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label(&folder.join("a.json").display().to_string())
            .is_some()
    );
    assert!(
        harness
            .query_by_label(&folder.join("b.csv").display().to_string())
            .is_some()
    );
    assert!(
        harness
            .query_by_label(&folder.join("notes.txt").display().to_string())
            .is_none()
    );
}

#[test]
fn the_access_log_filters_by_date() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, LEAD, "Access log");
    let today = sightline::clock::rfc3339(sightline::clock::now_ms())[..10].to_owned();
    harness.get_by_label("To").click();
    harness.run_steps(1);
    harness.get_by_label("To").type_text(&today);
    harness.run_steps(2);
    assert!(
        harness.query_all_by_label("add-user").next().is_some(),
        "today's entries stay"
    );
    harness.get_by_label("From").click();
    harness.run_steps(1);
    harness.get_by_label("From").type_text("2099-01-01");
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("No entries match these filters.")
            .is_some()
    );
}

#[test]
fn each_role_sees_exactly_its_navigation() {
    use sightline::access::{Capability, Role};
    let fx = Fixture::with_all_roles();
    for role in Role::ALL {
        let mut harness = harness(&fx);
        log_in(&mut harness, super::common::user_of(role));
        for (label, capability) in [
            ("Import", Capability::ImportData),
            ("Access log", Capability::AccessLog),
            ("Users", Capability::ManageUsers),
        ] {
            let disabled = harness.get_by_label(label).accesskit_node().is_disabled();
            assert_eq!(!disabled, capability.allows(role), "{label} for {role}");
        }
        assert!(
            !harness
                .get_by_label("Overview")
                .accesskit_node()
                .is_disabled()
        );
    }
}

#[test]
fn locking_takes_the_views_data_away() {
    let fx = Fixture::with_all_roles();
    let mut harness = signed_in_at(&fx, LEAD, "Access log");
    assert!(harness.query_all_by_label("add-user").next().is_some());
    harness.get_by_label("Lock").click();
    harness.run_steps(2);
    assert!(harness.query_all_by_label("add-user").next().is_none());
    assert!(harness.query_by_label("Unlock").is_some());
}

#[test]
fn the_idle_lock_follows_the_dataset_policy_and_locks_when_the_clock_says_so() {
    let fx = Fixture::with_all_roles();
    assert_eq!(
        fx.unlock(ANALYST).idle_lock_minutes(),
        10,
        "the default policy"
    );
    fx.unlock(LEAD).set_idle_lock_minutes(3).unwrap();
    let mut harness = harness(&fx);
    // The idle lock's clock is the app's, moved on here instead of sleeping.
    let millis = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let clock = std::sync::Arc::clone(&millis);
    harness.state_mut().set_clock(std::sync::Arc::new(move || {
        clock.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
    }));
    log_in(&mut harness, ANALYST);
    assert!(harness.query_by_label("locks in 3 min").is_some());
    let advance = |harness: &mut Harness<'_, SightlineApp>, seconds: f64| {
        millis.fetch_add(
            (seconds * 1000.0) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        harness.step();
    };
    advance(&mut harness, 150.0);
    assert!(
        harness.state().workspace().is_some(),
        "2.5 minutes idle: still open"
    );
    assert!(harness.query_by_label("locks in 1 min").is_some());
    // Any input starts the count again.
    harness.hover_at(egui::pos2(400.0, 300.0));
    // A few frames at the same moment, for the pointer to come to rest.
    harness.run_steps(5);
    advance(&mut harness, 150.0);
    assert!(
        harness.state().workspace().is_some(),
        "active 2.5 minutes ago"
    );
    advance(&mut harness, 40.0);
    assert!(
        harness.state().workspace().is_none(),
        "3 minutes idle: locked"
    );
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Locked after 3 minutes without activity")
            .is_some()
    );
    // A hidden or minimised window: eframe still calls `logic`, with no new frame and the
    // last frame's input left in place. That input is not activity, and the clock runs on.
    let mut hidden = super::gui::harness(&fx);
    let clock = std::sync::Arc::clone(&millis);
    hidden.state_mut().set_clock(std::sync::Arc::new(move || {
        clock.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
    }));
    log_in(&mut hidden, ANALYST);
    assert!(hidden.state().workspace().is_some(), "signed in");
    hidden.hover_at(egui::pos2(420.0, 320.0));
    hidden.step();
    millis.fetch_add(200_000, std::sync::atomic::Ordering::Relaxed);
    let ctx = hidden.ctx.clone();
    for _ in 0..3 {
        hidden.state_mut().logic(&ctx);
    }
    assert!(
        hidden.state().workspace().is_none(),
        "locked while hidden, whatever the last frame held"
    );
}

/// Fills the wizard's fields.
fn fill_wizard(harness: &mut Harness<'_, SightlineApp>, folder: &std::path::Path, repeat: &str) {
    for (label, value) in [
        ("Folder for the new dataset", folder.display().to_string()),
        ("Dataset name", "Made in the wizard".to_owned()),
        ("First compliance lead", "founder".to_owned()),
        ("Their password", "founder-password-1".to_owned()),
        ("Password again", repeat.to_owned()),
    ] {
        harness.get_by_label(label).click();
        harness.run_steps(1);
        harness.get_by_label(label).type_text(&value);
        harness.run_steps(1);
    }
}

#[test]
fn the_new_dataset_wizard_shows_the_recovery_key_once_and_leads_to_sign_in() {
    let fx = Fixture::new();
    let mut harness = harness(&fx);
    harness.run_steps(1);
    harness.get_by_label("New dataset…").click();
    harness.run_steps(2);
    let folder = fx.tmp.path().join("created.sightline");
    fill_wizard(&mut harness, &folder, "founder-password-2");
    harness.get_by_label("Create").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("The two passwords differ.")
            .is_some()
    );
    assert!(
        !folder.exists(),
        "nothing is created when the passwords differ"
    );

    // Start again, this time with matching passwords.
    harness.state_mut().run(Command::CancelNewDataset);
    harness.run_steps(2);
    harness.get_by_label("New dataset…").click();
    harness.run_steps(2);
    fill_wizard(&mut harness, &folder, "founder-password-1");
    harness.get_by_label("Create").click();
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label("Continue to sign in")
            .accesskit_node()
            .is_disabled(),
        "not before confirming"
    );
    harness
        .get_by_label("I have stored the recovery key somewhere safe")
        .click();
    harness.run_steps(1);
    harness.get_by_label("Continue to sign in").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Made in the wizard")
            .is_some()
    );
    assert_eq!(
        harness.get_by_label("User name").value().as_deref(),
        Some("founder")
    );
    log_in(&mut harness, ("", "founder-password-1"));
    assert_eq!(
        harness
            .state()
            .workspace()
            .map(|w| w.user().to_owned())
            .as_deref(),
        Some("founder")
    );
}

#[test]
fn the_access_log_filters_by_role() {
    let fx = Fixture::with_all_roles();
    let ana = fx.unlock(ANALYST);
    ana.sessions(None).unwrap();
    ana.lock().unwrap();
    let mut harness = signed_in_at(&fx, LEAD, "Access log");
    assert!(harness.query_all_by_label("list-sessions").next().is_some());
    harness
        .get_all_by_label("Role")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::ComboBox)
        .expect("the role filter")
        .click();
    harness.run_steps(2);
    // The list item, not a table cell of the same text.
    harness
        .get_all_by_label("compliance-lead")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Label)
        .expect("the role list's item")
        .click();
    harness.run_steps(2);
    assert!(
        harness.query_all_by_label("list-sessions").next().is_none(),
        "the analyst's entry is filtered out"
    );
    assert!(harness.query_all_by_label("add-user").next().is_some());
}

#[test]
fn recent_datasets_are_offered_on_the_login_screen() {
    let one = Fixture::new();
    let two_dir = one.tmp.path().join("second.sightline");
    sightline::dataset::Dataset::create(&two_dir, "Second", LEAD.0, LEAD.1, &one.device).unwrap();
    // Select the second, then start again on the first: the second is listed as recent.
    drop(harness_for(SightlineApp::new(
        one.device.clone(),
        Some(two_dir.clone()),
    )));
    let mut harness = harness(&one);
    harness.run_steps(2);
    let second = std::fs::canonicalize(&two_dir)
        .unwrap()
        .display()
        .to_string();
    harness.get_by_label(&second).click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Second").is_some());
}

#[test]
fn the_import_view_shows_progress_and_cancel_while_running() {
    use sightline::ingest::ImportProgress;
    use sightline::ui::import::{ImportViewState, import_ui};
    let state = ImportViewState {
        progress: Some(ImportProgress {
            files_done: 3,
            files_total: 8,
            sessions_stored: 5,
        }),
        ..ImportViewState::default()
    };
    let mut harness = Harness::new_ui_state(
        |ui, state: &mut (ImportViewState, Vec<Command>)| {
            import_ui(ui, &mut state.0, &mut state.1);
        },
        (state, Vec::new()),
    );
    harness.run_steps(1);
    assert!(
        harness
            .query_by_label("3 of 8 files, 5 sessions stored")
            .is_some()
    );
    harness.get_by_label("Cancel").click();
    harness.run_steps(1);
    assert_eq!(harness.state().1, [Command::CancelImport]);
}

#[test]
fn forcing_a_view_the_role_may_not_use_is_denied_shown_and_logged() {
    use sightline::command::View;
    let fx = Fixture::with_all_roles();
    let mut harness = harness(&fx);
    log_in(&mut harness, ANALYST);
    for (page, action) in [
        (View::AccessLog, "view-access-log"),
        (View::Users, "list-users"),
        (View::Import, "manage-masking"),
    ] {
        harness.state_mut().run(Command::Open(page));
        harness.run_steps(2);
        assert!(
            harness.query_by_label("Access denied").is_some(),
            "{page:?}"
        );
        assert!(
            harness
                .query_by_label_contains("The attempt was logged")
                .is_some(),
            "{page:?}"
        );
        let denied = analyst_denials(&fx, action);
        assert_eq!(denied, 1, "{action}");
    }
}

/// How many denied `action` entries the analyst has in the log (read as the lead).
fn analyst_denials(fx: &Fixture, action: &str) -> usize {
    let ws = fx.unlock(LEAD);
    ws.access_log(&sightline::access::LogQuery {
        outcome: Some("denied".into()),
        action: Some(action.into()),
        ..Default::default()
    })
    .unwrap()
    .iter()
    .filter(|e| e.user == ANALYST.0)
    .count()
}
