//! The heatmap view's side panels: the page list, the segment editors, the legend, the
//! scroll-depth curve and the page's top elements.

use egui::{Color32, RichText};
use egui_plot::{Line, Plot, VLine};

use crate::access::heatmaps::SegmentValues;
use crate::heatmap::annotation::Shape;
use crate::heatmap::segment::Segment;
use crate::heatmap::{ColorMap, Kind, Palette};
use crate::ui::theme;

use super::state::HeatmapViewState;

/// The page list with search; returns true when another page was chosen.
pub fn pages_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState) -> bool {
    ui.heading("Pages");
    let label = ui.label("Search pages");
    ui.add(egui::TextEdit::singleline(&mut s.search).hint_text("inbox, /pricing…"))
        .labelled_by(label.id);
    ui.add_space(4.0);
    let needle = s.search.to_lowercase();
    let mut chosen = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        let shown: Vec<_> = s
            .pages
            .iter()
            .filter(|p| p.page.to_lowercase().contains(&needle))
            .collect();
        if shown.is_empty() {
            ui.label(RichText::new("No page matches.").color(theme::weak(ui.visuals())));
        }
        for p in shown {
            let name = p
                .page
                .split_once("://")
                .map_or(p.page.as_str(), |(_, rest)| rest);
            let selected = s.page.as_deref() == Some(p.page.as_str());
            let mut text = format!(
                "{name}\n{} · {}",
                p.sessions_label(),
                if p.viewports.is_empty() {
                    "no screenshots".to_owned()
                } else {
                    p.viewports.join(", ")
                }
            );
            for grid in &p.grids {
                text.push('\n');
                text.push_str(grid);
            }
            if ui.add(egui::Button::selectable(selected, text)).clicked() && !selected {
                chosen = Some(p.page.clone());
            }
        }
    });
    if let Some(page) = chosen {
        s.page = Some(page);
        return true;
    }
    false
}

/// A choice among `options` (plus "any"), as one row of a grid.
fn pick(ui: &mut egui::Ui, label: &str, value: &mut Option<String>, options: &[String]) {
    crate::ui::pick::pick(ui, label, value, options, 120.0);
    ui.end_row();
}

/// A day field: typing keeps the text; a valid date (or nothing) becomes the filter.
fn day(ui: &mut egui::Ui, label: &str, value: &mut Option<String>, first: Option<&String>) {
    let id = ui.scope_id().with(label).with("text");
    let mut text = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| value.clone().unwrap_or_default());
    let l = ui.label(label);
    let response = ui.add(
        egui::TextEdit::singleline(&mut text)
            .desired_width(120.0)
            .hint_text(first.map_or("YYYY-MM-DD", |f| f.as_str())),
    );
    response.labelled_by(l.id);
    let valid = text.is_empty()
        || time::Date::parse(
            &text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok();
    if valid {
        *value = (!text.is_empty()).then(|| text.clone());
    }
    ui.data_mut(|d| d.insert_temp(id, text));
    ui.end_row();
    if !valid {
        ui.label("");
        ui.label(RichText::new("Use YYYY-MM-DD").color(theme::error(ui.visuals())));
        ui.end_row();
    }
}

const SCORE_BANDS: [(&str, Option<(i64, i64)>); 4] = [
    ("any", None),
    ("1–2 (unhappy)", Some((1, 2))),
    ("3", Some((3, 3))),
    ("4–5 (happy)", Some((4, 5))),
];

/// The filters of one segment.
pub fn segment_ui(ui: &mut egui::Ui, id: &str, seg: &mut Segment, values: &SegmentValues) {
    ui.push_id(id, |ui| {
        egui::Grid::new("segment")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                day(ui, "From", &mut seg.from, values.days.first());
                day(ui, "To", &mut seg.to, values.days.last());
                let devices = ["desktop", "tablet", "mobile"].map(String::from);
                pick(ui, "Device", &mut seg.device, &devices);
                pick(ui, "Region", &mut seg.region, &values.regions);
                pick(ui, "Variant", &mut seg.variant, &values.variants);
                pick(ui, "Cohort", &mut seg.cohort, &values.cohorts);
                ui.label("Survey score");
                let current = SCORE_BANDS
                    .iter()
                    .find(|(_, b)| *b == seg.score)
                    .map_or("any", |(l, _)| l);
                egui::ComboBox::from_id_salt(ui.scope_id().with("score"))
                    .selected_text(current)
                    .width(120.0)
                    .show_ui(ui, |ui| {
                        for (label, band) in SCORE_BANDS {
                            ui.selectable_value(&mut seg.score, band, label);
                        }
                    });
                ui.end_row();
            });
        if !seg.is_all() && ui.button("Clear filters").clicked() {
            *seg = Segment::default();
        }
    });
}

/// The legend: what is shown, for how many sessions, with which parameters.
pub fn legend_ui(ui: &mut egui::Ui, s: &HeatmapViewState) {
    let Some(loaded) = &s.loaded else { return };
    let a = &loaded.result.a;
    ui.heading("Legend");
    for (name, h) in [("", Some(a)), ("B: ", loaded.result.b.as_ref())] {
        if let Some(why) = h.and_then(|h| h.withheld.as_ref()) {
            ui.label(RichText::new(format!("{name}{why}")).color(theme::error(ui.visuals())));
        }
    }
    let difference = s.compare && s.compare_view == super::state::CompareView::Difference;
    let map = if difference {
        ColorMap::Diverging
    } else {
        s.params.colormap
    };
    let (w, h) = (ui.available_width().min(260.0), 14.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(w, h), egui::Sense::hover());
    let palette = Palette::new(map, 1.0);
    let painter = ui.painter_at(rect);
    for i in 0..w as usize {
        let level = 1 + i * 254 / (w as usize).max(1);
        let [r, g, b, _] = palette.colors[level.min(255)];
        painter.rect_filled(
            egui::Rect::from_min_size(rect.min + egui::vec2(i as f32, 0.0), egui::vec2(1.0, h)),
            0.0,
            Color32::from_rgb(r, g, b),
        );
    }
    let (low, high) = if difference {
        ("B more".to_owned(), "A more".to_owned())
    } else {
        crate::export::png::scale_labels(a)
    };
    ui.horizontal(|ui| {
        ui.small(low);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.small(high)
        });
    });
    let weak = theme::weak(ui.visuals());
    if difference {
        let per = if loaded.result.per_event {
            "A − B per event (warehouse grids do not count their sessions)"
        } else {
            "A − B per session"
        };
        ui.label(RichText::new(per).color(weak).small());
    }
    let mut params = a.request.params;
    params.colormap = map;
    params.opacity = s.params.opacity;
    ui.label(format!("{} (floor k = {} people)", a.count_label(), a.k));
    if let Some(b) = &loaded.result.b {
        ui.label(format!("B: {}", b.count_label()));
    }
    ui.label(RichText::new(params.describe()).color(weak).small());
    ui.label(
        RichText::new(format!("Segment: {}", a.request.segment.describe()))
            .color(weak)
            .small(),
    );
    if let Some(d) = &a.density {
        ui.label(
            RichText::new(format!(
                "{} points drawn, {} off the screenshot",
                d.points, d.outside
            ))
            .color(weak)
            .small(),
        );
    }
    for kind in &a.markers_withheld {
        ui.label(
            RichText::new(format!(
                "{} clicks not marked: made by {}",
                if *kind == "rage" { "Rage" } else { "Dead" },
                crate::heatmap::k_floor::fewer_than(a.k)
            ))
            .color(weak)
            .small(),
        );
    }
    if a.below_floor {
        return;
    }
    let rage = a.markers.iter().filter(|m| m.rage).count();
    ui.label(
        RichText::new(format!(
            "Markers: {rage} rage (red), {} dead (grey)",
            a.markers.len() - rage
        ))
        .color(weak)
        .small(),
    );
}

/// The scroll-depth curve and the top elements.
pub fn charts_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState) {
    let Some(loaded) = &s.loaded else { return };
    let a = &loaded.result.a;
    if a.depth_curve.is_empty() {
        return;
    }
    ui.heading("Scroll depth");
    ui.label(
        RichText::new("Share of sessions (%) whose screen reached each depth (px)")
            .small()
            .color(theme::weak(ui.visuals())),
    );
    let points: Vec<[f64; 2]> = a.depth_curve.clone();
    let fold = a.fold_px;
    Plot::new("depth_curve")
        .height(150.0)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .include_y(0.0)
        .include_y(100.0)
        .x_axis_label("depth (px)")
        .show(ui, |plot| {
            plot.line(Line::new("reached", points));
            if let Some(f) = fold {
                plot.vline(VLine::new("average fold", f64::from(f)));
            }
        });
    elements_ui(ui, s);
    comparison_ui(ui, s);
}

/// The page's most clicked elements: hovering a row outlines where its clicks fall, clicking
/// it scrolls there.
fn elements_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState) {
    let Some(loaded) = &s.loaded else { return };
    ui.heading("Top elements");
    let table = match &loaded.result.elements {
        Ok(t) => t,
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
    };
    let weak = theme::weak(ui.visuals());
    if table.rows.is_empty() {
        ui.label(
            RichText::new(format!(
                "No element was clicked by at least {} people in this segment.",
                table.k
            ))
            .color(weak),
        );
        return;
    }
    ui.label(
        RichText::new(format!(
            "Shares are of the page's {} sessions in this segment",
            table.page_sessions
        ))
        .small()
        .color(weak),
    );
    let mut hovered = None;
    let mut jump = None;
    for row in table.rows.iter().take(TOP_ELEMENTS) {
        // One row: the selector on its own line (the panel is narrow), its figures below; the
        // whole row answers the pointer.
        let group = ui.vertical(|ui| {
            ui.add(egui::Label::new(RichText::new(&row.selector).monospace()).truncate());
            ui.label(
                RichText::new(format!(
                    "{:.1}% of sessions · {} clicks · rage {} · dead {} · error {} · first click {:.1} s",
                    row.share * 100.0,
                    row.clicks,
                    crate::insights::elements::count_text(row.rage),
                    crate::insights::elements::count_text(row.dead),
                    crate::insights::elements::count_text(row.error),
                    row.median_first_click_ms as f64 / 1000.0
                ))
                .small()
                .color(weak),
            );
        });
        let id = ui.scope_id().with(("top_element", &row.selector));
        let response = ui
            .interact(group.response.rect, id, egui::Sense::click())
            .on_hover_text("Outlined on the page where its clicks fall; click to go there");
        if response.hovered() {
            hovered = Some(row.bounds);
            ui.painter().rect_stroke(
                group.response.rect.expand(2.0),
                3.0,
                egui::Stroke::new(1.0, ui.visuals().widgets.hovered.bg_stroke.color),
                egui::StrokeKind::Outside,
            );
        }
        if response.clicked() {
            jump = Some(row.bounds[1]);
        }
        ui.add_space(4.0);
    }
    if table.below_floor > 0 {
        ui.label(
            RichText::new(format!(
                "{} more elements clicked by {} are not shown.",
                table.below_floor,
                crate::heatmap::k_floor::fewer_than(table.k)
            ))
            .small()
            .color(weak),
        );
    }
    let scale = loaded.result.a.image_from_page;
    s.hovered_element = hovered;
    if let Some(y) = jump {
        s.canvas.offset.y = (y * scale - 100.0).max(0.0);
    }
}

/// Segment B against A: each page-level signal and each element shown in both, as shares of
/// sessions with a 95% interval and a Holm-adjusted p-value; significant ones stand out.
fn comparison_ui(ui: &mut egui::Ui, s: &HeatmapViewState) {
    let Some(loaded) = &s.loaded else { return };
    let Some(comparison) = &loaded.result.comparison else {
        return;
    };
    ui.heading("B compared with A");
    let c = match comparison {
        Ok(c) => c,
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
    };
    let weak = theme::weak(ui.visuals());
    ui.label(
        RichText::new(
            "Share of each segment's sessions; 95% intervals of B − A; p-values from the two-proportion test, adjusted for the number of comparisons (Holm)",
        )
        .small()
        .color(weak),
    );
    let line = |ui: &mut egui::Ui, text: String, significant: bool| {
        let text = RichText::new(text).small();
        ui.label(if significant {
            text.strong()
        } else {
            text.color(weak)
        });
    };
    if c.signals.is_empty() {
        line(
            ui,
            format!(
                "Page signals need scored sessions from at least {} people in each segment, and each signal as many people.",
                c.k
            ),
            false,
        );
    }
    let texts = c.lines(TOP_ELEMENTS);
    let flags = c
        .signals
        .iter()
        .map(|s| s.test.significant())
        .chain(c.elements.iter().map(|e| e.test.significant()));
    for (text, significant) in texts.into_iter().zip(flags) {
        line(ui, text, significant);
    }
    if c.elements.is_empty() {
        line(
            ui,
            format!(
                "No element was clicked by at least {} people in both segments.",
                c.k
            ),
            false,
        );
    }
}

/// How many element rows the side panel lists.
const TOP_ELEMENTS: usize = 12;

/// The selected annotation: its kind, a note's text, delete.
pub fn selected_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState) {
    let Some(i) = s.canvas.selected else { return };
    let Some(shape) = s.annotations.shapes.get(i) else {
        s.canvas.selected = None;
        return;
    };
    ui.heading("Selected annotation");
    ui.label(format!(
        "A {}. Arrow keys move it (Shift: 10 px); Delete removes it.",
        shape.label()
    ));
    if let Shape::Note { text, .. } = shape {
        let mut edited = text.clone();
        let label = ui.label("Note text");
        let response = ui
            .add(egui::TextEdit::multiline(&mut edited).desired_rows(2))
            .labelled_by(label.id);
        if response.changed() {
            if response.gained_focus() || s.canvas.unsaved_since.is_none() {
                s.annotations.checkpoint();
            }
            if let Some(Shape::Note { text, .. }) = s.annotations.shapes.get_mut(i) {
                *text = edited;
            }
            s.canvas.unsaved_since = Some(ui.input(|i| i.time));
        }
    }
    if ui.button("Delete annotation").clicked() {
        s.annotations.remove(i);
        s.canvas.selected = None;
        s.canvas.unsaved_since = Some(ui.input(|i| i.time) - 1.0);
    }
}

/// Names of the kinds in the picker.
pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Click => "Clicks and taps",
        Kind::Move => "Pointer movement",
        Kind::Scroll => "Scroll depth",
        Kind::Attention => "Attention (time at depth)",
    }
}
