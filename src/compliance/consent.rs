//! The consent dashboard's figures: opt-in rates per purpose and jurisdiction by day, the
//! ones below the policy's target, and sessions not stored at import, by reason.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::dataset::db::sql_error;
use crate::error::Result;

/// One purpose in one jurisdiction over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// heatmaps or recordings.
    pub purpose: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// (day index into [`Dashboard::days`], opt-in % of all records up to that day).
    pub points: Vec<(usize, f64)>,
    /// Decisions granting it.
    pub granted: i64,
    /// Decisions in all: consent records and sessions' own decisions at import.
    pub total: i64,
    /// Of those, consent records.
    pub records: i64,
    /// Of those, sessions' own decisions at import (refused sessions included).
    pub sessions: i64,
}

impl Series {
    /// "40 of 69 decisions (4 consent records, 65 sessions at import)".
    pub fn counted(&self) -> String {
        let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        format!(
            "{} of {} ({}, {} at import)",
            self.granted,
            plural(self.total, "decision"),
            plural(self.records, "consent record"),
            plural(self.sessions, "session")
        )
    }

    /// Opt-in rate over the whole period, %.
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.granted as f64 * 100.0 / self.total as f64
        }
    }
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// Days with consent decisions, in order.
    pub days: Vec<String>,
    /// Rates by purpose and jurisdiction.
    pub series: Vec<Series>,
    /// The policy's target, %.
    pub target: f64,
    /// Sessions not stored at import, by reason, over all imports.
    pub dropped: BTreeMap<String, u64>,
}

impl Dashboard {
    /// Series whose overall rate is below the target.
    pub fn flagged(&self) -> Vec<&Series> {
        self.series
            .iter()
            .filter(|s| s.rate() < self.target)
            .collect()
    }
}

/// Reads the aggregates (core.db only: UX liaisons' tier holds them, though the gate decides).
pub fn dashboard(core: &Connection, target_percent: u32) -> Result<Dashboard> {
    let target = f64::from(target_percent);
    let mut stmt = core
        .prepare(
            "SELECT day, jurisdiction, purpose, granted, total, 0 FROM consent_stats
             UNION ALL
             SELECT day, jurisdiction, purpose, granted, total, 1 FROM session_consent
             ORDER BY 1",
        )
        .map_err(|e| sql_error("core.db", e))?;
    let rows: Vec<(String, String, String, i64, i64, bool)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error("core.db", e))?;
    let mut days: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    days.dedup();
    let mut by_key: BTreeMap<(String, String), Series> = BTreeMap::new();
    for (day, jurisdiction, purpose, granted, total, from_sessions) in rows {
        let index = days.binary_search(&day).unwrap_or(0);
        let s = by_key
            .entry((purpose.clone(), jurisdiction.clone()))
            .or_insert_with(|| Series {
                purpose,
                jurisdiction,
                points: Vec::new(),
                granted: 0,
                total: 0,
                records: 0,
                sessions: 0,
            });
        s.granted += granted;
        s.total += total;
        if from_sessions {
            s.sessions += total;
        } else {
            s.records += total;
        }
        // Running rate: a day with two records does not swing the line from 0 to 100.
        if s.total > 0 {
            s.points
                .push((index, s.granted as f64 * 100.0 / s.total as f64));
        }
    }
    let mut dropped: BTreeMap<String, u64> = BTreeMap::new();
    let mut stmt = core
        .prepare("SELECT report FROM imports")
        .map_err(|e| sql_error("core.db", e))?;
    let reports: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error("core.db", e))?;
    for report in reports {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&report) else {
            continue;
        };
        if let Some(map) = v.get("sessions_dropped").and_then(|d| d.as_object()) {
            for (reason, n) in map {
                *dropped.entry(reason.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
    }
    Ok(Dashboard {
        days,
        series: by_key.into_values().collect(),
        target,
        dropped,
    })
}
