//! The masked session model: what an import keeps of a recording, and what replay and the CLI
//! read back. Only interactions and minimised context survive: no text content, input values
//! replaced by a fixed mask. The masked page, when kept, is separate ([`crate::dom`]).

use serde::{Deserialize, Serialize};

pub mod stored;

/// The mask shown for every input value.
pub const MASKED_VALUE: &str = "••••";

/// Kinds of kept events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A new page: `url` holds its minimised pattern.
    Navigation,
    /// The viewport size: `width`, `height`.
    Viewport,
    /// Pointer or touch movement at `x`, `y` (page coordinates).
    Move,
    /// A mouse click at `x`, `y`.
    Click,
    /// A tap (a click from a touch pointer) at `x`, `y`.
    Tap,
    /// Other pointer interactions (down, up, touch start/end, double click, focus, blur…):
    /// `detail` names it.
    Pointer,
    /// The page scrolled to `x`, `y` (scroll offsets).
    Scroll,
    /// An element inside the page scrolled; `target` names it.
    ElementScroll,
    /// A field changed; `target` is its masked selector and `value` is always masked.
    Input,
    /// A custom event from the recorder; `detail` is its redacted tag.
    Custom,
    /// An error reported by the page (no message is kept).
    Error,
}

impl EventKind {
    /// The CLI's name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Navigation => "navigation",
            EventKind::Viewport => "viewport",
            EventKind::Move => "move",
            EventKind::Click => "click",
            EventKind::Tap => "tap",
            EventKind::Pointer => "pointer",
            EventKind::Scroll => "scroll",
            EventKind::ElementScroll => "element-scroll",
            EventKind::Input => "input",
            EventKind::Custom => "custom",
            EventKind::Error => "error",
        }
    }
}

/// One kept event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    /// Milliseconds from the session start.
    pub t_ms: i64,
    /// What happened.
    pub kind: EventKind,
    /// Page x (CSS px), for pointer kinds; scroll left for scrolls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f32>,
    /// Page y (CSS px), for pointer kinds; scroll top for scrolls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f32>,
    /// The element, as a masked selector (`input#email`, `button.send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Input value: always [`MASKED_VALUE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Page pattern, for navigations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Viewport width, for viewport events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Viewport height, for viewport events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Sub-kind or tag (`mousedown`, `touchstart`, a custom tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Part of a rage-click burst.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rage: bool,
    /// A click nothing responded to within a second.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dead: bool,
    /// A tap that was really the start or end of a scroll gesture: kept in the replay, left
    /// out of heatmaps.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accidental: bool,
}

impl SessionEvent {
    /// An event of `kind` at `t_ms` with no other fields.
    pub fn new(t_ms: i64, kind: EventKind) -> SessionEvent {
        SessionEvent {
            t_ms,
            kind,
            x: None,
            y: None,
            target: None,
            value: None,
            url: None,
            width: None,
            height: None,
            detail: None,
            rage: false,
            dead: false,
            accidental: false,
        }
    }

    /// Whether this is a click or a tap.
    pub fn is_click(&self) -> bool {
        matches!(self.kind, EventKind::Click | EventKind::Tap)
    }
}

/// Device class by viewport width (CSS px): desktop ≥ 1024, tablet 600–1023, mobile < 600.
pub fn device_class(viewport_width: u32) -> &'static str {
    match viewport_width {
        0..600 => "mobile",
        600..1024 => "tablet",
        _ => "desktop",
    }
}
