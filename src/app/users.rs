//! The users view's controller: adding users, resetting passwords, and revoking a user, whose
//! key rotation runs on its own thread with the bundle to itself.

use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::jobs::{self, Scope};
use super::{Screen, SightlineApp};
use crate::access::RotationProgress;
use crate::access::Workspace;
use crate::error::Error;
use crate::ui::workbench::ViewState;

/// A revocation on its own thread. The key rotation needs the bundle to itself, so the window's
/// workspace hands its lock to a fork, which rotates and then replaces it.
pub(super) struct RunningRevoke {
    pub(super) user: String,
    pub(super) job: jobs::Job<(Workspace, Result<(), Error>)>,
    pub(super) progress: Arc<Mutex<Option<RotationProgress>>>,
    /// Lock was asked for while rotating; it happens when the rotation ends.
    pub(super) lock_requested: bool,
}

impl SightlineApp {
    /// Runs a user change through the gate, then shows the result and the fresh list.
    pub(super) fn user_change(
        &mut self,
        change: impl FnOnce(&mut Workspace) -> Result<String, Error>,
    ) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let result = change(&mut w.ws);
        let users = w.ws.users();
        let ViewState::Users(state) = &mut w.view else {
            return;
        };
        match result {
            Ok(text) => {
                state.message = Some((true, text));
                state.new_name.clear();
                state.new_password = Zeroizing::new(String::new());
                state.new_role = None;
                state.reset = None;
                state.confirm_revoke = None;
            }
            Err(e) => state.message = Some((false, e.to_string())),
        }
        if let Ok(users) = users {
            state.users = users;
        }
    }

    pub(super) fn start_revoke(&mut self, user: String) {
        // The rotation needs the dataset to itself: every fork must be gone first.
        let running = self.jobs.running();
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        if !running.is_empty() {
            if let ViewState::Users(state) = &mut w.view {
                state.message = Some((
                    false,
                    format!(
                        "Background work is still running on this dataset ({}): wait for it to finish, then revoke.",
                        running.join(", ").to_lowercase()
                    ),
                ));
            }
            return;
        }
        let mut fork = match w.ws.fork() {
            Ok(fork) => fork,
            Err(e) => {
                if let ViewState::Users(state) = &mut w.view {
                    state.message = Some((false, e.to_string()));
                }
                return;
            }
        };
        w.ws.release_for_rotation();
        let progress = Arc::new(Mutex::new(None));
        let shared = Arc::clone(&progress);
        let target = user.clone();
        let job = self.jobs.spawn("The revocation", Scope::Session, move |_| {
            let result = fork.revoke_user(&target, &mut |p| {
                if let Ok(mut slot) = shared.lock() {
                    *slot = Some(p);
                }
            });
            (fork, result)
        });
        w.revoke = Some(RunningRevoke {
            user,
            job,
            progress,
            lock_requested: false,
        });
    }

    pub(super) fn poll_revoke(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(running) = &w.revoke else { return };
        let progress = running.progress.lock().ok().and_then(|p| p.clone());
        match running.job.poll() {
            jobs::Poll::Running => {
                if let ViewState::Users(state) = &mut w.view {
                    state.rotation = progress;
                }
            }
            jobs::Poll::Done((fork, result)) => {
                let Some(done) = w.revoke.take() else { return };
                // The fork holds the new keys and files; the old workspace goes.
                w.ws = fork;
                let users = w.ws.users();
                if let ViewState::Users(state) = &mut w.view {
                    state.rotation = None;
                    state.confirm_revoke = None;
                    state.message = Some(match result {
                        Ok(()) => (
                            true,
                            format!(
                                "Revoked {}. Every key they held has been replaced.",
                                done.user
                            ),
                        ),
                        Err(e) => (false, e.to_string()),
                    });
                    if let Ok(users) = users {
                        state.users = users;
                    }
                }
                if done.lock_requested {
                    self.lock(None);
                }
            }
            jobs::Poll::Lost => {
                // Without its workspace back the window cannot go on safely: lock.
                w.revoke = None;
                self.lock(Some("The revocation stopped unexpectedly; the dataset was locked. Unlock to check the users.".into()));
            }
        }
    }
}
