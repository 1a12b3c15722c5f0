//! The compliance centre's data work (plain Rust, no UI): erasing a data subject and purging
//! what is past retention, so that nothing recoverable remains, with receipts.

pub mod anomaly;
pub mod consent;
pub mod erase;
pub mod policy;
pub mod report;
pub mod retention;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::dataset::db::sql_error;
use crate::error::Result;

/// A receipt: what was removed, when, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Its number.
    pub id: i64,
    /// `purge` or `erasure`.
    pub kind: String,
    /// When (ms since the epoch).
    pub time_ms: i64,
    /// Who ran it.
    pub user: String,
    /// What it removed, as `(what, how many)` with its cut-off or subject.
    pub detail: ReceiptDetail,
}

/// The body of a receipt. Holds counts, dates and pseudonyms, never original identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDetail {
    /// For an erasure: the subject's pseudonym.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Items removed, by data class.
    pub removed: Vec<(String, u64)>,
    /// Cut-off per data class (RFC 3339), for purges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cutoffs: Vec<(String, String)>,
    /// Why it ran (`on demand`, `automatic on open`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trigger: String,
    /// The signed record of access-log entries removed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_purge: Option<crate::audit::log::PurgeRecord>,
    /// For an erasure: how the identifier was normalised before it was pseudonymised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_form: Option<String>,
    /// Why old access-log entries were not removed: they did not verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_refused: Option<String>,
}

impl ReceiptDetail {
    /// Adds another erasure's counts to these, class by class.
    pub fn add(&mut self, other: &ReceiptDetail) {
        for (class, n) in &other.removed {
            match self.removed.iter_mut().find(|(c, _)| c == class) {
                Some((_, total)) => *total += n,
                None => self.removed.push((class.clone(), *n)),
            }
        }
    }

    /// Everything removed, summed.
    pub fn total(&self) -> u64 {
        self.removed.iter().map(|(_, n)| n).sum()
    }

    /// One line for lists and the CLI.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .removed
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
        parts.join(", ")
    }
}

/// Stores a receipt in core.db.
pub fn store_receipt(
    core: &Connection,
    kind: &str,
    time_ms: i64,
    user: &str,
    detail: &ReceiptDetail,
) -> Result<Receipt> {
    let json = serde_json::to_string(detail).unwrap_or_else(|_| "{}".into());
    core.execute(
        "INSERT INTO receipts (kind, time_ms, user, detail) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![kind, time_ms, user, json],
    )
    .map_err(|e| sql_error("core.db", e))?;
    Ok(Receipt {
        id: core.last_insert_rowid(),
        kind: kind.into(),
        time_ms,
        user: user.into(),
        detail: detail.clone(),
    })
}

/// Every receipt, newest first.
pub fn receipts(core: &Connection) -> Result<Vec<Receipt>> {
    let mut stmt = core
        .prepare("SELECT id, kind, time_ms, user, detail FROM receipts ORDER BY id DESC")
        .map_err(|e| sql_error("core.db", e))?;
    let rows = stmt
        .query_map([], |r| {
            let detail: String = r.get(4)?;
            Ok(Receipt {
                id: r.get(0)?,
                kind: r.get(1)?,
                time_ms: r.get(2)?,
                user: r.get(3)?,
                detail: serde_json::from_str(&detail).unwrap_or_default(),
            })
        })
        .map_err(|e| sql_error("core.db", e))?;
    rows.map(|r| r.map_err(|e| sql_error("core.db", e)))
        .collect()
}

/// Makes deletions unrecoverable: every freed page was zeroed (`secure_delete`), the WAL is
/// written back and truncated to nothing, and `VACUUM` rebuilds the file without free pages.
pub fn scrub(conn: &Connection, file: &'static str) -> Result<()> {
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|e| sql_error(file, e))
}

/// Deletes heatmap sessions `refs` and everything aggregated from them in core.db; returns
/// (sessions, points) removed.
pub(crate) fn delete_heatmap_refs(core: &Connection, refs: &[i64]) -> rusqlite::Result<(u64, u64)> {
    let points = crate::dataset::points::remove_sessions(core, refs)?;
    let mut sessions = 0u64;
    for r in refs {
        core.execute("DELETE FROM page_depths WHERE ref = ?1", [r])?;
        core.execute("DELETE FROM element_clicks WHERE ref = ?1", [r])?;
        core.execute(
            "DELETE FROM page_sessions WHERE session_id = 'h' || ?1",
            [r],
        )?;
        sessions += core.execute("DELETE FROM heatmap_sessions WHERE ref = ?1", [r])? as u64;
        // A page drawn from the session's replay goes with it.
        core.execute(
            "DELETE FROM screenshots WHERE source = 'reconstructed' AND source_ref = ?1",
            [r],
        )?;
    }
    if !refs.is_empty() {
        // Selectors no session's row uses any more go too.
        core.execute(
            "DELETE FROM elements WHERE id NOT IN (SELECT DISTINCT element_id FROM element_clicks)",
            [],
        )?;
    }
    Ok((sessions, points))
}
