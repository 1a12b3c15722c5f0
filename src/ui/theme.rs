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
