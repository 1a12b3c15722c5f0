//! Schemas of the tier databases and their forward migrations, tracked by `user_version`.
//!
//! A migration list only grows: a dataset written by an older build opens in a newer one.

use rusqlite::Connection;

use crate::dataset::Tier;
use crate::dataset::db::{sql_error, tier_file};
use crate::error::{Error, Result};

/// Migrations of `core.db`; entry `i` takes `user_version` from `i` to `i + 1`.
const CORE: &[&str] = &["
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_login_ms INTEGER,
        revoked_at_ms INTEGER
    ) STRICT;
    CREATE TABLE access_log (
        seq INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        purpose TEXT NOT NULL,
        outcome TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
    ) STRICT;
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        pattern TEXT NOT NULL UNIQUE,
        title TEXT
    ) STRICT;
    CREATE TABLE screenshots (
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        css_width INTEGER NOT NULL,
        width_px INTEGER NOT NULL,
        height_px INTEGER NOT NULL,
        png BLOB NOT NULL,
        PRIMARY KEY (page_id, viewport)
    ) STRICT;
    CREATE TABLE page_sessions (
        page_id INTEGER NOT NULL REFERENCES pages(id),
        session_id TEXT NOT NULL,
        PRIMARY KEY (page_id, session_id)
    ) STRICT;
", "
    CREATE TABLE masking_rules (id INTEGER PRIMARY KEY, rule TEXT NOT NULL) STRICT;
    CREATE TABLE heatmap_sessions (
        ref INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        device TEXT NOT NULL,
        viewport_width INTEGER NOT NULL,
        region TEXT NOT NULL,
        variant TEXT NOT NULL,
        cohort TEXT NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE point_chunks (
        id INTEGER PRIMARY KEY,
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        kind TEXT NOT NULL,
        ref INTEGER,
        count INTEGER NOT NULL,
        xs BLOB NOT NULL,
        ys BLOB NOT NULL,
        refs BLOB NOT NULL
    ) STRICT;
    CREATE INDEX point_chunks_by_page ON point_chunks (page_id, viewport, kind);
    CREATE INDEX point_chunks_by_ref ON point_chunks (ref);
    CREATE TABLE page_depths (
        ref INTEGER NOT NULL,
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport_height INTEGER NOT NULL,
        max_bottom_px REAL NOT NULL,
        PRIMARY KEY (ref, page_id)
    ) STRICT;
    CREATE TABLE imports (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, user TEXT NOT NULL, report TEXT NOT NULL) STRICT;
", "
    ALTER TABLE heatmap_sessions ADD COLUMN survey_score INTEGER;
    ALTER TABLE page_depths ADD COLUMN attention BLOB;
    ALTER TABLE screenshots ADD COLUMN format TEXT NOT NULL DEFAULT 'png';
    CREATE TABLE consent_stats (
        day TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        purpose TEXT NOT NULL,
        granted INTEGER NOT NULL,
        total INTEGER NOT NULL,
        PRIMARY KEY (day, jurisdiction, purpose)
    ) STRICT;
", "
    CREATE TABLE policy (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    INSERT INTO policy (key, value) VALUES ('idle_lock_minutes', '10'), ('k_anonymity', '5');
", "
    CREATE TABLE annotations (
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        doc TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (page_id, viewport)
    ) STRICT;
", "
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        user TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    -- Nothing is purged until the compliance lead sets a retention (0 = kept): an import
    -- of older recordings must never vanish at the next opening by surprise.
    INSERT INTO policy (key, value) VALUES
        ('retention_recordings_days', '0'),
        ('retention_points_days', '0'),
        ('retention_survey_comments_days', '0'),
        ('purge_on_open', '1');
", "
    INSERT INTO policy (key, value) VALUES ('consent_target_percent', '70'), ('restricted_regions', '');
    CREATE TABLE anomaly_acks (
        key TEXT PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        user TEXT NOT NULL
    ) STRICT;
", "
    -- Format 2: signed log entries, authority checkpoints and purge records, sealed policy.
    ALTER TABLE access_log ADD COLUMN signer TEXT NOT NULL DEFAULT '';
    ALTER TABLE access_log ADD COLUMN signature BLOB;
    CREATE INDEX access_log_by_action ON access_log (action, seq);
    CREATE TABLE log_checkpoints (
        seq INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        time_ms INTEGER NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
    CREATE TABLE log_purges (
        to_seq INTEGER PRIMARY KEY,
        from_seq INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        last_hash BLOB NOT NULL,
        time_ms INTEGER NOT NULL,
        receipt TEXT NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
    CREATE TABLE policy_seals (
        kind TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        signer TEXT NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
    CREATE TABLE retired_keys (
        key BLOB PRIMARY KEY,
        retired_at_seq INTEGER NOT NULL
    ) STRICT;
    INSERT OR IGNORE INTO policy (key, value) VALUES ('access_log_floor_days', '365');
", "
    -- The k floor counts people: a keyed 16-bit bucket of each session's subject (NULL until
    -- the next import fills it in for sessions stored before).
    ALTER TABLE heatmap_sessions ADD COLUMN subject_group INTEGER;
", "
    -- Frustration signals per session (NULL: stored before signals, with no events kept to
    -- compute them from) and scroll reversals per page, for the pages' medians.
    ALTER TABLE heatmap_sessions ADD COLUMN rage_bursts INTEGER;
    ALTER TABLE heatmap_sessions ADD COLUMN dead_clicks INTEGER;
    ALTER TABLE heatmap_sessions ADD COLUMN error_clicks INTEGER;
    ALTER TABLE heatmap_sessions ADD COLUMN quick_backs INTEGER;
    ALTER TABLE heatmap_sessions ADD COLUMN excessive_scroll INTEGER;
    ALTER TABLE heatmap_sessions ADD COLUMN frustration INTEGER;
    ALTER TABLE page_depths ADD COLUMN reversals INTEGER;
    -- Element analytics: what each heatmap session did to each clicked element (masked
    -- selector) of a page at a viewport class.
    CREATE TABLE elements (id INTEGER PRIMARY KEY, selector TEXT NOT NULL UNIQUE) STRICT;
    CREATE TABLE element_clicks (
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        element_id INTEGER NOT NULL REFERENCES elements(id),
        ref INTEGER NOT NULL,
        clicks INTEGER NOT NULL,
        rage INTEGER NOT NULL,
        dead INTEGER NOT NULL,
        error INTEGER NOT NULL,
        first_click_ms INTEGER NOT NULL,
        x0 REAL NOT NULL,
        y0 REAL NOT NULL,
        x1 REAL NOT NULL,
        y1 REAL NOT NULL,
        PRIMARY KEY (page_id, viewport, element_id, ref)
    ) STRICT;
    CREATE INDEX element_clicks_by_ref ON element_clicks (ref);
", "
    -- Consent decisions sessions carried at import (their manifest row or their own header),
    -- counted once per source: refused sessions count too, though nothing else of them is kept.
    CREATE TABLE session_consent (
        day TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        purpose TEXT NOT NULL,
        granted INTEGER NOT NULL,
        total INTEGER NOT NULL,
        PRIMARY KEY (day, jurisdiction, purpose)
    ) STRICT;
    -- Capture-to-analysis latency: one row per stored session (the import's day, and the time
    -- from the session's end to its import), nothing that names the session.
    CREATE TABLE session_latency (day TEXT NOT NULL, latency_ms INTEGER NOT NULL) STRICT;
    CREATE INDEX session_latency_by_day ON session_latency (day);
    -- When each anomaly was first found, for the time to acknowledge it.
    CREATE TABLE anomaly_seen (key TEXT PRIMARY KEY, first_seen_ms INTEGER NOT NULL) STRICT;
", "
    -- Where a page image came from: an uploaded screenshot, or a page drawn from a recording's
    -- masked DOM for a page and width that had none.
    ALTER TABLE screenshots ADD COLUMN source TEXT NOT NULL DEFAULT 'screenshot';
    -- For a drawn page, the heatmap ref of the session it came from: erasure and retention
    -- remove the image with the session's points.
    ALTER TABLE screenshots ADD COLUMN source_ref INTEGER;
", "
    -- Heatmap points in blocks that span sessions (crate::dataset::points): quantised,
    -- bit-packed coordinates, session refs run-length encoded, rage and dead clicks as flags.
    -- The step's code (`POINT_BLOCKS`) moves `point_chunks` into them and drops it.
    CREATE TABLE point_blocks (
        id INTEGER PRIMARY KEY,
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL,
        min_ref INTEGER NOT NULL,
        max_ref INTEGER NOT NULL,
        data BLOB NOT NULL
    ) STRICT;
    CREATE INDEX point_blocks_by_page ON point_blocks (page_id, viewport, kind);
    CREATE INDEX point_blocks_by_ref ON point_blocks (max_ref, min_ref);
", "
    -- Heatmap grids computed in a warehouse (crate::grid): pre-binned, k-anonymous counts per
    -- page, viewport class, kind and segment, one row per bin and day; `source` is the file's
    -- provenance (name, recipe, parameters) as JSON.
    CREATE TABLE grid_layers (
        id INTEGER PRIMARY KEY,
        page_id INTEGER NOT NULL REFERENCES pages(id),
        viewport TEXT NOT NULL,
        kind TEXT NOT NULL,
        segment_key TEXT NOT NULL,
        segment_value TEXT NOT NULL,
        bin_px INTEGER NOT NULL,
        day_from TEXT NOT NULL,
        day_to TEXT NOT NULL,
        events INTEGER NOT NULL,
        source TEXT NOT NULL,
        imported_at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX grid_layers_by_page ON grid_layers (page_id, viewport, kind);
    CREATE TABLE grid_cells (
        layer_id INTEGER NOT NULL REFERENCES grid_layers(id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        x_bin INTEGER NOT NULL,
        y_bin INTEGER NOT NULL,
        count INTEGER NOT NULL,
        sessions INTEGER NOT NULL,
        PRIMARY KEY (layer_id, day, x_bin, y_bin)
    ) STRICT, WITHOUT ROWID;
"];

/// The core.db version whose step also converts `point_chunks` into point blocks (in Rust, in
/// the step's transaction).
const POINT_BLOCKS: u32 = 13;

/// Migrations of `recordings.db`.
const RECORDINGS: &[&str] = &[
    "
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        device TEXT NOT NULL,
        viewport_width INTEGER NOT NULL,
        region TEXT NOT NULL,
        pages TEXT NOT NULL,
        clicks INTEGER NOT NULL,
        rage_clicks INTEGER NOT NULL
    ) STRICT;
",
    "
    ALTER TABLE sessions ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN dead_clicks INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN variant TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN cohort TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN heatmap_ref INTEGER;
    CREATE INDEX sessions_by_source ON sessions (source_key);
    CREATE INDEX sessions_by_subject ON sessions (subject);
    CREATE TABLE session_events (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        events BLOB NOT NULL
    ) STRICT;
",
    "
    ALTER TABLE sessions ADD COLUMN survey_score INTEGER;
    CREATE TABLE consent (
        subject TEXT NOT NULL,
        purpose TEXT NOT NULL,
        granted INTEGER NOT NULL,
        jurisdiction TEXT NOT NULL,
        recorded_at_ms INTEGER NOT NULL,
        PRIMARY KEY (subject, purpose)
    ) STRICT;
    CREATE TABLE surveys (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        session_key TEXT NOT NULL,
        score INTEGER NOT NULL,
        comment TEXT NOT NULL
    ) STRICT;
    CREATE INDEX surveys_by_subject ON surveys (subject);
    CREATE INDEX surveys_by_session ON surveys (session_key);
",
    "
    CREATE TABLE subject_refs (
        ref INTEGER PRIMARY KEY,
        subject TEXT NOT NULL
    ) STRICT;
    CREATE INDEX subject_refs_by_subject ON subject_refs (subject);
    INSERT OR IGNORE INTO subject_refs (ref, subject)
        SELECT heatmap_ref, subject FROM sessions WHERE heatmap_ref IS NOT NULL;
    ALTER TABLE surveys ADD COLUMN stored_at_ms INTEGER NOT NULL DEFAULT 0;
    UPDATE surveys SET stored_at_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
",
    "
    -- Every stored session's source (replays and heatmap-only ones), so a file imported again
    -- counts once; and a keyed token per erased subject, so a later import of the same export
    -- never brings them back.
    CREATE TABLE imported_sources (source_key TEXT PRIMARY KEY) STRICT;
    INSERT OR IGNORE INTO imported_sources (source_key) SELECT source_key FROM sessions;
    CREATE TABLE erased_subjects (token TEXT PRIMARY KEY, erased_at_ms INTEGER NOT NULL) STRICT;
",
    "
    -- Frustration signals (NULL until computed: the next unlock computes them from the stored
    -- events) and scroll reversals per page as JSON [[pattern, n], …].
    ALTER TABLE sessions ADD COLUMN error_clicks INTEGER;
    ALTER TABLE sessions ADD COLUMN quick_backs INTEGER;
    ALTER TABLE sessions ADD COLUMN excessive_scroll INTEGER;
    ALTER TABLE sessions ADD COLUMN frustration INTEGER;
    ALTER TABLE sessions ADD COLUMN page_reversals TEXT;
",
    "
    -- Sources whose own consent decision was counted (keyed hashes), so a second import of
    -- a file counts nothing twice while a corrected manifest can still bring a session in.
    CREATE TABLE consent_counted (source_key TEXT PRIMARY KEY) STRICT;
",
    "
    -- Whether every stored replay has its signals, so sign-in need not scan for ones without:
    -- set now when none lacks them, else by the backfill once it has filled them.
    INSERT OR IGNORE INTO meta (key, value)
        SELECT 'signals_computed', '1'
        WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE error_clicks IS NULL);
",
    "
    -- The masked page of each replay (crate::dom): snapshots and changes, as JSON.
    CREATE TABLE session_pages (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        track BLOB NOT NULL
    ) STRICT;
",
    "
    -- What the PII scan found in each replay's stored text (crate::compliance::anomaly), kept
    -- from the import so the Compliance view reads it instead of every session's events; a
    -- session without a row is scanned when the view next opens (older replays, rescrubbed).
    CREATE TABLE session_pii (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        kind TEXT,
        matches INTEGER NOT NULL
    ) STRICT;
    INSERT OR REPLACE INTO meta (key, value) VALUES ('pii_scan_version', '1');
",
];

fn migrations(tier: Tier) -> &'static [&'static str] {
    match tier {
        Tier::Core => CORE,
        Tier::Recordings => RECORDINGS,
    }
}

/// The schema version this build writes for `tier`.
pub fn current_version(tier: Tier) -> u32 {
    migrations(tier).len() as u32
}

/// Brings the database up to the current schema, one transaction per step. A database from a
/// newer build is refused rather than misread.
pub fn migrate(conn: &Connection, tier: Tier) -> Result<()> {
    let file = tier_file(tier);
    let all = migrations(tier);
    let mut shrink = false;
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| sql_error(file, e))?;
        let step = (|| {
            let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let Some(step) = all.get(version as usize) else {
                return Ok(Some(version));
            };
            conn.execute_batch(&format!("{step}; PRAGMA user_version = {};", version + 1))?;
            if tier == Tier::Core && version + 1 == POINT_BLOCKS {
                shrink = crate::dataset::points::convert_chunks(conn)? > 0;
            }
            Ok(None)
        })();
        match step {
            Ok(None) => conn
                .execute_batch("COMMIT")
                .map_err(|e| sql_error(file, e))?,
            Ok(Some(version)) => {
                conn.execute_batch("ROLLBACK")
                    .map_err(|e| sql_error(file, e))?;
                if version as usize > all.len() {
                    return Err(Error::Format(format!(
                        "{file} has schema version {version}, made by a newer Sightline; this build knows up to {}.",
                        all.len()
                    )));
                }
                if shrink {
                    // The old points' pages are free (and zeroed: secure_delete) but still in
                    // the file, several times the size of the blocks that replaced them. The
                    // migration has committed, so a failure here (a full disk) only leaves
                    // the file larger.
                    let _shrunk = conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
                }
                return Ok(());
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(sql_error(file, e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::points::{self, DEAD, RAGE, Run, Stream};

    fn floats(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|f| f.to_le_bytes()).collect()
    }

    #[test]
    fn point_chunks_become_blocks_with_rage_and_dead_as_flags() {
        let conn = Connection::open_in_memory().unwrap();
        for step in &CORE[..POINT_BLOCKS as usize - 1] {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {}", POINT_BLOCKS - 1))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO pages (id, pattern) VALUES (1, '/a');
             INSERT INTO heatmap_sessions (ref, day, device, viewport_width, region, variant, cohort)
             VALUES (1, 'd', 'desktop', 1440, '', '', ''), (2, 'd', 'desktop', 1440, '', '', '');",
        )
        .unwrap();
        let chunk = |kind: &str, r: i64, xs: &[f32], ys: &[f32]| {
            let refs: Vec<u8> = xs.iter().flat_map(|_| (r as u32).to_le_bytes()).collect();
            conn.execute(
                "INSERT INTO point_chunks (page_id, viewport, kind, ref, count, xs, ys, refs)
                 VALUES (1, 'desktop', ?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![kind, r, xs.len() as i64, floats(xs), floats(ys), refs],
            )
            .unwrap();
        };
        chunk("click", 2, &[5.0, 6.0, 7.0], &[50.0, 60.0, 70.0]);
        chunk("rage", 2, &[6.0, 7.0], &[60.0, 70.0]);
        chunk("dead", 2, &[7.0], &[70.0]);
        chunk("click", 1, &[1.0], &[10.0]);
        chunk("move", 1, &[3.0, 4.0], &[30.0, 40.0]);

        migrate(&conn, Tier::Core).unwrap();

        let gone: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'point_chunks'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(gone, 0);
        let clicks = points::read(&conn, &(1, "desktop".into(), Stream::Click))
            .unwrap()
            .points;
        assert_eq!(
            clicks.runs,
            [Run { session: 1, len: 1 }, Run { session: 2, len: 3 }]
        );
        // No screenshot: a quarter-pixel grid, read back at the quantum's middle.
        assert_eq!(clicks.xs, [1.125, 5.125, 6.125, 7.125]);
        assert_eq!(clicks.flags, [0, 0, RAGE, RAGE | DEAD]);
        let moves = points::read(&conn, &(1, "desktop".into(), Stream::Move))
            .unwrap()
            .points;
        assert_eq!(moves.ys, [30.125, 40.125]);
        let flags: Vec<u8> = conn
            .query_row(
                "SELECT data FROM point_blocks WHERE kind = 'click'",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .map(|d| points::Block::decode(&d).unwrap().flags)
            .unwrap();
        assert_eq!(flags, [0, 0, RAGE, RAGE | DEAD]);
    }
}
