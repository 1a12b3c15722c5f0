//! The stored form of a session's masked events: a compact binary layout written by imports,
//! and the JSON that older versions wrote, still read.
//!
//! JSON took about 10 KB a session, serialised on the writer's thread and written twice
//! through the WAL; this layout takes under a third. Strings stay plain UTF-8 in a table
//! (each once), so a search of the decrypted database for a canary still finds one.
//!
//! Layout (version 1), integers as LEB128 varints unless said otherwise:
//! - `SLEV`, then the version byte;
//! - the number of strings, then each: its length in bytes and its UTF-8;
//! - the number of events, then each: the time since the previous event (zigzag), the kind
//!   (one byte), a field mask, then the fields the mask names in this order: x and y (f32,
//!   little-endian), target, value, url (indexes into the strings), width, height, detail
//!   (an index). The mask's last three bits are the rage, dead and accidental flags.

use std::collections::HashMap;

use super::{EventKind, SessionEvent};
use crate::varint::{self, put, unzigzag, zigzag};

const MAGIC: &[u8; 4] = b"SLEV";
const VERSION: u8 = 1;

const X: u32 = 1;
const Y: u32 = 1 << 1;
const TARGET: u32 = 1 << 2;
const VALUE: u32 = 1 << 3;
const URL: u32 = 1 << 4;
const WIDTH: u32 = 1 << 5;
const HEIGHT: u32 = 1 << 6;
const DETAIL: u32 = 1 << 7;
const RAGE: u32 = 1 << 8;
const DEAD: u32 = 1 << 9;
const ACCIDENTAL: u32 = 1 << 10;
const KNOWN: u32 = (1 << 11) - 1;

/// The string copies a decode may make, as a multiple of the stored bytes.
const COPY_FACTOR: usize = 64;
/// ... and at least this many bytes, for small sessions.
const MIN_COPY_BUDGET: usize = 1 << 20;

/// Kinds by their stored number. Append only: the numbers are on disk.
const KINDS: [EventKind; 11] = [
    EventKind::Navigation,
    EventKind::Viewport,
    EventKind::Move,
    EventKind::Click,
    EventKind::Tap,
    EventKind::Pointer,
    EventKind::Scroll,
    EventKind::ElementScroll,
    EventKind::Input,
    EventKind::Custom,
    EventKind::Error,
];

/// Stored events that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

/// Strings by first use, each once.
#[derive(Default)]
struct Strings<'e> {
    list: Vec<&'e str>,
    index: HashMap<&'e str, u64>,
}

impl<'e> Strings<'e> {
    fn id(&mut self, s: &'e str) -> u64 {
        *self.index.entry(s).or_insert_with(|| {
            self.list.push(s);
            self.list.len() as u64 - 1
        })
    }
}

/// The stored form of `events`.
pub fn encode(events: &[SessionEvent]) -> Vec<u8> {
    let mut strings = Strings::default();
    let mut body = Vec::with_capacity(events.len() * 8);
    put(&mut body, events.len() as u64);
    let mut last = 0i64;
    for e in events {
        put(&mut body, zigzag(e.t_ms.wrapping_sub(last)));
        last = e.t_ms;
        body.push(kind_number(e.kind));
        let mut mask = 0;
        for (present, bit) in [
            (e.x.is_some(), X),
            (e.y.is_some(), Y),
            (e.target.is_some(), TARGET),
            (e.value.is_some(), VALUE),
            (e.url.is_some(), URL),
            (e.width.is_some(), WIDTH),
            (e.height.is_some(), HEIGHT),
            (e.detail.is_some(), DETAIL),
            (e.rage, RAGE),
            (e.dead, DEAD),
            (e.accidental, ACCIDENTAL),
        ] {
            if present {
                mask |= bit;
            }
        }
        put(&mut body, u64::from(mask));
        for v in [e.x, e.y].into_iter().flatten() {
            body.extend_from_slice(&v.to_le_bytes());
        }
        for s in [&e.target, &e.value, &e.url].into_iter().flatten() {
            put(&mut body, strings.id(s));
        }
        for n in [e.width, e.height].into_iter().flatten() {
            put(&mut body, u64::from(n));
        }
        if let Some(s) = &e.detail {
            put(&mut body, strings.id(s));
        }
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put(&mut out, strings.list.len() as u64);
    for s in &strings.list {
        put(&mut out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&body);
    out
}

/// Reads stored events: this layout, or the JSON of older versions.
pub fn decode(bytes: &[u8]) -> Result<Vec<SessionEvent>, Damaged> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return serde_json::from_slice(bytes).map_err(|_| Damaged);
    };
    let mut r = Reader(rest);
    if r.byte()? != VERSION {
        return Err(Damaged);
    }
    // Every count is checked against the bytes left, so a forged count cannot make a large
    // allocation.
    let n_strings = r.count(1)?;
    let mut strings = Vec::with_capacity(n_strings);
    for _ in 0..n_strings {
        let len = r.count(1)?;
        let raw = r.take(len)?;
        strings.push(std::str::from_utf8(raw).map_err(|_| Damaged)?);
    }
    // Each use of a string copies it: the copies are capped, so a long string named by every
    // event cannot ask for terabytes. Real sessions copy a few times their stored size.
    let mut copy_budget = bytes.len().saturating_mul(COPY_FACTOR).max(MIN_COPY_BUDGET);
    let mut string = |i: u64| -> Result<String, Damaged> {
        let i = usize::try_from(i).map_err(|_| Damaged)?;
        let s = strings.get(i).ok_or(Damaged)?;
        copy_budget = copy_budget.checked_sub(s.len()).ok_or(Damaged)?;
        Ok((*s).to_owned())
    };
    // An event takes at least three bytes: time, kind, mask.
    let n_events = r.count(3)?;
    let mut events = Vec::with_capacity(n_events);
    let mut t = 0i64;
    for _ in 0..n_events {
        t = t.wrapping_add(unzigzag(r.varint()?));
        let kind = *KINDS.get(usize::from(r.byte()?)).ok_or(Damaged)?;
        let mask = u32::try_from(r.varint()?).map_err(|_| Damaged)?;
        if mask & !KNOWN != 0 {
            return Err(Damaged);
        }
        let mut e = SessionEvent::new(t, kind);
        if mask & X != 0 {
            e.x = Some(r.f32()?);
        }
        if mask & Y != 0 {
            e.y = Some(r.f32()?);
        }
        if mask & TARGET != 0 {
            e.target = Some(string(r.varint()?)?);
        }
        if mask & VALUE != 0 {
            e.value = Some(string(r.varint()?)?);
        }
        if mask & URL != 0 {
            e.url = Some(string(r.varint()?)?);
        }
        if mask & WIDTH != 0 {
            e.width = Some(u32::try_from(r.varint()?).map_err(|_| Damaged)?);
        }
        if mask & HEIGHT != 0 {
            e.height = Some(u32::try_from(r.varint()?).map_err(|_| Damaged)?);
        }
        if mask & DETAIL != 0 {
            e.detail = Some(string(r.varint()?)?);
        }
        e.rage = mask & RAGE != 0;
        e.dead = mask & DEAD != 0;
        e.accidental = mask & ACCIDENTAL != 0;
        events.push(e);
    }
    if !r.0.is_empty() {
        return Err(Damaged);
    }
    Ok(events)
}

/// The stored number of `kind`: its place in [`KINDS`] (a test checks they agree).
fn kind_number(kind: EventKind) -> u8 {
    match kind {
        EventKind::Navigation => 0,
        EventKind::Viewport => 1,
        EventKind::Move => 2,
        EventKind::Click => 3,
        EventKind::Tap => 4,
        EventKind::Pointer => 5,
        EventKind::Scroll => 6,
        EventKind::ElementScroll => 7,
        EventKind::Input => 8,
        EventKind::Custom => 9,
        EventKind::Error => 10,
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, Damaged> {
        let (&b, rest) = self.0.split_first().ok_or(Damaged)?;
        self.0 = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Damaged> {
        if n > self.0.len() {
            return Err(Damaged);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, Damaged> {
        let (n, len) = varint::read(self.0).ok_or(Damaged)?;
        self.0 = &self.0[len..];
        Ok(n)
    }

    /// A count of items of at least `min_bytes` each, no more than the bytes left can hold.
    fn count(&mut self, min_bytes: usize) -> Result<usize, Damaged> {
        let n = usize::try_from(self.varint()?).map_err(|_| Damaged)?;
        if n > self.0.len() / min_bytes.max(1) {
            return Err(Damaged);
        }
        Ok(n)
    }

    fn f32(&mut self) -> Result<f32, Damaged> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<SessionEvent> {
        let mut nav = SessionEvent::new(0, EventKind::Navigation);
        nav.url = Some("https://app.test/chat/:id".into());
        let mut view = SessionEvent::new(5, EventKind::Viewport);
        (view.width, view.height) = (Some(1440), Some(900));
        let mut click = SessionEvent::new(1200, EventKind::Click);
        (click.x, click.y) = (Some(12.5), Some(-3.25));
        click.target = Some("button.send".into());
        (click.rage, click.dead) = (true, true);
        let mut input = SessionEvent::new(900, EventKind::Input);
        input.target = Some("input#msg".into());
        input.value = Some(crate::session::MASKED_VALUE.into());
        let mut tap = SessionEvent::new(2000, EventKind::Tap);
        tap.accidental = true;
        tap.detail = Some("touchstart".into());
        let mut again = SessionEvent::new(2100, EventKind::Click);
        again.target = Some("button.send".into());
        let mut last = SessionEvent::new(i64::MIN / 2, EventKind::Error);
        last.detail = Some("console error".into());
        vec![nav, view, click, input, tap, again, last]
    }

    #[test]
    fn every_field_and_kind_comes_back_as_written() {
        let mut events = sample();
        for (i, kind) in KINDS.iter().enumerate() {
            events.push(SessionEvent::new(3000 + i as i64, *kind));
        }
        let stored = encode(&events);
        assert_eq!(decode(&stored), Ok(events));
    }

    #[test]
    fn kind_numbers_follow_the_table() {
        for (i, kind) in KINDS.iter().enumerate() {
            assert_eq!(usize::from(kind_number(*kind)), i, "{kind:?}");
        }
    }

    #[test]
    fn a_long_string_named_by_every_event_is_refused_not_copied() {
        let long = "a".repeat(1 << 16);
        let mut forged = MAGIC.to_vec();
        forged.push(VERSION);
        put(&mut forged, 1);
        put(&mut forged, long.len() as u64);
        forged.extend_from_slice(long.as_bytes());
        let events = 200_000u64;
        put(&mut forged, events);
        for _ in 0..events {
            // No time step, a click, a target naming the long string.
            forged.extend([0, 3, TARGET as u8, 0]);
        }
        assert_eq!(decode(&forged), Err(Damaged));
    }

    #[test]
    fn json_from_older_versions_is_still_read() {
        let events = sample();
        let json = serde_json::to_vec(&events).unwrap();
        assert_eq!(decode(&json), Ok(events));
    }

    #[test]
    fn strings_are_kept_once_and_as_plain_text() {
        let stored = encode(&sample());
        let text = String::from_utf8_lossy(&stored);
        assert_eq!(text.matches("button.send").count(), 1);
        assert!(text.contains("https://app.test/chat/:id"));
    }

    #[test]
    fn it_is_much_smaller_than_json() {
        let moves: Vec<SessionEvent> = (0..1000)
            .map(|i| {
                let mut e = SessionEvent::new(i * 16, EventKind::Move);
                (e.x, e.y) = (Some(i as f32), Some(400.5));
                e
            })
            .collect();
        let json = serde_json::to_vec(&moves).unwrap().len();
        let stored = encode(&moves).len();
        assert!(stored * 3 < json, "{stored} bytes against {json} as JSON");
    }

    #[test]
    fn every_truncation_and_forged_count_is_refused() {
        let stored = encode(&sample());
        for len in 0..stored.len() {
            assert_eq!(decode(&stored[..len]), Err(Damaged), "cut at {len}");
        }
        let mut extra = stored.clone();
        extra.push(0);
        assert_eq!(decode(&extra), Err(Damaged));
        // A huge string count, an unknown kind, an unknown mask bit, a bad string index.
        let mut forged = MAGIC.to_vec();
        forged.extend([VERSION, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&forged), Err(Damaged));
        let mut forged = MAGIC.to_vec();
        forged.extend([VERSION, 0, 1, 0, 99, 0]);
        assert_eq!(decode(&forged), Err(Damaged));
        let mut forged = MAGIC.to_vec();
        forged.extend([VERSION, 0, 1, 0, 0, 0x80, 0x10]);
        assert_eq!(decode(&forged), Err(Damaged));
        let mut forged = MAGIC.to_vec();
        forged.extend([VERSION, 0, 1, 0, 0, 4, 7]);
        assert_eq!(decode(&forged), Err(Damaged));
        let mut bad_utf8 = MAGIC.to_vec();
        bad_utf8.extend([VERSION, 1, 1, 0xff, 0]);
        assert_eq!(decode(&bad_utf8), Err(Damaged));
    }
}
