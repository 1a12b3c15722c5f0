use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use sightline::app::{Command, SightlineApp};

use super::common::{ANALYST, Fixture, LEAD, UX};

fn harness(fx: &Fixture) -> Harness<'static, SightlineApp> {
    harness_for(SightlineApp::new(fx.device.clone(), Some(fx.path.clone())))
}

fn harness_for(app: SightlineApp) -> Harness<'static, SightlineApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            |ui, app: &mut SightlineApp| {
                app.logic(ui.ctx());
                app.ui(ui);
            },
            app,
        )
}

/// Runs frames until the background unlock has finished.
fn settle(harness: &mut Harness<'_, SightlineApp>) {
    let start = Instant::now();
    harness.run_steps(2);
    while harness.state().is_busy() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "unlock did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(2);
}

fn log_in(harness: &mut Harness<'_, SightlineApp>, (user, password): (&str, &str)) {
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
    let start = Instant::now();
    while harness.state().is_preparing() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the demo build did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
        harness.step();
    }
    harness.run_steps(2);
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
