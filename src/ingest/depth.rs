//! Scroll depth and attention per page of a session: how far down the page the viewport
//! reached, and how long each 100 px band of the page was on screen.

use std::collections::BTreeMap;

use crate::session::{EventKind, SessionEvent};

/// Height of one attention band, in CSS px.
pub const BAND_PX: f32 = 100.0;
/// Longest gap between events counted as attention (longer gaps are idle time).
pub const MAX_GAP_MS: i64 = 30_000;
/// Pages deeper than this are cut for attention.
const MAX_BANDS: usize = 2_000;

/// What one session did on one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageDepth {
    /// The tallest viewport seen on the page.
    pub viewport_height: u32,
    /// The lowest page y the viewport's bottom edge reached.
    pub max_bottom_px: f32,
    /// Milliseconds each band was visible.
    pub attention_ms: Vec<u32>,
}

/// Depth and attention by page pattern, from a session's events (sorted by time).
pub fn page_depths(events: &[SessionEvent]) -> BTreeMap<String, PageDepth> {
    let mut out: BTreeMap<String, PageDepth> = BTreeMap::new();
    let (mut page, mut height, mut scroll_y) = (None::<String>, 0u32, 0f32);
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::Navigation => {
                page.clone_from(&e.url);
                scroll_y = 0.0;
            }
            EventKind::Viewport => height = e.height.unwrap_or(height),
            EventKind::Scroll => scroll_y = e.y.unwrap_or(0.0).max(0.0),
            _ => {}
        }
        let Some(p) = &page else { continue };
        let depth = out.entry(p.clone()).or_default();
        depth.viewport_height = depth.viewport_height.max(height);
        depth.max_bottom_px = depth.max_bottom_px.max(scroll_y + height as f32);
        let gap = events
            .get(i + 1)
            .map_or(0, |next| (next.t_ms - e.t_ms).clamp(0, MAX_GAP_MS)) as u32;
        if gap == 0 || height == 0 {
            continue;
        }
        let first = (scroll_y / BAND_PX) as usize;
        let last = (((scroll_y + height as f32) / BAND_PX).ceil() as usize).min(MAX_BANDS);
        if depth.attention_ms.len() < last {
            depth.attention_ms.resize(last, 0);
        }
        for band in depth.attention_ms.iter_mut().take(last).skip(first) {
            *band = band.saturating_add(gap);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_follows_the_viewport_down_the_page() {
        let mut nav = SessionEvent::new(0, EventKind::Navigation);
        nav.url = Some("p".into());
        let mut vp = SessionEvent::new(0, EventKind::Viewport);
        vp.height = Some(200);
        let mut scroll = SessionEvent::new(1000, EventKind::Scroll);
        scroll.y = Some(300.0);
        let end = SessionEvent::new(3000, EventKind::Move);
        let depths = page_depths(&[nav, vp, scroll, end]);
        let d = &depths["p"];
        assert_eq!(d.max_bottom_px, 500.0);
        // 1 s on bands 0–1, then 2 s on bands 3–4.
        assert_eq!(d.attention_ms, [1000, 1000, 0, 2000, 2000]);
    }
}
