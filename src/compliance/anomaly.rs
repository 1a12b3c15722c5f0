//! Anomalies for the compliance lead: spikes of sessions from restricted regions (robust
//! statistics on daily counts), stored text that still looks like PII, and unusual access
//! (many replays in a short time, sign-ins far from a user's usual hours). Each has a stable key so it can be
//! acknowledged once.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::privacy::pii;

/// How serious an anomaly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Needs attention.
    Medium,
    /// Needs action.
    High,
}

impl Severity {
    /// Its word.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// Stable identity, for acknowledgement.
    pub key: String,
    /// How serious.
    pub severity: Severity,
    /// What was found and why it matters; never the matched text itself.
    pub explanation: String,
    /// Who acknowledged it and when (ms), if anyone did.
    pub acknowledged: Option<(String, i64)>,
}

/// Replays by one user within this window that count as a burst.
const BURST_WINDOW_MS: i64 = 3_600_000;
/// Replays in the window that make a burst.
const BURST_REPLAYS: usize = 20;
/// Earlier sign-ins needed before a user's hours count as usual.
const USUAL_LOGINS: usize = 10;
/// A day's count must be this many scaled MADs above the median (and at least
/// [`SPIKE_MIN`]) to be a spike.
const SPIKE_MADS: f64 = 5.0;
const SPIKE_MIN: i64 = 5;

fn median(sorted: &[f64]) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let m = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[m - 1] + sorted[m]) / 2.0
    } else {
        sorted[m]
    }
}

/// Days whose count stands out: above median + 5 × (1.4826 × MAD), with the MAD floored at 1
/// so a flat series of small counts does not flag every bump. `counts` holds every day of the
/// period, zeros included.
pub fn spikes(counts: &[(String, i64)]) -> Vec<(String, i64, f64)> {
    let mut values: Vec<f64> = counts.iter().map(|(_, n)| *n as f64).collect();
    values.sort_by(f64::total_cmp);
    let med = median(&values);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mad = (1.4826 * median(&deviations)).max(1.0);
    counts
        .iter()
        .filter(|(_, n)| *n >= SPIKE_MIN && (*n as f64) > med + SPIKE_MADS * mad)
        .map(|(day, n)| (day.clone(), *n, med))
        .collect()
}

/// Every day from the first to the last in `by_day`, with zeros where nothing happened.
fn fill_days(by_day: &BTreeMap<String, i64>) -> Vec<(String, i64)> {
    let (Some(first), Some(last)) = (by_day.keys().next(), by_day.keys().next_back()) else {
        return Vec::new();
    };
    let (Some(mut t), Some(end)) = (crate::clock::parse_ms(first), crate::clock::parse_ms(last))
    else {
        return by_day.iter().map(|(d, n)| (d.clone(), *n)).collect();
    };
    let mut out = Vec::new();
    while t <= end {
        let day: String = crate::clock::rfc3339(t).chars().take(10).collect();
        out.push((day.clone(), by_day.get(&day).copied().unwrap_or(0)));
        t += 86_400_000;
    }
    out
}

/// Region spikes among the policy's restricted regions.
pub fn region_spikes(core: &Connection, restricted: &[String]) -> Result<Vec<Anomaly>> {
    let mut out = Vec::new();
    for region in restricted {
        let mut stmt = core
            .prepare("SELECT day, count(*) FROM heatmap_sessions WHERE region = ?1 GROUP BY day")
            .map_err(|e| sql_error("core.db", e))?;
        let by_day: BTreeMap<String, i64> = stmt
            .query_map([region], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error("core.db", e))?;
        for (day, n, med) in spikes(&fill_days(&by_day)) {
            out.push(Anomaly {
                key: format!("spike:{region}:{day}"),
                severity: Severity::High,
                explanation: format!(
                    "{n} sessions from restricted region {region} on {day}, against a typical {med:.0} a day. Check that collection there is lawful."
                ),
                acknowledged: None,
            });
        }
    }
    Ok(out)
}

/// Rows of `(id, text)` from `sql`.
fn texts(conn: &Connection, file: &'static str, sql: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(sql).map_err(|e| sql_error(file, e))?;
    stmt.query_map([], |r| {
        let text = match r.get_ref(1)? {
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                String::from_utf8_lossy(t).into_owned()
            }
            _ => String::new(),
        };
        Ok((r.get::<_, String>(0)?, text))
    })
    .and_then(Iterator::collect)
    .map_err(|e| sql_error(file, e))
}

/// An anomaly for `text` (the free text of `what` `id`), if it holds anything PII-like.
fn leak(what: &str, id: &str, text: &str) -> Option<Anomaly> {
    let found = pii::find(text);
    let (_, kind) = found.first()?;
    Some(leak_of(what, id, kind.placeholder(), found.len()))
}

fn leak_of(what: &str, id: &str, placeholder: &str, matches: usize) -> Anomaly {
    Anomaly {
        key: format!("pii:{what}:{id}"),
        severity: Severity::High,
        explanation: format!(
            "Text looking like {placeholder} in {what} {id} ({matches} match{}). Erase or edit it.",
            if matches == 1 { "" } else { "es" }
        ),
        acknowledged: None,
    }
}

/// What the PII scan finds in a replay's free text (targets, values, URLs, details): the
/// first kind's placeholder and how many matches. Stored at import (`session_pii`).
pub fn session_pii(events: &[crate::session::SessionEvent]) -> (Option<&'static str>, usize) {
    let text: Vec<&str> = events
        .iter()
        .flat_map(|e| [&e.target, &e.value, &e.url, &e.detail])
        .filter_map(|f| f.as_deref())
        .collect();
    let found = pii::find(&text.join("\n"));
    (found.first().map(|(_, k)| k.placeholder()), found.len())
}

/// Scans the replays `sql` selects (session id, events, kept matches), reading one at a time:
/// (id, kept matches, what the scan finds now).
type Scanned = (String, Option<i64>, (Option<&'static str>, usize));
fn scan_sessions(
    rec: &Connection,
    sql: &str,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Vec<Scanned>> {
    use crate::session::SessionEvent;
    let failed = |e| sql_error("recordings.db", e);
    let mut stmt = rec.prepare(sql).map_err(failed)?;
    let mut rows = stmt.query([]).map_err(failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Busy("The anomaly scan was stopped.".into()));
        }
        let id: String = row.get(0).map_err(failed)?;
        let events: Vec<SessionEvent> = match row.get_ref(1).map_err(failed)? {
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                crate::session::stored::decode(t).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        out.push((id, row.get(2).map_err(failed)?, session_pii(&events)));
    }
    Ok(out)
}

/// The version of the PII detectors whose results `session_pii` keeps: raise it when
/// `privacy::pii::find` learns a new shape, and every replay is scanned again.
pub const SCAN_VERSION: &str = "1";

/// Records a replay's scan (in the import's or the view's transaction).
pub fn store_session_pii(
    rec: &Connection,
    session_id: &str,
    (kind, matches): (Option<&str>, usize),
) -> rusqlite::Result<()> {
    rec.prepare_cached(
        "INSERT OR REPLACE INTO session_pii (session_id, kind, matches) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![session_id, kind, matches as i64])
    .map(drop)
}

/// Stored free text that still looks like PII: page patterns and annotation notes (core.db);
/// the text fields of session events and survey comments (recordings.db, when held). Numbers
/// (times, coordinates) are not text and are not scanned.
pub fn pii_leaks(
    core: &Connection,
    rec: Option<&Connection>,
    stop: &std::sync::atomic::AtomicBool,
    full: bool,
) -> Result<Vec<Anomaly>> {
    use crate::heatmap::annotation::Shape;
    let mut out = Vec::new();
    for (id, text) in texts(
        core,
        "core.db",
        "SELECT CAST(id AS TEXT), pattern FROM pages",
    )? {
        out.extend(leak("page", &id, &text));
    }
    let sql = "SELECT page_id || ' ' || viewport, doc FROM annotations";
    for (id, doc) in texts(core, "core.db", sql)? {
        let shapes: Vec<Shape> = serde_json::from_str(&doc).unwrap_or_default();
        let notes: Vec<&str> = shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Note { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        out.extend(leak("annotations of page", &id, &notes.join("\n")));
    }
    if let Some(rec) = rec {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Busy("The anomaly scan was stopped.".into()));
        }
        let kept_version: Option<String> = rec
            .query_row(
                "SELECT value FROM meta WHERE key = 'pii_scan_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error("recordings.db", e))?;
        if kept_version.as_deref() != Some(SCAN_VERSION) {
            rec.execute_batch(&format!(
                "DELETE FROM session_pii;
                 INSERT OR REPLACE INTO meta (key, value) VALUES ('pii_scan_version', '{SCAN_VERSION}');"
            ))
            .map_err(|e| sql_error("recordings.db", e))?;
        }
        // Replays scanned at import are read from their stored result; the others (stored
        // before, or rewritten by a rescrub) are scanned now and their result kept. A full scan
        // (the compliance report) reads every replay and names a kept result that said less
        // than the text holds: whoever holds the recordings key could have written it.
        let sql = if full {
            "SELECT e.session_id, e.events, p.matches FROM session_events e
             LEFT JOIN session_pii p ON p.session_id = e.session_id"
        } else {
            "SELECT e.session_id, e.events, p.matches FROM session_events e
             LEFT JOIN session_pii p ON p.session_id = e.session_id WHERE p.session_id IS NULL"
        };
        for (id, kept, found) in scan_sessions(rec, sql, stop)? {
            if let Some(kept) = kept.filter(|&k| (k.max(0) as usize) < found.1) {
                out.push(Anomaly {
                    key: format!("pii-kept:session:{id}"),
                    severity: Severity::High,
                    explanation: format!(
                        "The kept PII scan of session {id} said {kept} match(es), its stored text \
                         holds {}: the kept result was changed outside Sightline.",
                        found.1
                    ),
                    acknowledged: None,
                });
            }
            store_session_pii(rec, &id, found).map_err(|e| sql_error("recordings.db", e))?;
        }
        let mut stmt = rec
            .prepare("SELECT session_id, kind, matches FROM session_pii WHERE matches > 0")
            .map_err(|e| sql_error("recordings.db", e))?;
        let found: Vec<(String, Option<String>, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error("recordings.db", e))?;
        for (id, kind, matches) in found {
            let kind = kind.unwrap_or_else(|| "[text]".into());
            out.push(leak_of("session", &id, &kind, matches.max(0) as usize));
        }
        let sql = "SELECT CAST(id AS TEXT), comment FROM surveys";
        for (id, comment) in texts(rec, "recordings.db", sql)? {
            out.extend(leak("survey answer", &id, &comment));
        }
    }
    Ok(out)
}

/// Unusual access in the log: bursts of replays by one user, and sign-ins far from the hours
/// the user usually signs in.
pub fn access(core: &Connection) -> Result<Vec<Anomaly>> {
    let mut stmt = core
        .prepare(
            "SELECT user, time_ms FROM access_log WHERE action = 'replay-session' AND outcome = 'allowed' ORDER BY user, time_ms",
        )
        .map_err(|e| sql_error("core.db", e))?;
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error("core.db", e))?;
    let mut out = Vec::new();
    let mut by_user: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (user, t) in &rows {
        by_user.entry(user).or_default().push(*t);
    }
    for (user, times) in by_user {
        let mut start = 0;
        let mut reported_until = i64::MIN;
        for end in 0..times.len() {
            while times[end] - times[start] > BURST_WINDOW_MS {
                start += 1;
            }
            let n = end - start + 1;
            if n >= BURST_REPLAYS && times[start] > reported_until {
                let day: String = crate::clock::rfc3339(times[start])
                    .chars()
                    .take(16)
                    .collect();
                out.push(Anomaly {
                    key: format!("replays:{user}:{}", times[start]),
                    severity: Severity::Medium,
                    explanation: format!(
                        "{user} opened {n} or more replays within an hour from {day} UTC. Confirm the purposes logged with them."
                    ),
                    acknowledged: None,
                });
                reported_until = times[end] + BURST_WINDOW_MS;
            }
        }
    }
    let mut stmt = core
        .prepare(
            "SELECT user, time_ms FROM access_log WHERE action = 'login' AND outcome = 'allowed' ORDER BY seq",
        )
        .map_err(|e| sql_error("core.db", e))?;
    let logins: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error("core.db", e))?;
    // Unusual hours are the user's own: with at least ten earlier sign-ins, one more than
    // three hours (on the clock) from every earlier one stands out.
    let mut hours: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (user, t) in &logins {
        let hour = t.rem_euclid(86_400_000) / 3_600_000;
        let seen = hours.entry(user).or_default();
        let distance = |h: i64| (h - hour).rem_euclid(24).min((hour - h).rem_euclid(24));
        if seen.len() >= USUAL_LOGINS && seen.iter().all(|&h| distance(h) > 3) {
            let when: String = crate::clock::rfc3339(*t).chars().take(16).collect();
            out.push(Anomaly {
                key: format!("hours:{user}:{t}"),
                severity: Severity::Low,
                explanation: format!(
                    "{user} signed in at {when} UTC, far from the hours they usually work."
                ),
                acknowledged: None,
            });
        }
        seen.push(hour);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_stands_out_and_ordinary_noise_does_not() {
        let mut counts: Vec<(String, i64)> = (1..=28)
            .map(|d| (format!("2026-11-{d:02}"), [2, 3, 1, 4, 2][d % 5]))
            .collect();
        assert!(spikes(&counts).is_empty());
        counts[13].1 = 40;
        let found = spikes(&counts);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "2026-11-14");
    }
}
