//! The annotation editor on the heatmap canvas: tools, drawing shapes, selecting, moving,
//! nudging, deleting and undoing them, and the note window.

use egui::{Align2, Color32, FontId, Rect, Stroke, Vec2, vec2};

use crate::heatmap::annotation::Shape;
use crate::ui::theme;

use super::canvas::{CanvasState, View};
use super::state::HeatmapViewState;

/// Nudges and small drags are saved together once the edits pause this long.
pub(super) const SAVE_AFTER: f64 = 0.6;

const ANNOTATION: Color32 = theme::ANNOTATION;

/// The annotation tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    /// Select, move, pan.
    #[default]
    Select,
    /// Drag out a rectangle.
    Rect,
    /// Drag out an arrow.
    Arrow,
    /// Click to drop a numbered pin.
    Pin,
    /// Click to place a text note.
    Note,
}

impl Tool {
    /// Every tool, in toolbar order.
    pub const ALL: [Tool; 5] = [Tool::Select, Tool::Rect, Tool::Arrow, Tool::Pin, Tool::Note];

    /// Its toolbar label.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Select => "Select",
            Tool::Rect => "Rectangle",
            Tool::Arrow => "Arrow",
            Tool::Pin => "Pin",
            Tool::Note => "Note",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Drag {
    Pan,
    Move(usize),
    Create([f32; 2], [f32; 2]),
}

/// A note being written.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteDraft {
    /// Where it goes (image px).
    pub at: [f32; 2],
    /// Its text so far.
    pub text: String,
    /// The text field has been given the keyboard once.
    pub focused: bool,
}

pub(super) fn draw_shape(painter: &egui::Painter, view: &View, shape: &Shape, selected: bool) {
    let stroke = Stroke::new(if selected { 4.0 } else { 2.5 }, ANNOTATION);
    match shape {
        Shape::Rect { from, to } => {
            let r = Rect::from_two_pos(view.screen_from_image(*from), view.screen_from_image(*to));
            painter.rect_stroke(r, 0.0, stroke, egui::StrokeKind::Middle);
        }
        Shape::Arrow { from, to } => {
            let (a, b) = (view.screen_from_image(*from), view.screen_from_image(*to));
            painter.arrow(a, b - a, stroke);
        }
        Shape::Pin { at, number } => {
            let p = view.screen_from_image(*at);
            painter.circle(
                p,
                12.0,
                ANNOTATION,
                Stroke::new(if selected { 3.0 } else { 2.0 }, Color32::WHITE),
            );
            painter.text(
                p,
                Align2::CENTER_CENTER,
                number.to_string(),
                FontId::proportional(13.0),
                Color32::WHITE,
            );
        }
        Shape::Note { at, text } => {
            let p = view.screen_from_image(*at);
            let galley = painter.layout(
                text.clone(),
                FontId::proportional(14.0),
                theme::NOTE_INK,
                280.0,
            );
            let r = Rect::from_min_size(p, galley.size() + vec2(12.0, 8.0));
            painter.rect_filled(r, 3.0, theme::NOTE_FILL);
            painter.rect_stroke(r, 3.0, stroke, egui::StrokeKind::Middle);
            painter.galley(p + vec2(6.0, 4.0), galley, theme::NOTE_INK);
        }
    }
}

/// Mouse and keyboard editing of annotations.
pub(super) fn edit_ui(
    ui: &egui::Ui,
    response: &egui::Response,
    view: &View,
    s: &mut HeatmapViewState,
) {
    let pointer = response.interact_pointer_pos().or(response.hover_pos());
    let at = pointer.map(|p| view.image_from_screen(p));
    let slack = 6.0 / view.zoom;
    let c = &mut s.canvas;
    let now = ui.input(|i| i.time);
    let edited = |c: &mut CanvasState| c.unsaved_since = Some(now - SAVE_AFTER);
    if response.drag_started() {
        // Where the button went down, not where the drag was recognised a few pixels later.
        let origin = ui
            .input(|i| i.pointer.press_origin())
            .map(|p| view.image_from_screen(p))
            .or(at);
        c.drag = match (c.tool, origin) {
            (Tool::Select, Some(p)) => match s.annotations.hit(p, slack) {
                Some(i) => {
                    s.annotations.checkpoint();
                    c.selected = Some(i);
                    Some(Drag::Move(i))
                }
                None => Some(Drag::Pan),
            },
            (Tool::Rect | Tool::Arrow, Some(p)) => Some(Drag::Create(p, p)),
            _ => Some(Drag::Pan),
        };
    }
    if response.dragged() {
        let delta = response.drag_delta() / view.zoom;
        match &mut c.drag {
            Some(Drag::Pan) => c.offset -= delta,
            Some(Drag::Move(i)) => {
                if let Some(shape) = s.annotations.shapes.get_mut(*i) {
                    shape.translate(delta.x, delta.y);
                }
            }
            Some(Drag::Create(_, to)) => {
                if let Some(p) = at {
                    *to = p;
                }
            }
            None => {}
        }
    }
    if response.drag_stopped() {
        match c.drag.take() {
            Some(Drag::Move(_)) => edited(c),
            Some(Drag::Create(a, b))
                if (a[0] - b[0]).abs() + (a[1] - b[1]).abs() > 4.0 / view.zoom =>
            {
                let shape = match c.tool {
                    Tool::Arrow => Shape::Arrow { from: a, to: b },
                    _ => Shape::Rect { from: a, to: b },
                };
                c.selected = Some(s.annotations.add(shape));
                edited(c);
            }
            _ => {}
        }
    }
    if response.clicked()
        && let Some(p) = at
    {
        match c.tool {
            Tool::Select => c.selected = s.annotations.hit(p, slack),
            Tool::Pin => {
                let number = s.annotations.next_pin();
                c.selected = Some(s.annotations.add(Shape::Pin { at: p, number }));
                edited(c);
            }
            Tool::Note => {
                c.note = Some(NoteDraft {
                    at: p,
                    text: String::new(),
                    focused: false,
                })
            }
            Tool::Rect | Tool::Arrow => {}
        }
    }
    // Keys act on the canvas unless a text field has the keyboard.
    if ui.ctx().text_edit_focused() || c.note.is_some() {
        return;
    }
    let (delete, undo, nudge, escape) = ui.input_mut(|i| {
        let undo = i.consume_shortcut(&egui::KeyboardShortcut::new(
            egui::Modifiers::COMMAND,
            egui::Key::Z,
        ));
        let delete = i.key_pressed(egui::Key::Delete) || i.key_pressed(egui::Key::Backspace);
        let step = if i.modifiers.shift { 10.0 } else { 1.0 };
        let mut nudge = Vec2::ZERO;
        for (key, d) in [
            (egui::Key::ArrowLeft, vec2(-step, 0.0)),
            (egui::Key::ArrowRight, vec2(step, 0.0)),
            (egui::Key::ArrowUp, vec2(0.0, -step)),
            (egui::Key::ArrowDown, vec2(0.0, step)),
        ] {
            if i.key_pressed(key) {
                nudge += d;
            }
        }
        (delete, undo, nudge, i.key_pressed(egui::Key::Escape))
    });
    if undo && s.annotations.undo() {
        c.selected = None;
        edited(c);
    }
    if let Some(i) = c.selected {
        if delete {
            s.annotations.remove(i);
            c.selected = None;
            edited(c);
        } else if nudge != Vec2::ZERO {
            if c.unsaved_since.is_none() {
                s.annotations.checkpoint();
            }
            if let Some(shape) = s.annotations.shapes.get_mut(i) {
                shape.translate(nudge.x, nudge.y);
            }
            c.unsaved_since = Some(now);
        }
    }
    if escape {
        c.selected = None;
        c.tool = Tool::Select;
    }
}

/// The window in which a new note is written.
pub fn note_window(ctx: &egui::Context, s: &mut HeatmapViewState) {
    let Some(draft) = &mut s.canvas.note else {
        return;
    };
    let mut done = None;
    egui::Window::new("New note")
        .collapsible(false)
        .resizable(false)
        .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
        .show(ctx, |ui| {
            let label = ui.label("Note text");
            let field = ui
                .add(
                    egui::TextEdit::multiline(&mut draft.text)
                        .desired_rows(3)
                        .hint_text("What should the team notice here?"),
                )
                .labelled_by(label.id);
            // Once, so the window can be typed into at once (asking every frame would keep
            // egui repainting).
            if !draft.focused {
                field.request_focus();
                draft.focused = true;
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!draft.text.trim().is_empty(), egui::Button::new("Add note"))
                    .clicked()
                {
                    done = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    done = Some(false);
                }
            });
        });
    match done {
        Some(true) => {
            if let Some(draft) = s.canvas.note.take() {
                let shape = Shape::Note {
                    at: draft.at,
                    text: draft.text.trim().to_owned(),
                };
                s.canvas.selected = Some(s.annotations.add(shape));
                s.canvas.unsaved_since = Some(ctx.input(|i| i.time) - SAVE_AFTER);
            }
        }
        Some(false) => s.canvas.note = None,
        None => {}
    }
}
