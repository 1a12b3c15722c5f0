//! The Overview's controller: its figures read through the gate on a fork when it opens and
//! when its period or segment changes, and its rows opening the heatmap or the frustrated sessions of
//! a page.

use super::jobs::Scope;
use super::{Screen, SightlineApp};
use crate::access::{Capability, Workspace};
use crate::command::View;
use crate::error::Error;
use crate::heatmap::segment::Segment;
use crate::insights::health::ImportHealth;
use crate::insights::overview::Overview;
use crate::ui::overview::{LeadFigures, OverviewState};
use crate::ui::workbench::ViewState;

/// The Overview's first state; its figures are read by the first frame's refresh.
pub(super) fn open_view(ws: &Workspace) -> Result<OverviewState, Error> {
    Ok(OverviewState {
        values: ws.segment_values()?,
        may_replay: ws.may(Capability::ReplaySession),
        ..OverviewState::default()
    })
}

/// What one refresh reads, each part through the gate (logged).
pub(super) struct Figures {
    figures: Result<Overview, String>,
    import_health: Option<Result<ImportHealth, String>>,
    lead: Option<LeadFigures>,
}

fn read(ws: &Workspace, segment: &Segment) -> Figures {
    let words = |e: Error| super::explain(&e);
    let figures = ws.overview(segment).map_err(words);
    // The role's own cards cover the same period.
    let since = figures
        .as_ref()
        .map(|o| o.from.clone())
        .unwrap_or_else(|_| "1970-01-01".into());
    Figures {
        import_health: ws
            .may(Capability::ImportData)
            .then(|| ws.import_health(&since).map_err(words)),
        lead: ws.may(Capability::AccessLog).then(|| LeadFigures {
            health: ws.compliance_health(&since).map_err(words),
            consent_below: ws
                .consent_dashboard()
                .map(|d| {
                    d.flagged()
                        .iter()
                        .map(|s| {
                            format!(
                                "{} {}: {:.0}%, {}",
                                s.jurisdiction,
                                s.purpose,
                                s.rate(),
                                s.counted()
                            )
                        })
                        .collect()
                })
                .map_err(words),
            retention_due: ws.retention_due().map_err(words),
        }),
        figures,
    }
}

impl SightlineApp {
    /// Reads the Overview's figures for its period and segment on a fork: on a large dataset
    /// they take a moment, and the window keeps drawing.
    pub(super) fn refresh_overview(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Overview(state) = &mut w.view else {
            return;
        };
        let segment = state.segment.clone();
        state.computed = Some(segment.clone());
        match w.ws.fork() {
            Ok(fork) => {
                if let Some(old) = w.overview_job.take() {
                    old.stop();
                }
                w.overview_job = Some(self.jobs.spawn("The Overview", Scope::Session, move |_| {
                    Ok(read(&fork, &segment))
                }));
            }
            Err(e) => state.figures = Some(Err(super::explain(&e))),
        }
    }

    pub(super) fn poll_overview(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) = super::jobs::take_finished(&mut w.overview_job, "The Overview", ctx)
        else {
            return;
        };
        let ViewState::Overview(state) = &mut w.view else {
            return;
        };
        match result {
            Ok(read) => {
                state.figures = Some(read.figures);
                state.import_health = read.import_health;
                state.lead = read.lead;
            }
            Err(e) => state.figures = Some(Err(super::explain(&e))),
        }
    }

    /// Opens the heatmap of `page` at `viewport`.
    pub(super) fn open_heatmap_at(&mut self, page: String, viewport: String) {
        self.open(View::Heatmaps);
        if let Screen::Workbench(w) = &mut self.screen
            && let ViewState::Heatmaps(state) = &mut w.view
        {
            state.page = Some(page);
            state.viewport = viewport;
        }
    }

    /// Opens the session list filtered to the frustrated sessions of `page`.
    pub(super) fn open_frustrated_sessions(&mut self, page: String) {
        self.open(View::Sessions);
        if let Some(state) = self.sessions_state() {
            state.list.page = page;
            state.list.min_frustration = crate::insights::signals::FRUSTRATED;
        }
    }
}
