//! The Overview's figures for data engineers (import health: imports by day, sessions dropped
//! by reason, capture-to-analysis latency against the 24 h target) and compliance leads
//! (denied attempts per week, the last verification, the time to acknowledge an anomaly).
//! Read from core.db; the gate decides who sees them.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::clock::rfc3339;
use crate::dataset::db::sql_error;
use crate::error::Result;

const CORE: &str = "core.db";

/// The capture-to-analysis target: sessions analysable within a day of their end.
pub const LATENCY_TARGET_MS: i64 = 24 * 3_600_000;

/// Imports of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Imports run.
    pub imports: u64,
    /// Sessions stored (replays and heatmap-only).
    pub sessions: u64,
}

/// Median and 95th percentile of a set of durations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    /// Sessions measured.
    pub sessions: u64,
    /// Median, ms.
    pub median_ms: i64,
    /// 95th percentile, ms.
    pub p95_ms: i64,
    /// Share (0–1) imported within [`LATENCY_TARGET_MS`].
    pub within_target: f64,
}

/// Import health since a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportHealth {
    /// Days with imports, oldest first.
    pub days: Vec<ImportDay>,
    /// Sessions not stored, by reason, over those imports.
    pub dropped: BTreeMap<String, u64>,
    /// Capture-to-analysis latency of the sessions stored since then.
    pub latency: Option<Latency>,
}

/// Denied attempts in one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeniedWeek {
    /// Monday of the week, `YYYY-MM-DD`.
    pub week: String,
    /// Denied attempts logged.
    pub denied: u64,
}

/// What a compliance lead watches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceHealth {
    /// Denied attempts per week since the day asked for.
    pub denied_by_week: Vec<DeniedWeek>,
    /// The last Verify: when (RFC 3339) and its outcome as logged.
    pub last_verify: Option<(String, String)>,
    /// Median time from an anomaly's first finding to its acknowledgement, ms.
    pub median_ack_ms: Option<i64>,
    /// Acknowledgements measured.
    pub acks: u64,
}

/// The value at quantile `q` (0–1) of sorted values, nearest rank.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Import health from `since` (`YYYY-MM-DD`) on.
pub fn import_health(core: &Connection, since: &str) -> Result<ImportHealth> {
    let since_ms = crate::clock::parse_ms(since).unwrap_or(0);
    let mut stmt = core
        .prepare("SELECT time_ms, report FROM imports WHERE time_ms >= ?1 ORDER BY time_ms")
        .map_err(|e| sql_error(CORE, e))?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(CORE, e))?;
    let mut days: BTreeMap<String, ImportDay> = BTreeMap::new();
    let mut dropped: BTreeMap<String, u64> = BTreeMap::new();
    for (time_ms, report) in rows {
        let day = crate::clock::day(time_ms);
        let entry = days.entry(day.clone()).or_insert(ImportDay {
            day,
            imports: 0,
            sessions: 0,
        });
        entry.imports += 1;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&report) else {
            continue;
        };
        let n = |key: &str| v.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
        // Replays and heatmap sessions overlap; the larger is the sessions stored.
        entry.sessions += n("replays_stored").max(n("heatmap_sessions"));
        if let Some(map) = v.get("sessions_dropped").and_then(|d| d.as_object()) {
            for (reason, count) in map {
                *dropped.entry(reason.clone()).or_default() += count.as_u64().unwrap_or(0);
            }
        }
    }
    let mut latencies: Vec<i64> = core
        .prepare("SELECT latency_ms FROM session_latency WHERE day >= ?1 ORDER BY latency_ms")
        .and_then(|mut st| {
            st.query_map([since], |r| r.get(0))
                .and_then(Iterator::collect)
        })
        .map_err(|e| sql_error(CORE, e))?;
    latencies.sort_unstable();
    let latency = match (quantile(&latencies, 0.5), quantile(&latencies, 0.95)) {
        (Some(median_ms), Some(p95_ms)) => Some(Latency {
            sessions: latencies.len() as u64,
            median_ms,
            p95_ms,
            within_target: latencies
                .iter()
                .filter(|&&l| l <= LATENCY_TARGET_MS)
                .count() as f64
                / latencies.len() as f64,
        }),
        _ => None,
    };
    Ok(ImportHealth {
        days: days.into_values().collect(),
        dropped,
        latency,
    })
}

/// The Monday of the week of a millisecond timestamp.
pub fn week_of(ms: i64) -> String {
    let day = ms.div_euclid(86_400_000);
    // 1970-01-01 was a Thursday: days since a Monday are (day + 3) mod 7.
    let monday = day - (day + 3).rem_euclid(7);
    crate::clock::day(monday.saturating_mul(86_400_000))
}

/// What a compliance lead watches, from `since` (`YYYY-MM-DD`) on.
pub fn compliance_health(core: &Connection, since: &str) -> Result<ComplianceHealth> {
    let since_ms = crate::clock::parse_ms(since).unwrap_or(0);
    let denied: Vec<i64> = core
        .prepare("SELECT time_ms FROM access_log WHERE outcome = 'denied' AND time_ms >= ?1")
        .and_then(|mut st| {
            st.query_map([since_ms], |r| r.get(0))
                .and_then(Iterator::collect)
        })
        .map_err(|e| sql_error(CORE, e))?;
    let mut weeks: BTreeMap<String, u64> = BTreeMap::new();
    for t in denied {
        *weeks.entry(week_of(t)).or_default() += 1;
    }
    let last_verify: Option<(String, String)> = core
        .prepare(
            "SELECT time_ms, outcome FROM access_log WHERE action = 'verify-access-log'
             ORDER BY seq DESC LIMIT 1",
        )
        .and_then(|mut st| {
            st.query_map([], |r| Ok((rfc3339(r.get(0)?), r.get(1)?)))
                .and_then(|mut rows| rows.next().transpose())
        })
        .map_err(|e| sql_error(CORE, e))?;
    let mut waits: Vec<i64> = core
        .prepare(
            "SELECT a.time_ms - s.first_seen_ms FROM anomaly_acks a
             JOIN anomaly_seen s ON s.key = a.key WHERE a.time_ms >= s.first_seen_ms",
        )
        .and_then(|mut st| st.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .map_err(|e| sql_error(CORE, e))?;
    waits.sort_unstable();
    Ok(ComplianceHealth {
        denied_by_week: weeks
            .into_iter()
            .map(|(week, denied)| DeniedWeek { week, denied })
            .collect(),
        last_verify,
        median_ack_ms: quantile(&waits, 0.5).map(|m| m.max(0)),
        acks: waits.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(quantile(&v, 0.5), Some(10));
        assert_eq!(quantile(&v, 0.95), Some(19));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-29 is a Sunday; 2026-11-30 a Monday.
        let ms = |d: &str| crate::clock::parse_ms(d).unwrap();
        assert_eq!(week_of(ms("2026-11-29")), "2026-11-23");
        assert_eq!(week_of(ms("2026-11-30")), "2026-11-30");
    }
}
