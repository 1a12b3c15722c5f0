//! Signals in the tier databases: filled in once for sessions stored before signals existed,
//! and the excessive-scrolling flag and frustration score settled against the pages' medians
//! after every import.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, params};

use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::insights::elements;
use crate::insights::signals::{self, SessionSignals};

const CORE: &str = "core.db";
const REC: &str = "recordings.db";

/// Reversals per page as stored in `sessions.page_reversals`.
pub fn reversals_json(s: &SessionSignals) -> String {
    let pairs: Vec<(&String, &u32)> = s.reversals.iter().collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

fn reversals_from_json(text: Option<&str>) -> BTreeMap<String, u32> {
    text.and_then(|t| serde_json::from_str::<Vec<(String, u32)>>(t).ok())
        .map(|pairs| pairs.into_iter().collect())
        .unwrap_or_default()
}

/// Whether some stored replay has no signals yet: never once the backfill (or the migration,
/// for datasets with none missing) marked them all computed, so sign-in scans nothing. Only
/// once the stored selectors were scrubbed (the first import of this version does it):
/// element rows are made from them.
pub fn needs_backfill(rec: &Connection) -> Result<bool> {
    rec.query_row(
        "SELECT NOT EXISTS(SELECT 1 FROM meta WHERE key = 'signals_computed')
             AND EXISTS(SELECT 1 FROM sessions WHERE error_clicks IS NULL)
             AND EXISTS(SELECT 1 FROM meta WHERE key = 'identifiers_scrubbed')",
        [],
        |r| r.get(0),
    )
    .map_err(|e| sql_error(REC, e))
}

/// Computes the signals of replays stored before signals existed, from their events, into
/// both tiers, then settles the scores. Heatmap-only sessions stored before have no events
/// left to compute from: their signals stay unknown. Returns how many sessions were filled.
pub fn backfill(core: &Connection, rec: &Connection) -> Result<usize> {
    let rows: Vec<(String, Option<i64>, u32, Vec<u8>)> = {
        let mut stmt = rec
            .prepare(
                "SELECT s.id, s.heatmap_ref, s.viewport_width, e.events FROM sessions s
                 JOIN session_events e ON e.session_id = s.id WHERE s.error_clicks IS NULL",
            )
            .map_err(|e| sql_error(REC, e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(REC, e))?
    };
    let filled = rows.len();
    let write = || -> rusqlite::Result<()> {
        let rec_tx = rec.unchecked_transaction()?;
        let core_tx = core.unchecked_transaction()?;
        for (id, heatmap_ref, width, events) in rows {
            let events = crate::session::stored::decode(&events).unwrap_or_default();
            let s = signals::of_session(&events);
            rec_tx.execute(
                "UPDATE sessions SET error_clicks = ?2, quick_backs = ?3, page_reversals = ?4 WHERE id = ?1",
                params![id, s.error_clicks, s.quick_backs, reversals_json(&s)],
            )?;
            if let Some(r) = heatmap_ref {
                store_core_signals(&core_tx, r, &s)?;
                store_elements(&core_tx, r, &elements::of_session(&events, width))?;
            }
        }
        rec_tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('signals_computed', '1')",
            [],
        )?;
        core_tx.commit()?;
        rec_tx.commit()
    };
    write().map_err(|e| sql_error(REC, e))?;
    rescore(core, Some(rec))?;
    Ok(filled)
}

/// Writes one heatmap session's counts and its reversals per page (rows of `page_depths`).
pub fn store_core_signals(
    core: &Connection,
    heatmap_ref: i64,
    s: &SessionSignals,
) -> rusqlite::Result<()> {
    core.prepare_cached(
        "UPDATE heatmap_sessions SET rage_bursts = ?2, dead_clicks = ?3, error_clicks = ?4, quick_backs = ?5 WHERE ref = ?1",
    )?
    .execute(params![
        heatmap_ref,
        s.rage_bursts,
        s.dead_clicks,
        s.error_clicks,
        s.quick_backs
    ])?;
    let mut set = core.prepare_cached(
        "UPDATE page_depths SET reversals = ?3 WHERE ref = ?1 AND page_id = (SELECT id FROM pages WHERE pattern = ?2)",
    )?;
    for (page, n) in &s.reversals {
        set.execute(params![heatmap_ref, page, n])?;
    }
    // Pages visited without a turn count as 0 for the medians.
    core.prepare_cached(
        "UPDATE page_depths SET reversals = 0 WHERE ref = ?1 AND reversals IS NULL",
    )?
    .execute([heatmap_ref])?;
    Ok(())
}

/// Writes what one heatmap session did to each element it clicked, replacing any rows it had.
pub fn store_elements(
    core: &Connection,
    heatmap_ref: i64,
    visits: &BTreeMap<elements::ElementKey, elements::ElementVisit>,
) -> rusqlite::Result<()> {
    core.prepare_cached("DELETE FROM element_clicks WHERE ref = ?1")?
        .execute([heatmap_ref])?;
    insert_elements(core, heatmap_ref, visits)
}

/// Adds the rows of `element_clicks` of a session that has none yet (at import).
pub fn insert_elements(
    core: &Connection,
    heatmap_ref: i64,
    visits: &BTreeMap<elements::ElementKey, elements::ElementVisit>,
) -> rusqlite::Result<()> {
    // Ids are looked up on their own and the row inserted from values: an INSERT … SELECT
    // that joined pages and elements on bound text was prepared again at every execution
    // (a third of the writer's time in an import).
    for ((page, viewport, selector), v) in visits {
        let page_id = crate::ingest::store::page_id(core, page)?;
        let element_id = crate::ingest::store::id_of(
            core,
            "SELECT id FROM elements WHERE selector = ?1",
            "INSERT INTO elements (selector) VALUES (?1)",
            selector,
        )?;
        core.prepare_cached(
            "INSERT OR REPLACE INTO element_clicks
                 (page_id, viewport, element_id, ref, clicks, rage, dead, error, first_click_ms, x0, y0, x1, y1)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            page_id,
            viewport,
            element_id,
            heatmap_ref,
            v.clicks,
            v.rage,
            v.dead,
            v.error,
            v.first_click_ms,
            v.bounds[0],
            v.bounds[1],
            v.bounds[2],
            v.bounds[3]
        ])?;
    }
    Ok(())
}

/// Settles every session's excessive-scrolling flag and frustration score against the current
/// medians of reversals per page (heatmap sessions, and replay-only ones when `rec` is open).
///
/// Rows are read as they stream: what is kept per session is a few numbers (the reversals
/// per page as indices into the page list, then which sessions scroll excessively, then the
/// scores that changed), so memory stays small next to the number of sessions.
pub fn rescore(core: &Connection, rec: Option<&Connection>) -> Result<()> {
    let mut pages: Vec<String> = Vec::new();
    let mut page_index: HashMap<String, u32> = HashMap::new();
    let mut per_page: Vec<Vec<u32>> = Vec::new();
    // (ref, page, reversals) of every heatmap session's page.
    let mut reversals: Vec<(i64, u32, u32)> = Vec::new();
    // Counts `n` reversals on `page`; returns the page's index.
    let mut count = |page: String, n: u32| -> u32 {
        let i = match page_index.get(&page) {
            Some(&i) => i,
            None => {
                let i = pages.len() as u32;
                pages.push(page.clone());
                page_index.insert(page, i);
                per_page.push(Vec::new());
                i
            }
        };
        per_page[i as usize].push(n);
        i
    };
    {
        let mut stmt = core
            .prepare(
                "SELECT d.ref, p.pattern, d.reversals FROM page_depths d
                 JOIN pages p ON p.id = d.page_id WHERE d.reversals IS NOT NULL",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_error(CORE, e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(CORE, e))? {
            let (r, page, n): (i64, String, u32) =
                (|| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))()
                    .map_err(|e| sql_error(CORE, e))?;
            reversals.push((r, count(page, n), n));
        }
    }
    if let Some(rec) = rec {
        let mut stmt = rec
            .prepare(
                "SELECT page_reversals FROM sessions WHERE heatmap_ref IS NULL AND error_clicks IS NOT NULL",
            )
            .map_err(|e| sql_error(REC, e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_error(REC, e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(REC, e))? {
            let text: Option<String> = row.get(0).map_err(|e| sql_error(REC, e))?;
            for (page, n) in reversals_from_json(text.as_deref()) {
                count(page, n);
            }
        }
    }
    let per_page: HashMap<String, Vec<u32>> = pages.iter().cloned().zip(per_page).collect();
    let thresholds = signals::thresholds(&per_page);
    drop(per_page);
    let excessive: std::collections::HashSet<i64> = reversals
        .iter()
        .filter(|&&(_, page, n)| signals::excessive_on(&pages[page as usize], n, &thresholds))
        .map(|&(r, _, _)| r)
        .collect();
    drop(reversals);
    let scored = rescore_core(core, &excessive)?;
    if let Some(rec) = rec {
        rescore_recordings(rec, &scored, &thresholds)?;
    }
    Ok(())
}

/// The four counted signals of a session row, from column `at` on.
fn counted(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<SessionSignals> {
    Ok(SessionSignals {
        rage_bursts: row.get(at)?,
        dead_clicks: row.get(at + 1)?,
        error_clicks: row.get(at + 2)?,
        quick_backs: row.get(at + 3)?,
        reversals: BTreeMap::new(),
    })
}

/// Scores heatmap sessions (`excessive`: those that scroll excessively somewhere); returns
/// (excessive, score) by ref for their replays.
fn rescore_core(
    core: &Connection,
    excessive: &std::collections::HashSet<i64>,
) -> Result<HashMap<i64, (bool, u8)>> {
    let mut out = HashMap::new();
    let mut changed: Vec<(i64, bool, u8)> = Vec::new();
    {
        let mut stmt = core
            .prepare(
                "SELECT ref, rage_bursts, dead_clicks, error_clicks, quick_backs, excessive_scroll,
                        frustration
                 FROM heatmap_sessions WHERE rage_bursts IS NOT NULL",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_error(CORE, e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(CORE, e))? {
            let (r, s, before): (i64, SessionSignals, (Option<bool>, Option<u8>)) =
                (|| Ok((row.get(0)?, counted(row, 1)?, (row.get(5)?, row.get(6)?))))()
                    .map_err(|e| sql_error(CORE, e))?;
            let flag = excessive.contains(&r);
            let score = signals::frustration(&s, flag);
            if before != (Some(flag), Some(score)) {
                changed.push((r, flag, score));
            }
            out.insert(r, (flag, score));
        }
    }
    let tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error(CORE, e))?;
    {
        let mut set = tx
            .prepare_cached(
                "UPDATE heatmap_sessions SET excessive_scroll = ?2, frustration = ?3 WHERE ref = ?1",
            )
            .map_err(|e| sql_error(CORE, e))?;
        for (r, flag, score) in changed {
            set.execute(params![r, flag, score])
                .map_err(|e| sql_error(CORE, e))?;
        }
    }
    tx.commit().map_err(|e| sql_error(CORE, e))?;
    Ok(out)
}

fn rescore_recordings(
    rec: &Connection,
    scored: &HashMap<i64, (bool, u8)>,
    thresholds: &HashMap<String, u32>,
) -> Result<()> {
    let mut changed: Vec<(String, bool, u8)> = Vec::new();
    {
        let mut stmt = rec
            .prepare(
                "SELECT id, heatmap_ref, rage_clicks, dead_clicks, error_clicks, quick_backs, page_reversals,
                        excessive_scroll, frustration
                 FROM sessions WHERE error_clicks IS NOT NULL",
            )
            .map_err(|e| sql_error(REC, e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_error(REC, e))?;
        while let Some(row) = rows.next().map_err(|e| sql_error(REC, e))? {
            type Row = (
                String,
                Option<i64>,
                SessionSignals,
                Option<String>,
                (Option<bool>, Option<u8>),
            );
            let (id, heatmap_ref, mut s, text, before): Row = (|| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    counted(row, 2)?,
                    row.get(6)?,
                    (row.get(7)?, row.get(8)?),
                ))
            })()
            .map_err(|e| sql_error(REC, e))?;
            // A replay with heatmap points is scored once, in core.db, so both tiers agree.
            let (flag, score) = match heatmap_ref.and_then(|r| scored.get(&r).copied()) {
                Some(pair) => pair,
                None => {
                    s.reversals = reversals_from_json(text.as_deref());
                    let flag = signals::excessive(&s.reversals, thresholds);
                    (flag, signals::frustration(&s, flag))
                }
            };
            if before != (Some(flag), Some(score)) {
                changed.push((id, flag, score));
            }
        }
    }
    let tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
    {
        let mut set = tx
            .prepare_cached(
                "UPDATE sessions SET excessive_scroll = ?2, frustration = ?3 WHERE id = ?1",
            )
            .map_err(|e| sql_error(REC, e))?;
        for (id, flag, score) in changed {
            set.execute(params![id, flag, score])
                .map_err(|e| sql_error(REC, e))?;
        }
    }
    tx.commit().map_err(|e| sql_error(REC, e))?;
    Ok(())
}
