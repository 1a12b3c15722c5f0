//! Design tokens: the only place colours and spacing are chosen. Views ask for a role of a
//! colour ("error", "badge"), never for a literal.

use egui::{Color32, Visuals};

/// Space between groups of controls.
pub const GAP: f32 = 12.0;
/// Width of the login card.
pub const LOGIN_WIDTH: f32 = 380.0;

/// Colour for errors and denials.
pub fn error(visuals: &Visuals) -> Color32 {
    visuals.error_fg_color
}

/// Colour for warnings (failed attempts, keychain notes).
pub fn warning(visuals: &Visuals) -> Color32 {
    visuals.warn_fg_color
}

/// Background of a role badge: a quiet tint of the selection colour.
pub fn badge_fill(visuals: &Visuals) -> Color32 {
    visuals.selection.bg_fill.gamma_multiply(0.35)
}

/// Text of secondary information.
pub fn weak(visuals: &Visuals) -> Color32 {
    visuals.weak_text_color()
}

/// Rage clicks, wherever they are marked (heatmap markers, timeline, event list). The PNG
/// export, which cannot use egui, draws them in the same red.
pub const RAGE: Color32 = Color32::from_rgb(220, 20, 20);
/// Dead clicks on the heatmap.
pub const DEAD: Color32 = Color32::from_gray(80);
/// Annotations drawn over a heatmap (the export uses the same colour).
pub const ANNOTATION: Color32 = Color32::from_rgb(230, 30, 90);
/// The paper of a sticky note and its ink.
pub const NOTE_FILL: Color32 = Color32::from_rgb(255, 250, 200);
/// Ink on light paper (notes, placeholders).
pub const NOTE_INK: Color32 = Color32::from_gray(20);
/// The banner that says why a heatmap is not drawn.
pub const WITHHELD_FILL: Color32 = Color32::from_rgba_unmultiplied_const(150, 30, 30, 230);
/// A page without a screenshot, and the text on it.
pub const CANVAS_PAPER: Color32 = Color32::from_gray(236);
/// Text on the plain canvas.
pub const CANVAS_INK: Color32 = Color32::from_gray(90);
/// Timeline marks by kind.
pub const MARK_CLICK: Color32 = Color32::from_rgb(60, 130, 255);
/// Navigation marks.
pub const MARK_NAVIGATION: Color32 = Color32::from_rgb(40, 180, 90);
/// Input marks.
pub const MARK_INPUT: Color32 = Color32::from_rgb(220, 160, 20);
/// Custom event marks.
pub const MARK_CUSTOM: Color32 = Color32::from_rgb(170, 90, 220);
/// Page change marks (the page's own DOM changed).
pub const MARK_PAGE: Color32 = Color32::from_rgb(0, 170, 190);
/// The edge of the replayed screen.
pub const FRAME_EDGE: Color32 = Color32::from_gray(120);
/// The flash of a scroll in the replay.
pub const SCROLL_FLASH: Color32 = Color32::from_rgb(255, 140, 0);
/// The outline of a hovered element on the heatmap: light on a dark edge, seen over any
/// colour map.
pub const ELEMENT_OUTLINE: Color32 = Color32::WHITE;
/// The dark edge under [`ELEMENT_OUTLINE`].
pub const ELEMENT_OUTLINE_EDGE: Color32 = Color32::from_gray(20);
