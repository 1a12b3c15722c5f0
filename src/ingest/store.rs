//! Writing converted sessions: heatmap points (core.db, point blocks) and, in recordings.db,
//! the subject's link to them and the masked replay where kept. Points stay pending (invisible)
//! until the recordings side has committed; a crash in between is repaired by [`reconcile`]
//! at the next import.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::dataset::crypto::random_key;
use crate::dataset::db::sql_error;
use crate::dataset::points::{DEAD, RAGE, SessionPoints, Stream, Writer};
use crate::error::Result;
use crate::ingest::rrweb::Converted;
use crate::privacy::masking::{MaskingRule, default_rules};
use crate::privacy::paths::{PathRule, StoredPathRule};
use crate::session::{EventKind, device_class};

const CORE: &str = "core.db";
const REC: &str = "recordings.db";

/// A converted session with everything decided about it.
pub struct SessionRecord<'a> {
    /// The converted events.
    pub converted: &'a Converted,
    /// Its frustration signals (counted once, stored in both tiers).
    pub signals: crate::insights::signals::SessionSignals,
    /// The stored session id.
    pub session_id: String,
    /// Keyed hash of the source id, to recognise a re-import.
    pub source_key: String,
    /// Subject pseudonym.
    pub subject: String,
    /// The subject's bucket for the k floor (`pseudonym::subject_group`).
    pub subject_group: u32,
    /// Absolute start.
    pub started_at_ms: i64,
    /// Region or jurisdiction.
    pub region: String,
    /// A/B variant.
    pub variant: String,
    /// Cohort.
    pub cohort: String,
    /// Survey score (1–5) linked to the session or its subject.
    pub survey_score: Option<i64>,
    /// Aggregate its points.
    pub heatmaps: bool,
    /// Keep its replay.
    pub recordings: bool,
}

/// The dataset's pseudonym key, made on first use. It lives in recordings.db, which UX liaisons
/// cannot open.
pub fn pseudonym_key(rec: &Connection) -> Result<Zeroizing<[u8; 32]>> {
    let stored: Option<String> = rec
        .query_row(
            "SELECT value FROM meta WHERE key = 'pseudonym_key'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| sql_error(REC, e))?;
    if let Some(key) = stored
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    {
        return Ok(Zeroizing::new(key));
    }
    let key = random_key()?;
    let text = Zeroizing::new(hex::encode(*key));
    rec.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('pseudonym_key', ?1)",
        [text.as_str()],
    )
    .map_err(|e| sql_error(REC, e))?;
    Ok(key)
}

/// Every row of `masking_rules` (element and path rules) as stored.
fn rule_rows(core: &Connection) -> Result<Vec<(i64, String)>> {
    core.prepare("SELECT id, rule FROM masking_rules ORDER BY id")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(|e| sql_error(CORE, e))
}

/// The masking rules with their ids, seeded with the vendors' defaults on first use.
pub fn masking_rules_with_ids(core: &Connection) -> Result<Vec<(i64, MaskingRule)>> {
    masking_rules(core)?;
    Ok(rule_rows(core)?
        .into_iter()
        .filter_map(|(id, json)| serde_json::from_str(&json).ok().map(|r| (id, r)))
        .collect())
}

/// The masking rules, seeded with the defaults on first use, and again whenever no element
/// rule is left (path rules share the table but do not count).
pub fn masking_rules(core: &Connection) -> Result<Vec<MaskingRule>> {
    let rules: Vec<MaskingRule> = rule_rows(core)?
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_str(&json).ok())
        .collect();
    if rules.is_empty() {
        let defaults = default_rules();
        for rule in &defaults {
            let json = serde_json::to_string(rule).unwrap_or_default();
            core.execute("INSERT INTO masking_rules (rule) VALUES (?1)", [json])
                .map_err(|e| sql_error(CORE, e))?;
        }
        return Ok(defaults);
    }
    Ok(rules)
}

/// The path rules (stored with the masking rules, so they are sealed with them), with ids.
pub fn path_rules_with_ids(core: &Connection) -> Result<Vec<(i64, PathRule)>> {
    Ok(rule_rows(core)?
        .into_iter()
        .filter_map(|(id, json)| {
            serde_json::from_str::<StoredPathRule>(&json)
                .ok()
                .map(|r| (id, r.path))
        })
        .collect())
}

/// The path rules, in order.
pub fn path_rules(core: &Connection) -> Result<Vec<PathRule>> {
    Ok(path_rules_with_ids(core)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// Whether a recording with this source key was imported before.
pub fn already_imported(rec: &Connection, source_key: &str) -> Result<bool> {
    let found = (|| {
        rec.prepare_cached("SELECT 1 FROM imported_sources WHERE source_key = ?1")?
            .query_row([source_key], |_| Ok(()))
            .optional()
    })();
    found.map(|r| r.is_some()).map_err(|e| sql_error(REC, e))
}

/// The suppression token of an erased subject: keyed, so the list names nobody.
fn erased_token(key: &[u8; 32], subject: &str) -> String {
    crate::privacy::pseudonym::pseudonym(key, &format!("erased:{subject}"))
}

/// Adds a subject (by pseudonym) to the suppression list: later imports drop their sessions.
pub fn suppress(rec: &Connection, key: &[u8; 32], subject: &str, now_ms: i64) -> Result<()> {
    rec.execute(
        "INSERT OR IGNORE INTO erased_subjects (token, erased_at_ms) VALUES (?1, ?2)",
        params![erased_token(key, subject), now_ms],
    )
    .map_err(|e| sql_error(REC, e))?;
    Ok(())
}

/// Whether a subject (by pseudonym) was erased.
pub fn is_suppressed(rec: &Connection, key: &[u8; 32], subject: &str) -> Result<bool> {
    let found = (|| {
        rec.prepare_cached("SELECT 1 FROM erased_subjects WHERE token = ?1")?
            .query_row([erased_token(key, subject)], |_| Ok(()))
            .optional()
    })();
    found.map(|r| r.is_some()).map_err(|e| sql_error(REC, e))
}

/// The id of a page pattern, added when new.
pub(crate) fn page_id(core: &Connection, pattern: &str) -> rusqlite::Result<i64> {
    id_of(
        core,
        "SELECT id FROM pages WHERE pattern = ?1",
        "INSERT INTO pages (pattern) VALUES (?1)",
        pattern,
    )
}

/// The id `select` finds for `key`, or the row id `insert` gives it. Looking up first costs
/// one statement for the common case of a known key, where an `INSERT OR IGNORE` followed by
/// the lookup cost two (page and element ids are asked for many times per session).
pub(crate) fn id_of(
    core: &Connection,
    select: &str,
    insert: &str,
    key: &str,
) -> rusqlite::Result<i64> {
    use rusqlite::OptionalExtension;
    if let Some(id) = core
        .prepare_cached(select)?
        .query_row([key], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    core.prepare_cached(insert)?.execute([key])?;
    Ok(core.last_insert_rowid())
}

/// Runs `f` inside a savepoint: on its own a transaction, inside an import batch a nested one,
/// so that a failing session never leaves half its rows.
fn savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    // Cached: an import opens three savepoints a session, and parsing them each time showed
    // in its profile.
    conn.prepare_cached("SAVEPOINT session")?.execute([])?;
    match f(conn) {
        Ok(v) => {
            conn.prepare_cached("RELEASE session")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            // The original error matters more than a failure to roll back.
            let _rolled_back = conn.execute_batch("ROLLBACK TO session; RELEASE session");
            Err(e)
        }
    }
}

/// Stores one session. Its points are written as pending when a replay follows; the returned
/// heatmap ref must be confirmed with [`confirm`] once both databases have committed.
///
/// Its points go to `points`, written as blocks before the batch commits.
pub fn store(
    core: &Connection,
    rec: &Connection,
    s: &SessionRecord<'_>,
    points: &mut Writer,
) -> Result<Option<i64>> {
    let (heatmap_ref, session_points) = if s.heatmaps {
        let (r, p) = savepoint(core, |c| store_points(c, s)).map_err(|e| sql_error(CORE, e))?;
        (Some(r), Some(p))
    } else {
        (None, None)
    };
    if let Some(r) = heatmap_ref {
        // The subject's link to its points lives with the recordings (core.db holds no
        // subjects), so an erasure can find points even where no replay was kept.
        rec.prepare_cached("INSERT OR REPLACE INTO subject_refs (ref, subject) VALUES (?1, ?2)")
            .and_then(|mut st| st.execute(params![r, s.subject]))
            .map_err(|e| sql_error(REC, e))?;
    }
    rec.prepare_cached("INSERT OR IGNORE INTO imported_sources (source_key) VALUES (?1)")
        .and_then(|mut st| st.execute([s.source_key.as_str()]))
        .map_err(|e| sql_error(REC, e))?;
    if s.recordings {
        savepoint(rec, |r| store_replay(r, s, heatmap_ref)).map_err(|e| sql_error(REC, e))?;
        if heatmap_ref.is_none() {
            savepoint(core, |c| link_pages(c, &s.converted.pages, &s.session_id))
                .map_err(|e| sql_error(CORE, e))?;
        }
    }
    if let (Some(r), Some(p)) = (heatmap_ref, session_points) {
        // Refs are row ids; one past u32 would be a dataset of four billion sessions.
        let r = u32::try_from(r).map_err(|_| {
            crate::error::Error::Integrity("core.db has run out of heatmap session refs.".into())
        })?;
        points.add(core, r, p).map_err(|e| sql_error(CORE, e))?;
    }
    Ok(heatmap_ref)
}

/// Counts one session's own consent decision (both purposes) in `session_consent`, once per
/// source: a second import of the file counts nothing.
pub fn count_consent(
    core: &Connection,
    rec: &Connection,
    source_key: &str,
    day: &str,
    jurisdiction: &str,
    decision: (bool, bool),
) -> Result<()> {
    let first = rec
        .prepare_cached("INSERT OR IGNORE INTO consent_counted (source_key) VALUES (?1)")
        .and_then(|mut st| st.execute([source_key]))
        .map_err(|e| sql_error(REC, e))?;
    if first == 0 {
        return Ok(());
    }
    for (purpose, granted) in [("heatmaps", decision.0), ("recordings", decision.1)] {
        core.prepare_cached(
            "INSERT INTO session_consent (day, jurisdiction, purpose, granted, total) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (day, jurisdiction, purpose) DO UPDATE SET granted = granted + ?4, total = total + 1",
        )
        .and_then(|mut st| st.execute(params![day, jurisdiction, purpose, i64::from(granted)]))
        .map_err(|e| sql_error(CORE, e))?;
    }
    Ok(())
}

/// Records how long after its end a session was imported (capture-to-analysis latency).
pub fn record_latency(core: &Connection, now_ms: i64, latency_ms: i64) -> Result<()> {
    let day = crate::clock::day(now_ms);
    core.prepare_cached("INSERT INTO session_latency (day, latency_ms) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute(params![day, latency_ms.max(0)]))
        .map_err(|e| sql_error(CORE, e))?;
    Ok(())
}

/// Marks sessions whose replays are committed as complete.
pub fn confirm(core: &Connection, refs: &[i64]) -> Result<()> {
    savepoint(core, |c| {
        let mut stmt =
            c.prepare_cached("UPDATE heatmap_sessions SET pending = 0 WHERE ref = ?1")?;
        for r in refs {
            stmt.execute([r])?;
        }
        Ok(())
    })
    .map_err(|e| sql_error(CORE, e))
}

fn link_pages(tx: &Connection, pages: &[String], key: &str) -> rusqlite::Result<()> {
    for pattern in pages {
        let id = page_id(tx, pattern)?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO page_sessions (page_id, session_id) VALUES (?1, ?2)",
        )?
        .execute(params![id, key])?;
    }
    Ok(())
}

fn store_points(tx: &Connection, s: &SessionRecord<'_>) -> rusqlite::Result<(i64, SessionPoints)> {
    let c = s.converted;
    let day = crate::clock::day(s.started_at_ms);
    let signals = &s.signals;
    tx.prepare_cached("INSERT INTO heatmap_sessions (day, device, viewport_width, region, variant, cohort, pending, survey_score, subject_group,
                                   rage_bursts, dead_clicks, error_clicks, quick_backs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")?.execute(params![day, device_class(c.viewport_width), c.viewport_width, s.region, s.variant, s.cohort, true, s.survey_score, s.subject_group,
             signals.rage_bursts, signals.dead_clicks, signals.error_clicks, signals.quick_backs])?;
    let heatmap_ref = tx.last_insert_rowid();
    let mut by_pattern: BTreeMap<(&str, &'static str, Stream), Vec<_>> = BTreeMap::new();
    let (mut page, mut width) = (None::<&str>, c.viewport_width);
    for e in &c.events {
        match e.kind {
            EventKind::Navigation => page = e.url.as_deref(),
            EventKind::Viewport => width = e.width.unwrap_or(width),
            _ => {}
        }
        let Some(p) = page else { continue };
        let stream = match e.kind {
            EventKind::Click | EventKind::Tap if !e.accidental => Stream::Click,
            EventKind::Move => Stream::Move,
            _ => continue,
        };
        let (Some(x), Some(y)) = (e.x, e.y) else {
            continue;
        };
        let flags = if stream == Stream::Click {
            (u8::from(e.rage) * RAGE) | (u8::from(e.dead) * DEAD)
        } else {
            0
        };
        by_pattern
            .entry((p, device_class(width), stream))
            .or_default()
            .push((x, y, flags));
    }
    let mut points = SessionPoints::new();
    for ((pattern, viewport, stream), list) in by_pattern {
        points.insert((page_id(tx, pattern)?, viewport.to_owned(), stream), list);
    }
    let depths = crate::ingest::depth::page_depths(&c.events);
    for pattern in &c.pages {
        let id = page_id(tx, pattern)?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO page_sessions (page_id, session_id) VALUES (?1, ?2)",
        )?
        .execute(params![id, format!("h{heatmap_ref}")])?;
        if let Some(d) = depths.get(pattern) {
            let attention: Vec<u8> = d
                .attention_ms
                .iter()
                .flat_map(|ms| ms.to_le_bytes())
                .collect();
            // Pages visited without a turn count as 0 for the pages' medians.
            let reversals = signals.reversals.get(pattern).copied().unwrap_or(0);
            tx.prepare_cached("INSERT OR REPLACE INTO page_depths (ref, page_id, viewport_height, max_bottom_px, attention, reversals)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![heatmap_ref, id, d.viewport_height, d.max_bottom_px, attention, reversals])?;
        }
    }
    let elements = crate::insights::elements::of_session(&c.events, c.viewport_width);
    crate::insights::store::insert_elements(tx, heatmap_ref, &elements)?;
    Ok((heatmap_ref, points))
}

fn store_replay(
    tx: &Connection,
    s: &SessionRecord<'_>,
    heatmap_ref: Option<i64>,
) -> rusqlite::Result<()> {
    let c = s.converted;
    let clicks = c.events.iter().filter(|e| e.is_click()).count() as i64;
    let signals = &s.signals;
    let (rage, dead) = (signals.rage_bursts, signals.dead_clicks);
    let events = crate::session::stored::encode(&c.events);
    tx.prepare_cached("INSERT INTO sessions (id, subject, started_at_ms, duration_ms, device, viewport_width, region, pages, clicks,
                               rage_clicks, source_key, dead_clicks, variant, cohort, heatmap_ref, survey_score,
                               error_clicks, quick_backs, page_reversals)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)")?.execute(params![
            s.session_id,
            s.subject,
            s.started_at_ms,
            c.duration_ms,
            device_class(c.viewport_width),
            c.viewport_width,
            s.region,
            serde_json::to_string(&c.pages).unwrap_or_default(),
            clicks,
            rage,
            s.source_key,
            dead,
            s.variant,
            s.cohort,
            heatmap_ref,
            s.survey_score,
            signals.error_clicks,
            signals.quick_backs,
            crate::insights::store::reversals_json(signals)
        ])?;
    tx.prepare_cached("INSERT INTO session_events (session_id, events) VALUES (?1, ?2)")?
        .execute(params![s.session_id, events])?;
    crate::compliance::anomaly::store_session_pii(
        tx,
        &s.session_id,
        crate::compliance::anomaly::session_pii(&c.events),
    )?;
    if let Some(page) = &c.page {
        tx.prepare_cached("INSERT INTO session_pages (session_id, track) VALUES (?1, ?2)")?
            .execute(params![s.session_id, page.encode()])?;
    }
    Ok(())
}

/// Fills in the k-floor bucket of sessions stored before buckets existed, from the subject
/// links in `recordings.db`; returns how many were filled.
pub fn fill_subject_groups(core: &Connection, rec: &Connection, key: &[u8; 32]) -> Result<usize> {
    let missing: Vec<i64> = core
        .prepare("SELECT ref FROM heatmap_sessions WHERE subject_group IS NULL")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| sql_error(CORE, e))?;
    let mut filled = 0;
    for r in missing {
        let subject: Option<String> = rec
            .query_row(
                "SELECT subject FROM subject_refs WHERE ref = ?1",
                [r],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| sql_error(REC, e))?;
        if let Some(subject) = subject {
            let group = crate::privacy::pseudonym::subject_group(key, &subject);
            core.execute(
                "UPDATE heatmap_sessions SET subject_group = ?1 WHERE ref = ?2",
                params![group, r],
            )
            .map_err(|e| sql_error(CORE, e))?;
            filled += 1;
        }
    }
    Ok(filled)
}

/// Completes or removes sessions left pending by an interrupted import; returns how many were
/// removed.
pub fn reconcile(core: &Connection, rec: &Connection) -> Result<usize> {
    let mut stmt = core
        .prepare("SELECT ref FROM heatmap_sessions WHERE pending = 1")
        .map_err(|e| sql_error(CORE, e))?;
    let pending: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .map_err(|e| sql_error(CORE, e))?
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| sql_error(CORE, e))?;
    let mut removed = 0;
    for r in pending {
        // The recordings side (link, and replay if any) committed: the session is whole.
        let has_replay = rec
            .query_row("SELECT 1 FROM subject_refs WHERE ref = ?1", [r], |_| Ok(()))
            .optional()
            .map_err(|e| sql_error(REC, e))?
            .is_some();
        let tx = core
            .unchecked_transaction()
            .map_err(|e| sql_error(CORE, e))?;
        if has_replay {
            tx.execute(
                "UPDATE heatmap_sessions SET pending = 0 WHERE ref = ?1",
                [r],
            )
            .map_err(|e| sql_error(CORE, e))?;
        } else {
            removed += 1;
            crate::dataset::points::remove_sessions(&tx, &[r]).map_err(|e| sql_error(CORE, e))?;
            for cleanup in [
                "DELETE FROM page_depths WHERE ref = ?1",
                "DELETE FROM page_sessions WHERE session_id = 'h' || ?1",
                "DELETE FROM heatmap_sessions WHERE ref = ?1",
            ] {
                tx.execute(cleanup, [r]).map_err(|e| sql_error(CORE, e))?;
            }
        }
        tx.commit().map_err(|e| sql_error(CORE, e))?;
    }
    Ok(removed)
}
