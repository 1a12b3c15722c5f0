//! The Overview's controller: its figures read through the gate when it opens and when its
//! period or segment changes, and its rows opening the heatmap or the frustrated sessions of
//! a page.

use super::{Screen, SightlineApp};
use crate::access::{Capability, Workspace};
use crate::command::View;
use crate::error::Error;
use crate::ui::overview::{LeadFigures, OverviewState};
use crate::ui::workbench::ViewState;

/// The Overview's first state, its figures read through the gate (logged).
pub(super) fn open_view(ws: &Workspace) -> Result<OverviewState, Error> {
    let mut state = OverviewState {
        values: ws.segment_values()?,
        may_replay: ws.may(Capability::ReplaySession),
        ..OverviewState::default()
    };
    refresh(ws, &mut state);
    Ok(state)
}

fn refresh(ws: &Workspace, state: &mut OverviewState) {
    let figures = ws.overview(&state.segment).map_err(|e| super::explain(&e));
    // The role's own cards cover the same period.
    let since = figures
        .as_ref()
        .map(|o| o.from.clone())
        .unwrap_or_else(|_| "1970-01-01".into());
    let words = |e: Error| super::explain(&e);
    state.import_health = ws
        .may(Capability::ImportData)
        .then(|| ws.import_health(&since).map_err(words));
    let keep_scan = state.lead.as_mut().and_then(|l| l.open_anomalies.take());
    state.lead = ws.may(Capability::AccessLog).then(|| LeadFigures {
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
        open_anomalies: keep_scan,
    });
    state.figures = Some(figures);
    state.computed = Some(state.segment.clone());
}

impl SightlineApp {
    pub(super) fn refresh_overview(&mut self) {
        if let Screen::Workbench(w) = &mut self.screen
            && let ViewState::Overview(state) = &mut w.view
        {
            refresh(&w.ws, state);
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
