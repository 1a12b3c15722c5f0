//! Import with minimisation: recordings are parsed, masked and filtered in memory, and only
//! what survives is written. One session is committed at a time; a file that does not parse
//! stores nothing. The entry point is [`crate::access::Workspace::import`], which gates and logs.

pub mod counts;
pub mod manifest;
pub mod rrweb;
pub mod signals;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::privacy::pii;
use crate::privacy::pseudonym::pseudonym;
use counts::Counts;
use manifest::Manifest;
use store::SessionRecord;

/// Purposes a person can consent to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purposes {
    /// Aggregation into heatmaps.
    pub heatmaps: bool,
    /// Keeping a replay.
    pub recordings: bool,
}

impl Purposes {
    /// Parses `heatmaps,recordings`.
    pub fn parse(list: &str) -> Result<Purposes> {
        let mut p = Purposes::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "heatmaps" => p.heatmaps = true,
                "recordings" => p.recordings = true,
                other => {
                    return Err(Error::Invalid(format!(
                        "Unknown purpose '{other}': use heatmaps and/or recordings."
                    )));
                }
            }
        }
        Ok(p)
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Per-session attributes and consent.
    pub manifest: Option<Manifest>,
    /// Consent handled upstream: applied to sessions without a consent record, with a reason
    /// that goes into the access log.
    pub assume_consent: Option<(Purposes, String)>,
}

/// Progress for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files finished.
    pub files_done: usize,
    /// Files in all.
    pub files_total: usize,
    /// Sessions stored so far.
    pub sessions_stored: usize,
}

/// What an import did, by reason. Holds no content and no identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files given.
    pub files: usize,
    /// Files that could not be read, with the reason (file names redacted for PII).
    pub failed_files: Vec<(String, String)>,
    /// Recordings found.
    pub recordings: usize,
    /// Sessions whose replay was kept.
    pub replays_stored: usize,
    /// Sessions whose points were aggregated.
    pub heatmap_sessions: usize,
    /// Sessions not stored at all, by reason.
    pub sessions_dropped: BTreeMap<String, usize>,
    /// Event counts.
    pub counts: Counts,
    /// Stopped early by the caller.
    pub cancelled: bool,
}

impl ImportReport {
    fn drop_session(&mut self, reason: &str) {
        *self.sessions_dropped.entry(reason.to_owned()).or_default() += 1;
    }
}

/// Whether a converted recording looks like a bot rather than a person: no interactions at all,
/// or ten or more clicks at a machine's pace (median gap under 100 ms).
pub fn looks_automated(c: &rrweb::Converted) -> Option<&'static str> {
    if c.counts.interactions_kept == 0 {
        return Some("no interactions");
    }
    let times: Vec<i64> = c
        .events
        .iter()
        .filter(|e| e.is_click())
        .map(|e| e.t_ms)
        .collect();
    if times.len() >= 10 {
        let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        if gaps[gaps.len() / 2] < 100 {
            return Some("bot-like clicking");
        }
    }
    None
}

/// Runs an import into open connections. Called through the gate only.
pub(crate) fn run(
    core: &Connection,
    rec: &Connection,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    store::reconcile(core, rec)?;
    let rules = store::masking_rules(core)?;
    let key = store::pseudonym_key(rec)?;
    let mut report = ImportReport {
        files: files.len(),
        ..ImportReport::default()
    };
    for (done, path) in files.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
        let name = display_name(path);
        let recordings = std::fs::read(path)
            .map_err(Error::io("read", path))
            .and_then(|bytes| rrweb::split(&name, &bytes));
        let recordings = match recordings {
            Ok(r) => r,
            Err(e) => {
                report
                    .failed_files
                    .push((name.clone(), pii::redact(&e.to_string()).0.into_owned()));
                continue;
            }
        };
        for recording in recordings {
            if cancel.load(Ordering::Relaxed) {
                report.cancelled = true;
                break;
            }
            report.recordings += 1;
            import_recording(core, rec, &recording, &rules, &key, options, &mut report)?;
        }
        progress(ImportProgress {
            files_done: done + 1,
            files_total: files.len(),
            sessions_stored: report.replays_stored,
        });
    }
    Ok(report)
}

fn import_recording(
    core: &Connection,
    rec: &Connection,
    recording: &rrweb::Recording,
    rules: &[crate::privacy::markers::MaskingRule],
    key: &[u8; 32],
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<()> {
    let converted = rrweb::convert(&recording.events, rules);
    report.counts.add(&converted.counts);
    let row = options
        .manifest
        .as_ref()
        .and_then(|m| m.get(&recording.source_id));
    let consent = match (row, &options.assume_consent) {
        (Some(row), _) => Purposes {
            heatmaps: row.consent_heatmaps,
            recordings: row.consent_recordings,
        },
        (None, Some((assumed, _))) => *assumed,
        (None, None) => {
            report.drop_session("no consent record");
            return Ok(());
        }
    };
    if !consent.heatmaps && !consent.recordings {
        report.drop_session("consent refused");
        return Ok(());
    }
    if let Some(reason) = looks_automated(&converted) {
        report.drop_session(reason);
        return Ok(());
    }
    let source_key = pseudonym(key, &format!("source:{}", recording.source_id));
    if store::already_imported(rec, &source_key)? {
        report.drop_session("already imported");
        return Ok(());
    }
    let started_at_ms = row
        .and_then(|r| r.started_at_ms())
        .unwrap_or(converted.started_at_ms);
    let subject_source = row
        .and_then(|r| r.subject.clone())
        .unwrap_or_else(|| format!("recording:{}", recording.source_id));
    let clean = |v: Option<&String>, default: &str| {
        v.map(|s| pii::redact(s.trim()).0.chars().take(64).collect::<String>())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let record = SessionRecord {
        converted: &converted,
        session_id: format!(
            "ses_{}",
            &pseudonym(key, &format!("session:{}", recording.source_id))[2..18]
        ),
        source_key,
        subject: pseudonym(key, &subject_source),
        started_at_ms,
        region: clean(row.and_then(|r| r.region.as_ref()), "unknown"),
        variant: clean(row.and_then(|r| r.variant.as_ref()), ""),
        cohort: clean(row.and_then(|r| r.cohort.as_ref()), ""),
        heatmaps: consent.heatmaps,
        recordings: consent.recordings,
    };
    store::store(core, rec, &record)?;
    if consent.recordings {
        report.replays_stored += 1;
    } else {
        report.drop_session("no recording consent (points kept)");
    }
    if consent.heatmaps {
        report.heatmap_sessions += 1;
    }
    Ok(())
}

/// A file's name for reports, with anything that looks like PII redacted.
fn display_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    pii::redact(&name).0.into_owned()
}
