//! Writing point blocks: the import's [`Writer`], and the grid a new block quantises to.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Block, Key, SessionPoints, TARGET};

/// Quanta per CSS px for a page whose screenshot has `scale` image px per CSS px: the smallest
/// whole multiple of the scale (so every point keeps its screenshot pixel, `codec` floors), or
/// 4 where there is no screenshot yet or no small multiple is whole.
pub fn grid_for(scale: Option<f64>) -> u8 {
    const NO_SCREENSHOT: u8 = 4;
    let Some(s) = scale.filter(|s| s.is_finite() && *s > 0.0) else {
        return NO_SCREENSHOT;
    };
    (1..=8)
        .map(|m| s * f64::from(m))
        .find(|g| (g - g.round()).abs() < 1e-3 && (1.0..=32.0).contains(&g.round()))
        .map_or(NO_SCREENSHOT, |g| g.round() as u8)
}

fn screenshot_grid(conn: &Connection, page_id: i64, viewport: &str) -> rusqlite::Result<u8> {
    let scale: Option<f64> = conn
        .prepare_cached(
            "SELECT CAST(width_px AS REAL) / max(css_width, 1) FROM screenshots
             WHERE page_id = ?1 AND viewport = ?2",
        )?
        .query_row(params![page_id, viewport], |r| r.get(0))
        .optional()?;
    Ok(grid_for(scale))
}

pub(super) fn insert(conn: &Connection, key: &Key, block: &Block) -> rusqlite::Result<()> {
    let Some((min, max)) = block.sessions() else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO point_blocks (page_id, viewport, kind, count, min_ref, max_ref, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        key.0,
        key.1,
        key.2.as_str(),
        block.len() as i64,
        min,
        max,
        block.encode()
    ])?;
    Ok(())
}

/// Collects an import's points into blocks, written when full and at [`Writer::flush`] (before
/// each batch commits, so a block never outlives the sessions it holds).
#[derive(Debug, Default)]
pub struct Writer {
    open: BTreeMap<Key, Block>,
}

impl Writer {
    /// Adds a stored session's points; full blocks are written at once.
    pub fn add(
        &mut self,
        conn: &Connection,
        session: u32,
        points: SessionPoints,
    ) -> rusqlite::Result<()> {
        for (key, list) in points {
            let mut block = match self.open.remove(&key) {
                Some(b) => b,
                None => Block::new(screenshot_grid(conn, key.0, &key.1)?),
            };
            for (x, y, flags) in list {
                block.push(session, x, y, flags);
                if block.len() >= TARGET {
                    insert(conn, &key, &block)?;
                    block = Block::new(block.grid);
                }
            }
            self.open.insert(key, block);
        }
        Ok(())
    }

    /// Writes every partly filled block.
    pub fn flush(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for (key, block) in std::mem::take(&mut self.open) {
            insert(conn, &key, &block)?;
        }
        Ok(())
    }

    /// Forgets what was not written (the batch rolled back).
    pub fn discard(&mut self) {
        self.open.clear();
    }
}
