//! Erasure of a data subject (GDPR Art. 17): their sessions, replays, points, signals, survey
//! answers and consent records, then the aggregates recomputed and the files scrubbed.

use rusqlite::{Connection, params};

use super::{ReceiptDetail, delete_heatmap_refs, scrub};
use crate::dataset::db::sql_error;
use crate::error::Result;

const CORE: &str = "core.db";
const REC: &str = "recordings.db";

/// Removes everything stored about the subject with pseudonym `subject`: core.db first (the
/// points, found through the links kept in recordings.db), then recordings.db (replays, survey
/// answers, consent records, links), one transaction each, so a failure in between leaves the
/// links for a second attempt. Then the consent aggregates are recomputed and both files
/// scrubbed.
pub fn erase(core: &Connection, rec: &Connection, subject: &str) -> Result<ReceiptDetail> {
    let refs: Vec<i64> = {
        let mut stmt = rec
            .prepare(
                "SELECT ref FROM subject_refs WHERE subject = ?1
                 UNION SELECT heatmap_ref FROM sessions WHERE subject = ?1 AND heatmap_ref IS NOT NULL",
            )
            .map_err(|e| sql_error(REC, e))?;
        stmt.query_map([subject], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(REC, e))?
    };
    let sessions: Vec<(String, String)> = {
        let mut stmt = rec
            .prepare("SELECT id, source_key FROM sessions WHERE subject = ?1")
            .map_err(|e| sql_error(REC, e))?;
        stmt.query_map([subject], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(REC, e))?
    };
    // Points first: should the recordings side then fail, the links are still there for a
    // second attempt.
    let tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error(CORE, e))?;
    let (points_sessions, points) =
        delete_heatmap_refs(&tx, &refs).map_err(|e| sql_error(CORE, e))?;
    for (id, _) in &sessions {
        tx.execute("DELETE FROM page_sessions WHERE session_id = ?1", [id])
            .map_err(|e| sql_error(CORE, e))?;
        // Anomaly findings and acknowledgements that name the session go with it.
        for table in ["anomaly_seen", "anomaly_acks"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE key = 'pii:session:' || ?1"),
                [id],
            )
            .map_err(|e| sql_error(CORE, e))?;
        }
    }
    tx.commit().map_err(|e| sql_error(CORE, e))?;
    let tx = rec.unchecked_transaction().map_err(|e| sql_error(REC, e))?;
    let mut surveys = 0u64;
    for (id, source_key) in &sessions {
        tx.execute("DELETE FROM session_events WHERE session_id = ?1", [id])
            .map_err(|e| sql_error(REC, e))?;
        tx.execute("DELETE FROM session_pages WHERE session_id = ?1", [id])
            .map_err(|e| sql_error(REC, e))?;
        if !source_key.is_empty() {
            surveys += tx
                .execute("DELETE FROM surveys WHERE session_key = ?1", [source_key])
                .map_err(|e| sql_error(REC, e))? as u64;
        }
    }
    let replays = tx
        .execute("DELETE FROM sessions WHERE subject = ?1", [subject])
        .map_err(|e| sql_error(REC, e))? as u64;
    surveys += tx
        .execute("DELETE FROM surveys WHERE subject = ?1", [subject])
        .map_err(|e| sql_error(REC, e))? as u64;
    let consent = tx
        .execute("DELETE FROM consent WHERE subject = ?1", [subject])
        .map_err(|e| sql_error(REC, e))? as u64;
    tx.execute(
        "DELETE FROM subject_refs WHERE subject = ?1",
        params![subject],
    )
    .map_err(|e| sql_error(REC, e))?;
    tx.commit().map_err(|e| sql_error(REC, e))?;
    crate::ingest::tables::refresh_consent_stats(core, rec)?;
    scrub(core, CORE)?;
    scrub(rec, REC)?;
    Ok(ReceiptDetail {
        subject: Some(subject.to_owned()),
        removed: vec![
            ("replays".into(), replays),
            ("heatmap sessions".into(), points_sessions),
            ("heatmap points".into(), points),
            ("survey answers".into(), surveys),
            ("consent records".into(), consent),
        ],
        cutoffs: Vec::new(),
        trigger: String::new(),
        log_purge: None,
        log_refused: None,
        normal_form: None,
    })
}
