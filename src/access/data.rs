//! Gated access to imported data: running an import (data engineer) and reading a session's
//! masked events (replay roles, with a purpose).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use rusqlite::OptionalExtension;

use crate::access::{Action, Capability, Outcome, PolicyKind, Workspace};
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::ingest::rescrub::Rescrubbed;
use crate::ingest::screenshot::{self, ScreenshotInfo};
use crate::ingest::{self, ImportInput, ImportOptions, ImportProgress, ImportReport};
use crate::privacy::masking::MaskingRule;
use crate::privacy::paths::{PathRule, PathRules, StoredPathRule};
use crate::session::SessionEvent;

impl Workspace {
    /// Imports recordings (data engineer). The attempt, any assumed consent and its reason, and
    /// the outcome are logged; the report is kept in the dataset.
    pub fn import(
        &mut self,
        files: &[PathBuf],
        options: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let inputs: Vec<ImportInput> = files.iter().cloned().map(ImportInput::File).collect();
        self.import_inputs(&inputs, options, progress, cancel)
    }

    /// [`Workspace::import`] for inputs that may be in memory.
    pub fn import_inputs(
        &mut self,
        files: &[ImportInput],
        options: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let object = format!(
            "{} file(s)",
            files.iter().map(ImportInput::files).sum::<usize>()
        );
        let purpose = match &options.assume_consent {
            Some((p, reason)) => format!(
                "consent assumed for {}{}: {reason}",
                if p.heatmaps { "heatmaps " } else { "" },
                if p.recordings { "recordings" } else { "" }
            ),
            None => String::new(),
        };
        self.gate(Action::Import, &object, &purpose)?;
        // The masking rules decide what is stored: never import under rules changed by hand.
        self.require_policy(PolicyKind::Masking)
            .or_else(|e| self.failed(Action::Import, &object, e))?;
        let rec = self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability: Capability::ImportData,
        })?;
        let result = ingest::run(
            &self.core,
            rec,
            files,
            options,
            progress,
            cancel,
            self.device.now_ms(),
        );
        // Whatever was committed changes what heatmaps show.
        self.cache.clear();
        let report = match result {
            Ok(r) => r,
            Err(e) => return self.failed(Action::Import, &object, e),
        };
        let json = serde_json::to_string(&report).unwrap_or_default();
        self.core
            .execute(
                "INSERT INTO imports (time_ms, user, report) VALUES (?1, ?2, ?3)",
                rusqlite::params![self.device.now_ms(), self.user, json],
            )
            .map_err(|e| sql_error("core.db", e))?;
        let summary = format!(
            "{} replays, {} heatmap sessions, {} dropped",
            report.replays_stored,
            report.heatmap_sessions,
            report.sessions_dropped.values().sum::<usize>()
        );
        self.log(
            Action::Import,
            &summary,
            "import finished",
            Outcome::Allowed,
        )?;
        Ok(report)
    }

    /// Stores a full-page screenshot of `page_url` taken at `css_width` (data engineer).
    pub fn import_screenshot(
        &mut self,
        page_url: &str,
        css_width: u32,
        path: &std::path::Path,
    ) -> Result<ScreenshotInfo> {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        self.import_screenshot_bytes(page_url, css_width, &file, &bytes)
    }

    /// [`Workspace::import_screenshot`] for an image already in memory.
    pub fn import_screenshot_bytes(
        &mut self,
        page_url: &str,
        css_width: u32,
        name: &str,
        bytes: &[u8],
    ) -> Result<ScreenshotInfo> {
        // Screenshots meet pages under the same path rules as recordings.
        let paths = PathRules::new(&ingest::store::path_rules(&self.core)?)?;
        let pattern = paths.page_pattern(page_url, |_| {});
        let object = format!("screenshot of {pattern} at {css_width} px");
        self.gate(Action::Import, &object, "")?;
        // A new screenshot replaces the one heatmaps may have cached.
        self.cache.clear();
        screenshot::store(&self.core, name, &pattern, css_width, bytes)
            .or_else(|e| self.failed(Action::Import, &object, e))
    }

    /// The masking rules with their ids (data engineer).
    pub fn masking_rules(&self) -> Result<Vec<(i64, MaskingRule)>> {
        self.gate(Action::ManageMasking, "masking rules", "")?;
        ingest::store::masking_rules_with_ids(&self.core)
    }

    /// The path rules with their ids (data engineer).
    pub fn path_rules(&self) -> Result<Vec<(i64, PathRule)>> {
        self.gate(Action::ManageMasking, "path rules", "")?;
        ingest::store::path_rules_with_ids(&self.core)
    }

    /// Adds a masking rule; later imports honour it (data engineer). Signed and logged.
    pub fn add_masking_rule(&mut self, rule: &MaskingRule) -> Result<i64> {
        rule.validate()?;
        let json = serde_json::to_string(rule).map_err(|e| Error::Format(e.to_string()))?;
        self.add_rule_json(json)
    }

    /// Adds a path rule (data engineer; signed and logged). Later imports and screenshots
    /// honour it, and the page patterns already stored are rewritten under it now.
    pub fn add_path_rule(&mut self, rule: &PathRule) -> Result<(i64, Rescrubbed)> {
        rule.validate()?;
        let stored = StoredPathRule { path: rule.clone() };
        let json = serde_json::to_string(&stored).map_err(|e| Error::Format(e.to_string()))?;
        let id = self.add_rule_json(json)?;
        let rec = self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability: Capability::ImportData,
        })?;
        let paths = PathRules::new(&ingest::store::path_rules(&self.core)?)?;
        let renamed =
            ingest::rescrub::rename_pages(&self.core, rec, &|p| paths.page_pattern(p, |_| {}))?;
        self.cache.clear();
        Ok((id, renamed))
    }

    fn add_rule_json(&mut self, json: String) -> Result<i64> {
        let id = std::cell::Cell::new(0);
        self.edit_sealed(
            Action::ManageMasking,
            &format!("add rule {json}"),
            PolicyKind::Masking,
            |core| {
                ingest::store::masking_rules(core)?;
                core.execute("INSERT INTO masking_rules (rule) VALUES (?1)", [&json])
                    .map_err(|e| sql_error("core.db", e))?;
                id.set(core.last_insert_rowid());
                Ok(())
            },
        )?;
        Ok(id.get())
    }

    /// Removes a masking rule by id (data engineer). Signed and logged.
    pub fn remove_masking_rule(&mut self, id: i64) -> Result<()> {
        self.edit_sealed(
            Action::ManageMasking,
            &format!("remove rule {id}"),
            PolicyKind::Masking,
            |core| {
                let removed = core
                    .execute("DELETE FROM masking_rules WHERE id = ?1", [id])
                    .map_err(|e| sql_error("core.db", e))?;
                if removed == 0 {
                    return Err(Error::Invalid(format!("There is no masking rule {id}.")));
                }
                // Removing the last rule brings the defaults back; seal what is really there.
                ingest::store::masking_rules(core).map(drop)
            },
        )
    }

    /// A session's masked events, in time order (compliance lead, analyst). The purpose is
    /// required and logged.
    pub fn session_events(&self, session_id: &str, purpose: &str) -> Result<Vec<SessionEvent>> {
        let purpose = purpose.trim();
        if purpose.is_empty() {
            return Err(Error::Invalid(
                "Say why you are opening this session (a purpose or ticket id).".into(),
            ));
        }
        self.gate(
            Action::ReplaySession,
            &format!("session {session_id}"),
            purpose,
        )?;
        let rec = self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability: Capability::ReplaySession,
        })?;
        let blob: Option<Vec<u8>> = rec
            .query_row(
                "SELECT events FROM session_events WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error("recordings.db", e))?;
        let blob =
            blob.ok_or_else(|| Error::Invalid(format!("There is no session '{session_id}'.")))?;
        crate::session::stored::decode(&blob).map_err(|_| {
            Error::Integrity(format!(
                "the events of session {session_id} are unreadable."
            ))
        })
    }
}
