//! The compliance centre through the gate: erasure by subject identifier or pseudonym,
//! retention policy and purges (on demand and when the dataset opens), and receipts.

use std::sync::atomic::AtomicBool;

use crate::access::{Action, Capability, Notice, Outcome, PolicyKind, Workspace};

use crate::compliance::retention::Policy;
use crate::compliance::{self, Receipt, ReceiptDetail};
use crate::error::{Error, Result};
use crate::privacy::pseudonym::{pseudonym, subject_pseudonym};

impl Workspace {
    fn recordings_conn(&self, capability: Capability) -> Result<&rusqlite::Connection> {
        self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability,
        })
    }

    /// Erases a data subject (compliance lead): `id` is their original identifier or their
    /// pseudonym. Only the pseudonym is logged and kept on the receipt.
    pub fn erase_subject(&self, id: &str) -> Result<Receipt> {
        let id = id.trim();
        if id.is_empty() {
            return Err(Error::Invalid(
                "Give the subject's identifier or pseudonym.".into(),
            ));
        }
        // The pseudonym key lives in recordings.db; without that tier there is nothing to erase
        // with, and the attempt is still logged as denied.
        let Some(rec) = self.recordings.as_ref() else {
            self.gate(Action::EraseSubject, "subject", "")?;
            return Err(Error::Denied {
                role: self.role,
                capability: Capability::EraseSubject,
            });
        };
        let key = crate::ingest::store::pseudonym_key(rec)?;
        let known = |p: &str| -> Result<bool> {
            rec.query_row(
                "SELECT EXISTS(SELECT 1 FROM sessions WHERE subject = ?1)
                     OR EXISTS(SELECT 1 FROM subject_refs WHERE subject = ?1)
                     OR EXISTS(SELECT 1 FROM surveys WHERE subject = ?1)
                     OR EXISTS(SELECT 1 FROM consent WHERE subject = ?1)",
                [p],
                |r| r.get(0),
            )
            .map_err(|e| crate::dataset::db::sql_error("recordings.db", e))
        };
        // A pseudonym as given; else the identifier in its normal form (one person whatever
        // the case, width or spacing), and, for data imported before normal forms, as typed.
        let (subject, extra) = if id.starts_with("s_") && id.len() == 26 && known(id)? {
            (id.to_owned(), None)
        } else {
            let as_typed = pseudonym(&key, id);
            let normal = subject_pseudonym(&key, id);
            let extra = (as_typed != normal && known(&as_typed)?).then_some(as_typed);
            (normal, extra)
        };
        let object = format!("subject {subject}");
        self.gate(Action::EraseSubject, &object, "GDPR Art. 17")?;
        // Whatever happens next, cached points may include the subject's: drop them.
        self.cache.clear();
        let mut detail = match compliance::erase::erase(&self.core, rec, &subject) {
            Ok(d) => d,
            Err(e) => return self.failed(Action::EraseSubject, &object, e),
        };
        if let Some(other) = &extra {
            match compliance::erase::erase(&self.core, rec, other) {
                Ok(more) => detail.add(&more),
                Err(e) => return self.failed(Action::EraseSubject, &object, e),
            }
        }
        detail.normal_form = Some(crate::privacy::pseudonym::SUBJECT_NORMAL_FORM.to_owned());
        // Later imports of the same export must not bring the subject back.
        for erased in std::iter::once(&subject).chain(extra.as_ref()) {
            crate::ingest::store::suppress(rec, &key, erased, self.device.now_ms())
                .or_else(|e| self.failed(Action::EraseSubject, &object, e))?;
        }
        let receipt = compliance::store_receipt(
            &self.core,
            "erasure",
            self.device.now_ms(),
            &self.user,
            &detail,
        )?;
        self.log(
            Action::EraseSubject,
            &format!(
                "{object}: {} (receipt {})",
                summary_or_nothing(&detail),
                receipt.id
            ),
            "erasure finished",
            Outcome::Allowed,
        )?;
        Ok(receipt)
    }

    /// The retention policy (read without a log entry: it is configuration, not data).
    pub fn retention_policy(&self) -> Result<Policy> {
        Policy::load(&self.core)
    }

    /// Changes the retention policy (compliance lead); logged with the new values and, from
    /// format 2, signed. Access-log retention has a floor (policy, 365 days by default).
    pub fn set_retention_policy(&self, policy: &Policy) -> Result<()> {
        self.edit_sealed(
            Action::EditPolicy,
            &policy.describe(),
            PolicyKind::Policy,
            |core| policy.save(core),
        )
    }

    /// Runs a retention purge (compliance lead, data engineer) and writes a receipt.
    pub fn purge(&self, trigger: &str) -> Result<Receipt> {
        self.require_policy(PolicyKind::Policy)?;
        let policy = Policy::load(&self.core)?;
        self.gate(Action::RetentionPurge, &policy.describe(), trigger)?;
        let rec = self.recordings_conn(Capability::RetentionPurge)?;
        self.cache.clear();
        // Old log entries go only with a record the authority signs: a compliance lead's
        // purge. Others leave the access log as it is.
        // Old log entries go only with a record the authority signs, of entries that verify
        // (checked in the purge's own write transaction): a compliance lead's purge. Others
        // leave the access log as it is.
        let trust = self
            .header
            .authority
            .as_ref()
            .map(|block| crate::access::log::Trust { block });
        let log_purge = match (trust, self.authority_key()) {
            (None, _) => Some(compliance::retention::LogPurge::Legacy),
            (Some(trust), Some(key)) => Some(compliance::retention::LogPurge::Signed {
                dataset_id: &self.header.dataset_id,
                key,
                trust: Some(trust),
            }),
            (Some(_), None) => None,
        };
        let mut detail = match compliance::retention::purge(
            &self.core,
            rec,
            self.device.now_ms(),
            &policy,
            log_purge,
        ) {
            Ok(d) => d,
            Err(e) => return self.failed(Action::RetentionPurge, "purge", e),
        };
        detail.trigger = trigger.to_owned();
        if let Some(problem) = &detail.log_refused {
            let text = format!(
                "Old access-log entries were not purged: the log does not verify ({problem})"
            );
            self.log(Action::IntegrityAlert, "access log", &text, Outcome::Failed)?;
            self.add_notice(Notice::integrity(format!("{text}.")));
        }
        let receipt = compliance::store_receipt(
            &self.core,
            "purge",
            self.device.now_ms(),
            &self.user,
            &detail,
        )?;
        if let (Some(record), Some(key)) = (&detail.log_purge, self.authority_key()) {
            crate::access::log::attach_receipt(
                &self.core,
                &self.header.dataset_id,
                record,
                &receipt.id.to_string(),
                key,
            )?;
        }
        // The finished entry names the sealed policy versions again, so purging the entries
        // that first named them never looks like a policy put back.
        let tags = self.with_trust(|trust| {
            crate::access::sealed_policy::current_tags(&self.core, &self.header.dataset_id, trust)
        })?;
        self.log(
            Action::RetentionPurge,
            format!(
                "{} (receipt {}) {tags}",
                summary_or_nothing(&detail),
                receipt.id
            )
            .trim_end(),
            "purge finished",
            Outcome::Allowed,
        )?;
        Ok(receipt)
    }

    /// The consent dashboard (compliance lead, analyst, data engineer).
    pub fn consent_dashboard(&self) -> Result<compliance::consent::Dashboard> {
        self.gate(Action::ViewConsent, "consent dashboard", "")?;
        compliance::consent::dashboard(&self.core, self.policy().consent_target_percent)
    }

    /// The policy's consent target (%) and restricted regions.
    pub fn compliance_settings(&self) -> (u32, Vec<String>) {
        let policy = self.policy();
        (policy.consent_target_percent, policy.restricted_regions)
    }

    /// Sets the consent target and the restricted regions (compliance lead); logged.
    pub fn set_compliance_settings(&self, target: u32, regions: &[String]) -> Result<()> {
        if target > 100 {
            return Err(Error::Invalid(
                "The consent target is a percentage, 0–100.".into(),
            ));
        }
        let list = regions
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join(",");
        let object = format!("consent target {target}%, restricted regions [{list}]");
        self.edit_sealed(Action::EditPolicy, &object, PolicyKind::Policy, |core| {
            for (key, value) in [
                ("consent_target_percent", target.to_string()),
                ("restricted_regions", list),
            ] {
                core.execute(
                    "INSERT OR REPLACE INTO policy (key, value) VALUES (?1, ?2)",
                    rusqlite::params![key, value],
                )
                .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
            }
            Ok(())
        })
    }

    /// Anomalies, most serious first, with their acknowledgements (compliance lead, analyst,
    /// data engineer). The PII scan reads recordings where this role holds them.
    pub fn anomalies(&self) -> Result<Vec<compliance::anomaly::Anomaly>> {
        self.anomalies_until(&AtomicBool::new(false))
    }

    /// [`Workspace::anomalies`], ending early with an error once `stop` is set (the scan
    /// reads every stored session).
    pub fn anomalies_until(&self, stop: &AtomicBool) -> Result<Vec<compliance::anomaly::Anomaly>> {
        self.gate(Action::ViewAnomalies, "anomalies", "")?;
        // Restricted regions come from the policy: never scan with ones changed by hand.
        self.require_policy(PolicyKind::Policy)?;
        self.anomalies_ungated(stop, false)
    }

    /// `full`: every replay's text is scanned again rather than its kept result read (the
    /// report, which a compliance lead exports on purpose, does this).
    fn anomalies_ungated(
        &self,
        stop: &AtomicBool,
        full: bool,
    ) -> Result<Vec<compliance::anomaly::Anomaly>> {
        let (_, restricted) = self.compliance_settings();
        let mut all = compliance::anomaly::region_spikes(&self.core, &restricted)?;
        all.extend(compliance::anomaly::pii_leaks(
            &self.core,
            self.recordings.as_ref(),
            stop,
            full,
        )?);
        all.extend(compliance::anomaly::access(&self.core)?);
        let mut stmt = self
            .core
            .prepare("SELECT key, user, time_ms FROM anomaly_acks")
            .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
        let acks: std::collections::HashMap<String, (String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .and_then(Iterator::collect)
            .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
        for a in &mut all {
            a.acknowledged = acks.get(&a.key).cloned();
        }
        // When each was first found, for the time to acknowledge it.
        let now = self.device.now_ms();
        for a in &all {
            self.core
                .execute(
                    "INSERT OR IGNORE INTO anomaly_seen (key, first_seen_ms) VALUES (?1, ?2)",
                    rusqlite::params![a.key, now],
                )
                .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
        }
        all.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.key.cmp(&b.key)));
        Ok(all)
    }

    /// Acknowledges an anomaly (compliance lead); logged with its key.
    pub fn acknowledge_anomaly(&self, key: &str) -> Result<()> {
        self.gate(Action::AcknowledgeAnomaly, key, "")?;
        self.core
            .execute(
                "INSERT OR REPLACE INTO anomaly_acks (key, time_ms, user) VALUES (?1, ?2, ?3)",
                rusqlite::params![key, self.device.now_ms(), self.user],
            )
            .map_err(|e| crate::dataset::db::sql_error("core.db", e))
            .map(drop)
    }

    /// Writes the compliance report to `out` as one HTML file (compliance lead); logged.
    /// Returns the bytes written.
    pub fn export_report(&self, out: &std::path::Path) -> Result<usize> {
        let object = format!("compliance report to {}", Workspace::export_file_label(out));
        self.gate(Action::ExportReport, &object, "")?;
        let written = self.report_html().and_then(|html| {
            crate::fsutil::write_atomically(out, |w| {
                w.write_all(html.as_bytes())
                    .map_err(Error::io("write", out))
            })?;
            Ok(html.len())
        });
        match written {
            Ok(n) => Ok(n),
            Err(e) => self.failed(Action::ExportReport, &object, e),
        }
    }

    fn report_html(&self) -> Result<String> {
        let verify = self.verify_ungated()?;
        let result = match (&verify.chain.problem, verify.damaged_pages.first()) {
            (None, None) if !verify.trust_problems.is_empty() => {
                format!("problem: {}", verify.trust_problems.join("; "))
            }
            (None, None) => "intact".to_owned(),
            (Some(p), _) => format!("problem at entry {}: {}", p.seq, p.reason),
            (None, Some((file, page))) => format!("{file}: {page}"),
        };
        let receipts = compliance::receipts(&self.core)?;
        let consent =
            compliance::consent::dashboard(&self.core, self.policy().consent_target_percent)?;
        let log = crate::access::log::read(&self.core, &crate::access::LogQuery::default())?;
        let anomalies = self.anomalies_ungated(&AtomicBool::new(false), true)?;
        let grids = crate::grid::store::list(&self.core)?;
        let input = compliance::report::ReportInput {
            dataset: (self.dataset_name(), self.dataset_id()),
            made_by: (self.user(), crate::clock::rfc3339(self.device.now_ms())),
            policy: Policy::load(&self.core)?,
            settings: self.compliance_settings(),
            receipts: &receipts,
            consent: &consent,
            log: &log,
            anomalies: &anomalies,
            verification: (
                verify.chain.entries,
                verify.chain.head.map(|h| (h.seq, hex::encode(h.hash))),
                result,
                verify.anchor_checked,
            ),
            trust: compliance::report::Trust {
                fingerprint: self.authority_fingerprint(),
                problems: verify.trust_problems.clone(),
                rollback_off: verify.rollback_off.clone(),
            },
            imports: crate::insights::health::import_health(&self.core, "1970-01-01")?,
            watch: crate::insights::health::compliance_health(&self.core, "1970-01-01")?,
            grids: &grids,
        };
        Ok(compliance::report::html(&input))
    }

    /// Whether the retention policy has anything to purge now (roles that see the dashboards).
    pub fn retention_due(&self) -> Result<bool> {
        self.gate(Action::ViewCompliance, "retention due", "")?;
        let Some(rec) = &self.recordings else {
            return Ok(false);
        };
        let policy = Policy::load(&self.core)?;
        compliance::retention::due(&self.core, rec, self.device.now_ms(), &policy, false)
    }

    /// Purge and erasure receipts, newest first (roles that see the dashboards).
    pub fn receipts(&self) -> Result<Vec<Receipt>> {
        self.gate(Action::ViewCompliance, "receipts", "")?;
        compliance::receipts(&self.core)
    }

    /// At unlock: the policy's automatic purge, for users who may purge. A damaged database
    /// stops the unlock as any integrity problem does; other failures become a notice.
    pub(crate) fn purge_on_open(&self) -> Result<()> {
        let Some(rec) = self.recordings.as_ref() else {
            return Ok(());
        };
        let policy = match Policy::load(&self.core) {
            Ok(p) => p,
            Err(e @ Error::Integrity(_)) => return Err(e),
            Err(_) => return Ok(()),
        };
        if !policy.purge_on_open || !self.may(Capability::RetentionPurge) {
            return Ok(());
        }
        // A policy that does not verify closes purges, but never the sign-in: the lead must
        // be able to get in to save it again.
        if let Err(e) = self.require_policy(PolicyKind::Policy) {
            self.add_notice(Notice::warning(format!(
                "The retention purge did not run: {e}"
            )));
            return Ok(());
        }
        // Only when something is past its time, so opening does not fill the log.
        let include_log = self.header.authority.is_none() || self.authority_key().is_some();
        let result =
            compliance::retention::due(&self.core, rec, self.device.now_ms(), &policy, include_log)
                .and_then(|due| due.then(|| self.purge("automatic on open")).transpose());
        match result {
            Ok(Some(r)) => self.add_notice(Notice::info(format!(
                "Retention purge on opening: {} removed (receipt {}).",
                r.detail.summary(),
                r.id
            ))),
            Ok(None) => {}
            Err(e @ Error::Integrity(_)) => return Err(e),
            Err(e) => self.add_notice(Notice::warning(format!(
                "The retention purge did not run: {e}"
            ))),
        }
        Ok(())
    }
}

fn summary_or_nothing(detail: &ReceiptDetail) -> String {
    if detail.total() == 0 {
        "nothing to remove".into()
    } else {
        detail.summary()
    }
}
