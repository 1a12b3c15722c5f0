//! Heatmap points in core.db's `point_blocks`: blocks of up to [`TARGET`] points that span
//! sessions ([`codec`] has the bytes). Imports append through a [`Writer`], the gate reads a
//! page's blocks whole, and erasure and retention rewrite the blocks that hold a removed
//! session ([`remove_sessions`]).

pub mod codec;
mod legacy;

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};

pub use codec::{Block, DEAD, Damaged, RAGE, Run};
pub use legacy::convert_chunks;

/// Points a block is filled to before a new one starts: about 190 KB at 23 bits a point, so
/// the page-sized overflow chain of its blob is nearly all data, while an erasure rewrites
/// little.
pub const TARGET: usize = 1 << 16;

/// What a block holds: clicks (with rage and dead flags) or pointer moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// Clicks and taps.
    Click,
    /// Pointer movement.
    Move,
}

impl Stream {
    /// As stored in `point_blocks.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Click => "click",
            Stream::Move => "move",
        }
    }
}

/// Page id, viewport class and stream: the blocks drawn together.
pub type Key = (i64, String, Stream);

/// One session's points by key: (x, y, flags) in page CSS px.
pub type SessionPoints = BTreeMap<Key, Vec<(f32, f32, u8)>>;

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

fn insert(conn: &Connection, key: &Key, block: &Block) -> rusqlite::Result<()> {
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

/// A page's points of one kind, decoded: page CSS px and the sessions they came from.
#[derive(Debug, Default)]
pub struct PointSet {
    /// x per point.
    pub xs: Vec<f32>,
    /// y per point.
    pub ys: Vec<f32>,
    /// Sessions in point order.
    pub runs: Vec<Run>,
    /// [`RAGE`] | [`DEAD`] per point; empty where no point has either.
    pub flags: Vec<u8>,
}

impl PointSet {
    /// Points held.
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    /// Whether it holds no point.
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    /// Each run's session with the index range of its points.
    pub fn ranges(&self) -> impl Iterator<Item = (u32, std::ops::Range<usize>)> + '_ {
        self.runs.iter().scan(0usize, |at, r| {
            let range = *at..*at + r.len as usize;
            *at = range.end;
            Some((r.session, range))
        })
    }

    /// Each run's session with its points.
    pub fn sessions(&self) -> impl Iterator<Item = (u32, &[f32], &[f32])> + '_ {
        self.ranges().map(|(s, range)| {
            let xs = self.xs.get(range.clone()).unwrap_or_default();
            let ys = self.ys.get(range).unwrap_or_default();
            (s, xs, ys)
        })
    }

    fn push_run(&mut self, session: u32, len: u32) {
        match self.runs.last_mut() {
            Some(r) if r.session == session => r.len += len,
            _ => self.runs.push(Run { session, len }),
        }
    }
}

/// What [`read`] gives.
#[derive(Debug, Default)]
pub struct PageStream {
    /// Every point.
    pub points: PointSet,
    /// Blocks that did not decode (left out, not guessed at).
    pub damaged: usize,
}

/// A block being read: its bytes, header, and the kept runs' (first point, length).
type ReadBlock = (Vec<u8>, codec::Header, Vec<(usize, usize)>);

/// Reads every block of `key`, leaving out sessions still pending (an import not yet confirmed).
///
/// Headers are read first, so each point's place is known; then every core decodes its share
/// of the blocks straight into the output. In a fresh process most of a read's time is the
/// kernel zeroing the pages it writes, and that work splits across cores too.
pub fn read(conn: &Connection, key: &Key) -> rusqlite::Result<PageStream> {
    let pending: HashSet<u32> = conn
        .prepare_cached("SELECT ref FROM heatmap_sessions WHERE pending = 1")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT data FROM point_blocks WHERE page_id = ?1 AND viewport = ?2 AND kind = ?3
         ORDER BY id",
    )?;
    let mut rows = stmt.query(params![key.0, key.1, key.2.as_str()])?;
    let mut out = PageStream::default();
    // Each readable block, and the runs of it that are kept: (first point, length).
    let mut blocks: Vec<ReadBlock> = Vec::new();
    let mut total = 0usize;
    while let Some(row) = rows.next()? {
        let Ok(bytes) = row.get_ref(0)?.as_blob() else {
            out.damaged += 1;
            continue;
        };
        let Ok(header) = codec::Header::parse(bytes) else {
            out.damaged += 1;
            continue;
        };
        let mut kept = Vec::new();
        let mut at = 0usize;
        for run in &header.runs {
            if !pending.contains(&run.session) {
                kept.push((at, run.len as usize));
                out.points.push_run(run.session, run.len);
                total += run.len as usize;
            }
            at += run.len as usize;
        }
        blocks.push((bytes.to_vec(), header, kept));
    }
    let flagged = blocks.iter().any(|(_, h, _)| h.has_flags());
    let set = &mut out.points;
    set.xs = vec![0.0; total];
    set.ys = vec![0.0; total];
    set.flags = vec![0; if flagged { total } else { 0 }];
    // Each block's slices of the output, then about an equal share of points per thread.
    let mut jobs = Vec::with_capacity(blocks.len());
    let (mut xs, mut ys, mut flags) = (&mut set.xs[..], &mut set.ys[..], &mut set.flags[..]);
    for (bytes, header, kept) in &blocks {
        let n: usize = kept.iter().map(|k| k.1).sum();
        let (x, rest_x) = std::mem::take(&mut xs).split_at_mut(n);
        let (y, rest_y) = std::mem::take(&mut ys).split_at_mut(n);
        let (f, rest_f) = std::mem::take(&mut flags).split_at_mut(if flagged { n } else { 0 });
        (xs, ys, flags) = (rest_x, rest_y, rest_f);
        jobs.push((bytes.as_slice(), header, kept.as_slice(), x, y, f));
    }
    let threads = crate::heatmap::grid::threads().min(jobs.len()).max(1);
    let share = total.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            let mut mine = Vec::new();
            let mut points = 0;
            while let Some(job) = jobs.next_if(|_| points < share) {
                points += job.3.len();
                mine.push(job);
            }
            s.spawn(move || {
                let mut all_flags = Vec::new();
                for (bytes, header, kept, xs, ys, flags) in mine {
                    if !flags.is_empty() {
                        all_flags.clear();
                        all_flags.resize(header.n, 0);
                        header.flags_into(bytes, &mut all_flags);
                    }
                    let mut to = 0;
                    for &(from, len) in kept {
                        let end = to + len;
                        header.points_into(bytes, from, &mut xs[to..end], &mut ys[to..end]);
                        if !flags.is_empty() {
                            flags[to..end].copy_from_slice(&all_flags[from..from + len]);
                        }
                        to = end;
                    }
                }
            });
        }
    });
    Ok(out)
}

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
        let (data, count): (Vec<u8>, i64) = conn.query_row(
            "SELECT data, count FROM point_blocks WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Ok(block) = Block::decode(&data) else {
            conn.execute("DELETE FROM point_blocks WHERE id = ?1", [id])?;
            removed += count.max(0) as u64;
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
/// key and grid by grid, holding one block per grid in memory. Returns how many fewer blocks
/// there are.
pub fn compact(conn: &Connection) -> rusqlite::Result<usize> {
    let small: Vec<(i64, i64, String, String)> = conn
        .prepare(
            "SELECT id, page_id, viewport, kind FROM point_blocks WHERE count < ?1
             ORDER BY page_id, viewport, kind, id",
        )?
        .query_map([TARGET as i64 / 2], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut groups: BTreeMap<(i64, String, String), Vec<i64>> = BTreeMap::new();
    for (id, page, viewport, kind) in small {
        groups.entry((page, viewport, kind)).or_default().push(id);
    }
    let (mut deleted, mut written) = (0usize, 0usize);
    for ((page, viewport, kind), ids) in groups {
        let stream = match kind.as_str() {
            "click" => Stream::Click,
            "move" => Stream::Move,
            _ => continue,
        };
        if ids.len() < 2 {
            continue;
        }
        let key = (page, viewport, stream);
        let mut open: BTreeMap<u8, Block> = BTreeMap::new();
        for id in ids {
            let data: Vec<u8> =
                conn.query_row("SELECT data FROM point_blocks WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            // A damaged block is left as it is: compaction must not lose what it cannot read.
            let Ok(block) = Block::decode(&data) else {
                continue;
            };
            conn.execute("DELETE FROM point_blocks WHERE id = ?1", [id])?;
            deleted += 1;
            let out = open
                .entry(block.grid)
                .or_insert_with(|| Block::new(block.grid));
            let mut i = 0usize;
            for run in &block.runs {
                for j in i..i + run.len as usize {
                    out.push_quantised(run.session, block.qx[j], block.qy[j], block.flags[j]);
                    if out.len() >= TARGET {
                        insert(conn, &key, out)?;
                        written += 1;
                        *out = Block::new(block.grid);
                    }
                }
                i += run.len as usize;
            }
        }
        for block in open.values().filter(|b| !b.is_empty()) {
            insert(conn, &key, block)?;
            written += 1;
        }
    }
    Ok(deleted.saturating_sub(written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Tier;

    fn core() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        crate::dataset::schema::migrate(&conn, Tier::Core).unwrap();
        conn.execute_batch(
            "INSERT INTO pages (id, pattern) VALUES (1, '/a'), (2, '/b');
             INSERT INTO heatmap_sessions (ref, day, device, viewport_width, region, variant, cohort)
             WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 9)
             SELECT v, '2026-11-01', 'desktop', 1440, '', '', '' FROM n;",
        )
        .unwrap();
        conn
    }

    fn key(page: i64, stream: Stream) -> Key {
        (page, "desktop".into(), stream)
    }

    /// Session `s` clicks `n` times on page 1, every third click a rage click.
    fn clicks(s: u32, n: usize) -> SessionPoints {
        let list = (0..n)
            .map(|i| {
                (
                    s as f32 * 10.0 + i as f32,
                    i as f32,
                    if i % 3 == 0 { RAGE } else { 0 },
                )
            })
            .collect();
        SessionPoints::from([(key(1, Stream::Click), list)])
    }

    fn write(conn: &Connection, sessions: &[(u32, usize)]) {
        let mut w = Writer::default();
        for &(s, n) in sessions {
            w.add(conn, s, clicks(s, n)).unwrap();
        }
        w.flush(conn).unwrap();
    }

    fn blocks(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM point_blocks", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn sessions_share_blocks_and_read_back_with_their_flags() {
        let conn = core();
        write(&conn, &[(1, 5), (2, TARGET), (3, 4)]);
        assert_eq!(blocks(&conn), 2, "full blocks are written as they fill");
        let got = read(&conn, &key(1, Stream::Click)).unwrap().points;
        assert_eq!(got.len(), 9 + TARGET);
        let runs: Vec<(u32, u32)> = got.runs.iter().map(|r| (r.session, r.len)).collect();
        assert_eq!(
            runs,
            [(1, 5), (2, TARGET as u32), (3, 4)],
            "a run split by a block joins up"
        );
        // Page 1 has no screenshot: a quarter-pixel grid, read back at the quantum's middle.
        assert_eq!(got.xs[..2], [10.125, 11.125]);
        assert_eq!(got.ys[..2], [0.125, 1.125]);
        let (session, xs, _) = got.sessions().nth(1).unwrap();
        assert_eq!((session, xs.len(), xs[0]), (2, TARGET, 20.125));
        let rage = got.flags.iter().filter(|&&f| f == RAGE).count();
        assert_eq!(rage, 2 + TARGET.div_ceil(3) + 2);
        assert_eq!(got.flags[..4], [RAGE, 0, 0, RAGE]);
        assert_eq!(read(&conn, &key(2, Stream::Click)).unwrap().points.len(), 0);
    }

    #[test]
    fn pending_sessions_are_not_read() {
        let conn = core();
        write(&conn, &[(1, 5), (2, 7)]);
        conn.execute("UPDATE heatmap_sessions SET pending = 1 WHERE ref = 2", [])
            .unwrap();
        let got = read(&conn, &key(1, Stream::Click)).unwrap().points;
        assert_eq!(got.runs, [Run { session: 1, len: 5 }]);
        assert_eq!((got.len(), got.flags.len()), (5, 5));
    }

    #[test]
    fn removing_a_session_rewrites_the_blocks_it_shares() {
        let conn = core();
        write(&conn, &[(1, 5), (2, 7), (3, 4)]);
        write(&conn, &[(2, 3), (4, 1)]);
        assert_eq!(remove_sessions(&conn, &[2]).unwrap(), 10);
        let got = read(&conn, &key(1, Stream::Click)).unwrap().points;
        let runs: Vec<(u32, u32)> = got.runs.iter().map(|r| (r.session, r.len)).collect();
        assert_eq!(runs, [(1, 5), (3, 4), (4, 1)]);
        // Nothing of session 2 is left in any block's bytes either.
        let mut stmt = conn
            .prepare("SELECT data, min_ref, max_ref FROM point_blocks")
            .unwrap();
        let rows: Vec<(Vec<u8>, i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (data, min, max) in rows {
            let b = Block::decode(&data).unwrap();
            assert!(b.runs.iter().all(|r| r.session != 2));
            assert_eq!(b.sessions(), Some((min as u32, max as u32)));
        }
        assert_eq!(remove_sessions(&conn, &[4]).unwrap(), 1);
        assert_eq!(blocks(&conn), 1, "an emptied block goes");
    }

    #[test]
    fn a_damaged_block_holding_a_removed_session_goes_whole() {
        let conn = core();
        write(&conn, &[(1, 5), (2, 7)]);
        conn.execute("UPDATE point_blocks SET data = x'0102'", [])
            .unwrap();
        assert_eq!(read(&conn, &key(1, Stream::Click)).unwrap().damaged, 1);
        assert_eq!(remove_sessions(&conn, &[2]).unwrap(), 12);
        assert_eq!(blocks(&conn), 0);
    }

    #[test]
    fn compaction_merges_the_tails_batches_leave() {
        let conn = core();
        for s in 1..=6 {
            write(&conn, &[(s, 100)]);
        }
        let moves = SessionPoints::from([(key(2, Stream::Move), vec![(1.0, 2.0, 0)])]);
        let mut w = Writer::default();
        w.add(&conn, 7, moves).unwrap();
        w.flush(&conn).unwrap();
        assert_eq!(blocks(&conn), 7);
        let before = read(&conn, &key(1, Stream::Click)).unwrap().points;
        assert_eq!(compact(&conn).unwrap(), 5);
        assert_eq!(blocks(&conn), 2, "one block per key");
        let after = read(&conn, &key(1, Stream::Click)).unwrap().points;
        assert_eq!((&after.xs, &after.ys), (&before.xs, &before.ys));
        assert_eq!((&after.runs, &after.flags), (&before.runs, &before.flags));
        let moves = read(&conn, &key(2, Stream::Move)).unwrap().points;
        assert_eq!(
            (moves.len(), moves.flags.len()),
            (1, 0),
            "no flags, no flag bytes"
        );
    }

    #[test]
    fn the_grid_follows_the_screenshot_scale() {
        assert_eq!(grid_for(None), 4);
        assert_eq!(grid_for(Some(1.0)), 1);
        assert_eq!(grid_for(Some(2.0)), 2);
        assert_eq!(grid_for(Some(1.5)), 3);
        assert_eq!(grid_for(Some(2.625)), 21);
        assert_eq!(grid_for(Some(0.7)), 4);
        let conn = core();
        conn.execute(
            "INSERT INTO screenshots (page_id, viewport, css_width, width_px, height_px, png)
             VALUES (1, 'desktop', 1440, 4320, 100, x'')",
            [],
        )
        .unwrap();
        write(&conn, &[(1, 2)]);
        let data: Vec<u8> = conn
            .query_row("SELECT data FROM point_blocks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(Block::decode(&data).unwrap().grid, 3);
    }
}
