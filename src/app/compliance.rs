//! The app's side of the compliance view: opening it through the gate, saving the policy,
//! purging and erasing, each followed by a fresh read of the receipts.

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::Scope;
use super::{Screen, SightlineApp};
use crate::access::Notice;
use crate::access::{Capability, Workspace};
use crate::compliance::retention::Policy;
use crate::error::Error;
use crate::ui::compliance::ComplianceViewState;
use crate::ui::workbench::ViewState;

/// The view's first state: the consent dashboard and the receipts, read through the gate.
pub(super) fn open_view(ws: &Workspace) -> Result<ComplianceViewState, Error> {
    let dashboard = ws.consent_dashboard()?;
    let receipts = ws.receipts()?;
    let policy = ws.retention_policy()?;
    let (target, regions) = ws.compliance_settings();
    let restricted = regions.join(", ");
    Ok(ComplianceViewState {
        anomalies: None,
        target,
        saved_settings: (target, restricted.clone()),
        restricted,
        may_report: ws.may(Capability::ComplianceReport),
        report_path: String::new(),
        report_path_shown: false,
        working: false,
        dashboard,
        receipts,
        policy,
        saved: policy,
        may_erase: ws.may(Capability::EraseSubject),
        may_purge: ws.may(Capability::RetentionPurge),
        subject: String::new(),
        confirm_erase: false,
        message: None,
        error: None,
    })
}

impl SightlineApp {
    /// Runs `action` on the workspace and reports into the compliance view.
    fn compliance_action(&mut self, action: impl FnOnce(&Workspace) -> Result<String, Error>) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let result = action(&w.ws);
        self.compliance_outcome(result);
    }

    /// Shows how an action ended, and re-reads what it may have changed.
    fn compliance_outcome(&mut self, result: Result<String, Error>) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Compliance(state) = &mut w.view else {
            // The user went elsewhere while it ran: the outcome waits in the notices.
            w.notices.push(match result {
                Ok(message) => Notice::info(message),
                Err(e) => Notice::warning(format!(
                    "The compliance task failed: {}",
                    super::explain(&e)
                )),
            });
            return;
        };
        match result {
            Ok(message) => {
                state.error = None;
                state.message = Some(message);
            }
            Err(e) => state.error = Some(super::explain(&e)),
        }
        if let Ok(receipts) = w.ws.receipts() {
            state.receipts = receipts;
        }
        if let Ok(policy) = w.ws.retention_policy() {
            state.saved = policy;
        }
        let (target, regions) = w.ws.compliance_settings();
        state.saved_settings = (target, regions.join(", "));
    }

    /// Scans for anomalies again on a fork (one more gated, logged read): the PII scan reads
    /// every stored session's text, which takes a while on a large dataset.
    pub(super) fn refresh_anomalies(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        match &mut w.view {
            ViewState::Compliance(state) => state.anomalies = None,
            // The compliance lead's Overview counts the open ones.
            ViewState::Overview(_) if w.ws.may(Capability::AccessLog) => {}
            _ => return,
        }
        match w.ws.fork() {
            Ok(fork) => {
                // A scan still running is told to stop; the registry tracks it until its fork
                // is gone.
                if let Some(old) = w.anomaly_job.take() {
                    old.stop();
                }
                w.anomaly_job = Some(self.jobs.spawn(
                    "The anomaly scan",
                    Scope::Session,
                    move |stop| fork.anomalies_until(stop.flag()),
                ));
            }
            Err(e) => {
                if let ViewState::Compliance(state) = &mut w.view {
                    state.error = Some(e.to_string());
                }
            }
        }
    }

    pub(super) fn poll_anomalies(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) = super::jobs::take_finished(&mut w.anomaly_job, "The anomaly scan", ctx)
        else {
            return;
        };
        match &mut w.view {
            ViewState::Compliance(state) => match result {
                Ok(found) => state.anomalies = Some(found),
                Err(e) => {
                    state.anomalies = Some(Vec::new());
                    state.error = Some(format!("The anomaly scan failed: {e}"));
                }
            },
            ViewState::Overview(state) => {
                state.open_anomalies = Some(
                    result
                        .map(|found| found.iter().filter(|a| a.acknowledged.is_none()).count())
                        .map_err(|e| format!("The anomaly scan failed: {e}")),
                );
            }
            _ => {}
        }
    }

    pub(super) fn save_compliance_settings(&mut self, target: u32, regions: &[String]) {
        self.compliance_action(|ws| {
            ws.set_compliance_settings(target, regions).map(|()| {
                format!(
                    "Settings saved: target {target}%, restricted regions [{}].",
                    regions.join(", ")
                )
            })
        });
        self.refresh_anomalies();
    }

    pub(super) fn acknowledge_anomaly(&mut self, key: &str) {
        self.compliance_action(|ws| {
            ws.acknowledge_anomaly(key)
                .map(|()| "Acknowledged.".to_owned())
        });
        self.refresh_anomalies();
    }

    pub(super) fn pick_report(&mut self) {
        // Nothing to ask once the view is gone (a Lock in the same frame, say).
        if !matches!(&self.screen, Screen::Workbench(w) if matches!(w.view, ViewState::Compliance(_)))
        {
            return;
        }
        let name = "compliance-report.html";
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_file_name(name)
                .add_filter("HTML", &["html"])
                .save_file()
        });
        match picked {
            Picked::Chosen(path) => self.export_report(&path),
            Picked::Unavailable => {
                if let Screen::Workbench(w) = &mut self.screen
                    && let ViewState::Compliance(state) = &mut w.view
                {
                    state.report_path_shown = true;
                    if state.report_path.is_empty() {
                        state.report_path = std::env::temp_dir().join(name).display().to_string();
                    }
                    state.message = Some(format!("{NO_DIALOG} Type where to save the report."));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Writes the report on a fork (it renders charts and reads every receipt).
    pub(super) fn export_report(&mut self, path: &std::path::Path) {
        let path = path.to_path_buf();
        let _started = self.spawn_compliance(move |ws| {
            ws.export_report(&path).map(|bytes| {
                format!(
                    "Wrote {} ({} KB). The export is in the access log.",
                    path.display(),
                    bytes / 1024
                )
            })
        });
    }

    pub(super) fn save_policy(&mut self, policy: Policy) {
        self.compliance_action(|ws| {
            ws.set_retention_policy(&policy)
                .map(|()| format!("Policy saved: {}.", policy.describe()))
        });
    }

    /// Runs a purge, an erasure or a report export on a fork: scrubbing (VACUUM) can take a
    /// while on a large dataset, and the window keeps drawing meanwhile.
    /// Returns whether the task started; a task already running refuses the next, saying so.
    fn spawn_compliance(
        &mut self,
        work: impl FnOnce(&Workspace) -> Result<String, Error> + Send + 'static,
    ) -> bool {
        let Screen::Workbench(w) = &mut self.screen else {
            return false;
        };
        let ViewState::Compliance(state) = &mut w.view else {
            return false;
        };
        if w.compliance_job.is_some() {
            state.error = Some(
                "Another purge, erasure or report is still running: try again when it has finished."
                    .into(),
            );
            return false;
        }
        match w.ws.fork() {
            Ok(fork) => {
                state.working = true;
                state.error = None;
                w.compliance_job = Some(self.jobs.spawn(
                    "A compliance task",
                    Scope::Session,
                    move |_| work(&fork),
                ));
                true
            }
            Err(e) => {
                state.error = Some(e.to_string());
                false
            }
        }
    }

    pub(super) fn poll_compliance(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) =
            super::jobs::take_finished(&mut w.compliance_job, "The compliance task", ctx)
        else {
            return;
        };
        if let ViewState::Compliance(state) = &mut w.view {
            state.working = false;
        }
        self.compliance_outcome(result);
        // An erasure removes consent records: the dashboard changes.
        if let Screen::Workbench(w) = &mut self.screen
            && let ViewState::Compliance(state) = &mut w.view
            && let Ok(dashboard) = w.ws.consent_dashboard()
        {
            state.dashboard = dashboard;
        }
    }

    pub(super) fn run_purge(&mut self) {
        let _started = self.spawn_compliance(|ws| {
            ws.purge("on demand").map(|r| {
                let what = if r.detail.total() == 0 {
                    "nothing was past its time".to_owned()
                } else {
                    format!("removed {}", r.detail.summary())
                };
                format!("Purge done: {what} (receipt {}).", r.id)
            })
        });
    }

    pub(super) fn erase_subject(&mut self, id: &str) {
        let id = id.to_owned();
        let started = self.spawn_compliance(move |ws| {
            ws.erase_subject(&id).map(|r| {
                format!(
                    "Erased subject {}: {} (receipt {}).",
                    r.detail.subject.clone().unwrap_or_default(),
                    if r.detail.total() == 0 {
                        "nothing was stored".to_owned()
                    } else {
                        r.detail.summary()
                    },
                    r.id
                )
            })
        });
        // The identifier leaves the form only once its erasure is under way.
        if started
            && let Screen::Workbench(w) = &mut self.screen
            && let ViewState::Compliance(state) = &mut w.view
        {
            state.subject.clear();
        }
    }
}
