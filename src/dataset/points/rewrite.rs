//! Rewriting point blocks: removing sessions (erasure, retention, an interrupted import's
//! leftovers) and merging the small blocks imports leave.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, params};

use super::write::insert;
use super::{Block, Stream, TARGET, codec};

/// Removes every point of `sessions` (heatmap refs), rewriting the blocks that hold them; a
/// block in that range that does not decode goes whole, so nothing of a removed session can
/// stay behind in it. Returns the points removed.
pub fn remove_sessions(conn: &Connection, sessions: &[i64]) -> rusqlite::Result<u64> {
    let set: HashSet<i64> = sessions.iter().copied().collect();
    let (Some(&lo), Some(&hi)) = (set.iter().min(), set.iter().max()) else {
        return Ok(0);
    };
    let candidates: Vec<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT id, min_ref, max_ref FROM point_blocks WHERE max_ref >= ?1 AND min_ref <= ?2",
        )?
        .query_map([lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut removed = 0u64;
    for (id, min, max) in candidates {
        // Only blocks whose range holds one of the sessions (ranges may interleave).
        if !set.iter().any(|s| (min..=max).contains(s)) {
            continue;
        }
        let data: Vec<u8> =
            conn.query_row("SELECT data FROM point_blocks WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        let Ok(block) = Block::decode(&data) else {
            // Unreadable, so nobody's points are counted in it: it goes uncounted.
            conn.execute("DELETE FROM point_blocks WHERE id = ?1", [id])?;
            continue;
        };
        let kept = retain(&block, |s| !set.contains(&i64::from(s)));
        if kept.len() == block.len() {
            continue;
        }
        removed += (block.len() - kept.len()) as u64;
        match kept.sessions() {
            None => {
                conn.execute("DELETE FROM point_blocks WHERE id = ?1", [id])?;
            }
            Some((min, max)) => {
                conn.execute(
                    "UPDATE point_blocks SET count = ?2, min_ref = ?3, max_ref = ?4, data = ?5
                     WHERE id = ?1",
                    params![id, kept.len() as i64, min, max, kept.encode()],
                )?;
            }
        }
    }
    Ok(removed)
}

/// The points of `block` whose session `keep` accepts.
fn retain(block: &Block, keep: impl Fn(u32) -> bool) -> Block {
    let mut out = Block::new(block.grid);
    let mut i = 0usize;
    for run in &block.runs {
        let range = i..i + run.len as usize;
        i = range.end;
        if keep(run.session) {
            for j in range {
                out.push_quantised(run.session, block.qx[j], block.qy[j], block.flags[j]);
            }
        }
    }
    out
}

/// Merges blocks under half full (the tails each import batch leaves) into full ones, key by
/// key and grid by grid, holding one block in memory at a time. A damaged block is left as it
/// is (compaction must not lose what it cannot read), and a lone small block is not rewritten.
/// Returns how many fewer blocks there are.
pub fn compact(conn: &Connection) -> rusqlite::Result<usize> {
    let mut groups: BTreeMap<(i64, String, String, u8), Vec<i64>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, page_id, viewport, kind, data FROM point_blocks WHERE count < ?1
             ORDER BY page_id, viewport, kind, id",
        )?;
        let mut rows = stmt.query([TARGET as i64 / 2])?;
        while let Some(row) = rows.next()? {
            let bytes = row.get_ref(4)?.as_blob().ok();
            let Some(header) = bytes.and_then(|b| codec::Header::parse(b).ok()) else {
                continue;
            };
            groups
                .entry((row.get(1)?, row.get(2)?, row.get(3)?, header.grid))
                .or_default()
                .push(row.get(0)?);
        }
    }
    let (mut deleted, mut written) = (0usize, 0usize);
    for ((page, viewport, kind, grid), ids) in groups {
        let stream = match kind.as_str() {
            "click" => Stream::Click,
            "move" => Stream::Move,
            _ => continue,
        };
        if ids.len() < 2 {
            continue;
        }
        let key = (page, viewport, stream);
        let mut out = Block::new(grid);
        for id in ids {
            let data: Vec<u8> =
                conn.query_row("SELECT data FROM point_blocks WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            let Ok(block) = Block::decode(&data) else {
                continue;
            };
            conn.execute("DELETE FROM point_blocks WHERE id = ?1", [id])?;
            deleted += 1;
            let mut i = 0usize;
            for run in &block.runs {
                for j in i..i + run.len as usize {
                    out.push_quantised(run.session, block.qx[j], block.qy[j], block.flags[j]);
                    if out.len() >= TARGET {
                        insert(conn, &key, &out)?;
                        written += 1;
                        out = Block::new(grid);
                    }
                }
                i += run.len as usize;
            }
        }
        if !out.is_empty() {
            insert(conn, &key, &out)?;
            written += 1;
        }
    }
    Ok(deleted.saturating_sub(written))
}
