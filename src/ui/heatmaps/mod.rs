//! The heatmap view: page picker, viewport tabs, kind and colour controls, segments and
//! compare, the zoomable canvas with annotations, the legend and charts, and export.

pub mod annotate;
pub mod canvas;
pub mod side;
pub mod state;
pub mod tiles;

use egui::RichText;

use crate::access::Capability;
use crate::command::Command;
use crate::heatmap::{ColorMap, Kind, Normalisation};
use crate::ui::theme;

use annotate::Tool;
use state::{CompareView, HeatmapViewState};

/// Draws the view; what the app should do goes into `out`.
pub fn heatmaps_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState, out: &mut Vec<Command>) {
    egui::Panel::left("heatmap_pages")
        .resizable(true)
        .default_size(230.0)
        .show(ui, |ui| {
            if side::pages_ui(ui, s) {
                s.annotations = Default::default();
                s.canvas.selected = None;
            }
        });
    egui::Panel::right("heatmap_side")
        .resizable(true)
        .default_size(290.0)
        .min_size(260.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| side_panel(ui, s));
        });
    egui::Panel::top("heatmap_toolbar").show(ui, |ui| {
        toolbar_ui(ui, s, out);
    });
    egui::CentralPanel::default().show(ui, |ui| {
        canvas::canvas_ui(ui, s, out);
    });
    annotate::note_window(ui.ctx(), s);
    if ui.input_mut(|i| {
        i.consume_shortcut(&egui::KeyboardShortcut::new(
            egui::Modifiers::COMMAND,
            egui::Key::E,
        ))
    }) {
        out.push(Command::ExportHeatmap);
    }
    if s.needs_compute() && !s.computing && !s.adjusting {
        out.push(Command::ComputeHeatmap);
    }
}

fn side_panel(ui: &mut egui::Ui, s: &mut HeatmapViewState) {
    ui.heading(if s.compare { "Segment A" } else { "Segment" });
    side::segment_ui(ui, "segment_a", &mut s.segment, &s.values);
    ui.add_space(theme::GAP);
    ui.checkbox(&mut s.compare, "Compare with segment B");
    if s.compare {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut s.compare_view, CompareView::SideBySide, "Side by side");
            ui.selectable_value(
                &mut s.compare_view,
                CompareView::Difference,
                "Difference A − B",
            );
        });
        ui.heading("Segment B");
        side::segment_ui(ui, "segment_b", &mut s.segment_b, &s.values);
    }
    ui.add_space(theme::GAP);
    side::legend_ui(ui, s);
    ui.add_space(theme::GAP);
    side::selected_ui(ui, s);
    side::charts_ui(ui, s);
}

fn toolbar_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState, out: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        for (viewport, label) in [
            ("desktop", "Desktop"),
            ("tablet", "Tablet"),
            ("mobile", "Mobile"),
        ] {
            let has_shot = s
                .pages
                .iter()
                .find(|p| Some(&p.page) == s.page.as_ref())
                .is_some_and(|p| p.viewports.iter().any(|v| v == viewport));
            let text = if has_shot {
                label.to_owned()
            } else {
                format!("{label} (no screenshot)")
            };
            if ui
                .add(egui::Button::selectable(s.viewport == viewport, text))
                .clicked()
            {
                s.viewport = viewport.into();
                s.annotations = Default::default();
                s.canvas.selected = None;
            }
        }
        ui.separator();
        egui::ComboBox::from_id_salt("kind")
            .selected_text(side::kind_label(s.params.kind))
            .show_ui(ui, |ui| {
                for k in Kind::ALL {
                    ui.selectable_value(&mut s.params.kind, k, side::kind_label(k));
                }
            });
        let l = ui.label("Colours");
        egui::ComboBox::from_id_salt("colormap")
            .selected_text(s.params.colormap.label())
            .show_ui(ui, |ui| {
                for c in ColorMap::SEQUENTIAL {
                    ui.selectable_value(&mut s.params.colormap, c, c.label());
                }
            })
            .response
            .labelled_by(l.id);
        if s.params.kind != Kind::Scroll {
            let l = ui.label("Scale");
            egui::ComboBox::from_id_salt("normalisation")
                .selected_text(s.params.normalisation.label())
                .show_ui(ui, |ui| {
                    for n in Normalisation::ALL {
                        ui.selectable_value(&mut s.params.normalisation, n, n.label());
                    }
                })
                .response
                .labelled_by(l.id);
        }
    });
    // Sliders on a row of their own: wrapped after the pickers they ran under the side panel.
    ui.horizontal(|ui| {
        if s.params.kind.uses_points() {
            let radius = ui.add(
                egui::Slider::new(&mut s.params.sigma_px, 2.0..=60.0)
                    .text("Radius")
                    .suffix(" px"),
            );
            // Computed when the drag ends: every computation is a logged access.
            s.adjusting = radius.dragged();
        }
        ui.add(egui::Slider::new(&mut s.params.opacity, 0.0..=1.0).text("Opacity"));
        ui.checkbox(&mut s.show_markers, "Rage/dead markers");
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("Fit width").clicked() {
            s.canvas.fit_width = true;
        }
        if ui.button("1:1").clicked() {
            s.canvas.fit_width = false;
            s.canvas.zoom = 1.0;
        }
        if ui.button("Zoom in").clicked() {
            s.canvas.fit_width = false;
            s.canvas.zoom = (s.canvas.zoom * 1.25).min(8.0);
        }
        if ui.button("Zoom out").clicked() {
            s.canvas.fit_width = false;
            s.canvas.zoom = (s.canvas.zoom / 1.25).max(0.05);
        }
        ui.label(
            RichText::new(format!("{:.0}%", s.canvas.zoom * 100.0))
                .color(theme::weak(ui.visuals())),
        );
        ui.separator();
        let why = format!(
            "Only for: {}.",
            Capability::AnnotateHeatmaps
                .roles()
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for tool in Tool::ALL {
            let r = ui.add_enabled(
                s.may_annotate && !s.compare,
                egui::Button::selectable(s.canvas.tool == tool, tool.label()),
            );
            if r.clicked() {
                s.canvas.tool = tool;
            }
            if !s.may_annotate {
                r.on_disabled_hover_text(&why);
            }
        }
        if ui
            .add_enabled(s.may_annotate, egui::Button::new("Undo"))
            .on_hover_text("Ctrl+Z")
            .clicked()
            && s.annotations.undo()
        {
            s.canvas.selected = None;
            s.canvas.unsaved_since = Some(ui.input(|i| i.time) - 1.0);
        }
        ui.separator();
        let drawn = s.heatmap().is_some_and(|h| h.density.is_some());
        let export = ui.add_enabled(s.may_annotate && drawn, egui::Button::new("Export PNG…"));
        if export.clicked() {
            out.push(Command::ExportHeatmap);
        }
        if s.may_annotate {
            export.on_hover_text("Annotated PNG at full resolution (Ctrl+E)");
            ui.checkbox(&mut s.elements_in_png, "with top elements")
                .on_hover_text("Add the table of the most clicked elements under the image");
        } else {
            export.on_disabled_hover_text(&why);
        }
        if s.computing {
            ui.spinner();
            ui.label("Computing…");
        }
    });
    if s.export_path_shown {
        ui.horizontal(|ui| {
            let label = ui.label("Save PNG to");
            ui.add(egui::TextEdit::singleline(&mut s.export_path).desired_width(360.0))
                .labelled_by(label.id);
            if ui.button("Export").clicked() && !s.export_path.trim().is_empty() {
                out.push(Command::ExportHeatmapTo(s.export_path.trim().into()));
            }
        });
    }
    // One status line, always there, so messages never move the canvas under the pointer.
    let visuals = ui.visuals().clone();
    let status = match (&s.error, &s.message) {
        (Some(e), _) => RichText::new(e).color(theme::error(&visuals)),
        (None, Some(m)) => RichText::new(m).color(theme::weak(&visuals)),
        (None, None) => RichText::new(" "),
    };
    ui.add(egui::Label::new(status).truncate());
}
