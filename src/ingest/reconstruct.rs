//! Backgrounds for pages without a screenshot: the page drawn at its full height from a
//! recording's masked DOM (text masked, media as boxes), at the width the session saw it,
//! stored as the page's image for that viewport class with `source = 'reconstructed'`. Only
//! sessions kept as replays are used, and only where no image exists yet; an uploaded
//! screenshot later replaces it.

use std::io::Cursor;

use rusqlite::{Connection, OptionalExtension, params};

use crate::dataset::db::sql_error;
use crate::dom::live::LiveDom;
use crate::dom::{DomOp, DomTrack};
use crate::error::Result;
use crate::render::PageDoc;
use crate::session::{EventKind, SessionEvent, device_class};

/// What a page image's `source` column says for drawn pages.
pub const RECONSTRUCTED: &str = "reconstructed";
/// Viewport height pages are laid out for (`vh` units) when the session gave none.
const DEFAULT_HEIGHT: u32 = 900;

/// The page pattern and viewport open at `t_ms`.
fn page_at(events: &[SessionEvent], t_ms: i64) -> (Option<&str>, Option<(u32, u32)>) {
    let (mut page, mut viewport) = (None, None);
    for e in events.iter().take_while(|e| e.t_ms <= t_ms) {
        match e.kind {
            EventKind::Navigation => page = e.url.as_deref(),
            EventKind::Viewport => {
                if let (Some(w), Some(h)) = (e.width, e.height) {
                    viewport = Some((w, h));
                }
            }
            _ => {}
        }
    }
    (page, viewport)
}

/// Draws and stores a background for each page load of `track` whose page and viewport class
/// have no image yet; returns how many were stored. A page the renderer cannot draw is
/// skipped (the heatmap keeps its plain canvas).
pub fn backgrounds(core: &Connection, events: &[SessionEvent], track: &DomTrack) -> Result<usize> {
    let mut stored = 0;
    for change in &track.changes {
        if !matches!(change.op, DomOp::Snapshot { .. }) {
            continue;
        }
        let (Some(page), Some((width, height))) = page_at(events, change.t) else {
            continue;
        };
        if !(200..=4000).contains(&width) {
            continue;
        }
        let viewport = device_class(width);
        let page_id: Option<i64> = core
            .query_row("SELECT id FROM pages WHERE pattern = ?1", [page], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error("core.db", e))?;
        let Some(page_id) = page_id else { continue };
        let exists: bool = core
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM screenshots WHERE page_id = ?1 AND viewport = ?2)",
                params![page_id, viewport],
                |r| r.get(0),
            )
            .map_err(|e| sql_error("core.db", e))?;
        if exists {
            continue;
        }
        let mut dom = LiveDom::default();
        dom.apply(&change.op);
        let height = if height >= 200 {
            height
        } else {
            DEFAULT_HEIGHT
        };
        let Ok(frame) =
            PageDoc::load(&dom.to_html(), width, height).and_then(|mut d| d.paint_full())
        else {
            continue;
        };
        let Some(image) = image::RgbaImage::from_raw(frame.width, frame.height, frame.rgba) else {
            continue;
        };
        let mut png = Vec::new();
        if image
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .is_err()
        {
            continue;
        }
        core.execute(
            "INSERT OR IGNORE INTO screenshots (page_id, viewport, css_width, width_px, height_px, png, format, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'png', ?7)",
            params![page_id, viewport, width, frame.width, frame.height, png, RECONSTRUCTED],
        )
        .map_err(|e| sql_error("core.db", e))?;
        stored += 1;
    }
    Ok(stored)
}
