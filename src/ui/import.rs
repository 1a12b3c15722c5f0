//! The import view (data engineer): choose recording files (or drop them on the window), a
//! manifest, and whether consent was handled upstream (with a reason for the log); then a
//! progress bar with Cancel, and the import report. Below, the warehouse grids: import one,
//! see the layers with their sources, remove one after confirming.

use std::path::PathBuf;

use egui::{RichText, TextEdit};

use crate::command::Command;
use crate::ingest::{ImportProgress, ImportReport};
use crate::ui::theme;

/// What the view holds.
#[derive(Default)]
pub struct ImportViewState {
    /// Files to import.
    pub files: Vec<PathBuf>,
    /// Optional manifest.
    pub manifest: Option<PathBuf>,
    /// Consent handled upstream.
    pub assume: bool,
    /// Assumed purpose: heatmaps.
    pub heatmaps: bool,
    /// Assumed purpose: recordings.
    pub recordings: bool,
    /// Why consent may be assumed.
    pub reason: String,
    /// Progress while running.
    pub progress: Option<ImportProgress>,
    /// The last report.
    pub report: Option<ImportReport>,
    /// The last error.
    pub error: Option<String>,
    /// The warehouse grid layers.
    pub grids: Vec<crate::grid::store::LayerInfo>,
    /// A grid import is running.
    pub grid_running: bool,
    /// Rows the running grid import has read and checked.
    pub grid_rows: usize,
    /// What the last grid import or removal did.
    pub grid_report: Option<Vec<String>>,
    /// Why the last grid import or removal failed.
    pub grid_error: Option<String>,
    /// The layer the user asked to remove, waiting for confirmation.
    pub confirm_remove: Option<i64>,
}

/// Draws the view.
pub fn import_ui(ui: &mut egui::Ui, state: &mut ImportViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.heading("Import");
    if let Some(p) = &state.progress {
        let fraction = p.files_done as f32 / p.files_total.max(1) as f32;
        ui.add(egui::ProgressBar::new(fraction).show_percentage());
        ui.label(format!(
            "{} of {} files, {} sessions stored",
            p.files_done, p.files_total, p.sessions_stored
        ));
        if ui
            .button("Cancel")
            .on_hover_text("Stop after the current session; what is stored stays")
            .clicked()
        {
            out.push(Command::CancelImport);
        }
        return;
    }
    ui.label(
        RichText::new("rrweb JSON, PostHog JSON Lines, native JSON Lines, consent and survey CSV. Drop files on the window or choose them.")
            .color(theme::weak(&visuals)),
    );
    ui.horizontal(|ui| {
        if ui.button("Add files…").clicked() {
            out.push(Command::PickImportFiles);
        }
        if ui
            .button("Add folder…")
            .on_hover_text("Every .json, .jsonl and .csv file in a folder")
            .clicked()
        {
            out.push(Command::PickImportFolder);
        }
        if ui
            .add_enabled(!state.files.is_empty(), egui::Button::new("Clear"))
            .clicked()
        {
            state.files.clear();
        }
        if ui
            .button("Manifest…")
            .on_hover_text("CSV or JSON with subject, start, region, consent, variant, cohort")
            .clicked()
        {
            out.push(Command::PickManifest);
        }
        if let Some(m) = &state.manifest {
            ui.label(format!(
                "manifest: {}",
                m.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ));
        }
    });
    if state.files.is_empty() {
        ui.label(RichText::new("No files chosen yet.").color(theme::weak(&visuals)));
    }
    for f in &state.files {
        ui.label(f.display().to_string());
    }
    ui.add_space(theme::GAP);
    ui.checkbox(
        &mut state.assume,
        "Consent was handled upstream for sessions without a consent record",
    );
    if state.assume {
        ui.horizontal(|ui| {
            ui.checkbox(&mut state.heatmaps, "heatmaps");
            ui.checkbox(&mut state.recordings, "recordings");
        });
        let l = ui.label("Reason (goes into the access log)");
        ui.add(TextEdit::singleline(&mut state.reason).desired_width(400.0))
            .labelled_by(l.id);
    }
    let ready = !state.files.is_empty()
        && (!state.assume
            || (!state.reason.trim().is_empty() && (state.heatmaps || state.recordings)));
    if ui.add_enabled(ready, egui::Button::new("Import")).clicked() {
        out.push(Command::StartImport);
    }
    if let Some(error) = &state.error {
        ui.label(RichText::new(error).color(theme::error(&visuals)));
    }
    if let Some(report) = &state.report {
        ui.add_space(theme::GAP);
        ui.strong("Import report");
        for line in report.summary_lines() {
            ui.monospace(line);
        }
    }
    ui.add_space(theme::GAP);
    ui.separator();
    grids_ui(ui, state, out);
}

/// The warehouse grids: import one, the layers with their sources, removal with a confirmation.
fn grids_ui(ui: &mut egui::Ui, state: &mut ImportViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.heading("Warehouse grids");
    ui.label(
        RichText::new(
            "Heatmap counts made in your warehouse, k-anonymous bin by bin (Parquet or CSV; \
             the recipes are in warehouse/). Drop a .parquet file on the window or choose one. \
             Every row is checked; a bad row refuses the file.",
        )
        .color(theme::weak(&visuals)),
    );
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!state.grid_running, egui::Button::new("Import a grid…"))
            .clicked()
        {
            out.push(Command::PickGridFile);
        }
        if state.grid_running {
            ui.spinner();
            ui.label(format!(
                "Reading and checking the grid: {} rows so far…",
                state.grid_rows
            ));
        }
    });
    if let Some(error) = &state.grid_error {
        ui.label(RichText::new(error).color(theme::error(&visuals)));
    }
    for line in state.grid_report.iter().flatten() {
        ui.monospace(line);
    }
    if state.grids.is_empty() {
        ui.label(RichText::new("No grid layers yet.").color(theme::weak(&visuals)));
    }
    for layer in &state.grids {
        ui.horizontal(|ui| {
            if state.confirm_remove == Some(layer.id) {
                ui.label(
                    RichText::new(format!(
                        "Remove layer {} ({})? Recordings imported after it kept no heatmap \
                         points for its days.",
                        layer.id,
                        layer.describe()
                    ))
                    .color(theme::error(&visuals)),
                );
                if ui.button("Remove").clicked() {
                    out.push(Command::RemoveGridLayer(layer.id));
                }
                if ui.button("Keep").clicked() {
                    state.confirm_remove = None;
                }
            } else {
                if ui
                    .small_button("Remove…")
                    .on_hover_text("Remove this layer and its bins (logged)")
                    .clicked()
                {
                    out.push(Command::AskRemoveGridLayer(layer.id));
                }
                ui.label(RichText::new(layer.line()).small());
            }
        });
    }
}
