//! The player's state at one moment: where the pointer is, how far the page is scrolled, which
//! page at which viewport, and the last (masked) value of each field.

use std::collections::BTreeMap;

use crate::session::{EventKind, SessionEvent};

/// What the player shows at one time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayerState {
    /// The time (ms from the session start).
    pub t_ms: i64,
    /// Pointer position, page coordinates (CSS px).
    pub pointer: Option<(f32, f32)>,
    /// Scroll offset (CSS px).
    pub scroll: (f32, f32),
    /// Current page pattern.
    pub page: Option<String>,
    /// Viewport size (CSS px).
    pub viewport: Option<(u32, u32)>,
    /// Last value per field selector (always masked).
    pub inputs: BTreeMap<String, String>,
    /// The field that changed last.
    pub last_input: Option<String>,
    /// Index of the last event applied.
    pub last_event: Option<usize>,
}

impl PlayerState {
    /// Applies event `index`.
    pub fn apply(&mut self, index: usize, e: &SessionEvent) {
        self.last_event = Some(index);
        match e.kind {
            EventKind::Move | EventKind::Click | EventKind::Tap | EventKind::Pointer => {
                if let (Some(x), Some(y)) = (e.x, e.y) {
                    self.pointer = Some((x, y));
                }
            }
            EventKind::Scroll => self.scroll = (e.x.unwrap_or(0.0), e.y.unwrap_or(0.0)),
            EventKind::Navigation => {
                self.page.clone_from(&e.url);
                // A new document starts at its top.
                self.scroll = (0.0, 0.0);
                self.inputs.clear();
                self.last_input = None;
            }
            EventKind::Viewport => {
                if let (Some(w), Some(h)) = (e.width, e.height) {
                    self.viewport = Some((w, h));
                }
            }
            EventKind::Input => {
                if let Some(target) = &e.target {
                    let value = e
                        .value
                        .clone()
                        .unwrap_or_else(|| crate::session::MASKED_VALUE.to_owned());
                    self.inputs.insert(target.clone(), value);
                    self.last_input = Some(target.clone());
                }
            }
            EventKind::ElementScroll | EventKind::Custom | EventKind::Error => {}
        }
    }
}
