//! The manifest: per-session attributes a recording lacks (subject, start, region, consent per
//! purpose, A/B variant, cohort), as CSV with a header row or as a JSON array of objects.
//! Rows are matched to recordings by `session` (a window id, session id or file name).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::clock::parse_ms;
use crate::error::{Error, Result};

/// One manifest row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ManifestRow {
    /// Which recording: window id, session id, or file name.
    pub session: String,
    /// The original subject identifier (pseudonymised before storage).
    #[serde(default)]
    pub subject: Option<String>,
    /// Start time (RFC 3339 or a date), when the recording's clock is not to be trusted.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Region or jurisdiction (e.g. `EU-DE`, `US-CA`).
    #[serde(default)]
    pub region: Option<String>,
    /// Consent to heatmaps (aggregation of points).
    #[serde(default, deserialize_with = "yes_no")]
    pub consent_heatmaps: bool,
    /// Consent to recordings (replay).
    #[serde(default, deserialize_with = "yes_no")]
    pub consent_recordings: bool,
    /// A/B variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Cohort.
    #[serde(default)]
    pub cohort: Option<String>,
}

fn yes_no<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Text(t) => matches!(
            t.trim().to_ascii_lowercase().as_str(),
            "yes" | "y" | "true" | "1" | "granted"
        ),
    })
}

impl ManifestRow {
    /// The start time, if given and valid.
    pub fn started_at_ms(&self) -> Option<i64> {
        self.started_at.as_deref().and_then(parse_ms)
    }
}

const COLUMNS: &str = "expected columns: session, subject, started_at, region, consent_heatmaps, consent_recordings, variant, cohort";

/// Manifest rows by `session`.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    rows: HashMap<String, ManifestRow>,
}

impl Manifest {
    /// Reads a CSV (header row) or JSON (array of objects) manifest.
    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Manifest::parse(&name, &bytes)
    }

    /// Parses manifest bytes; `name` is used in messages.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Manifest> {
        let rows: Vec<ManifestRow> =
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                serde_json::from_slice(bytes)
                    // serde's message can quote the offending value, which may be personal: only
                    // the position is reported.
                    .map_err(|e| {
                        Error::Format(format!(
                            "{name}: manifest line {}, column {} is not understood ({COLUMNS}).",
                            e.line(),
                            e.column()
                        ))
                    })?
            } else {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .from_reader(bytes);
                reader
                    .deserialize()
                    .enumerate()
                    .map(|(i, row)| {
                        row.map_err(|_| {
                            Error::Format(format!(
                                "{name}: manifest row {} is not understood ({COLUMNS}).",
                                i + 2
                            ))
                        })
                    })
                    .collect::<Result<_>>()?
            };
        Ok(Manifest {
            rows: rows.into_iter().map(|r| (r.session.clone(), r)).collect(),
        })
    }

    /// The row for a recording.
    pub fn get(&self, source_id: &str) -> Option<&ManifestRow> {
        self.rows.get(source_id)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}
