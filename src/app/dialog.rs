//! Native file dialogs in one place. Where the system has none (no desktop portal, as on a bare
//! X server), `rfd` returns at once as if cancelled; an answer faster than any person could
//! give means the dialog was never shown, and the view says what to do instead.

use std::time::{Duration, Instant};

/// Said when the system has no file dialog.
pub(super) const NO_DIALOG: &str = "No file dialog is available here (no desktop portal).";

/// What became of a dialog.
pub(super) enum Picked<T> {
    /// The user chose this.
    Chosen(T),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown.
    Unavailable,
}

/// Shows a dialog (`show` builds and runs it) and says what became of it.
pub(super) fn ask<T>(show: impl FnOnce() -> Option<T>) -> Picked<T> {
    let asked = Instant::now();
    match show() {
        Some(value) => Picked::Chosen(value),
        // Nobody answers a dialog in under 300 ms.
        None if asked.elapsed() < Duration::from_millis(300) => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}
