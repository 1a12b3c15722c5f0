//! The Overview driven headless: each role signs in to it, sees what needs attention, and a
//! row opens the heatmap (and, for analysts, the frustrated sessions of the page).

use egui_kittest::kittest::Queryable;

use super::common::{ANALYST, UX, user_of};
use super::gui::{harness, log_in, settle_jobs};
use super::heatmaps::dataset;

#[test]
fn every_role_signs_in_to_an_overview_of_what_needs_attention() {
    // Six people each click Send six times and nothing answers: dead clicks everywhere.
    let fx = dataset(6, 0);
    for role in sightline::access::Role::ALL {
        let mut h = harness(&fx);
        log_in(&mut h, user_of(role));
        settle_jobs(&mut h);
        for card in [
            "Pages by frustration",
            "Elements with frustrated clicks",
            "Sessions over time",
            "Survey score",
        ] {
            assert!(h.query_by_label(card).is_some(), "{card} for {role}");
        }
        assert!(
            h.query_all_by_label_contains("app.test/home")
                .next()
                .is_some(),
            "{role}"
        );
        assert!(
            h.query_by_label_contains("button#send").is_some(),
            "the element whose clicks go unanswered, for {role}"
        );
        // Each role's own cards come first: import health for data engineers, the compliance
        // figures (the anomaly scan finished in the background) for compliance leads.
        use sightline::access::Role;
        assert_eq!(
            h.query_by_label("Import health").is_some(),
            role == Role::DataEngineer,
            "{role}"
        );
        if role == Role::DataEngineer {
            assert!(
                h.query_by_label_contains("Capture to analysis: median")
                    .is_some()
            );
        }
        assert_eq!(
            h.query_by_label("Compliance watch").is_some(),
            role == Role::ComplianceLead,
            "{role}"
        );
        if role == Role::ComplianceLead {
            for line in [
                "Open anomalies: none.",
                "Access log: no integrity alarm at sign-in.",
                "The access log was never verified.",
                "Retention: nothing is due.",
            ] {
                assert!(h.query_by_label(line).is_some(), "{line}");
            }
            assert!(h.query_by_label_contains("Denied attempts").is_some());
        }
        // Only roles that replay are offered the page's replays.
        let replays = h.query_by_label("Replays").is_some();
        assert_eq!(
            replays,
            sightline::access::Capability::ReplaySession.allows(role),
            "{role}"
        );
    }
}

#[test]
fn a_page_row_opens_its_heatmap_and_its_frustrated_replays() {
    let fx = dataset(6, 0);
    let mut h = harness(&fx);
    log_in(&mut h, UX);
    settle_jobs(&mut h);
    h.get_by_label("Heatmap").click();
    h.run_steps(2);
    settle_jobs(&mut h);
    let view = h.state().heatmap_view().expect("the heatmap view opened");
    assert_eq!(view.page.as_deref(), Some("https://app.test/home"));
    assert_eq!(view.viewport, "desktop");

    let mut h = harness(&fx);
    log_in(&mut h, ANALYST);
    settle_jobs(&mut h);
    h.get_by_label("Replays").click();
    h.run_steps(3);
    let sessions = h.state().sessions_view().expect("the session list opened");
    assert_eq!(sessions.list.page, "https://app.test/home");
    assert_eq!(
        sessions.list.min_frustration,
        sightline::insights::signals::FRUSTRATED
    );
    assert!(
        h.query_by_label("6 of 6 sessions").is_some(),
        "all six are frustrated"
    );
}
