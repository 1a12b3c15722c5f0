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
