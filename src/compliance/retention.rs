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
}

const KEYS: [&str; 5] = [
    "retention_recordings_days",
    "retention_points_days",
    "retention_survey_comments_days",
    "purge_on_open",
    "retention_access_log_days",
];

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
        let values = [
            self.recordings_days,
            self.points_days,
            self.survey_comments_days,
            u32::from(self.purge_on_open),
            self.access_log_days,
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
pub fn due(core: &Connection, rec: &Connection, now_ms: i64, policy: &Policy) -> Result<bool> {
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
            "SELECT EXISTS(SELECT 1 FROM heatmap_sessions WHERE day < ?1)",
            day.into(),
        )? {
            return Ok(true);
        }
    }
    if let Some(cut) = cutoff(now_ms, policy.access_log_days)
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
) -> Result<ReceiptDetail> {
    let mut detail = ReceiptDetail::default();
    if let Some(cut) = cutoff(now_ms, policy.recordings_days) {
        let ids: Vec<String> = {
            let mut stmt = rec
                .prepare("SELECT id FROM sessions WHERE started_at_ms < ?1")
                .map_err(|e| sql_error(REC, e))?;
            stmt.query_map([cut], |r| r.get(0))
                .and_then(Iterator::collect)
                .map_err(|e| sql_error(REC, e))?
        };
        let tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
        for id in &ids {
            tx.execute("DELETE FROM session_events WHERE session_id = ?1", [id])
                .map_err(|e| sql_error(REC, e))?;
            tx.execute("DELETE FROM sessions WHERE id = ?1", [id])
                .map_err(|e| sql_error(REC, e))?;
        }
        tx.commit().map_err(|e| sql_error(REC, e))?;
        for id in &ids {
            core.execute("DELETE FROM page_sessions WHERE session_id = ?1", [id])
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
        let (sessions, chunks) = delete_heatmap_refs(&tx, &refs).map_err(|e| sql_error(CORE, e))?;
        tx.commit().map_err(|e| sql_error(CORE, e))?;
        for r in &refs {
            rec.execute("DELETE FROM subject_refs WHERE ref = ?1", [r])
                .map_err(|e| sql_error(REC, e))?;
        }
        detail.removed.push(("heatmap sessions".into(), sessions));
        detail.removed.push(("point chunks".into(), chunks));
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
    if let Some(cut) = cutoff(now_ms, policy.access_log_days) {
        let n = crate::access::log::purge_before(core, cut)?;
        detail.removed.push(("access-log entries".into(), n));
        detail.cutoffs.push(("access log".into(), rfc3339(cut)));
    }
    if detail.total() > 0 {
        scrub(core, CORE)?;
        scrub(rec, REC)?;
    }
    Ok(detail)
}
