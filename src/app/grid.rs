//! The import view's warehouse grids: a grid file chosen and imported on a fork in the
//! background, the layers listed, and a layer removed once the user confirms.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::{self, Scope};
use super::{Screen, SightlineApp};
use crate::ui::workbench::ViewState;

/// A grid import on its own thread, and how many rows it has read and checked.
pub(super) struct RunningGrid {
    job: jobs::Job<Result<crate::access::GridReport, crate::error::Error>>,
    rows: Arc<AtomicUsize>,
}

impl SightlineApp {
    /// Asks for a grid file, then imports it.
    pub(super) fn pick_grid_file(&mut self) {
        if self.import_state().is_none() {
            return;
        }
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_title("A warehouse grid to import")
                .add_filter("warehouse grid", &["parquet", "csv"])
                .pick_file()
        });
        match picked {
            Picked::Chosen(path) => self.start_grid_import(path),
            Picked::Unavailable => {
                if let Some(state) = self.import_state() {
                    state.grid_error = Some(format!(
                        "{NO_DIALOG} Drop a .parquet grid on the window, or use \
                         `sightline import --grid FILE`."
                    ));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Reads, checks and stores the grid at `path` on a fork, in the background.
    pub(super) fn start_grid_import(&mut self, path: PathBuf) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Import(state) = &mut w.view else {
            return;
        };
        if w.grid_job.is_some() {
            state.grid_error =
                Some("A grid import is running: add the next grid once it has finished.".into());
            return;
        }
        let mut ws = match w.ws.fork() {
            Ok(ws) => ws,
            Err(e) => {
                state.grid_error = Some(e.to_string());
                return;
            }
        };
        state.grid_error = None;
        state.grid_report = None;
        state.grid_running = true;
        state.grid_rows = 0;
        let rows = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&rows);
        let job = self
            .jobs
            .spawn("The grid import", Scope::Session, move |stop| {
                let report = ws.import_grid_watched(
                    &path,
                    None,
                    &|n| seen.store(n, Ordering::Relaxed),
                    stop.flag(),
                );
                drop(ws);
                report
            });
        w.grid_job = Some(RunningGrid { job, rows });
    }

    /// Takes a finished grid import's outcome into the view, and lists the layers again.
    pub(super) fn poll_grid_import(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(running) = &w.grid_job else { return };
        let Some(finished) = running.job.finished("The grid import") else {
            let rows = running.rows.load(Ordering::Relaxed);
            if let ViewState::Import(state) = &mut w.view {
                state.grid_rows = rows;
            }
            return;
        };
        w.grid_job = None;
        let ViewState::Import(state) = &mut w.view else {
            // The user went elsewhere while it ran: the outcome waits in the notices.
            w.notices.push(match finished {
                Ok(report) => crate::access::Notice::info(format!(
                    "Grid import finished: {} layer(s), {} events.",
                    report.layers.len(),
                    report.events
                )),
                Err(e) => crate::access::Notice::warning(format!("The grid import failed: {e}")),
            });
            return;
        };
        state.grid_running = false;
        match finished {
            Ok(report) => state.grid_report = Some(report.summary_lines()),
            Err(e) => state.grid_error = Some(e.to_string()),
        }
        let layers = w.ws.grid_layers();
        Self::show_layers(state, layers);
    }

    /// The layers listed again; a pending confirmation is dropped (ids may be reused).
    fn show_layers(
        state: &mut crate::ui::import::ImportViewState,
        layers: crate::error::Result<Vec<crate::grid::store::LayerInfo>>,
    ) {
        state.confirm_remove = None;
        match layers {
            Ok(layers) => state.grids = layers,
            Err(e) if state.grid_error.is_none() => state.grid_error = Some(e.to_string()),
            Err(_) => {}
        }
    }

    /// Removes layer `id` (the gate decides who may) and lists the layers again.
    pub(super) fn remove_grid_layer(&mut self, id: i64) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let removed = w.ws.remove_grid_layer(id);
        let layers = w.ws.grid_layers();
        let ViewState::Import(state) = &mut w.view else {
            return;
        };
        match removed {
            Ok(layer) => {
                state.grid_error = None;
                state.grid_report = Some(vec![format!("Removed {}", layer.line())]);
            }
            Err(e) => state.grid_error = Some(super::explain(&e)),
        }
        Self::show_layers(state, layers);
    }
}
