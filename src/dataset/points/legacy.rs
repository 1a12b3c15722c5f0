//! The migration from `point_chunks` (core.db schema 12 and before: one row per session, page and
//! kind, f32 x and y and a u32 ref per point, rage and dead clicks stored again as kinds of
//! their own) to point blocks.

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::{DEAD, RAGE, SessionPoints, Stream, Writer};

/// Converts every chunk into blocks and drops `point_chunks`; returns the points converted.
/// Runs inside the schema step's transaction, so a failure leaves the old table whole.
pub fn convert_chunks(conn: &Connection) -> rusqlite::Result<u64> {
    // Ids first, ordered without their blobs, so sorting never copies the points.
    let mut ids: Vec<(i64, String, i64, i64)> = conn
        .prepare("SELECT page_id, viewport, ref, id FROM point_chunks WHERE ref IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    ids.sort();
    let mut writer = Writer::default();
    let mut converted = 0u64;
    let mut read = conn.prepare("SELECT kind, xs, ys FROM point_chunks WHERE id = ?1")?;
    let mut at = 0;
    while at < ids.len() {
        let (page, viewport, session) = (ids[at].0, ids[at].1.clone(), ids[at].2);
        let mut kinds: BTreeMap<String, Vec<(f32, f32)>> = BTreeMap::new();
        while at < ids.len()
            && (ids[at].0, ids[at].1.as_str(), ids[at].2) == (page, &viewport, session)
        {
            let (kind, xs, ys): (String, Vec<u8>, Vec<u8>) =
                read.query_row([ids[at].3], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            // A chunk whose columns disagree was never drawn; it is not guessed at now.
            if xs.len() == ys.len() {
                kinds
                    .entry(kind)
                    .or_default()
                    .extend(floats(&xs).zip(floats(&ys)));
            }
            at += 1;
        }
        let Ok(session) = u32::try_from(session) else {
            continue;
        };
        let mut points = SessionPoints::new();
        if let Some(clicks) = kinds.get("click") {
            let rage = flags(clicks, kinds.get("rage"));
            let dead = flags(clicks, kinds.get("dead"));
            let list = clicks
                .iter()
                .zip(rage.iter().zip(&dead))
                .map(|(&(x, y), (&r, &d))| {
                    (x, y, if r { RAGE } else { 0 } | if d { DEAD } else { 0 })
                })
                .collect();
            points.insert((page, viewport.clone(), Stream::Click), list);
        }
        if let Some(moves) = kinds.get("move") {
            let list = moves.iter().map(|&(x, y)| (x, y, 0)).collect();
            points.insert((page, viewport.clone(), Stream::Move), list);
        }
        converted += points.values().map(|v| v.len() as u64).sum::<u64>();
        writer.add(conn, session, points)?;
    }
    writer.flush(conn)?;
    conn.execute_batch("DROP TABLE point_chunks")?;
    super::compact(conn)?;
    Ok(converted)
}

fn floats(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Which clicks a rage or dead copy marks. The copies were written in click order, so they
/// are a subsequence of the clicks and matching greedily finds them all.
fn flags(clicks: &[(f32, f32)], marked: Option<&Vec<(f32, f32)>>) -> Vec<bool> {
    let mut out = vec![false; clicks.len()];
    let mut next = marked.map(|m| m.iter().peekable());
    if let Some(next) = &mut next {
        for (i, c) in clicks.iter().enumerate() {
            if next
                .peek()
                .is_some_and(|m| m.0.to_bits() == c.0.to_bits() && m.1.to_bits() == c.1.to_bits())
            {
                out[i] = true;
                next.next();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_mark_the_clicks_they_were_copied_from() {
        let clicks = [(1.0, 1.0), (2.0, 2.0), (1.0, 1.0), (3.0, 3.0)];
        let rage = vec![(1.0, 1.0), (3.0, 3.0)];
        assert_eq!(flags(&clicks, Some(&rage)), [true, false, false, true]);
        let twice = vec![(1.0, 1.0), (1.0, 1.0)];
        assert_eq!(flags(&clicks, Some(&twice)), [true, false, true, false]);
        assert_eq!(flags(&clicks, None), [false; 4]);
    }
}
