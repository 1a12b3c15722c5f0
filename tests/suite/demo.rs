use sightline::dataset::Dataset;
use sightline::sample::demo::{DEMO_PASSWORD, DEMO_USERS, build};

use super::common::mock_device;

#[test]
fn the_demo_has_every_role_screenshots_and_masked_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let device = mock_device(&tmp.path().join("state"));
    let path = tmp.path().join("demo.sightline");
    let mut steps = Vec::new();
    let summary = build(&path, 60, &device, &mut |step, f| {
        steps.push((step.to_owned(), f))
    })
    .unwrap();
    assert_eq!(summary.screenshots, 15);
    assert!(
        summary.report.failed_files.is_empty(),
        "{:?}",
        summary.report.failed_files
    );
    assert_eq!(
        summary.report.recordings, 68,
        "8 sample recordings and 60 generated"
    );
    assert!(
        steps.windows(2).all(|w| w[0].1 <= w[1].1),
        "progress only moves forward"
    );
    assert_eq!(steps.last().map(|s| s.1), Some(1.0));

    let dataset = Dataset::open(&path).unwrap();
    for (user, role) in DEMO_USERS {
        let ws = dataset.unlock(user, DEMO_PASSWORD, &device).unwrap();
        assert_eq!(ws.role(), role);
    }
    let ux = dataset
        .unlock("ux-liaison", DEMO_PASSWORD, &device)
        .unwrap();
    let pages = ux.pages().unwrap();
    let with_all_viewports = pages.iter().filter(|p| p.viewports.len() == 3).count();
    assert_eq!(with_all_viewports, 5, "{pages:?}");
    assert!(
        pages
            .iter()
            .all(|p| p.page.starts_with("http://app.parley.example/")),
        "{pages:?}"
    );
    drop(ux);

    let analyst = dataset.unlock("analyst", DEMO_PASSWORD, &device).unwrap();
    let sessions = analyst.sessions(None).unwrap();
    assert!(sessions.len() >= 30, "{} replays", sessions.len());
    assert!(
        sessions.iter().any(|s| s.rage_clicks > 0),
        "the broken button draws rage clicks"
    );
    assert!(
        sessions.iter().any(|s| s.device == "mobile")
            && sessions.iter().any(|s| s.device == "desktop")
    );
    assert!(sessions.iter().any(|s| s.survey_score.is_some()));
    let with_taps = sessions.iter().find(|s| s.device == "mobile").unwrap();
    let events = analyst.session_events(&with_taps.id, "demo check").unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == sightline::session::EventKind::Tap)
    );
}
