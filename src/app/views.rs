//! Opening a view of the workbench: the gate decides (each view's first read is its gate, and
//! logged); a refusal becomes the view's "Access denied" text. Pending annotations are saved
//! before the open view goes.

use super::{Screen, SightlineApp, compliance, heatmaps, replay};
use crate::access::LogQuery;
use crate::command::View;
use crate::error::Error;
use crate::ui::access_log::AccessLogState;
use crate::ui::heatmaps::state::HeatmapViewState;
use crate::ui::replay::SessionsViewState;
use crate::ui::users::UsersState;
use crate::ui::workbench::ViewState;

impl SightlineApp {
    /// The heatmap view, when it is open (tests look at it).
    pub fn heatmap_view(&self) -> Option<&HeatmapViewState> {
        match &self.screen {
            Screen::Workbench(w) => match &w.view {
                ViewState::Heatmaps(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    /// The sessions view, when it is open (tests look at it).
    pub fn sessions_view(&self) -> Option<&SessionsViewState> {
        match &self.screen {
            Screen::Workbench(w) => match &w.view {
                ViewState::Sessions(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    /// Waits until the open replay's page renderer has answered what the player last asked
    /// (tests await the work, not the clock).
    pub fn wait_for_page_frame(&mut self, ctx: &egui::Context) {
        if let Screen::Workbench(w) = &mut self.screen
            && let ViewState::Sessions(state) = &mut w.view
            && let Some(page) = state.player.as_mut().and_then(|p| p.page.as_mut())
        {
            page.wait(ctx);
        }
    }

    /// Opens `view` in place of the current one.
    pub(super) fn open(&mut self, view: View) {
        if let Some(problem) = self.flush_annotations()
            && let Screen::Workbench(w) = &mut self.screen
        {
            w.notices.push(crate::access::Notice::warning(problem));
        }
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let opened = match view {
            View::Overview => {
                super::overview::open_view(&w.ws).map(|s| ViewState::Overview(Box::new(s)))
            }
            View::Compliance => {
                compliance::open_view(&w.ws).map(|s| ViewState::Compliance(Box::new(s)))
            }
            View::Sessions => replay::open_view(&w.ws).map(|s| ViewState::Sessions(Box::new(s))),
            // The page list is the gate for the view (every role may, and it is logged).
            View::Heatmaps => heatmaps::open_view(&w.ws).map(|s| ViewState::Heatmaps(Box::new(s))),
            // Read once through the gate (one log entry); filters then work in memory.
            View::AccessLog => {
                w.ws.access_log(&LogQuery::default())
                    .map(|entries| ViewState::AccessLog(Box::new(AccessLogState::new(entries))))
            }
            // Reading the masking rules is the gate for the view: data engineers only, logged.
            View::Import => w.ws.masking_rules().and_then(|_| {
                Ok(ViewState::Import(Box::new(
                    crate::ui::import::ImportViewState {
                        grids: w.ws.grid_layers()?,
                        grid_running: w.grid_job.is_some(),
                        ..Default::default()
                    },
                )))
            }),
            View::Users => w.ws.users().map(|users| {
                ViewState::Users(Box::new(UsersState {
                    users,
                    fingerprint: w.ws.authority_fingerprint(),
                    ..UsersState::default()
                }))
            }),
        };
        w.view = opened.unwrap_or_else(|e| ViewState::Refused(view, explain(&e)));
        // A task started before the user left is still running: the form says so.
        if let ViewState::Compliance(state) = &mut w.view {
            state.working = w.compliance_job.is_some();
        }
        // The anomaly scan reads every stored text: it runs behind the opened view (the
        // compliance lead's Overview counts what it finds).
        if matches!(view, View::Compliance | View::Overview) {
            self.refresh_anomalies();
        }
    }
}

/// An error in words for the screen; a denial also says that it was logged (the gate logs
/// every denial).
pub(crate) fn explain(e: &Error) -> String {
    match e {
        Error::Denied { .. } => format!("{e} The attempt was logged."),
        _ => e.to_string(),
    }
}
