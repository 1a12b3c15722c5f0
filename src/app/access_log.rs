//! The access log view's controller: Verify and export, the file chosen in a dialog.

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::{self, Scope};
use super::{Screen, SightlineApp};
use crate::access::LogFormat;
use crate::access::Notice;
use crate::ui::workbench::ViewState;

impl SightlineApp {
    /// Asks where to save the access log, then exports it.
    pub(super) fn pick_log_export(&mut self, format: LogFormat) {
        if !matches!(&self.screen, Screen::Workbench(w) if matches!(w.view, ViewState::AccessLog(_)))
        {
            return;
        }
        let (name, ext) = match format {
            LogFormat::Csv => ("access-log.csv", "csv"),
            LogFormat::Jsonl => ("access-log.jsonl", "jsonl"),
        };
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_file_name(name)
                .add_filter(ext, &[ext])
                .save_file()
        });
        match picked {
            Picked::Chosen(path) => self.export_log(format, &path),
            Picked::Unavailable => {
                if let Screen::Workbench(w) = &mut self.screen
                    && let ViewState::AccessLog(state) = &mut w.view
                {
                    state.export = Some(format!("{NO_DIALOG} Use `sightline log export` instead."));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Starts Verify on a fork: on a large log it takes seconds, and the window keeps drawing.
    pub(super) fn verify_log(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        if w.verify_job.is_some() {
            return;
        }
        let ViewState::AccessLog(state) = &mut w.view else {
            return;
        };
        match w.ws.fork() {
            Ok(fork) => {
                state.verifying = true;
                state.verify = None;
                w.verify_job = Some(
                    self.jobs
                        .spawn("Verify", Scope::Session, move |_| fork.verify()),
                );
            }
            Err(e) => state.verify = Some((false, e.to_string())),
        }
    }

    pub(super) fn poll_verify(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) = jobs::take_finished(&mut w.verify_job, "Verify", ctx) else {
            return;
        };
        let ViewState::AccessLog(state) = &mut w.view else {
            w.notices.push(match &result {
                Ok(r) if r.is_intact() => {
                    Notice::info("Verify: the access log and every database page are intact.")
                }
                Ok(_) => Notice::integrity(
                    "Verify found a problem: open the access log and verify again.",
                ),
                Err(e) => Notice::warning(format!("Verify could not run: {e}")),
            });
            return;
        };
        state.verifying = false;
        state.verify = Some(match result {
            Ok(report) if report.is_intact() => (
                true,
                format!(
                    "Intact: {} entries chained{}, every database page authenticated{}.",
                    report.chain.entries,
                    if report.signatures_checked {
                        " and signed by their authors"
                    } else {
                        " (not signed yet: made by an older Sightline)"
                    },
                    if report.anchor_checked {
                        ", and this device's anchor matches"
                    } else if report.rollback_off.is_some() {
                        " (the rollback check is off on this device: see the top bar)"
                    } else {
                        " (no keychain anchor on this device yet)"
                    }
                ),
            ),
            Ok(report) => (
                false,
                match &report.chain.problem {
                    Some(p) => format!("Problem at entry {}: {}.", p.seq, p.reason),
                    None if !report.trust_problems.is_empty() => {
                        format!("Integrity problem: {}.", report.trust_problems.join("; "))
                    }
                    None => format!(
                        "{} database page(s) failed authentication.",
                        report.damaged_pages.len()
                    ),
                },
            ),
            Err(e) => (false, e.to_string()),
        });
    }

    pub(super) fn export_log(&mut self, format: LogFormat, path: &std::path::Path) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let result = crate::fsutil::write_atomically(path, |out| w.ws.export_log(format, out));
        let ViewState::AccessLog(state) = &mut w.view else {
            return;
        };
        state.export = Some(match result {
            Ok(n) => format!("Exported {n} entries to {}.", path.display()),
            Err(e) => format!("The export failed: {e}"),
        });
    }
}
