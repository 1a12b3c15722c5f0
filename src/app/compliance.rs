//! The app's side of the compliance view: opening it through the gate, saving the policy,
//! purging and erasing, each followed by a fresh read of the receipts.

use super::{PageState, Screen, SightlineApp};
use crate::access::{Capability, Workspace};
use crate::compliance::retention::Policy;
use crate::error::Error;
use crate::ui::compliance::ComplianceViewState;

/// The view's first state: the consent dashboard and the receipts, read through the gate.
pub(super) fn open_view(ws: &Workspace) -> Result<ComplianceViewState, Error> {
    let dashboard = ws.consent_dashboard()?;
    let receipts = ws.receipts()?;
    let policy = ws.retention_policy()?;
    Ok(ComplianceViewState {
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
        let PageState::Compliance(state) = &mut w.page else {
            return;
        };
        match action(&w.ws) {
            Ok(message) => {
                state.error = None;
                state.message = Some(message);
            }
            Err(e @ Error::Denied { .. }) => {
                state.error = Some(format!("{e} The attempt was logged."));
            }
            Err(e) => state.error = Some(e.to_string()),
        }
        if let Ok(receipts) = w.ws.receipts() {
            state.receipts = receipts;
        }
        if let Ok(policy) = w.ws.retention_policy() {
            state.saved = policy;
        }
    }

    pub(super) fn save_policy(&mut self, policy: Policy) {
        self.compliance_action(|ws| {
            ws.set_retention_policy(&policy)
                .map(|()| format!("Policy saved: {}.", policy.describe()))
        });
    }

    pub(super) fn run_purge(&mut self) {
        self.compliance_action(|ws| {
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
        self.compliance_action(|ws| {
            ws.erase_subject(id).map(|r| {
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
        if let Screen::Workbench(w) = &mut self.screen
            && let PageState::Compliance(state) = &mut w.page
        {
            state.subject.clear();
        }
    }
}
