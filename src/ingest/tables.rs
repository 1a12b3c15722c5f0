//! Consent and survey CSV files. Subjects are pseudonymised and comments pass the PII
//! detectors before anything is written; consent opt-in rates are kept as aggregates in core.db
//! for the dashboard.

use rusqlite::{Connection, params};
use serde::Deserialize;

use crate::clock::{now_ms, parse_ms, rfc3339};
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::privacy::pii;
use crate::privacy::pseudonym::{pseudonym, subject_pseudonym};

/// What a CSV file holds, judged by its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// `subject,purpose,granted,jurisdiction,recorded_at`
    Consent,
    /// `subject,session,score,comment`
    Survey,
}

/// Recognises a consent or survey CSV by its header; a manifest is refused with advice.
pub fn kind_of(file: &str, text: &str) -> Result<TableKind> {
    let header = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let has = |c: &str| header.split(',').any(|h| h.trim() == c);
    if has("purpose") && has("granted") {
        Ok(TableKind::Consent)
    } else if has("score") {
        Ok(TableKind::Survey)
    } else if has("consent_heatmaps") {
        Err(Error::Format(format!(
            "{file}: this is a manifest; pass it with --manifest"
        )))
    } else {
        Err(Error::Format(format!(
            "{file}: not a consent CSV (subject,purpose,granted,jurisdiction,recorded_at) or survey CSV (subject,session,score,comment)"
        )))
    }
}

#[derive(Deserialize)]
struct ConsentRow {
    subject: String,
    purpose: String,
    granted: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    recorded_at: String,
}

#[derive(Deserialize)]
struct SurveyRow {
    subject: String,
    #[serde(default)]
    session: String,
    score: String,
    #[serde(default)]
    comment: String,
}

fn rows<T: serde::de::DeserializeOwned>(text: &str) -> Vec<Option<T>> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_deserialize::<T>()
        .map(|r| r.ok())
        .collect()
}

fn yes(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "yes" | "y" | "true" | "1" | "granted"
    )
}

/// Imports consent records; returns (rows stored, rows skipped as invalid).
pub fn import_consent(
    core: &Connection,
    rec: &Connection,
    key: &[u8; 32],
    text: &str,
) -> Result<(usize, usize)> {
    let (mut stored, mut invalid) = (0, 0);
    let tx = rec
        .unchecked_transaction()
        .map_err(|e| sql_error("recordings.db", e))?;
    for row in rows::<ConsentRow>(text) {
        let Some(row) = row.filter(|r| {
            !r.subject.is_empty() && matches!(r.purpose.as_str(), "heatmaps" | "recordings")
        }) else {
            invalid += 1;
            continue;
        };
        let jurisdiction: String = pii::redact(&row.jurisdiction).0.chars().take(32).collect();
        let at = parse_ms(&row.recorded_at).unwrap_or_else(now_ms);
        tx.execute(
            "INSERT INTO consent (subject, purpose, granted, jurisdiction, recorded_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(subject, purpose) DO UPDATE SET granted = ?3, jurisdiction = ?4, recorded_at_ms = ?5
             WHERE ?5 >= recorded_at_ms",
            params![subject_pseudonym(key, &row.subject), row.purpose, yes(&row.granted), if jurisdiction.is_empty() { "unknown".to_owned() } else { jurisdiction }, at],
        )
        .map_err(|e| sql_error("recordings.db", e))?;
        stored += 1;
    }
    tx.commit().map_err(|e| sql_error("recordings.db", e))?;
    refresh_consent_stats(core, rec)?;
    Ok((stored, invalid))
}

/// Recomputes the aggregate opt-in table from the per-subject records.
pub(crate) fn refresh_consent_stats(core: &Connection, rec: &Connection) -> Result<()> {
    let mut stmt = rec
        .prepare("SELECT recorded_at_ms, jurisdiction, purpose, granted FROM consent")
        .map_err(|e| sql_error("recordings.db", e))?;
    let mut stats: std::collections::BTreeMap<(String, String, String), (i64, i64)> =
        Default::default();
    let records = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })
        .map_err(|e| sql_error("recordings.db", e))?;
    for record in records {
        let (at, jurisdiction, purpose, granted) =
            record.map_err(|e| sql_error("recordings.db", e))?;
        let day: String = rfc3339(at).chars().take(10).collect();
        let entry = stats.entry((day, jurisdiction, purpose)).or_default();
        entry.0 += i64::from(granted);
        entry.1 += 1;
    }
    let tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error("core.db", e))?;
    tx.execute("DELETE FROM consent_stats", [])
        .map_err(|e| sql_error("core.db", e))?;
    for ((day, jurisdiction, purpose), (granted, total)) in stats {
        tx.execute(
            "INSERT INTO consent_stats (day, jurisdiction, purpose, granted, total) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![day, jurisdiction, purpose, granted, total],
        )
        .map_err(|e| sql_error("core.db", e))?;
    }
    tx.commit().map_err(|e| sql_error("core.db", e))
}

/// Imports survey responses; returns (rows stored, rows skipped as invalid).
pub fn import_surveys(
    rec: &Connection,
    key: &[u8; 32],
    text: &str,
    now_ms: i64,
) -> Result<(usize, usize)> {
    let (mut stored, mut invalid) = (0, 0);
    let tx = rec
        .unchecked_transaction()
        .map_err(|e| sql_error("recordings.db", e))?;
    for row in rows::<SurveyRow>(text) {
        let parsed = row.and_then(|r| {
            r.score
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (1..=5).contains(s))
                .map(|s| (r, s))
        });
        let Some((row, score)) = parsed.filter(|(r, _)| !r.subject.is_empty()) else {
            invalid += 1;
            continue;
        };
        let comment: String = pii::redact(&row.comment).0.chars().take(1000).collect();
        let session_key = if row.session.is_empty() {
            String::new()
        } else {
            pseudonym(key, &format!("source:{}", row.session))
        };
        tx.execute(
            "INSERT INTO surveys (subject, session_key, score, comment, stored_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![subject_pseudonym(key, &row.subject), session_key, score, comment, now_ms],
        )
        .map_err(|e| sql_error("recordings.db", e))?;
        stored += 1;
    }
    tx.commit().map_err(|e| sql_error("recordings.db", e))?;
    Ok((stored, invalid))
}
