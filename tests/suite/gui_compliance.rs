//! The compliance view driven headless: what each role may do there, and an erasure from the
//! form with its receipt.

use std::sync::atomic::AtomicBool;

use egui_kittest::kittest::{NodeT as _, Queryable};
use sightline::access::Role;
use sightline::ingest::{ImportInput, ImportOptions};

use super::common::{ENGINEER, Fixture, LEAD, user_of};
use super::gui::{harness, log_in, wait_for};

fn dataset() -> Fixture {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    let inputs = vec![
        ImportInput::Memory {
            name: "consent.csv".into(),
            text: "subject,purpose,granted,jurisdiction,recorded_at\n\
                   ann,heatmaps,yes,EU-FR,2026-11-01T10:00:00Z\n\
                   ann,recordings,yes,EU-FR,2026-11-01T10:00:00Z\n\
                   bob,heatmaps,no,EU-FR,2026-11-02T10:00:00Z\n\
                   bob,recordings,no,EU-FR,2026-11-02T10:00:00Z\n"
                .into(),
        },
        ImportInput::Memory {
            name: "s.jsonl".into(),
            text: r#"{"sightline": 1, "session": "s-1", "subject": "ann", "url": "https://app.test/home", "viewport": {"width": 1440, "height": 900}}
{"t": 0, "kind": "click", "x": 1, "y": 1}"#
                .into(),
        },
    ];
    ws.import_inputs(
        &inputs,
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
    fx
}

#[test]
fn each_role_gets_the_controls_the_matrix_gives_it() {
    let fx = dataset();
    for role in Role::ALL {
        let mut h = harness(&fx);
        log_in(&mut h, user_of(role));
        let nav = h.get_by_label("Compliance");
        if role == Role::UxLiaison {
            assert!(nav.accesskit_node().is_disabled());
            continue;
        }
        nav.click();
        h.run_steps(3);
        assert!(
            h.query_by_label_contains("EU-FR heatmaps: 50%").is_some(),
            "{role}: flagged below target"
        );
        let enabled = |label: &str| !h.get_by_label(label).accesskit_node().is_disabled();
        assert_eq!(
            enabled("Run purge now"),
            matches!(role, Role::ComplianceLead | Role::DataEngineer),
            "{role}"
        );
        assert_eq!(
            h.query_by_label("Subject identifier or pseudonym")
                .is_some(),
            role == Role::ComplianceLead,
            "{role}"
        );
    }
}

#[test]
fn the_lead_erases_a_subject_from_the_form_and_sees_the_receipt() {
    let fx = dataset();
    let mut h = harness(&fx);
    log_in(&mut h, LEAD);
    // A tall window: the form sits at the bottom of a long page.
    h.set_size(egui::vec2(1280.0, 1600.0));
    h.run_steps(2);
    h.get_by_label("Compliance").click();
    h.run_steps(3);
    h.get_by_label("Subject identifier or pseudonym")
        .scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Subject identifier or pseudonym").click();
    h.run_steps(1);
    h.get_by_label("Subject identifier or pseudonym")
        .type_text("ann");
    h.run_steps(2);
    h.get_by_label("Erase…").click();
    h.run_steps(3);
    h.get_by_label("Erase permanently").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Erase permanently").click();
    // The erasure scrubs the files on another thread; the view shows it working.
    wait_for(&mut h, "Erased subject s_");
    h.run_steps(2);
    assert!(h.query_by_label_contains("Erased subject s_").is_some());
    assert!(
        h.query_all_by_label_contains("1 replays").count() >= 2,
        "the message and the receipt row"
    );
    drop(h);
    let lead = fx.unlock(LEAD);
    assert!(lead.sessions(None).unwrap().is_empty());
    let dash = lead.consent_dashboard().unwrap();
    let fr: Vec<_> = dash
        .series
        .iter()
        .filter(|s| s.jurisdiction == "EU-FR")
        .collect();
    assert!(
        fr.iter().all(|s| s.total == 1),
        "aggregates recomputed without the erased subject"
    );
}

#[test]
fn the_lead_acknowledges_a_leak_and_exports_the_report() {
    let fx = dataset();
    super::common::note(&fx, "mail ann@example.org");
    let mut h = harness(&fx);
    log_in(&mut h, LEAD);
    h.set_size(egui::vec2(1280.0, 1600.0));
    h.run_steps(2);
    h.get_by_label("Compliance").click();
    // The scan runs on another thread; the view shows a spinner meanwhile.
    wait_for(&mut h, "Text looking like [email]");
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Text looking like [email]")
            .is_some()
    );
    h.get_by_label("Acknowledge").click();
    h.run_steps(4);
    wait_for(&mut h, "acknowledged by lead");
    let out = fx.tmp.path().join("gui-report.html");
    h.state_mut()
        .run(sightline::command::Command::ExportReportTo(out.clone()));
    // The report is written on a fork; the view says so when it is done.
    wait_for(&mut h, "gui-report.html");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("acknowledged") || html.contains("by lead"));
}

#[test]
fn an_erasure_that_ends_after_the_user_left_the_view_is_reported_in_the_notices() {
    use sightline::command::{Command, View};
    let fx = dataset();
    let mut h = harness(&fx);
    log_in(&mut h, LEAD);
    h.get_by_label("Compliance").click();
    h.run_steps(3);
    // The erasure starts on a fork; the user leaves for the heatmaps before it reports.
    h.state_mut().run(Command::EraseSubject("ann".into()));
    h.state_mut().run(Command::Open(View::Heatmaps));
    wait_for(&mut h, "1 notice");
    h.get_by_label("1 notice").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Erased").is_some()
            || h.query_by_label_contains("erased").is_some(),
        "the erasure's outcome is in the Overview"
    );
}
