//! Rewriting what is stored when the rules for identifiers change: the first import after the
//! upgrade rewrites every stored selector (ids and classes outside the UI vocabulary hashed)
//! and every page pattern (tokens, handles and names collapsed), once; a new path rule
//! rewrites the stored page patterns. Pages that come to share a pattern are merged, and the
//! files are scrubbed so the old text is gone from disk. The access log keeps what it
//! recorded, as it must.

use rusqlite::{Connection, OptionalExtension, params};

use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::privacy::identifiers;
use crate::privacy::url::page_pattern;

const CORE: &str = "core.db";
const REC: &str = "recordings.db";
const DONE: &str = "identifiers_scrubbed";

/// What the rewrite changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rescrubbed {
    /// Sessions whose stored events or page list changed.
    pub sessions: usize,
    /// Pages given a new pattern.
    pub pages_renamed: usize,
    /// Pages merged into another that has the same pattern now.
    pub pages_merged: usize,
}

/// A stored target as it is stored now. Names the importer gives (`[blocked element]`,
/// `[masked field]`, `document`, `#text`) and selectors already scrubbed are kept.
fn target(key: &[u8; 32], stored: &str) -> String {
    use crate::ingest::rrweb::mirror::{BLOCKED_TARGET, MASKED_FIELD_TARGET};
    if stored == BLOCKED_TARGET
        || stored == MASKED_FIELD_TARGET
        || stored == "#text"
        || stored.contains("#id:")
        || stored.contains(".class:")
    {
        stored.to_owned()
    } else {
        identifiers::scrub_selector(key, stored)
    }
}

/// Rewrites what was stored before scrubbing, once; `key` is the identifier key.
pub fn run(core: &Connection, rec: &Connection, key: &[u8; 32]) -> Result<Rescrubbed> {
    let done: Option<String> = rec
        .query_row("SELECT value FROM meta WHERE key = ?1", [DONE], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| sql_error(REC, e))?;
    if done.is_some() {
        return Ok(Rescrubbed::default());
    }
    rewrite(
        core,
        rec,
        &page_pattern,
        Some(&|t: &str| target(key, t)),
        true,
    )
}

/// Rewrites the stored page patterns with `page` (a new path rule), in both databases.
pub fn rename_pages(
    core: &Connection,
    rec: &Connection,
    page: &dyn Fn(&str) -> String,
) -> Result<Rescrubbed> {
    rewrite(core, rec, page, None, false)
}

/// Rewrites page patterns with `page` and, when given, stored targets with `target`; marks
/// the one-time upgrade done when `upgrade`.
fn rewrite(
    core: &Connection,
    rec: &Connection,
    page: &dyn Fn(&str) -> String,
    target: Option<&dyn Fn(&str) -> String>,
    upgrade: bool,
) -> Result<Rescrubbed> {
    let mut out = Rescrubbed::default();
    let core_tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error(CORE, e))?;
    let rec_tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
    let pages: Vec<(i64, String)> = core_tx
        .prepare("SELECT id, pattern FROM pages ORDER BY id")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(|e| sql_error(CORE, e))?;
    for (id, old) in pages {
        let new = page(&old);
        if new == old {
            continue;
        }
        let existing: Option<i64> = core_tx
            .query_row("SELECT id FROM pages WHERE pattern = ?1", [&new], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error(CORE, e))?;
        match existing {
            None => {
                core_tx
                    .execute(
                        "UPDATE pages SET pattern = ?1 WHERE id = ?2",
                        params![new, id],
                    )
                    .map_err(|e| sql_error(CORE, e))?;
                out.pages_renamed += 1;
            }
            Some(into) => {
                merge_page(&core_tx, id, into).map_err(|e| sql_error(CORE, e))?;
                out.pages_merged += 1;
            }
        }
    }
    let rows: Vec<(String, Vec<u8>, String)> = rec_tx
        .prepare(
            "SELECT e.session_id, e.events, s.pages FROM session_events e
             JOIN sessions s ON s.id = e.session_id",
        )
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| sql_error(REC, e))?;
    for (id, events_stored, pages_json) in rows {
        let before = crate::session::stored::decode(&events_stored)
            .map_err(|_| Error::Integrity(format!("The stored events of {id} are damaged.")))?;
        let mut events = before.clone();
        for e in &mut events {
            if let (Some(t), Some(rewrite)) = (&e.target, target) {
                e.target = Some(rewrite(t));
            }
            if let Some(u) = &e.url {
                e.url = Some(page(u));
            }
        }
        let mut pages: Vec<String> = serde_json::from_str(&pages_json).unwrap_or_default();
        for p in &mut pages {
            *p = page(p);
        }
        let mut seen = std::collections::HashSet::new();
        pages.retain(|p| seen.insert(p.clone()));
        let pages_new = serde_json::to_string(&pages).map_err(|e| Error::Format(e.to_string()))?;
        // Compared as events, not bytes: events an older version stored as JSON are rewritten
        // only when a rule changes them.
        if events != before || pages_new != pages_json {
            rec_tx
                .execute(
                    "UPDATE session_events SET events = ?1 WHERE session_id = ?2",
                    params![crate::session::stored::encode(&events), id],
                )
                // Scanned again for PII when the Compliance view next opens.
                .and_then(|_| {
                    rec_tx.execute("DELETE FROM session_pii WHERE session_id = ?1", [&id])
                })
                .and_then(|_| {
                    rec_tx.execute(
                        "UPDATE sessions SET pages = ?1 WHERE id = ?2",
                        params![pages_new, id],
                    )
                })
                .map_err(|e| sql_error(REC, e))?;
            out.sessions += 1;
        }
    }
    if upgrade {
        rec_tx
            .execute("INSERT INTO meta (key, value) VALUES (?1, '1')", [DONE])
            .map_err(|e| sql_error(REC, e))?;
    }
    // Pages first: a crash between the commits leaves sessions to redo, never pages undone.
    core_tx.commit().map_err(|e| sql_error(CORE, e))?;
    rec_tx.commit().map_err(|e| sql_error(REC, e))?;
    if out.sessions + out.pages_renamed + out.pages_merged > 0 {
        // Freed pages are zeroed already (secure_delete); the WAL and free lists go too.
        crate::compliance::scrub(core, CORE)?;
        crate::compliance::scrub(rec, REC)?;
    }
    Ok(out)
}

/// Moves everything of page `from` to page `into` (keeping `into`'s screenshot and annotations
/// where both have one) and removes `from`.
fn merge_page(tx: &Connection, from: i64, into: i64) -> rusqlite::Result<()> {
    // A session that reached both pages keeps the deeper of its two scroll depths.
    tx.execute(
        "UPDATE page_depths AS t SET max_bottom_px = max(t.max_bottom_px,
             (SELECT f.max_bottom_px FROM page_depths f WHERE f.ref = t.ref AND f.page_id = ?1))
         WHERE t.page_id = ?2 AND t.ref IN (SELECT ref FROM page_depths WHERE page_id = ?1)",
        params![from, into],
    )?;
    // A session's clicks on an element present on both pages add up before the rows move.
    tx.execute(
        "UPDATE element_clicks AS t SET clicks = t.clicks + f.clicks, rage = t.rage + f.rage,
             dead = t.dead + f.dead, error = t.error + f.error,
             first_click_ms = min(t.first_click_ms, f.first_click_ms),
             x0 = min(t.x0, f.x0), y0 = min(t.y0, f.y0), x1 = max(t.x1, f.x1), y1 = max(t.y1, f.y1)
         FROM element_clicks AS f
         WHERE f.page_id = ?1 AND t.page_id = ?2 AND f.viewport = t.viewport
           AND f.element_id = t.element_id AND f.ref = t.ref",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE page_depths AS t SET reversals = t.reversals + f.reversals
         FROM page_depths AS f WHERE f.page_id = ?1 AND t.page_id = ?2 AND f.ref = t.ref",
        params![from, into],
    )?;
    for table in [
        "point_blocks",
        "page_sessions",
        "page_depths",
        "element_clicks",
        "screenshots",
        "annotations",
        "grid_layers",
    ] {
        tx.execute(
            &format!("UPDATE OR IGNORE {table} SET page_id = ?1 WHERE page_id = ?2"),
            params![into, from],
        )?;
        tx.execute(&format!("DELETE FROM {table} WHERE page_id = ?1"), [from])?;
    }
    tx.execute("DELETE FROM pages WHERE id = ?1", [from])?;
    Ok(())
}
