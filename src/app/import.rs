//! The import view's controller: files chosen, dropped or picked by folder, the manifest, the
//! import on its own thread with a forked workspace, progress, Cancel and the report.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::{self, Scope};
use super::{Screen, SightlineApp};
use crate::access::Notice;
use crate::error::Error;
use crate::ingest::{ImportOptions, ImportProgress, ImportReport, Purposes};
use crate::ui::import::ImportViewState;
use crate::ui::workbench::ViewState;

/// Files as given, and for folders the `.json`, `.jsonl` and `.csv` files directly inside.
pub(super) fn importable_files(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let importable = |p: &std::path::Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "json" | "jsonl" | "csv"))
    };
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(&path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && importable(p))
                .collect();
            inside.sort();
            out.extend(inside);
        } else {
            out.push(path);
        }
    }
    out
}

/// An import on its own thread, with a forked workspace.
pub(super) struct RunningImport {
    pub(super) job: jobs::Job<Result<ImportReport, Error>>,
    pub(super) progress: Arc<Mutex<Option<ImportProgress>>>,
}

impl SightlineApp {
    /// The import form, when it is the open view.
    pub(super) fn import_state(&mut self) -> Option<&mut ImportViewState> {
        match &mut self.screen {
            Screen::Workbench(w) => match &mut w.view {
                ViewState::Import(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    /// Asks for files to import.
    pub(super) fn pick_import_files(&mut self) {
        if self.import_state().is_none() {
            return;
        }
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_title("Recordings and tables to import")
                .add_filter("recordings and tables", &["json", "jsonl", "csv"])
                .pick_files()
        });
        self.import_picked(picked);
    }

    /// Asks for a folder to import.
    pub(super) fn pick_import_folder(&mut self) {
        if self.import_state().is_none() {
            return;
        }
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_title("A folder of recordings and tables")
                .pick_folder()
                .map(|folder| vec![folder])
        });
        self.import_picked(picked);
    }

    fn import_picked(&mut self, picked: Picked<Vec<PathBuf>>) {
        match picked {
            Picked::Chosen(paths) => self.add_import_files(paths),
            Picked::Unavailable => {
                if let Some(state) = self.import_state() {
                    state.error = Some(format!(
                        "{NO_DIALOG} Drop the files on the window instead, or use `sightline import`."
                    ));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Adds files (chosen or dropped) to the list; folders add the importable files inside.
    /// A Parquet file is a warehouse grid: it is imported as one.
    pub(super) fn add_import_files(&mut self, paths: Vec<PathBuf>) {
        if self.import_state().is_none() {
            // Dropped elsewhere: said, not lost without a word.
            if let Screen::Workbench(w) = &mut self.screen {
                w.notices.push(Notice::info(
                    "Files dropped outside the Import view are not imported: open Import \
                     (data engineers) and drop them there."
                        .to_owned(),
                ));
            }
            return;
        }
        let (grids, paths): (Vec<PathBuf>, Vec<PathBuf>) = paths.into_iter().partition(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        });
        for grid in grids {
            self.start_grid_import(grid);
        }
        let files = importable_files(paths);
        if let Some(state) = self.import_state() {
            for f in files {
                if !state.files.contains(&f) {
                    state.files.push(f);
                }
            }
        }
    }

    /// Asks for a manifest.
    pub(super) fn pick_manifest(&mut self) {
        if self.import_state().is_none() {
            return;
        }
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .add_filter("manifest", &["csv", "json"])
                .pick_file()
        });
        match picked {
            Picked::Chosen(path) => {
                if let Some(state) = self.import_state() {
                    state.manifest = Some(path);
                }
            }
            Picked::Unavailable => {
                if let Some(state) = self.import_state() {
                    state.error = Some(format!(
                        "{NO_DIALOG} Use `sightline import --manifest` instead."
                    ));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Stops the running import after its current session.
    pub(super) fn cancel_import(&self) {
        if let Screen::Workbench(w) = &self.screen
            && let Some(running) = &w.import
        {
            running.job.stop();
        }
    }

    pub(super) fn start_import(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Import(state) = &mut w.view else {
            return;
        };
        if w.import.is_some() {
            return;
        }
        let manifest = match state
            .manifest
            .as_deref()
            .map(crate::ingest::manifest::Manifest::load)
            .transpose()
        {
            Ok(m) => m,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        };
        let options = ImportOptions {
            manifest,
            assume_consent: state.assume.then(|| {
                (
                    Purposes {
                        heatmaps: state.heatmaps,
                        recordings: state.recordings,
                    },
                    state.reason.trim().to_owned(),
                )
            }),
        };
        let mut ws = match w.ws.fork() {
            Ok(ws) => ws,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        };
        let files = state.files.clone();
        let progress = Arc::new(Mutex::new(Some(ImportProgress {
            files_done: 0,
            files_total: files.len(),
            sessions_stored: 0,
        })));
        let shared = Arc::clone(&progress);
        state.error = None;
        state.report = None;
        w.import = Some(RunningImport {
            job: self.jobs.spawn("The import", Scope::Session, move |stop| {
                let report = ws.import(
                    &files,
                    &options,
                    &mut |p| {
                        if let Ok(mut slot) = shared.lock() {
                            *slot = Some(p);
                        }
                    },
                    stop.flag(),
                );
                // Its own lock entry: the forked workspace's work ends here.
                drop(ws);
                report
            }),
            progress,
        });
    }

    pub(super) fn poll_import(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(running) = &w.import else { return };
        let finished = running.job.finished("The import");
        let progress = running.progress.lock().ok().and_then(|p| p.clone());
        if finished.is_some() {
            w.import = None;
        }
        let ViewState::Import(state) = &mut w.view else {
            // The user went elsewhere while it ran: the outcome waits in the notices.
            match finished {
                Some(Ok(report)) => w.notices.push(Notice::info(format!(
                    "Import finished: {} replays, {} heatmap sessions stored; {} files could not be read.",
                    report.replays_stored,
                    report.heatmap_sessions,
                    report.failed_files.len()
                ))),
                Some(Err(e)) => w.notices.push(Notice::warning(format!("The import failed: {e}"))),
                None => {}
            }
            return;
        };
        match finished {
            None => state.progress = progress,
            Some(Ok(report)) => {
                state.progress = None;
                state.report = Some(report);
                state.files.clear();
            }
            Some(Err(e)) => {
                state.progress = None;
                state.error = Some(e.to_string());
            }
        }
    }
}
