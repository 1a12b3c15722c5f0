//! Nothing a user does in a frame is lost: views push commands into a queue and the app runs
//! them all, in order.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sightline::access::heatmaps::SegmentValues;
use sightline::access::{PageSummary, Role};
use sightline::command::Command;
use sightline::ui::heatmaps::state::HeatmapViewState;
use sightline::ui::workbench::{FrameInfo, ViewState, workbench_ui};

#[test]
fn a_lock_click_is_kept_when_the_view_asks_for_work_in_the_same_frame() {
    // A heatmap view that wants its first heatmap asks for it in every frame until the app
    // runs it; a Lock click in any of those frames used to be overwritten by that request.
    let page = PageSummary {
        page: "https://app.test/home".into(),
        viewports: vec!["desktop".into()],
        sessions: 6,
        below_floor: None,
        grids: Vec::new(),
    };
    let view = HeatmapViewState::new(vec![page], SegmentValues::default(), true);
    // The check for accessible names is the app harness's job; here only commands matter.
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, (view, out): &mut (ViewState, Vec<Command>)| {
                out.clear();
                let info = FrameInfo {
                    dataset: "Test",
                    user: "uma",
                    role: Role::UxLiaison,
                    idle_lock_in_s: 600,
                    notices: &[],
                    rollback_off: None,
                };
                workbench_ui(ui, &info, view, out);
            },
            (ViewState::Heatmaps(Box::new(view)), Vec::new()),
        );
    h.run_steps(2);
    assert_eq!(h.state().1, [Command::ComputeHeatmap]);
    h.get_by_label("Lock").click();
    h.step();
    let asked = &h.state().1;
    assert!(
        asked.contains(&Command::Lock) && asked.contains(&Command::ComputeHeatmap),
        "{asked:?}"
    );
}

#[test]
fn lock_keeps_track_of_every_running_job_until_its_fork_is_gone() {
    use super::common::UX;
    use super::gui::settle_jobs;
    use super::gui_heatmaps::opened;
    use super::heatmaps::dataset;
    let fx = dataset(6, 0);
    let mut h = opened(&fx, UX);
    // A new heatmap starts computing on a fork, and the user locks at once.
    h.get_by_label("Tablet (no screenshot)").click();
    h.step();
    assert!(h.state().heatmap_view().is_some_and(|v| v.computing));
    assert_eq!(
        h.state().session_key_holders(),
        2,
        "the workspace and its fork"
    );
    h.state_mut().run(Command::Lock);
    assert!(h.state().workspace().is_none(), "locked at once");
    // The fork is not forgotten: it is tracked until its thread has ended, which is when
    // it, its connections and its keys are dropped.
    assert!(h.state().has_background_work());
    settle_jobs(&mut h);
    assert!(!h.state().has_background_work());
    assert_eq!(
        h.state().session_key_holders(),
        0,
        "no workspace of the locked session holds its keys"
    );
    assert!(h.query_by_label("Unlock").is_some());
}
