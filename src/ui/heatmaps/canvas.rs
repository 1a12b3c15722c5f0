//! The heatmap canvas: screenshot and overlay bands under a zoom and pan, rage and dead click
//! markers and the fold, with the annotations drawn and edited (`annotate.rs`) on top.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use crate::command::Command;
use crate::heatmap::annotation::Shape;
use crate::heatmap::{ColorMap, Kind};
use crate::ui::theme;

use super::annotate::{Drag, NoteDraft, SAVE_AFTER, Tool, draw_shape, edit_ui};
use super::state::{CompareView, HeatmapViewState};
use super::tiles::{Layer, Layers};

/// Zoom, pan and the editor's state.
#[derive(Debug, Clone)]
pub struct CanvasState {
    /// Screen points per image pixel.
    pub zoom: f32,
    /// The image pixel at the view's top-left corner.
    pub offset: Vec2,
    /// Keep the page's width fitted to the view.
    pub fit_width: bool,
    /// The active tool.
    pub tool: Tool,
    /// The selected annotation.
    pub selected: Option<usize>,
    pub(super) drag: Option<Drag>,
    /// A note being written.
    pub note: Option<NoteDraft>,
    /// Annotations changed at this time and are not saved yet.
    pub unsaved_since: Option<f64>,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            zoom: 1.0,
            offset: Vec2::ZERO,
            fit_width: true,
            tool: Tool::Select,
            selected: None,
            drag: None,
            note: None,
            unsaved_since: None,
        }
    }
}

/// Maps between image pixels and the screen for one panel.
#[derive(Clone, Copy)]
pub(super) struct View {
    pub(super) panel: Rect,
    pub(super) zoom: f32,
    pub(super) offset: Vec2,
}

impl View {
    pub(super) fn screen_from_image(&self, p: [f32; 2]) -> Pos2 {
        self.panel.min + (vec2(p[0], p[1]) - self.offset) * self.zoom
    }

    pub(super) fn image_from_screen(&self, p: Pos2) -> [f32; 2] {
        let v = (p - self.panel.min) / self.zoom + self.offset;
        [v.x, v.y]
    }

    pub(super) fn rect(&self, x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect::from_min_max(
            self.screen_from_image([x0, y0]),
            self.screen_from_image([x1, y1]),
        )
    }
}

/// Draws the canvas; asks for a save when annotations have settled.
pub fn canvas_ui(ui: &mut egui::Ui, s: &mut HeatmapViewState, out: &mut Vec<Command>) {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Heatmap canvas"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let Some(loaded) = &mut s.loaded else {
        let text = if s.computing {
            "Computing the heatmap…"
        } else if s.page.is_none() {
            "No pages yet: a data engineer imports recordings and screenshots first."
        } else {
            "Choose a page on the left."
        };
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            text,
            FontId::proportional(15.0),
            ui.visuals().weak_text_color(),
        );
        return;
    };
    let (w, h) = loaded.result.a.size;
    let side_by_side =
        s.compare && s.compare_view == CompareView::SideBySide && loaded.result.b.is_some();
    let panels: Vec<Rect> = if side_by_side {
        let half = (rect.width() - 8.0) / 2.0;
        vec![
            Rect::from_min_size(rect.min, vec2(half, rect.height())),
            Rect::from_min_size(rect.min + vec2(half + 8.0, 0.0), vec2(half, rect.height())),
        ]
    } else {
        vec![rect]
    };
    let c = &mut s.canvas;
    if c.fit_width {
        // Narrow (mobile) screenshots are not blown up past their own size.
        c.zoom = (panels[0].width() / w.max(1) as f32).min(1.0);
    }
    if response.hovered() {
        let (scroll, zoom_delta, pointer) =
            ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta(), i.pointer.hover_pos()));
        if zoom_delta != 1.0 {
            let anchor = pointer.unwrap_or(panels[0].center());
            let view = View {
                panel: panels[0],
                zoom: c.zoom,
                offset: c.offset,
            };
            let at = view.image_from_screen(anchor);
            c.zoom = (c.zoom * zoom_delta).clamp(0.05, 8.0);
            c.fit_width = false;
            c.offset = vec2(at[0], at[1]) - (anchor - panels[0].min) / c.zoom;
        } else if scroll != Vec2::ZERO {
            c.offset -= scroll / c.zoom;
        }
    }
    let visible = panels[0].size() / c.zoom;
    c.offset.x = if visible.x >= w as f32 {
        // Narrower than the view: centred.
        -(visible.x - w as f32) / 2.0
    } else {
        c.offset.x.clamp(0.0, w as f32 - visible.x)
    };
    c.offset.y = c.offset.y.clamp(0.0, (h as f32 - visible.y).max(0.0));
    let views: Vec<View> = panels
        .iter()
        .map(|&panel| View {
            panel,
            zoom: c.zoom,
            offset: c.offset,
        })
        .collect();

    let layers: Vec<Layer> = if side_by_side {
        vec![Layer::A, Layer::B]
    } else if s.compare && s.compare_view == CompareView::Difference {
        vec![Layer::Difference]
    } else {
        vec![Layer::A]
    };
    let palette = (s.params.colormap, s.params.opacity);
    let ctx = ui.ctx().clone();
    for (view, layer) in views.iter().zip(&layers) {
        let painter = ui.painter_at(view.panel);
        draw_layer(
            &ctx,
            &painter,
            view,
            *layer,
            loaded,
            palette,
            s.show_markers,
        );
    }
    if let Some(b) = s.hovered_element {
        // Where the hovered element's clicks fall, padded so a single point still shows.
        let f = loaded.result.a.image_from_page;
        let pad = 6.0 / s.canvas.zoom;
        for view in &views {
            let rect = view.rect(
                b[0] * f - pad,
                b[1] * f - pad,
                b[2] * f + pad,
                b[3] * f + pad,
            );
            let painter = ui.painter_at(view.panel);
            let kind = egui::StrokeKind::Outside;
            painter.rect_stroke(
                rect,
                4.0,
                Stroke::new(4.0, theme::ELEMENT_OUTLINE_EDGE),
                kind,
            );
            painter.rect_stroke(rect, 4.0, Stroke::new(2.0, theme::ELEMENT_OUTLINE), kind);
        }
    }
    // Annotations belong to the page, drawn and edited on the single view.
    let edit = !s.compare;
    if edit {
        let view = views[0];
        let painter = ui.painter_at(view.panel);
        for (i, shape) in s.annotations.shapes.iter().enumerate() {
            draw_shape(&painter, &view, shape, s.canvas.selected == Some(i));
        }
        if s.may_annotate {
            edit_ui(ui, &response, &view, s);
        } else if response.dragged() {
            s.canvas.offset -= response.drag_delta() / s.canvas.zoom;
        }
        if let Some(Drag::Create(a, b)) = s.canvas.drag {
            let shape = match s.canvas.tool {
                Tool::Arrow => Shape::Arrow { from: a, to: b },
                _ => Shape::Rect { from: a, to: b },
            };
            draw_shape(&painter, &view, &shape, true);
        }
        if let Some(since) = s.canvas.unsaved_since {
            if ui.input(|i| i.time) - since >= SAVE_AFTER && s.canvas.drag.is_none() {
                s.canvas.unsaved_since = None;
                out.push(Command::SaveAnnotations);
            } else {
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_secs_f64(SAVE_AFTER));
            }
        }
    } else if response.dragged() {
        s.canvas.offset -= response.drag_delta() / s.canvas.zoom;
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_layer(
    ctx: &egui::Context,
    painter: &egui::Painter,
    view: &View,
    layer: Layer,
    loaded: &mut super::state::Loaded,
    (map, opacity): (ColorMap, f32),
    markers: bool,
) {
    let result = &loaded.result;
    let heatmap = match layer {
        Layer::B => result.b.as_ref().unwrap_or(&result.a),
        _ => &result.a,
    };
    let (w, h) = heatmap.size;
    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
    let on_screen = |y0: usize, y1: usize| view.rect(0.0, y0 as f32, w as f32, y1 as f32);
    match &result.shot {
        Some(shot) => {
            for (y0, y1, id) in loaded.layers.shot(ctx, shot) {
                let r = on_screen(y0, y1);
                if r.intersects(view.panel) {
                    painter.image(id, r, uv, Color32::WHITE);
                }
            }
            if heatmap.screenshot.as_ref().is_some_and(|s| s.reconstructed) {
                let text = format!("Page {}", crate::heatmap::figure::RECONSTRUCTED_LABEL);
                let galley =
                    painter.layout_no_wrap(text, FontId::proportional(13.0), Color32::WHITE);
                // Bottom left of the visible part: the top is where floor notices go.
                let size = galley.size() + vec2(12.0, 6.0);
                let at = pos2(view.panel.left() + 8.0, view.panel.bottom() - 8.0 - size.y);
                let r = Rect::from_min_size(at, size);
                painter.rect_filled(r, 4.0, Color32::from_black_alpha(180));
                painter.galley(r.min + vec2(6.0, 3.0), galley, Color32::WHITE);
            }
        }
        None => {
            painter.rect_filled(on_screen(0, h), 0.0, theme::CANVAS_PAPER);
            painter.text(
                view.screen_from_image([w as f32 / 2.0, 40.0]),
                Align2::CENTER_CENTER,
                format!("No screenshot at this width: a plain {w} px canvas"),
                FontId::proportional(14.0),
                theme::CANVAS_INK,
            );
        }
    }
    let density = match layer {
        Layer::A => result.a.density.clone(),
        Layer::B => result.b.as_ref().and_then(|b| b.density.clone()),
        Layer::Difference => result.difference.clone(),
    };
    if let Some(d) = &density {
        let map = if layer == Layer::Difference {
            ColorMap::Diverging
        } else {
            map
        };
        for index in 0..Layers::overlay_bands(ctx, d) {
            let rows = super::tiles::band_rows(ctx);
            let (y0, y1) = (index * rows, ((index + 1) * rows).min(h));
            if !on_screen(y0, y1).intersects(view.panel) {
                continue;
            }
            if let Some((y0, y1, id)) =
                loaded
                    .layers
                    .overlay_band(ctx, layer, d, index, (map, opacity))
            {
                painter.image(id, on_screen(y0, y1), uv, Color32::WHITE);
            }
        }
    }
    if markers && layer != Layer::Difference {
        for m in &heatmap.markers {
            let p = view.screen_from_image([m.x, m.y]);
            if view.panel.contains(p) {
                if m.rage {
                    painter.circle(p, 5.0, theme::RAGE, Stroke::new(1.5, Color32::WHITE));
                } else {
                    painter.circle(p, 3.0, theme::DEAD, Stroke::new(1.0, Color32::WHITE));
                }
            }
        }
    }
    if let (Some(fold), Kind::Scroll | Kind::Attention) =
        (heatmap.fold_px, heatmap.request.params.kind)
    {
        let y = view.screen_from_image([0.0, fold]).y;
        let (x0, x1) = (view.panel.left(), view.panel.right());
        painter.add(egui::Shape::dashed_line(
            &[pos2(x0, y), pos2(x1, y)],
            Stroke::new(2.0, Color32::WHITE),
            10.0,
            6.0,
        ));
        painter.text(
            pos2(x0 + 8.0, y - 4.0),
            Align2::LEFT_BOTTOM,
            "average fold",
            FontId::proportional(13.0),
            Color32::WHITE,
        );
    }
    let title = match layer {
        Layer::A if result.b.is_some() => Some("A"),
        Layer::B => Some("B"),
        Layer::Difference => Some("A − B"),
        Layer::A => None,
    };
    let withheld = match layer {
        Layer::Difference if result.difference.is_none() => {
            Some("No difference map: both segments must reach the k floor.".to_owned())
        }
        _ => heatmap.withheld.clone(),
    };
    let mut top = view.panel.top() + 8.0;
    if let Some(t) = title {
        let galley = painter.layout_no_wrap(t.into(), FontId::proportional(16.0), Color32::WHITE);
        let r = Rect::from_min_size(
            pos2(view.panel.left() + 8.0, top),
            galley.size() + vec2(12.0, 6.0),
        );
        painter.rect_filled(r, 4.0, Color32::from_black_alpha(180));
        painter.galley(r.min + vec2(6.0, 3.0), galley, Color32::WHITE);
        top = r.bottom() + 6.0;
    }
    if let Some(text) = withheld {
        let width = (view.panel.width() - 32.0).max(100.0);
        let galley = painter.layout(text, FontId::proportional(15.0), Color32::WHITE, width);
        let r = Rect::from_min_size(
            pos2(view.panel.left() + 16.0, top),
            galley.size() + vec2(16.0, 12.0),
        );
        painter.rect_filled(r, 6.0, theme::WITHHELD_FILL);
        painter.galley(r.min + vec2(8.0, 6.0), galley, Color32::WHITE);
    }
}
