//! The access log through the gate: reading it, Verify (the chain, the signatures, this
//! device's anchor and every database page), re-anchoring, and exports (CSV, JSON Lines).

use std::io::Write;
use std::path::PathBuf;

use crate::access::log::{self, ChainReport, LogEntry, LogQuery};
use crate::access::{Action, Outcome, Workspace};
use crate::clock::rfc3339;
use crate::dataset::db;
use crate::error::{Error, Result};

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The chain walk (and keychain comparison).
    pub chain: ChainReport,
    /// Pages that failed SQLCipher's HMAC check, per database file.
    pub damaged_pages: Vec<(&'static str, String)>,
    /// Whether this device had an anchor to compare with.
    pub anchor_checked: bool,
    /// Why the rollback check is off on this device, with how to fix it.
    pub rollback_off: Option<String>,
    /// Membership and policy problems: slots or policy changed outside Sightline.
    pub trust_problems: Vec<String>,
    /// Whether entries were checked against signatures (format 2).
    pub signatures_checked: bool,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.chain.problem.is_none()
            && self.damaged_pages.is_empty()
            && self.trust_problems.is_empty()
    }
}

/// Export formats of the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Comma-separated values with a header row; the last row's hash is the chain head.
    Csv,
    /// One JSON object per entry, then a final `{"chain_head": …}` line.
    Jsonl,
}

/// A cell a spreadsheet shows as text: a leading formula character is neutralised, so log
/// content never runs as a formula. (Quoting is the `csv` writer's.)
fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() > 1 && value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

impl Workspace {
    /// Reads the access log (compliance lead).
    pub fn access_log(&self, query: &LogQuery) -> Result<Vec<LogEntry>> {
        self.gate(Action::ViewAccessLog, "access log", "")?;
        log::read(&self.core, query)
    }

    /// Verifies the log chain against this device's anchor and checks every database page's
    /// HMAC (compliance lead).
    pub fn verify(&self) -> Result<VerifyReport> {
        self.gate(Action::VerifyAccessLog, "access log and databases", "")?;
        self.verify_ungated()
    }

    /// [`Workspace::verify`] for callers that went through the gate already.
    pub(crate) fn verify_ungated(&self) -> Result<VerifyReport> {
        let anchor = self
            .device
            .keychain()
            .load_head(&self.header.dataset_id)
            .ok()
            .flatten();
        let now = self.device.now_ms();
        let chain = self.with_trust(|trust| {
            log::verify(&self.core, &self.header.dataset_id, anchor, trust, now)
        })?;
        // Only a whole chain is worth a checkpoint.
        if chain.problem.is_none()
            && let Some(key) = self.authority_key()
        {
            log::checkpoint(&self.core, &self.header.dataset_id, key, now)?;
        }
        let mut trust_problems = self.membership_problems();
        trust_problems.extend(self.policy_problems());
        let mut damaged_pages = Vec::new();
        for (file, conn) in [
            ("core.db", Some(&self.core)),
            ("recordings.db", self.recordings.as_ref()),
        ] {
            if let Some(conn) = conn {
                damaged_pages.extend(
                    db::cipher_integrity_check(conn, file)?
                        .into_iter()
                        .map(|p| (file, p)),
                );
            }
        }
        Ok(VerifyReport {
            chain,
            damaged_pages,
            anchor_checked: anchor.is_some(),
            rollback_off: self.rollback_off.clone(),
            trust_problems,
            signatures_checked: self.header.authority.is_some(),
        })
    }

    /// Accepts the current log head as this device's anchor after a rollback alarm
    /// (compliance lead). The alarm and this decision stay in the log.
    pub fn reanchor(&mut self) -> Result<()> {
        // Only a chain that is otherwise whole may become the anchor: moving it past a rewritten
        // or unsigned log would bless the tampering.
        let now = self.device.now_ms();
        let clean = self.with_trust(|trust| {
            log::verify(&self.core, &self.header.dataset_id, None, trust, now)
        })?;
        if let Some(problem) = clean.problem {
            self.log(
                Action::Reanchor,
                "access log",
                "refused: the log does not verify",
                Outcome::Denied,
            )?;
            return Err(Error::Integrity(format!(
                "The log does not verify ({}), so its head cannot become this device's anchor. Investigate and restore a good copy first.",
                problem.reason
            )));
        }
        self.gate(
            Action::Reanchor,
            "access log",
            "accept current head after review",
        )?;
        self.anchor_trusted = true;
        if let Some(head) = log::head(&self.core)? {
            self.device
                .keychain()
                .store_head(&self.header.dataset_id, head)
                .map_err(|e| Error::Invalid(format!("Could not store the log anchor: {e}.")))?;
        }
        Ok(())
    }

    /// Writes the whole log to `out` (compliance lead); returns the number of entries.
    pub fn export_log(&self, format: LogFormat, out: &mut dyn Write) -> Result<usize> {
        let name = match format {
            LogFormat::Csv => "csv",
            LogFormat::Jsonl => "jsonl",
        };
        self.gate(Action::ExportAccessLog, &format!("access log ({name})"), "")?;
        let entries = log::read(&self.core, &LogQuery::default())?;
        let io = |e: std::io::Error| Error::Io {
            action: "write",
            path: PathBuf::from("export"),
            source: e,
        };
        match format {
            LogFormat::Csv => {
                let mut csv = csv::Writer::from_writer(&mut *out);
                let header = [
                    "seq",
                    "time",
                    "user",
                    "role",
                    "action",
                    "object",
                    "purpose",
                    "outcome",
                    "prev_hash",
                    "hash",
                    "signer",
                    "signature",
                ];
                let csv_error =
                    |e: csv::Error| Error::Format(format!("The CSV could not be written: {e}"));
                csv.write_record(header).map_err(csv_error)?;
                for e in &entries {
                    let fields = [
                        e.seq.to_string(),
                        rfc3339(e.time_ms),
                        e.user.clone(),
                        e.role.clone(),
                        e.action.clone(),
                        e.object.clone(),
                        e.purpose.clone(),
                        e.outcome.clone(),
                        hex::encode(e.prev_hash),
                        hex::encode(e.hash),
                        e.signer.clone(),
                        e.signature.as_deref().map(hex::encode).unwrap_or_default(),
                    ];
                    csv.write_record(fields.iter().map(|f| spreadsheet_safe(f).into_owned()))
                        .map_err(csv_error)?;
                }
                csv.flush().map_err(io)?;
            }
            LogFormat::Jsonl => {
                for e in &entries {
                    let line = serde_json::json!({
                        "seq": e.seq, "time": rfc3339(e.time_ms), "time_ms": e.time_ms,
                        "user": e.user, "role": e.role, "action": e.action, "object": e.object,
                        "purpose": e.purpose, "outcome": e.outcome,
                        "prev_hash": hex::encode(e.prev_hash), "hash": hex::encode(e.hash),
                        "signer": e.signer, "signature": e.signature.as_deref().map(hex::encode),
                    });
                    writeln!(out, "{line}").map_err(io)?;
                }
                let head = entries
                    .last()
                    .map(|e| serde_json::json!({"seq": e.seq, "hash": hex::encode(e.hash)}));
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "chain_head": head, "dataset_id": self.header.dataset_id })
                )
                .map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
        Ok(entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_quoting_is_the_writers() -> Result<()> {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-"), "-");
        assert_eq!(spreadsheet_safe("plain"), "plain");
        let mut buf = Vec::new();
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record([spreadsheet_safe("@a,\"b\"").as_ref(), "c"])
            .map_err(|e| Error::Format(e.to_string()))?;
        drop(w);
        assert_eq!(String::from_utf8_lossy(&buf), "\"'@a,\"\"b\"\"\",c\n");
        Ok(())
    }
}
