//! Reading a page's point blocks into one [`PointSet`], on every core.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::{Key, Run, codec};

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

/// Reads every block of `key`, keeping only points of stored sessions that are complete (not
/// pending an import's confirmation): a ref a block holds for no such session is left out,
/// so a damaged block can neither name a session nobody stored nor size a table by it.
///
/// Headers are read first, so each point's place is known; then every core decodes its share
/// of the blocks straight into the output. In a fresh process most of a read's time is the
/// kernel zeroing the pages it writes, and that work splits across cores too.
pub fn read(conn: &Connection, key: &Key) -> rusqlite::Result<PageStream> {
    let stored: HashSet<u32> = conn
        .prepare_cached("SELECT ref FROM heatmap_sessions WHERE pending = 0")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT data, count FROM point_blocks WHERE page_id = ?1 AND viewport = ?2 AND kind = ?3
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
        let count: i64 = row.get(1)?;
        // A block whose header disagrees with its row is damaged too: a few forged bytes
        // could otherwise claim a million points.
        let Ok(header) = codec::Header::parse(bytes) else {
            out.damaged += 1;
            continue;
        };
        if usize::try_from(count).ok() != Some(header.n) {
            out.damaged += 1;
            continue;
        }
        let mut kept = Vec::new();
        let mut at = 0usize;
        for run in &header.runs {
            if stored.contains(&run.session) {
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
