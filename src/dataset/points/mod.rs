//! Heatmap points in core.db's `point_blocks`: blocks of up to [`TARGET`] points that span
//! sessions ([`codec`] has the bytes). Imports append through a [`Writer`], the gate reads a
//! page's blocks whole, and erasure and retention rewrite the blocks that hold a removed
//! session ([`remove_sessions`]).

pub mod codec;
mod legacy;
mod read;
mod rewrite;
mod write;

use std::collections::BTreeMap;

pub use codec::{Block, DEAD, Damaged, RAGE, Run};
pub use legacy::convert_chunks;
pub use read::{PageStream, PointSet, read};
pub use rewrite::{compact, remove_sessions};
pub use write::{Writer, grid_for};

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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

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
        // Unreadable, it counts nobody's points, but goes.
        assert_eq!(remove_sessions(&conn, &[2]).unwrap(), 0);
        assert_eq!(blocks(&conn), 0);
    }

    #[test]
    fn a_block_is_read_only_for_stored_sessions_and_when_its_row_agrees() {
        let conn = core();
        // Session 77 was never stored (a forged or damaged ref): its points are left out.
        write(&conn, &[(1, 5), (77, 3)]);
        let got = read(&conn, &key(1, Stream::Click)).unwrap();
        assert_eq!(
            (got.points.runs.as_slice(), got.damaged),
            (&[Run { session: 1, len: 5 }][..], 0)
        );
        // A row whose count disagrees with its block's header is damaged, not believed.
        conn.execute("UPDATE point_blocks SET count = count + 1", [])
            .unwrap();
        let got = read(&conn, &key(1, Stream::Click)).unwrap();
        assert_eq!((got.points.len(), got.damaged), (0, 1));
    }

    #[test]
    fn compaction_leaves_lone_and_damaged_blocks_as_they_are() {
        let conn = core();
        write(&conn, &[(1, 5)]);
        write(&conn, &[(2, 5)]);
        conn.execute("UPDATE point_blocks SET data = x'0102' WHERE id = 2", [])
            .unwrap();
        let ids = |conn: &Connection| -> Vec<i64> {
            let mut stmt = conn
                .prepare("SELECT id FROM point_blocks ORDER BY id")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let before = ids(&conn);
        assert_eq!(compact(&conn).unwrap(), 0);
        assert_eq!(ids(&conn), before, "nothing rewritten");
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
