//! The player's timeline (activity strip, markers, scrubbing), its controls and shortcuts, and
//! the event list that follows playback.

use egui::{Color32, Rect, RichText, Sense, Stroke, pos2, vec2};

use crate::replay::timeline::MarkKind;
use crate::session::EventKind;
use crate::ui::theme;

use super::list::clock;
use super::page::PlayerMode;
use super::player::{PlayerViewState, SPEEDS};

const STEP_MS: f64 = 5_000.0;

fn mark_color(kind: MarkKind) -> Color32 {
    match kind {
        MarkKind::Click => theme::MARK_CLICK,
        MarkKind::Rage => theme::RAGE,
        MarkKind::Navigation => theme::MARK_NAVIGATION,
        MarkKind::Input => theme::MARK_INPUT,
        MarkKind::Custom => theme::MARK_CUSTOM,
        MarkKind::PageChange => theme::MARK_PAGE,
    }
}

/// Space, ←/→ (previous/next event), Shift+←/→ (±5 s), M (page or screenshot), unless a text
/// field has the keyboard.
pub fn keys(ui: &egui::Ui, p: &mut PlayerViewState) {
    if ui.ctx().text_edit_focused() {
        return;
    }
    let (space, left, right, shift, mode) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::Space),
            i.key_pressed(egui::Key::ArrowLeft),
            i.key_pressed(egui::Key::ArrowRight),
            i.modifiers.shift,
            i.key_pressed(egui::Key::M),
        )
    });
    if space {
        p.toggle();
    }
    if mode {
        p.toggle_mode();
    }
    if left {
        step(p, false, shift);
    }
    if right {
        step(p, true, shift);
    }
}

fn step(p: &mut PlayerViewState, forward: bool, five_seconds: bool) {
    let t = p.t_ms as i64;
    let target = match (forward, five_seconds) {
        (true, true) => Some(p.t_ms + STEP_MS),
        (false, true) => Some(p.t_ms - STEP_MS),
        (true, false) => p.replay.next_event_after(t).map(|v| v as f64),
        (false, false) => p.replay.previous_event_before(t).map(|v| v as f64),
    };
    if let Some(target) = target {
        p.seek(target);
    }
}

/// The row of controls.
pub fn controls_ui(ui: &mut egui::Ui, p: &mut PlayerViewState) {
    ui.horizontal_wrapped(|ui| {
        let label = if p.playing { "Pause" } else { "Play" };
        if ui.button(label).on_hover_text("Space").clicked() {
            p.toggle();
        }
        if ui
            .button("Previous event")
            .on_hover_text("Left arrow")
            .clicked()
        {
            step(p, false, false);
        }
        if ui
            .button("Next event")
            .on_hover_text("Right arrow")
            .clicked()
        {
            step(p, true, false);
        }
        if ui.button("Back 5 s").on_hover_text("Shift+Left").clicked() {
            step(p, false, true);
        }
        if ui
            .button("Forward 5 s")
            .on_hover_text("Shift+Right")
            .clicked()
        {
            step(p, true, true);
        }
        let l = ui.label("Speed");
        egui::ComboBox::from_id_salt("speed")
            .selected_text(format!("{}x", p.speed))
            .width(60.0)
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    ui.selectable_value(&mut p.speed, s, format!("{s}x"));
                }
            })
            .response
            .labelled_by(l.id);
        ui.checkbox(&mut p.skip_idle, "Skip inactivity");
        ui.separator();
        let has_page = p.page.is_some();
        ui.add_enabled_ui(has_page, |ui| {
            let page = ui
                .selectable_label(p.mode == PlayerMode::Page, "Page")
                .on_hover_text("The page drawn from the recording, text masked (M)")
                .on_disabled_hover_text(p.page_note.clone().unwrap_or_default());
            if page.clicked() {
                p.mode = PlayerMode::Page;
            }
        });
        if ui
            .selectable_label(p.mode == PlayerMode::Screenshot, "Screenshot")
            .on_hover_text("The page's screenshot (M)")
            .clicked()
        {
            p.mode = PlayerMode::Screenshot;
        }
        if p.page.is_none()
            && let Some(note) = &p.page_note
        {
            ui.label(RichText::new(note).small().color(theme::weak(ui.visuals())));
        }
        if p.mode == PlayerMode::Page {
            ui.label(
                RichText::new(" masked ")
                    .small()
                    .strong()
                    .color(Color32::WHITE)
                    .background_color(theme::MARK_PAGE),
            )
            .on_hover_text(
                "Every letter and digit of the page is masked; field values show as dots.",
            );
        }
        ui.separator();
        ui.label(
            RichText::new(format!(
                "{} / {}",
                clock(p.t_ms as i64),
                clock(p.replay.duration_ms())
            ))
            .monospace(),
        );
    });
}

/// The timeline: activity strip, markers, playhead; click or drag to seek.
pub fn timeline_ui(ui: &mut egui::Ui, p: &mut PlayerViewState) {
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), 46.0), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Timeline"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    let d = p.replay.duration_ms().max(1) as f32;
    let x_of = |t: f32| rect.left() + rect.width() * (t / d);
    let strip = Rect::from_min_max(
        pos2(rect.left(), rect.top() + 4.0),
        pos2(rect.right(), rect.top() + 26.0),
    );
    let max = p.activity.iter().copied().max().unwrap_or(1).max(1) as f32;
    let bw = strip.width() / p.activity.len().max(1) as f32;
    for (i, &n) in p.activity.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let h = strip.height() * (n as f32 / max).sqrt();
        let r = Rect::from_min_max(
            pos2(strip.left() + i as f32 * bw, strip.bottom() - h),
            pos2(strip.left() + (i + 1) as f32 * bw - 1.0, strip.bottom()),
        );
        painter.rect_filled(r, 0.0, ui.visuals().weak_text_color().gamma_multiply(0.6));
    }
    for &(t, kind) in &p.marks {
        let x = x_of(t as f32);
        let (y0, y1) = if kind == MarkKind::Rage {
            (rect.top() + 26.0, rect.bottom() - 2.0)
        } else {
            (rect.top() + 28.0, rect.bottom() - 6.0)
        };
        painter.line_segment(
            [pos2(x, y0), pos2(x, y1)],
            Stroke::new(
                if kind == MarkKind::Rage { 2.5 } else { 1.5 },
                mark_color(kind),
            ),
        );
    }
    let x = x_of(p.t_ms as f32);
    painter.line_segment(
        [pos2(x, rect.top()), pos2(x, rect.bottom())],
        Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    if (response.clicked() || response.dragged())
        && let Some(pos) = response.interact_pointer_pos()
    {
        p.seek(f64::from(
            ((pos.x - rect.left()) / rect.width()).clamp(0.0, 1.0) * d,
        ));
    }
    ui.horizontal(|ui| {
        for (kind, name) in [
            (MarkKind::Click, "clicks"),
            (MarkKind::Rage, "rage clicks"),
            (MarkKind::Navigation, "navigations"),
            (MarkKind::Input, "inputs"),
            (MarkKind::Custom, "custom and errors"),
            (MarkKind::PageChange, "page changes"),
        ] {
            ui.label(RichText::new("|").color(mark_color(kind)).strong());
            ui.label(RichText::new(name).small().color(theme::weak(ui.visuals())));
        }
    });
}

fn describe(e: &crate::session::SessionEvent) -> String {
    let what = e.kind.as_str();
    let extra = match e.kind {
        EventKind::Navigation => e.url.clone().unwrap_or_default(),
        EventKind::Viewport => format!("{}x{}", e.width.unwrap_or(0), e.height.unwrap_or(0)),
        EventKind::Input => format!(
            "{} = {}",
            e.target.clone().unwrap_or_default(),
            e.value.clone().unwrap_or_default()
        ),
        EventKind::Click | EventKind::Tap => {
            let mut s = e.target.clone().unwrap_or_default();
            if e.rage {
                s.push_str(" (rage)");
            }
            if e.dead {
                s.push_str(" (dead)");
            }
            s
        }
        EventKind::Scroll => format!("to {:.0}", e.y.unwrap_or(0.0)),
        _ => e
            .detail
            .clone()
            .or_else(|| e.target.clone())
            .unwrap_or_default(),
    };
    format!("{}  {what} {extra}", clock(e.t_ms))
}

/// The events beside the player; the current one highlighted and kept in view; a click seeks.
pub fn events_ui(ui: &mut egui::Ui, p: &mut PlayerViewState) {
    let current = p.replay.count_until(p.t_ms as i64);
    let row = p.listed.partition_point(|&i| i < current).saturating_sub(1);
    let follow = p.follow != Some(row);
    p.follow = Some(row);
    let mut seek = None;
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if follow && p.playing {
        // Rows out of view are not laid out, so the list is scrolled by arithmetic.
        let pitch = 18.0 + ui.spacing().item_spacing.y;
        area = area.vertical_scroll_offset((row as f32 * pitch - 120.0).max(0.0));
    }
    area.show_rows(ui, 18.0, p.listed.len(), |ui, range| {
        for r in range {
            let Some(e) = p.listed.get(r).and_then(|&i| p.replay.events().get(i)) else {
                continue;
            };
            let text = RichText::new(describe(e)).small();
            let text = if e.rage {
                text.color(theme::RAGE)
            } else {
                text
            };
            let response = ui.add(egui::Button::selectable(r == row && current > 0, text));
            if response.clicked() {
                seek = Some(e.t_ms as f64);
            }
        }
    });
    if let Some(t) = seek {
        p.seek(t);
    }
}
