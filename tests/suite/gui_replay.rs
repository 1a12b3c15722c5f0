//! The sessions view driven headless: who may list and replay, list filters, the purpose
//! prompt, and the player's controls (play, pause, speed, skip, step, seek).

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use sightline::app::SightlineApp;
use sightline::command::{Command, View};
use sightline::ui::replay::player::PlayerViewState;

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX};
use super::gui::{harness, log_in};

/// A session with activity, a 19-second idle gap, a second page and an input.
const GAPPY: &str = r#"{"sightline": 1, "session": "gap-1", "subject": "u-gap", "started_at": "2026-11-20T10:00:00Z", "region": "EU", "consent": {"heatmaps": true, "recordings": true}, "url": "https://app.test/home", "viewport": {"width": 390, "height": 800}}
{"t": 0, "kind": "move", "x": 10, "y": 10}
{"t": 500, "kind": "move", "x": 50, "y": 60}
{"t": 1000, "kind": "tap", "x": 50, "y": 60, "target": "button#go"}
{"t": 1500, "kind": "input", "target": "input#email", "value": "canary.person@example.org"}
{"t": 20000, "kind": "navigation", "url": "https://app.test/pricing"}
{"t": 20500, "kind": "move", "x": 100, "y": 200}
{"t": 30000, "kind": "click", "x": 100, "y": 200}"#;

fn dataset() -> Fixture {
    let fx = Fixture::with_all_roles();
    let mut text = GAPPY.to_owned();
    for i in 0..4 {
        text.push_str(&format!(
            "\n{{\"sightline\": 1, \"session\": \"d-{i}\", \"subject\": \"u-{i}\", \"region\": \"US\", \"consent\": {{\"heatmaps\": true, \"recordings\": true}}, \"url\": \"https://app.test/inbox\", \"viewport\": {{\"width\": 1440, \"height\": 900}}}}\n{{\"t\": 0, \"kind\": \"move\", \"x\": 1, \"y\": 1}}\n{{\"t\": 700, \"kind\": \"click\", \"x\": 5, \"y\": 5}}"
        ));
        if i == 0 {
            // The page answers this one's click: no dead click, frustration 0.
            text.push_str("\n{\"t\": 900, \"kind\": \"scroll\", \"x\": 0, \"y\": 100}");
        }
    }
    super::common::import_text(&fx, "sessions.jsonl", text);
    fx
}

fn opened(fx: &Fixture, user: (&str, &str)) -> Harness<'static, SightlineApp> {
    let mut h = harness(fx);
    log_in(&mut h, user);
    h.get_by_label("Sessions").click();
    h.run_steps(4);
    h
}

fn player<'h>(h: &'h Harness<'_, SightlineApp>) -> Option<&'h PlayerViewState> {
    h.state().sessions_view().and_then(|s| s.player.as_ref())
}

/// Runs frames until the replay has opened (or failed).
fn wait_open(h: &mut Harness<'_, SightlineApp>) {
    for _ in 0..100 {
        h.step();
        if !h.state().sessions_view().unwrap().opening {
            h.run_steps(2);
            return;
        }
        h.state().wait_for_background(Duration::from_secs(60));
    }
    panic!("the replay did not open");
}

/// Opens the mobile (gappy) session through the prompt.
fn open_gappy(h: &mut Harness<'_, SightlineApp>, purpose: &str) {
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Device")
        .click();
    h.run_steps(4);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "mobile")
        .click();
    h.run_steps(4);
    h.get_all_by_label("Replay").next().unwrap().click();
    h.run_steps(4);
    if !purpose.is_empty() {
        h.get_by_label("Purpose or ticket id").type_text(purpose);
        h.run_steps(1);
        h.get_by_label("Open replay").click();
    }
    wait_open(h);
}

#[test]
fn the_list_filters_and_sorts() {
    let fx = dataset();
    let mut h = opened(&fx, ANALYST);
    assert!(h.query_by_label("5 of 5 sessions").is_some());
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Device")
        .click();
    h.run_steps(4);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "mobile")
        .click();
    h.run_steps(4);
    assert!(h.query_by_label("1 of 5 sessions").is_some());
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Device")
        .click();
    h.run_steps(4);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "any")
        .click();
    h.run_steps(3);
    h.get_by_label("Page").click();
    h.run_steps(3);
    h.get_by_label("Page").type_text("pricing");
    h.run_steps(2);
    assert!(
        h.query_by_label("1 of 5 sessions").is_some(),
        "search by page"
    );
    h.get_by_label("Page").click();
    h.run_steps(3);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run_steps(2);
    h.get_by_label("With rage clicks").click();
    h.run_steps(4);
    assert!(h.query_by_label("0 of 5 sessions").is_some());
    h.get_by_label("With rage clicks").click();
    h.get_by_label("Clicks").click();
    h.run_steps(4);
    assert!(
        h.query_by_label("Clicks (desc)").is_some(),
        "sorting by clicks"
    );
    h.get_by_label("Frustration").click();
    h.run_steps(4);
    assert!(h.query_by_label("Frustration (desc)").is_some());
    // "Frustration ≥ the highest score" keeps exactly the sessions with it, as the gate counts.
    let scores: Vec<u8> = fx
        .unlock(ANALYST)
        .sessions(None)
        .unwrap()
        .iter()
        .filter_map(|s| s.frustration)
        .collect();
    let top = scores.iter().copied().max().unwrap_or(0);
    let frustrated = scores.iter().filter(|&&f| f >= top).count();
    assert!(
        top > 0 && frustrated < 5,
        "{scores:?}: the filter must tell"
    );
    h.get_by_label("Frustration ≥").click();
    h.run_steps(3);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Frustration ≥").type_text(&top.to_string());
    h.key_press(egui::Key::Enter);
    h.run_steps(4);
    assert!(
        h.query_by_label(&format!("{frustrated} of 5 sessions"))
            .is_some(),
        "filtered by frustration"
    );
}

#[test]
fn the_purpose_is_asked_once_per_sitting_and_logged_with_every_replay() {
    let fx = dataset();
    let mut h = opened(&fx, ANALYST);
    h.get_all_by_label("Replay").next().unwrap().click();
    h.run_steps(4);
    assert!(h.query_by_label("Purpose or ticket id").is_some());
    assert!(
        h.get_by_label("Open replay").accesskit_node().is_disabled(),
        "a purpose is required"
    );
    h.get_by_label("Cancel").click();
    h.run_steps(4);
    assert!(h.query_by_label("Purpose or ticket id").is_none());
    open_gappy(&mut h, "SUP-77 checkout");
    assert!(player(&h).is_some());
    assert!(
        h.query_by_label_contains("purpose: SUP-77 checkout")
            .is_some()
    );
    h.get_by_label("Back to sessions").click();
    h.run_steps(4);
    // The second replay in the same sitting opens without asking.
    h.get_all_by_label("Replay").next().unwrap().click();
    h.run_steps(4);
    assert!(h.query_by_label("Purpose or ticket id").is_none());
    wait_open(&mut h);
    assert!(player(&h).is_some());
    drop(h);
    let lead = fx.unlock(LEAD);
    let replays: Vec<_> = lead
        .access_log(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "replay-session")
        .collect();
    assert_eq!(replays.len(), 2);
    assert!(
        replays
            .iter()
            .all(|e| e.purpose == "SUP-77 checkout" && e.user == ANALYST.0)
    );
}

#[test]
fn play_pause_speed_skip_step_and_seek_move_the_shown_time() {
    let fx = dataset();
    let mut h = opened(&fx, ANALYST);
    open_gappy(&mut h, "QA");
    let t = |h: &Harness<'_, SightlineApp>| player(h).unwrap().t_ms;
    assert_eq!(t(&h), 0.0);
    assert!(h.query_by_label("0:00 / 0:30").is_some());
    // Step to the next event (the tap at 1 s), then the input: its masked label is shown.
    h.get_by_label("Next event").click();
    h.run_steps(3);
    assert_eq!(t(&h), 1000.0);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(t(&h), 1500.0);
    let state = player(&h).unwrap().state();
    assert_eq!(
        state.inputs.get("input#email").map(String::as_str),
        Some("••••")
    );
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(1);
    assert_eq!(t(&h), 1000.0);
    // Play at 16x with skipping: the 18-second idle gap is jumped over.
    h.get_by_label("Speed").click();
    h.run_steps(3);
    h.get_by_label("16x").click();
    h.run_steps(3);
    h.get_by_label("Play").click();
    // Playback follows the window's clock, which each frame moves on by the harness's step.
    let mut biggest_step: f64 = 0.0;
    for _ in 0..5_000 {
        if t(&h) >= 20_000.0 {
            break;
        }
        let before = t(&h);
        h.step();
        biggest_step = biggest_step.max(t(&h) - before);
    }
    assert!(t(&h) >= 20_000.0, "playback reached the navigation");
    assert!(
        biggest_step > 10_000.0,
        "the idle gap was jumped in one frame: {biggest_step}"
    );
    h.get_by_label("Pause").click();
    h.run_steps(3);
    let paused = t(&h);
    h.run_steps(10);
    assert_eq!(t(&h), paused, "paused time stands still");
    assert_eq!(
        player(&h).unwrap().state().page.as_deref(),
        Some("https://app.test/pricing"),
        "the navigation switched the page"
    );
    // Shift+Left: back 5 s; a click on the timeline seeks.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowLeft);
    h.run_steps(1);
    assert!((t(&h) - (paused - 5000.0).max(0.0)).abs() < 1.0);
    let strip = h.get_by_label("Timeline").rect();
    let p = egui::pos2(strip.left() + strip.width() * 0.25, strip.center().y);
    h.hover_at(p);
    h.drag_at(p);
    h.run_steps(1);
    h.drop_at(p);
    h.run_steps(2);
    assert!(
        (t(&h) - 7500.0).abs() < 300.0,
        "seeked to a quarter: {}",
        t(&h)
    );
    // Without skipping, playback crawls through the gap at its speed: no jumps.
    h.get_by_label("Skip inactivity").click();
    h.get_by_label("Play").click();
    h.run_steps(1);
    let from = t(&h);
    for _ in 0..5 {
        let before = t(&h);
        h.step();
        assert!(t(&h) - before < 5_000.0, "no jump without skipping");
    }
    assert!(t(&h) > from, "playing moves the time on");
}

#[test]
fn ux_liaisons_cannot_list_and_data_engineers_cannot_replay() {
    let fx = dataset();
    let mut h = harness(&fx);
    log_in(&mut h, UX);
    assert!(h.get_by_label("Sessions").accesskit_node().is_disabled());
    h.state_mut().run(Command::Open(View::Sessions));
    h.run_steps(2);
    assert!(h.query_by_label("Access denied").is_some());
    drop(h);
    let mut h = opened(&fx, ENGINEER);
    assert!(
        h.query_by_label("5 of 5 sessions").is_some(),
        "engineers list"
    );
    assert!(
        h.get_all_by_label("Replay")
            .all(|b| b.accesskit_node().is_disabled())
    );
    let id = h.state().sessions_view().unwrap().list.rows[0].id.clone();
    h.state_mut().run(Command::AskReplay(id));
    h.run_steps(2);
    h.get_by_label("Purpose or ticket id").type_text("curious");
    h.get_by_label("Open replay").click();
    wait_open(&mut h);
    assert!(player(&h).is_none());
    assert!(
        h.query_by_label_contains("The attempt was logged")
            .is_some()
    );
    drop(h);
    let lead = fx.unlock(LEAD);
    let entries = lead.access_log(&Default::default()).unwrap();
    assert!(
        entries.iter().any(|e| e.action == "list-sessions"
            && e.role == "ux-liaison"
            && e.outcome == "denied")
    );
    assert!(entries.iter().any(|e| e.action == "replay-session"
        && e.role == "data-engineer"
        && e.outcome == "denied"));
}

/// Runs frames, each waiting for the page renderer's answer, until `done`.
fn until(
    h: &mut Harness<'_, SightlineApp>,
    what: &str,
    done: impl Fn(&Harness<'_, SightlineApp>) -> bool,
) {
    for _ in 0..200 {
        h.step();
        let ctx = h.ctx.clone();
        h.state_mut().wait_for_page_frame(&ctx);
        if done(h) {
            return;
        }
    }
    panic!("{what} never happened");
}

fn frames(h: &Harness<'_, SightlineApp>) -> u64 {
    player(h)
        .and_then(|p| p.page.as_ref())
        .map_or(0, |p| p.frames)
}

fn has_label_starting(h: &Harness<'_, SightlineApp>, prefix: &str) -> bool {
    h.query_all_by(|n| n.label().is_some_and(|l| l.starts_with(prefix)))
        .next()
        .is_some()
}

/// The sample conversation: the page mode is the default, shows the masked page, follows
/// seeks and playback, and toggles with the screenshot by button and by M.
#[test]
fn the_page_mode_draws_the_masked_page_and_toggles_with_the_screenshot() {
    use sightline::replay::timeline::MarkKind;
    use sightline::ui::replay::page::PlayerMode;
    let fx = Fixture::with_all_roles();
    let (name, text) = sightline::sample::assets::RECORDINGS[0];
    let mut ws = fx.unlock(ENGINEER);
    let input = sightline::ingest::ImportInput::Memory {
        name: name.into(),
        text: text.into(),
    };
    ws.import_inputs(
        &[input],
        &super::common::assumed(),
        &mut |_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
    let mut h = opened(&fx, ANALYST);
    h.get_all_by_label("Replay").next().unwrap().click();
    h.run_steps(4);
    h.get_by_label("Purpose or ticket id").type_text("ticket 7");
    h.run_steps(1);
    h.get_by_label("Open replay").click();
    wait_open(&mut h);
    let p = player(&h).unwrap();
    assert_eq!(
        p.mode,
        PlayerMode::Page,
        "a session with a page opens on it"
    );
    assert!(
        p.marks.iter().any(|(_, k)| *k == MarkKind::PageChange),
        "the sent message is marked on the timeline"
    );
    assert!(h.query_by_label(" masked ").is_some(), "the masked badge");
    // Seek: the page follows.
    h.get_by_label("Forward 5 s").click();
    until(&mut h, "a frame after the seek", |h| frames(h) > 0);
    h.run_steps(2);
    assert!(has_label_starting(&h, "Masked page at 0:05"));
    let before = frames(&h);
    h.get_by_label("Forward 5 s").click();
    until(&mut h, "a frame after the second seek", |h| {
        frames(h) > before
    });
    h.run_steps(2);
    assert!(has_label_starting(&h, "Masked page at 0:10"));
    // Play: new frames arrive as the time moves.
    let before = frames(&h);
    h.get_by_label("Play").click();
    until(&mut h, "frames during playback", |h| frames(h) > before + 2);
    h.get_by_label("Pause").click();
    h.run_steps(2);
    // The screenshot mode, by button and back by M.
    h.get_by_label("Screenshot").click();
    h.run_steps(3);
    assert_eq!(player(&h).unwrap().mode, PlayerMode::Screenshot);
    assert!(has_label_starting(&h, "Screenshot at"));
    assert!(h.query_by_label(" masked ").is_none());
    h.key_press(egui::Key::M);
    h.run_steps(3);
    assert_eq!(player(&h).unwrap().mode, PlayerMode::Page);
    until(&mut h, "the page again", |h| {
        has_label_starting(h, "Masked page at")
    });
}
