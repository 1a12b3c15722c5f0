//! Retention: how long each data class is kept, and the purge that removes what is past it.

use rusqlite::{Connection, OptionalExtension};

use super::{ReceiptDetail, delete_heatmap_refs, scrub};
use crate::clock::rfc3339;
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};

const CORE: &str = "core.db";
const REC: &str = "recordings.db";
const DAY_MS: i64 = 86_400_000;

/// Days each data class is kept (0: kept until erased), and whether opening purges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Session replays.
    pub recordings_days: u32,
    /// Heatmap points, depths and signals.
    pub points_days: u32,
    /// Free-text survey comments (scores stay).
    pub survey_comments_days: u32,
    /// Access-log entries (the chain goes on from the last removed entry).
    pub access_log_days: u32,
    /// Purge when a user who may purge opens the dataset.
    pub purge_on_open: bool,
    /// The shortest access-log retention one may set (365 days unless lowered, never below
    /// [`MIN_ACCESS_LOG_DAYS`]), so a purge cannot make recent actions vanish.
    pub access_log_floor_days: u32,
}

impl Default for Policy {
    /// Everything kept until erased; the access log's floor at its default.
    fn default() -> Self {
        Policy {
            recordings_days: 0,
            points_days: 0,
            survey_comments_days: 0,
            purge_on_open: false,
            access_log_days: 0,
            access_log_floor_days: DEFAULT_ACCESS_LOG_FLOOR_DAYS,
        }
    }
}

const KEYS: [&str; 6] = [
    "retention_recordings_days",
    "retention_points_days",
    "retention_survey_comments_days",
    "purge_on_open",
    "retention_access_log_days",
    "access_log_floor_days",
];

/// The lowest floor for access-log retention.
pub const MIN_ACCESS_LOG_DAYS: u32 = 30;
/// The floor unless the policy lowers it.
pub const DEFAULT_ACCESS_LOG_FLOOR_DAYS: u32 = 365;

/// How a purge may remove old access-log entries.
pub enum LogPurge<'a> {
    /// Format 1: the unsigned base of older datasets.
    Legacy,
    /// Format 2: a record signed with the authority key, of entries that verify.
    Signed {
        /// The dataset id, bound into the signature.
        dataset_id: &'a str,
        /// The authority key.
        key: &'a ed25519_dalek::SigningKey,
        /// What the entries to remove are verified against.
        trust: Option<crate::audit::log::Trust<'a>>,
    },
}

/// Longest retention one may set: ten years.
pub const MAX_DAYS: u32 = 3650;

impl Policy {
    /// Reads the policy from core.db (missing keys read as "keep").
    pub fn load(core: &Connection) -> Result<Policy> {
        let get = |key: &str| -> Result<u32> {
            let v: Option<String> = core
                .query_row("SELECT value FROM policy WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| sql_error(CORE, e))?;
            Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
        };
        Ok(Policy {
            recordings_days: get(KEYS[0])?,
            points_days: get(KEYS[1])?,
            survey_comments_days: get(KEYS[2])?,
            purge_on_open: get(KEYS[3])? != 0,
            access_log_days: get(KEYS[4])?,
            access_log_floor_days: match get(KEYS[5])? {
                0 => DEFAULT_ACCESS_LOG_FLOOR_DAYS,
                n => n.max(MIN_ACCESS_LOG_DAYS),
            },
        })
    }

    /// Writes the policy.
    pub fn save(&self, core: &Connection) -> Result<()> {
        for days in [
            self.recordings_days,
            self.points_days,
            self.survey_comments_days,
        ] {
            if days > MAX_DAYS {
                return Err(Error::Invalid(format!(
                    "Retention is at most {MAX_DAYS} days (0 keeps data until it is erased)."
                )));
            }
        }
        if self.access_log_floor_days < MIN_ACCESS_LOG_DAYS {
            return Err(Error::Invalid(format!(
                "The access log's retention floor is at least {MIN_ACCESS_LOG_DAYS} days."
            )));
        }
        if self.access_log_days != 0 && self.access_log_days < self.access_log_floor_days {
            return Err(Error::Invalid(format!(
                "Access-log entries are kept at least {} days (the policy's floor); 0 keeps them until erased.",
                self.access_log_floor_days
            )));
        }
        if self.access_log_days > MAX_DAYS {
            return Err(Error::Invalid(format!(
                "Retention is at most {MAX_DAYS} days (0 keeps data until it is erased)."
            )));
        }
        let values = [
            self.recordings_days,
            self.points_days,
            self.survey_comments_days,
            u32::from(self.purge_on_open),
            self.access_log_days,
            self.access_log_floor_days,
        ];
        for (key, value) in KEYS.iter().zip(values) {
            core.execute(
                "INSERT OR REPLACE INTO policy (key, value) VALUES (?1, ?2)",
                rusqlite::params![key, value.to_string()],
            )
            .map_err(|e| sql_error(CORE, e))?;
        }
        Ok(())
    }

    /// Access-log retention with the floor applied (the floor holds even against a policy row
    /// edited by hand).
    pub fn log_days(&self) -> u32 {
        match self.access_log_days {
            0 => 0,
            n => n.max(self.access_log_floor_days.max(MIN_ACCESS_LOG_DAYS)),
        }
    }

    /// One line for logs and receipts.
    pub fn describe(&self) -> String {
        let d = |n: u32| {
            if n == 0 {
                "kept".to_owned()
            } else {
                format!("{n} days")
            }
        };
        format!(
            "recordings {}, heatmap points {}, survey comments {}, access log {}, purge on open {}",
            d(self.recordings_days),
            d(self.points_days),
            d(self.survey_comments_days),
            d(self.access_log_days),
            if self.purge_on_open { "on" } else { "off" }
        )
    }
}

/// The start of the first kept moment for `days` of retention at `now_ms` (`None`: kept).
fn cutoff(now_ms: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| now_ms - i64::from(days) * DAY_MS)
}

/// Whether a purge at `now_ms` would remove anything (cheap counts, no changes).
/// `include_log`: whether the caller may remove access-log entries (a compliance lead).
pub fn due(
    core: &Connection,
    rec: &Connection,
    now_ms: i64,
    policy: &Policy,
    include_log: bool,
) -> Result<bool> {
    let any = |conn: &Connection, file: &'static str, sql: &str, arg: rusqlite::types::Value| {
        conn.query_row(sql, [arg], |r| r.get::<_, bool>(0))
            .map_err(|e| sql_error(file, e))
    };
    if let Some(cut) = cutoff(now_ms, policy.recordings_days)
        && any(
            rec,
            REC,
            "SELECT EXISTS(SELECT 1 FROM sessions WHERE started_at_ms < ?1)",
            cut.into(),
        )?
    {
        return Ok(true);
    }
    if let Some(cut) = cutoff(now_ms, policy.points_days) {
        let day: String = rfc3339(cut).chars().take(10).collect();
        if any(
            core,
            CORE,
            "SELECT EXISTS(SELECT 1 FROM heatmap_sessions WHERE day < ?1)
                 OR EXISTS(SELECT 1 FROM grid_layers WHERE day_from < ?1)",
            day.into(),
        )? {
            return Ok(true);
        }
    }
    if let Some(cut) = cutoff(now_ms, policy.log_days())
        && include_log
        && any(
            core,
            CORE,
            "SELECT count(*) > 1 AND min(time_ms) < ?1 FROM access_log",
            cut.into(),
        )?
    {
        return Ok(true);
    }
    if let Some(cut) = cutoff(now_ms, policy.survey_comments_days) {
        return any(
            rec,
            REC,
            "SELECT EXISTS(SELECT 1 FROM surveys WHERE stored_at_ms < ?1 AND comment != '')",
            cut.into(),
        );
    }
    Ok(false)
}

/// Removes what `policy` says is past its time at `now_ms`: replays of sessions that started
/// before the recordings cut-off, heatmap sessions (with their points, depths and signals) from
/// days before the points cut-off, and survey comments stored before theirs. Then scrubs.
pub fn purge(
    core: &Connection,
    rec: &Connection,
    now_ms: i64,
    policy: &Policy,
    log_purge: Option<LogPurge<'_>>,
) -> Result<ReceiptDetail> {
    let mut detail = ReceiptDetail::default();
    // The log first: nothing else the purge does may run while its entries are checked.
    if let (Some(cut), Some(how)) = (cutoff(now_ms, policy.log_days()), log_purge) {
        let n = match how {
            LogPurge::Legacy => crate::audit::log::purge_legacy(core, cut)?,
            LogPurge::Signed {
                dataset_id,
                key,
                trust,
            } => {
                match crate::audit::log::purge_before(core, dataset_id, cut, key, trust, now_ms)? {
                    Ok(record) => {
                        let n = record.as_ref().map_or(0, |r| r.entries);
                        detail.log_purge = record;
                        n
                    }
                    Err(problem) => {
                        detail.log_refused =
                            Some(format!("entry {}: {}", problem.seq, problem.reason));
                        0
                    }
                }
            }
        };
        detail.removed.push(("access-log entries".into(), n));
        detail.cutoffs.push(("access log".into(), rfc3339(cut)));
    }
    if let Some(cut) = cutoff(now_ms, policy.recordings_days) {
        let (ids, refs): (Vec<String>, Vec<Option<i64>>) = {
            let mut stmt = rec
                .prepare("SELECT id, heatmap_ref FROM sessions WHERE started_at_ms < ?1")
                .map_err(|e| sql_error(REC, e))?;
            let rows: Vec<(String, Option<i64>)> = stmt
                .query_map([cut], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(|e| sql_error(REC, e))?;
            rows.into_iter().unzip()
        };
        let tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
        for id in &ids {
            tx.execute("DELETE FROM session_events WHERE session_id = ?1", [id])
                .map_err(|e| sql_error(REC, e))?;
            tx.execute("DELETE FROM session_pages WHERE session_id = ?1", [id])
                .map_err(|e| sql_error(REC, e))?;
            tx.execute("DELETE FROM sessions WHERE id = ?1", [id])
                .map_err(|e| sql_error(REC, e))?;
        }
        tx.commit().map_err(|e| sql_error(REC, e))?;
        for id in &ids {
            core.execute("DELETE FROM page_sessions WHERE session_id = ?1", [id])
                .map_err(|e| sql_error(CORE, e))?;
        }
        // Pages drawn from purged replays go with them, even while their points stay.
        for r in refs.iter().flatten() {
            core.execute(
                "DELETE FROM screenshots WHERE source = 'reconstructed' AND source_ref = ?1",
                [r],
            )
            .map_err(|e| sql_error(CORE, e))?;
        }
        detail.removed.push(("replays".into(), ids.len() as u64));
        detail.cutoffs.push(("recordings".into(), rfc3339(cut)));
    }
    if let Some(cut) = cutoff(now_ms, policy.points_days) {
        // Heatmap sessions carry only their day: a day before the cut-off's day is past it.
        let day: String = rfc3339(cut).chars().take(10).collect();
        let refs: Vec<i64> = {
            let mut stmt = core
                .prepare("SELECT ref FROM heatmap_sessions WHERE day < ?1")
                .map_err(|e| sql_error(CORE, e))?;
            stmt.query_map([&day], |r| r.get(0))
                .and_then(Iterator::collect)
                .map_err(|e| sql_error(CORE, e))?
        };
        let tx = core
            .unchecked_transaction()
            .map_err(|e| sql_error(CORE, e))?;
        let (sessions, points) = delete_heatmap_refs(&tx, &refs).map_err(|e| sql_error(CORE, e))?;
        // The latency of imports older than the cut-off ages out with the points.
        tx.execute("DELETE FROM session_latency WHERE day < ?1", [&day])
            .map_err(|e| sql_error(CORE, e))?;
        // Warehouse grid bins are heatmap points counted elsewhere: the same cut-off.
        let bins = purge_grid_days(&tx, &day).map_err(|e| sql_error(CORE, e))?;
        tx.commit().map_err(|e| sql_error(CORE, e))?;
        for r in &refs {
            rec.execute("DELETE FROM subject_refs WHERE ref = ?1", [r])
                .map_err(|e| sql_error(REC, e))?;
        }
        detail.removed.push(("heatmap sessions".into(), sessions));
        detail.removed.push(("heatmap points".into(), points));
        detail.removed.push(("warehouse grid bins".into(), bins));
        detail
            .cutoffs
            .push(("heatmap points".into(), format!("{day} (days before it)")));
    }
    if let Some(cut) = cutoff(now_ms, policy.survey_comments_days) {
        let n = rec
            .execute(
                "UPDATE surveys SET comment = '' WHERE stored_at_ms < ?1 AND comment != ''",
                [cut],
            )
            .map_err(|e| sql_error(REC, e))?;
        detail.removed.push(("survey comments".into(), n as u64));
        detail
            .cutoffs
            .push(("survey comments".into(), rfc3339(cut)));
    }
    if detail.total() > 0 {
        scrub(core, CORE)?;
        scrub(rec, REC)?;
    }
    Ok(detail)
}

/// Deletes the warehouse grid bins of days before `day`; a layer left without bins goes, and
/// the others' first day and event count follow the bins they keep (`due` reads the first
/// day; `total` cannot overflow on a forged count). Returns the bins deleted.
fn purge_grid_days(tx: &Connection, day: &str) -> rusqlite::Result<u64> {
    let bins = tx.execute("DELETE FROM grid_cells WHERE day < ?1", [day])?;
    if bins > 0 {
        tx.execute(
            "DELETE FROM grid_layers
              WHERE NOT EXISTS (SELECT 1 FROM grid_cells c WHERE c.layer_id = grid_layers.id)",
            [],
        )?;
        tx.execute(
            "UPDATE grid_layers SET
                 day_from = (SELECT min(day) FROM grid_cells c WHERE c.layer_id = grid_layers.id),
                 events = (SELECT CAST(min(total(count), 9.0e18) AS INTEGER)
                             FROM grid_cells c WHERE c.layer_id = grid_layers.id)",
            [],
        )?;
    }
    Ok(bins as u64)
}
