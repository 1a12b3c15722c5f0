//! Signals in the tier databases: filled in once for sessions stored before signals existed,
//! and the excessive-scrolling flag and frustration score settled against the pages' medians
//! after every import.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, params};

use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::insights::elements;
use crate::insights::signals::{self, SessionSignals};
use crate::session::SessionEvent;

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
            let events: Vec<SessionEvent> = serde_json::from_slice(&events).unwrap_or_default();
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
    for ((page, viewport, selector), v) in visits {
        core.prepare_cached("INSERT OR IGNORE INTO elements (selector) VALUES (?1)")?
            .execute([selector])?;
        core.prepare_cached(
            "INSERT OR REPLACE INTO element_clicks
                 (page_id, viewport, element_id, ref, clicks, rage, dead, error, first_click_ms, x0, y0, x1, y1)
             SELECT p.id, ?2, e.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13
             FROM pages p, elements e WHERE p.pattern = ?1 AND e.selector = ?3",
        )?
        .execute(params![
            page,
            viewport,
            selector,
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
pub fn rescore(core: &Connection, rec: Option<&Connection>) -> Result<()> {
    let mut per_page: HashMap<String, Vec<u32>> = HashMap::new();
    let mut by_ref: HashMap<i64, BTreeMap<String, u32>> = HashMap::new();
    {
        let mut stmt = core
            .prepare(
                "SELECT d.ref, p.pattern, d.reversals FROM page_depths d
                 JOIN pages p ON p.id = d.page_id WHERE d.reversals IS NOT NULL",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })
            .map_err(|e| sql_error(CORE, e))?;
        for row in rows {
            let (r, page, n) = row.map_err(|e| sql_error(CORE, e))?;
            per_page.entry(page.clone()).or_default().push(n);
            by_ref.entry(r).or_default().insert(page, n);
        }
    }
    let replay_only = match rec {
        Some(rec) => replay_only_reversals(rec)?,
        None => Vec::new(),
    };
    for (_, reversals) in &replay_only {
        for (page, &n) in reversals {
            per_page.entry(page.clone()).or_default().push(n);
        }
    }
    let thresholds = signals::thresholds(&per_page);
    let scored = rescore_core(core, &by_ref, &thresholds)?;
    if let Some(rec) = rec {
        rescore_recordings(rec, &scored, &thresholds)?;
    }
    Ok(())
}

fn replay_only_reversals(rec: &Connection) -> Result<Vec<(String, BTreeMap<String, u32>)>> {
    let mut stmt = rec
        .prepare(
            "SELECT id, page_reversals FROM sessions WHERE heatmap_ref IS NULL AND error_clicks IS NOT NULL",
        )
        .map_err(|e| sql_error(REC, e))?;
    stmt.query_map([], |r| {
        let text: Option<String> = r.get(1)?;
        Ok((r.get(0)?, reversals_from_json(text.as_deref())))
    })
    .and_then(Iterator::collect)
    .map_err(|e| sql_error(REC, e))
}

/// Scores heatmap sessions; returns (excessive, score) by ref for their replays.
fn rescore_core(
    core: &Connection,
    by_ref: &HashMap<i64, BTreeMap<String, u32>>,
    thresholds: &HashMap<String, u32>,
) -> Result<HashMap<i64, (bool, u8)>> {
    // The stored flag and score, so only rows whose pair changes are written.
    type Stored = (Option<bool>, Option<u8>);
    let rows: Vec<(i64, SessionSignals, Stored)> = {
        let mut stmt = core
            .prepare(
                "SELECT ref, rage_bursts, dead_clicks, error_clicks, quick_backs, excessive_scroll,
                        frustration
                 FROM heatmap_sessions WHERE rage_bursts IS NOT NULL",
            )
            .map_err(|e| sql_error(CORE, e))?;
        stmt.query_map([], |r| {
            let heatmap_ref: i64 = r.get(0)?;
            Ok((
                heatmap_ref,
                SessionSignals {
                    rage_bursts: r.get(1)?,
                    dead_clicks: r.get(2)?,
                    error_clicks: r.get(3)?,
                    quick_backs: r.get(4)?,
                    reversals: by_ref.get(&heatmap_ref).cloned().unwrap_or_default(),
                },
                (r.get(5)?, r.get(6)?),
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(CORE, e))?
    };
    let mut out = HashMap::with_capacity(rows.len());
    let tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error(CORE, e))?;
    {
        let mut set = tx
            .prepare_cached(
                "UPDATE heatmap_sessions SET excessive_scroll = ?2, frustration = ?3 WHERE ref = ?1",
            )
            .map_err(|e| sql_error(CORE, e))?;
        for (r, s, before) in rows {
            let excessive = signals::excessive(&s.reversals, thresholds);
            let score = signals::frustration(&s, excessive);
            if before != (Some(excessive), Some(score)) {
                set.execute(params![r, excessive, score])
                    .map_err(|e| sql_error(CORE, e))?;
            }
            out.insert(r, (excessive, score));
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
    type Row = (
        String,
        Option<i64>,
        SessionSignals,
        (Option<bool>, Option<u8>),
    );
    let rows: Vec<Row> = {
        let mut stmt = rec
            .prepare(
                "SELECT id, heatmap_ref, rage_clicks, dead_clicks, error_clicks, quick_backs, page_reversals,
                        excessive_scroll, frustration
                 FROM sessions WHERE error_clicks IS NOT NULL",
            )
            .map_err(|e| sql_error(REC, e))?;
        stmt.query_map([], |r| {
            let text: Option<String> = r.get(6)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                SessionSignals {
                    rage_bursts: r.get(2)?,
                    dead_clicks: r.get(3)?,
                    error_clicks: r.get(4)?,
                    quick_backs: r.get(5)?,
                    reversals: reversals_from_json(text.as_deref()),
                },
                (r.get(7)?, r.get(8)?),
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(REC, e))?
    };
    let tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
    {
        let mut set = tx
            .prepare_cached(
                "UPDATE sessions SET excessive_scroll = ?2, frustration = ?3 WHERE id = ?1",
            )
            .map_err(|e| sql_error(REC, e))?;
        for (id, heatmap_ref, s, before) in rows {
            // A replay with heatmap points is scored once, in core.db, so both tiers agree.
            let (excessive, score) = heatmap_ref
                .and_then(|r| scored.get(&r).copied())
                .unwrap_or_else(|| {
                    let excessive = signals::excessive(&s.reversals, thresholds);
                    (excessive, signals::frustration(&s, excessive))
                });
            if before != (Some(excessive), Some(score)) {
                set.execute(params![id, excessive, score])
                    .map_err(|e| sql_error(REC, e))?;
            }
        }
    }
    tx.commit().map_err(|e| sql_error(REC, e))?;
    Ok(())
}
