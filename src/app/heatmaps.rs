//! The app's side of the heatmap view: opening it through the gate, computing on a forked
//! workspace off the UI thread, saving annotations and exporting PNGs.

use std::sync::Arc;

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::{self, Scope};
use super::{Screen, SightlineApp};
use crate::access::heatmaps::{HeatmapRequest, PngTable};
use crate::access::{Capability, Workspace};
use crate::error::Error;
use crate::heatmap::annotation::Annotations;
use crate::ui::heatmaps::state::{HeatmapResult, HeatmapViewState, Loaded, ShotPixels};
use crate::ui::workbench::ViewState;

/// The view's first state: the page list and segment values, read through the gate.
pub(super) fn open_view(ws: &Workspace) -> Result<HeatmapViewState, Error> {
    let pages = ws.pages()?;
    let values = ws.segment_values()?;
    Ok(HeatmapViewState::new(
        pages,
        values,
        ws.may(Capability::AnnotateHeatmaps),
    ))
}

/// How many element rows the exported PNG lists.
const TOP_ELEMENTS_IN_PNG: usize = 10;

/// The decoded screenshot of the shown result, by (page, viewport), for reuse.
type ShownShot = ((String, String), Arc<ShotPixels>);

/// Computes A (and B and the difference in compare mode) and decodes the screenshot, unless
/// it is the one already shown (`shown`): a new segment or kind on the same page reuses it.
fn compute(
    ws: &Workspace,
    request: &HeatmapRequest,
    b: Option<&crate::heatmap::segment::Segment>,
    shown: Option<ShownShot>,
    stop: &jobs::Stop,
) -> Result<HeatmapResult, Error> {
    let stopped = || Error::Busy("The heatmap was stopped.".into());
    let segment_b = b;
    let (a, b, difference, per_event) = match b {
        Some(segment) => {
            let c = ws.heatmap_compare(request, segment)?;
            (c.a, Some(c.b), c.difference, c.per_event)
        }
        None => (ws.heatmap(request)?, None, None, false),
    };
    // Decoding a tall screenshot is the next long step; a locked session skips it.
    if stop.is_set() {
        return Err(stopped());
    }
    let key = (a.request.page.clone(), a.request.viewport.clone());
    let shot = match (&a.screenshot, shown) {
        (Some(_), Some((shown_key, pixels))) if shown_key == key => Some(pixels),
        (Some(s), _) => Some(Arc::new(ShotPixels::decode(&s.png).ok_or_else(|| {
            Error::Format("The stored screenshot could not be decoded.".into())
        })?)),
        (None, _) => None,
    };
    // In compare mode, each element's share of sessions and each signal, with statistics;
    // the comparison holds segment A's element table too, so it is read once.
    let comparison = segment_b.map(|segment| {
        ws.compare_segments(&request.page, &request.viewport, &request.segment, segment)
            .map_err(|e| super::explain(&e))
    });
    // The element table belongs with the heatmap it explains: same page, viewport, segment.
    let elements = match &comparison {
        Some(Ok(c)) => Ok(c.table_a.clone()),
        _ => ws
            .elements(&request.page, &request.viewport, &request.segment)
            .map_err(|e| super::explain(&e)),
    };
    Ok(HeatmapResult {
        a,
        b,
        difference,
        per_event,
        shot,
        elements,
        comparison,
    })
}

impl SightlineApp {
    /// The workbench, when the heatmap view is open.
    fn heatmap_workbench(&mut self) -> Option<&mut super::Workbench> {
        match &mut self.screen {
            Screen::Workbench(w) if matches!(w.view, ViewState::Heatmaps(_)) => Some(w),
            _ => None,
        }
    }

    pub(super) fn compute_heatmap(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Heatmaps(state) = &mut w.view else {
            return;
        };
        let Some((request, b)) = state.wanted() else {
            return;
        };
        // A fork has its own connections, so the window keeps drawing; the point cache is
        // shared, so the second look at a page reads nothing from disk.
        // Marked as asked for first, so a failure is shown once rather than retried each frame.
        state.computed = Some((request.clone(), b.clone()));
        let fork = match w.ws.fork() {
            Ok(f) => f,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        };
        state.computing = true;
        state.error = None;
        let shown = state.loaded.as_ref().and_then(|l| {
            let r = &l.result.a.request;
            l.result
                .shot
                .clone()
                .map(|p| ((r.page.clone(), r.viewport.clone()), p))
        });
        w.heatmap_job = Some(self.jobs.spawn("The heatmap", Scope::Session, move |stop| {
            compute(&fork, &request, b.as_ref(), shown, stop)
        }));
    }

    pub(super) fn poll_heatmap(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) =
            super::jobs::take_finished(&mut w.heatmap_job, "The heatmap computation", ctx)
        else {
            return;
        };
        let ViewState::Heatmaps(state) = &mut w.view else {
            return;
        };
        state.computing = false;
        match result {
            Ok(result) => {
                let same_page = state.loaded.as_ref().is_some_and(|l| {
                    l.result.a.request.page == result.a.request.page
                        && l.result.a.request.viewport == result.a.request.viewport
                });
                if !same_page {
                    state.annotations = Annotations::new(result.a.annotations.clone());
                    state.canvas.selected = None;
                    state.canvas.offset = egui::Vec2::ZERO;
                    state.canvas.fit_width = true;
                }
                // The same screenshot keeps its textures; overlays are coloured afresh.
                let layers = match state.loaded.take() {
                    Some(old) if same_page => old.layers.keep_shot(),
                    _ => Default::default(),
                };
                state.loaded = Some(Loaded { result, layers });
            }
            Err(e) => {
                state.loaded = None;
                state.error = Some(e.to_string());
            }
        }
        ctx.request_repaint();
    }

    /// Saves annotations still waiting for their quiet moment, before the view goes away (a
    /// lock, another view): what the user drew is never dropped.
    /// Returns why they could not be saved, for the caller to show where the user will
    /// look next (the notices, or the login screen after a lock).
    pub(super) fn flush_annotations(&mut self) -> Option<String> {
        let w = self.heatmap_workbench()?;
        let ViewState::Heatmaps(state) = &mut w.view else {
            return None;
        };
        state.canvas.unsaved_since.take()?;
        let h = state.heatmap()?;
        let (page, viewport) = (h.request.page.clone(), h.request.viewport.clone());
        w.ws.save_annotations(&page, &viewport, &state.annotations.shapes)
            .err()
            .map(|e| format!("Annotations not saved: {}", super::explain(&e)))
    }

    pub(super) fn save_annotations(&mut self) {
        let Some(w) = self.heatmap_workbench() else {
            return;
        };
        let ViewState::Heatmaps(state) = &mut w.view else {
            return;
        };
        let Some(h) = state.heatmap() else { return };
        let (page, viewport) = (h.request.page.clone(), h.request.viewport.clone());
        match w
            .ws
            .save_annotations(&page, &viewport, &state.annotations.shapes)
        {
            Ok(()) => {
                state.error = None;
                state.message = Some(format!(
                    "Annotations saved ({}).",
                    state.annotations.shapes.len()
                ))
            }
            Err(e) => state.error = Some(format!("Annotations not saved: {}", super::explain(&e))),
        }
    }

    pub(super) fn pick_heatmap_export(&mut self) {
        let Some(w) = self.heatmap_workbench() else {
            return;
        };
        let ViewState::Heatmaps(state) = &mut w.view else {
            return;
        };
        let Some(h) = state.heatmap() else { return };
        let name = format!(
            "heatmap-{}-{}-{}.png",
            h.request
                .page
                .rsplit('/')
                .next()
                .unwrap_or("page")
                .trim_end_matches(".html"),
            h.request.viewport,
            h.request.params.kind.as_str()
        );
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_file_name(&name)
                .add_filter("PNG image", &["png"])
                .save_file()
        });
        match picked {
            Picked::Chosen(path) => self.export_heatmap(&path),
            Picked::Unavailable => {
                state.export_path_shown = true;
                if state.export_path.is_empty() {
                    state.export_path = std::env::temp_dir().join(name).display().to_string();
                }
                state.message = Some(format!("{NO_DIALOG} Type where to save the PNG below."));
            }
            Picked::Cancelled => {}
        }
    }

    /// Renders and writes the annotated PNG on a fork; the window keeps drawing.
    pub(super) fn export_heatmap(&mut self, path: &std::path::Path) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        if w.png_job.is_some() {
            return;
        }
        let ViewState::Heatmaps(state) = &mut w.view else {
            return;
        };
        let Some(h) = state.heatmap() else { return };
        // What is on screen is what is exported: the current colours and opacity.
        let mut heatmap = h.clone();
        heatmap.request.params.colormap = state.params.colormap;
        heatmap.request.params.opacity = state.params.opacity;
        let shapes = state.annotations.shapes.clone();
        let path = path.to_path_buf();
        // What the side panel shows is what the PNG lists: the top elements, or in compare
        // mode segment A's heatmap with B compared with A under it.
        let table = match (state.elements_in_png, state.compare) {
            (false, _) => PngTable::None,
            (true, false) => PngTable::TopElements(TOP_ELEMENTS_IN_PNG),
            (true, true) => PngTable::Comparison(state.segment_b.clone(), TOP_ELEMENTS_IN_PNG),
        };
        match w.ws.fork() {
            Ok(fork) => {
                state.message = Some(format!("Exporting {}…", path.display()));
                w.png_job = Some(self.jobs.spawn("The PNG export", Scope::Session, move |_| {
                    fork.export_heatmap_with(&heatmap, &shapes, &table, &path)
                        .map(|bytes| (path, bytes))
                }));
            }
            Err(e) => state.error = Some(format!("Not exported: {}", super::explain(&e))),
        }
    }

    pub(super) fn poll_png(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) = jobs::take_finished(&mut w.png_job, "The PNG export", ctx) else {
            return;
        };
        let text = match &result {
            Ok((path, bytes)) => format!(
                "Exported {} ({} KB). The export is in the access log.",
                path.display(),
                bytes / 1024
            ),
            Err(e) => format!("Not exported: {}", super::explain(e)),
        };
        match &mut w.view {
            ViewState::Heatmaps(state) => match result {
                Ok(_) => {
                    state.error = None;
                    state.message = Some(text);
                }
                Err(_) => state.error = Some(text),
            },
            _ => w.notices.push(match result {
                Ok(_) => crate::access::Notice::info(text),
                Err(_) => crate::access::Notice::warning(text),
            }),
        }
    }
}
