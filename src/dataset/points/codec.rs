//! The byte format of one point block: many sessions' points on one page, viewport class and
//! kind, quantised to a pixel grid and bit-packed (ARCHITECTURE.md, "Point blocks").
//!
//! ```text
//! u8 version (1) · u8 grid (quanta per CSS px) · u8 bits_x · u8 bits_y
//! zigzag varint min_x · zigzag varint min_y          (in quanta)
//! varint points · varint runs
//! runs × (zigzag varint session − previous session · varint length)
//! rage marks · dead marks      each: varint count, then if any, a bitmap of `points` bits
//!                               where count > points / 8, else count × varint (index − previous)
//! points × (bits_x of x − min_x, bits_y of y − min_y), least significant bit first
//! ```
//!
//! Session refs cost a few bytes per run instead of four per point, rage and dead clicks are
//! indices into the block's clicks instead of copies, and a 1440×4000 page at 1 quantum per px
//! packs a point into 23 bits.

use std::fmt;

use crate::varint::{self, put, unzigzag, zigzag};

const VERSION: u8 = 1;
/// A block never claims more points than this, so a damaged count cannot ask for gigabytes.
pub const MAX_POINTS: usize = 1 << 20;

/// Consecutive points of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The heatmap session (`heatmap_sessions.ref`).
    pub session: u32,
    /// How many points.
    pub len: u32,
}

/// A rage click (bit of [`Block::flags`]).
pub const RAGE: u8 = 1;
/// A dead click (bit of [`Block::flags`]).
pub const DEAD: u8 = 2;

/// One block, decoded: quantised coordinates (`x = (qx + ½) / grid` CSS px).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// Quanta per CSS px.
    pub grid: u8,
    /// Sessions in point order.
    pub runs: Vec<Run>,
    /// x per point, in quanta.
    pub qx: Vec<i32>,
    /// y per point, in quanta.
    pub qy: Vec<i32>,
    /// [`RAGE`] | [`DEAD`] per point.
    pub flags: Vec<u8>,
}

/// A block that does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a heatmap point block is damaged")
    }
}

impl Block {
    /// An empty block on `grid`.
    pub fn new(grid: u8) -> Block {
        Block {
            grid: grid.max(1),
            ..Block::default()
        }
    }

    /// Points held.
    pub fn len(&self) -> usize {
        self.qx.len()
    }

    /// Whether it holds no point.
    pub fn is_empty(&self) -> bool {
        self.qx.is_empty()
    }

    /// Appends a point of `session` (page CSS px); non-finite coordinates are not stored.
    pub fn push(&mut self, session: u32, x: f32, y: f32, flags: u8) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let g = f64::from(self.grid);
        // Floor, so a point keeps its pixel on any screenshot whose scale divides the grid.
        let q = |v: f32| (f64::from(v) * g).floor().clamp(-1e9, 1e9) as i32;
        self.push_quantised(session, q(x), q(y), flags);
    }

    /// Appends a point already on this block's grid.
    pub fn push_quantised(&mut self, session: u32, qx: i32, qy: i32, flags: u8) {
        match self.runs.last_mut() {
            Some(run) if run.session == session => run.len += 1,
            _ => self.runs.push(Run { session, len: 1 }),
        }
        self.qx.push(qx);
        self.qy.push(qy);
        self.flags.push(flags & (RAGE | DEAD));
    }

    /// The lowest and highest session held.
    pub fn sessions(&self) -> Option<(u32, u32)> {
        let min = self.runs.iter().map(|r| r.session).min()?;
        let max = self.runs.iter().map(|r| r.session).max()?;
        Some((min, max))
    }

    /// The block's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let range = |v: &[i32]| {
            let min = v.iter().copied().min().unwrap_or(0);
            let max = v.iter().copied().max().unwrap_or(0);
            (min, bits_for(max.abs_diff(min)))
        };
        let ((min_x, bits_x), (min_y, bits_y)) = (range(&self.qx), range(&self.qy));
        let n = self.len();
        let mut out = Vec::with_capacity(32 + self.runs.len() * 4 + n * (bits_x + bits_y) / 8);
        out.extend_from_slice(&[VERSION, self.grid, bits_x as u8, bits_y as u8]);
        put(&mut out, zigzag(i64::from(min_x)));
        put(&mut out, zigzag(i64::from(min_y)));
        put(&mut out, n as u64);
        put(&mut out, self.runs.len() as u64);
        let mut previous = 0i64;
        for run in &self.runs {
            put(&mut out, zigzag(i64::from(run.session) - previous));
            put(&mut out, u64::from(run.len));
            previous = i64::from(run.session);
        }
        for flag in [RAGE, DEAD] {
            let marked: Vec<usize> = (0..n).filter(|&i| self.flags[i] & flag != 0).collect();
            put(&mut out, marked.len() as u64);
            if is_bitmap(marked.len(), n) {
                let start = out.len();
                out.resize(start + n.div_ceil(8), 0);
                for i in marked {
                    out[start + i / 8] |= 1 << (i % 8);
                }
            } else {
                let mut previous = 0;
                for i in marked {
                    put(&mut out, (i - previous) as u64);
                    previous = i;
                }
            }
        }
        let mut bits = BitWriter::new(&mut out);
        for (&x, &y) in self.qx.iter().zip(&self.qy) {
            bits.put(u64::from(x.abs_diff(min_x)), bits_x);
            bits.put(u64::from(y.abs_diff(min_y)), bits_y);
        }
        bits.finish();
        out
    }

    /// Decodes `bytes` into `self`, reusing its buffers.
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), Damaged> {
        let h = Header::parse(bytes)?;
        self.grid = h.grid;
        self.runs.clone_from(&h.runs);
        self.flags.clear();
        self.flags.resize(h.n, 0);
        h.flags_into(bytes, &mut self.flags);
        self.qx.clear();
        self.qy.clear();
        self.qx.reserve(h.n);
        self.qy.reserve(h.n);
        let mut bits = BitReader::at(bytes.get(h.payload_at..).unwrap_or_default(), 0);
        for _ in 0..h.n {
            self.qx.push(h.x(bits.get(h.bits.0)));
            self.qy.push(h.y(bits.get(h.bits.1)));
        }
        Ok(())
    }

    /// Decodes a block.
    pub fn decode(bytes: &[u8]) -> Result<Block, Damaged> {
        let mut block = Block::default();
        block.decode_into(bytes)?;
        Ok(block)
    }
}

/// Where a flag's marks are in a block.
#[derive(Debug, Clone, Copy)]
enum Marks {
    None,
    /// `count` varint index steps from byte `at`.
    List {
        at: usize,
        count: usize,
    },
    /// One bit per point from byte `at`.
    Bitmap {
        at: usize,
    },
}

/// Whether `marked` of `n` points are stored as a bitmap (smaller than a list of steps).
fn is_bitmap(marked: usize, n: usize) -> bool {
    marked > 0 && marked * 8 > n
}

/// A block's header, checked whole: everything but the coordinates, which can then be read
/// from any point on (so threads can each decode their own blocks into their own slices).
#[derive(Debug, Clone)]
pub struct Header {
    /// Quanta per CSS px.
    pub grid: u8,
    /// Points held.
    pub n: usize,
    /// Sessions in point order.
    pub runs: Vec<Run>,
    bits: (usize, usize),
    min: (i32, i32),
    marks: [Marks; 2],
    payload_at: usize,
}

impl Header {
    /// Parses and checks every part of `bytes` but the coordinates' values.
    pub fn parse(bytes: &[u8]) -> Result<Header, Damaged> {
        let mut r = Reader { bytes, at: 0 };
        let [version, grid, bits_x, bits_y] = r.array()?;
        let bits = (usize::from(bits_x), usize::from(bits_y));
        if version != VERSION || grid == 0 || bits.0 > 32 || bits.1 > 32 {
            return Err(Damaged);
        }
        let min_x = i32::try_from(unzigzag(r.varint()?)).map_err(|_| Damaged)?;
        let min_y = i32::try_from(unzigzag(r.varint()?)).map_err(|_| Damaged)?;
        let n = r.count(MAX_POINTS)?;
        let n_runs = r.count(n)?;
        let mut runs = Vec::with_capacity(n_runs);
        let (mut session, mut total) = (0i64, 0usize);
        for _ in 0..n_runs {
            session = session.checked_add(unzigzag(r.varint()?)).ok_or(Damaged)?;
            let len = r.count(n - total)?;
            // The encoder writes no empty run: one would count a session with no point here.
            if len == 0 {
                return Err(Damaged);
            }
            total += len;
            runs.push(Run {
                session: u32::try_from(session).map_err(|_| Damaged)?,
                len: len as u32,
            });
        }
        if total != n {
            return Err(Damaged);
        }
        let mut marks = [Marks::None; 2];
        for m in &mut marks {
            let count = r.count(n)?;
            let at = r.at;
            if count == 0 {
                continue;
            }
            if is_bitmap(count, n) {
                let map = r.bytes.get(at..at + n.div_ceil(8)).ok_or(Damaged)?;
                let ones: u32 = map.iter().map(|b| b.count_ones()).sum();
                let stray = n % 8 != 0 && map.last().is_some_and(|b| b >> (n % 8) != 0);
                if ones as usize != count || stray {
                    return Err(Damaged);
                }
                r.at += map.len();
                *m = Marks::Bitmap { at };
            } else {
                let mut i = 0usize;
                for k in 0..count {
                    let step = r.count(n)?;
                    i = i.checked_add(step).ok_or(Damaged)?;
                    // Indices rise strictly (the first may be 0).
                    if (k > 0 && step == 0) || i >= n {
                        return Err(Damaged);
                    }
                }
                *m = Marks::List { at, count };
            }
        }
        if bytes.len() - r.at < (n * (bits.0 + bits.1)).div_ceil(8) {
            return Err(Damaged);
        }
        Ok(Header {
            grid,
            n,
            runs,
            bits,
            min: (min_x, min_y),
            marks,
            payload_at: r.at,
        })
    }

    /// Whether any point is a rage or dead click.
    pub fn has_flags(&self) -> bool {
        self.marks.iter().any(|m| !matches!(m, Marks::None))
    }

    /// Sets each point's [`RAGE`] and [`DEAD`] bits in `out` (`n` long, cleared), from the
    /// bytes this header was parsed from.
    pub(super) fn flags_into(&self, bytes: &[u8], out: &mut [u8]) {
        for (m, flag) in self.marks.iter().zip([RAGE, DEAD]) {
            match *m {
                Marks::None => {}
                Marks::Bitmap { at } => {
                    let map = bytes.get(at..).unwrap_or_default();
                    for (i, o) in out.iter_mut().enumerate().take(self.n) {
                        let byte = map.get(i / 8).copied().unwrap_or(0);
                        *o |= ((byte >> (i % 8)) & 1) * flag;
                    }
                }
                Marks::List { at, count } => {
                    let mut r = Reader { bytes, at };
                    let mut i = 0usize;
                    for _ in 0..count {
                        // Checked by `parse`.
                        i += r.count(self.n).unwrap_or(0);
                        if let Some(o) = out.get_mut(i) {
                            *o |= flag;
                        }
                    }
                }
            }
        }
    }

    /// Points `from..from + xs.len()` in page CSS px (the middle of their quantum), from the
    /// bytes this header was parsed from.
    pub(super) fn points_into(&self, bytes: &[u8], from: usize, xs: &mut [f32], ys: &mut [f32]) {
        let per = self.bits.0 + self.bits.1;
        let payload = bytes.get(self.payload_at..).unwrap_or_default();
        let mut bits = BitReader::at(payload, from * per);
        let g = f32::from(self.grid);
        for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
            *x = (self.x(bits.get(self.bits.0)) as f32 + 0.5) / g;
            *y = (self.y(bits.get(self.bits.1)) as f32 + 0.5) / g;
        }
    }

    fn x(&self, v: u64) -> i32 {
        offset(self.min.0, v)
    }

    fn y(&self, v: u64) -> i32 {
        offset(self.min.1, v)
    }
}

fn offset(min: i32, v: u64) -> i32 {
    (i64::from(min) + v as i64).clamp(i32::MIN.into(), i32::MAX.into()) as i32
}

/// Bits needed for values up to `max`.
fn bits_for(max: u32) -> usize {
    (32 - max.leading_zeros()) as usize
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Damaged> {
        let got = self.bytes.get(self.at..self.at + N).ok_or(Damaged)?;
        self.at += N;
        got.try_into().map_err(|_| Damaged)
    }

    fn varint(&mut self) -> Result<u64, Damaged> {
        let (v, len) = self
            .bytes
            .get(self.at..)
            .and_then(varint::read)
            .ok_or(Damaged)?;
        self.at += len;
        Ok(v)
    }

    /// A varint that must be at most `max`.
    fn count(&mut self, max: usize) -> Result<usize, Damaged> {
        usize::try_from(self.varint()?)
            .ok()
            .filter(|&v| v <= max)
            .ok_or(Damaged)
    }
}

struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    held: usize,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            held: 0,
        }
    }

    /// Appends the low `bits` (≤ 32) of `v`.
    fn put(&mut self, v: u64, bits: usize) {
        self.acc |= v << self.held;
        self.held += bits;
        while self.held >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.held -= 8;
        }
    }

    fn finish(self) {
        if self.held > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits.
    at: usize,
}

impl<'a> BitReader<'a> {
    fn at(bytes: &'a [u8], at: usize) -> Self {
        BitReader { bytes, at }
    }

    /// The next `bits` (≤ 32) bits; the caller has checked that they are there.
    #[inline]
    fn get(&mut self, bits: usize) -> u64 {
        let byte = self.at / 8;
        // Eight bytes at once where the block has them, else the tail copied into a word.
        let word = match self.bytes.get(byte..byte + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().unwrap_or([0; 8])),
            None => {
                let mut w = [0u8; 8];
                let tail = self.bytes.get(byte..).unwrap_or(&[]);
                w[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(w)
            }
        };
        self.at += bits;
        (word >> ((self.at - bits) % 8)) & ((1u64 << bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Block {
        let mut b = Block::new(4);
        for (i, s) in [7u32, 7, 7, 3, 3, 9000, 7].iter().enumerate() {
            let flags = match i {
                1 => RAGE | DEAD,
                4 => DEAD,
                _ => 0,
            };
            b.push(*s, i as f32 * 10.3 - 2.0, 4000.0 - i as f32 * 0.26, flags);
        }
        b
    }

    #[test]
    fn a_block_decodes_to_what_was_encoded() {
        let b = sample();
        assert_eq!(
            b.runs,
            [
                Run { session: 7, len: 3 },
                Run { session: 3, len: 2 },
                Run {
                    session: 9000,
                    len: 1
                },
                Run { session: 7, len: 1 }
            ]
        );
        assert_eq!(Block::decode(&b.encode()), Ok(b.clone()));
        assert_eq!(b.qx[0], -8, "negative coordinates keep their sign");
        assert_eq!(b.qy[1], ((4000.0f32 - 0.26) * 4.0).floor() as i32);
        let empty = Block::new(2);
        assert_eq!(Block::decode(&empty.encode()), Ok(empty));
    }

    #[test]
    fn sparse_marks_are_listed_and_dense_ones_mapped() {
        let mut b = Block::new(1);
        for i in 0..100u32 {
            let dead = if i % 2 == 0 { DEAD } else { 0 };
            let rage = if i == 37 || i == 99 { RAGE } else { 0 };
            b.push(i / 10, i as f32, 0.0, dead | rage);
        }
        let bytes = b.encode();
        assert_eq!(Block::decode(&bytes), Ok(b.clone()));
        let h = Header::parse(&bytes).unwrap();
        assert!(matches!(h.marks[0], Marks::List { count: 2, .. }));
        assert!(matches!(h.marks[1], Marks::Bitmap { .. }));
        // Points read from the middle of a block land where they were.
        let (mut xs, mut ys) = ([0.0f32; 3], [0.0f32; 3]);
        h.points_into(&bytes, 41, &mut xs, &mut ys);
        assert_eq!((xs, ys), ([41.5, 42.5, 43.5], [0.5; 3]));
        // A bitmap with a bit past the last point is damaged.
        let mut stray = bytes.clone();
        let Marks::Bitmap { at } = h.marks[1] else {
            unreachable!()
        };
        stray[at + 12] |= 0x80;
        assert_eq!(Block::decode(&stray), Err(Damaged));
    }

    #[test]
    fn a_point_of_a_page_this_size_packs_into_23_bits() {
        let mut b = Block::new(1);
        for i in 0..10_000u32 {
            b.push(
                i / 1000,
                (i * 7919 % 1440) as f32,
                (i * 104_729 % 4000) as f32,
                0,
            );
        }
        let bytes = b.encode().len();
        assert!(bytes <= 10_000 * 23 / 8 + 64, "{bytes} bytes");
    }

    #[test]
    fn every_damaged_form_is_refused_not_guessed() {
        let good = sample().encode();
        for cut in 0..good.len() {
            assert_eq!(Block::decode(&good[..cut]), Err(Damaged), "cut at {cut}");
        }
        let mut wrong_version = good.clone();
        wrong_version[0] = 2;
        assert_eq!(Block::decode(&wrong_version), Err(Damaged));
        // A count of 2^40 points with no bits per point must not allocate.
        let mut huge = vec![VERSION, 1, 0, 0, 0, 0];
        put(&mut huge, 1 << 40);
        assert_eq!(Block::decode(&huge), Err(Damaged));
        // A run of no points, and a session step past i64.
        // Two points; two runs: session 1 with none, session 2 with both; no marks.
        let empty_run = [VERSION, 1, 0, 0, 0, 0, 2, 2, 2, 0, 2, 2, 0, 0];
        assert_eq!(Block::decode(&empty_run), Err(Damaged));
        let mut wrapping = vec![VERSION, 1, 0, 0, 0, 0, 2, 2, 10, 1];
        put(&mut wrapping, zigzag(i64::MAX));
        wrapping.extend([1, 0, 0]);
        assert_eq!(Block::decode(&wrapping), Err(Damaged));
        // Runs that do not add up to the points.
        let mut b = sample();
        b.runs[0].len += 1;
        assert_eq!(Block::decode(&b.encode()), Err(Damaged));
    }
}
