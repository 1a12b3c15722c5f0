//! The login screen's controller: choosing a dataset, the first-run demo, the new-dataset
//! wizard, unlocking on a background thread, and locking.

use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::dialog::{self, NO_DIALOG, Picked};
use super::jobs::Scope;
use super::{Screen, SightlineApp, Workbench, first_run, recent};
use crate::access::Workspace;
use crate::command::Command;
use crate::dataset::Dataset;
use crate::error::Error;
use crate::ui::login::LoginState;
use crate::ui::workbench::ViewState;

impl SightlineApp {
    /// Asks for a dataset folder.
    pub(super) fn pick_dataset(&mut self) {
        if !matches!(self.screen, Screen::Login(_)) {
            return;
        }
        let picked = dialog::ask(|| {
            rfd::FileDialog::new()
                .set_title("Open a Sightline dataset")
                .pick_folder()
        });
        match picked {
            Picked::Chosen(path) => self.select_dataset(path),
            Picked::Unavailable => {
                if let Screen::Login(state) = &mut self.screen {
                    state.dataset_error =
                        Some(format!("{NO_DIALOG} Type the dataset's folder instead."));
                }
            }
            Picked::Cancelled => {}
        }
    }

    /// Opens or closes the new-dataset wizard.
    pub(super) fn show_wizard(&mut self, open: bool) {
        if let Screen::Login(state) = &mut self.screen {
            state.wizard = open.then(crate::ui::new_dataset::NewDatasetState::default);
        }
    }

    /// The recovery key is stored: select the new dataset and sign in.
    pub(super) fn finish_wizard(&mut self) {
        let Screen::Login(state) = &mut self.screen else {
            return;
        };
        let Some(wizard) = state.wizard.take() else {
            return;
        };
        if !wizard.stored {
            state.wizard = Some(wizard);
            return;
        }
        state.user = wizard.admin.trim().to_owned();
        state.message = Some(format!("Dataset created. Sign in as {}.", state.user));
        state.focused = false;
        self.select_dataset(PathBuf::from(wizard.folder.trim()));
    }

    pub(super) fn create_dataset(&mut self) {
        let Screen::Login(state) = &mut self.screen else {
            return;
        };
        let Some(w) = &mut state.wizard else { return };
        if *w.password != *w.repeat {
            w.error = Some("The two passwords differ.".into());
            return;
        }
        match Dataset::create(
            w.folder.trim(),
            &w.name,
            w.admin.trim(),
            &w.password,
            &self.device,
        ) {
            Ok((_, key)) => {
                w.error = None;
                w.password = Zeroizing::new(String::new());
                w.repeat = Zeroizing::new(String::new());
                w.recovery_key = Some(Zeroizing::new(key.to_string()));
            }
            Err(e) => w.error = Some(e.to_string()),
        }
    }

    pub(super) fn finish_demo(&mut self, result: Result<PathBuf, Error>) {
        match result {
            Ok(path) => {
                self.select_dataset(path);
                if let Screen::Login(state) = &mut self.screen {
                    state.preparing = None;
                    state.message = Some(first_run::ready_message());
                }
            }
            Err(e) => {
                if let Screen::Login(state) = &mut self.screen {
                    state.preparing = None;
                    state.message = Some(format!(
                        "The demo dataset could not be built: {e}. Open or create a dataset instead."
                    ));
                }
            }
        }
    }

    pub(super) fn select_dataset(&mut self, path: PathBuf) {
        let Screen::Login(state) = &mut self.screen else {
            return;
        };
        state.dataset_path = path.display().to_string();
        match Dataset::open(&path) {
            Ok(dataset) => {
                state.dataset_path = std::fs::canonicalize(&path)
                    .unwrap_or(path.clone())
                    .display()
                    .to_string();
                state.dataset_name = Some(dataset.name().to_owned());
                state.dataset_error = None;
                recent::remember(self.device.state_dir(), &path);
                self.dataset = Some(dataset);
            }
            Err(e) => {
                state.dataset_name = None;
                state.dataset_error = Some(e.to_string());
                self.dataset = None;
            }
        }
        state.recent = recent::load(self.device.state_dir());
    }

    pub(super) fn start_unlock(&mut self) {
        let (Screen::Login(state), Some(dataset)) = (&mut self.screen, &self.dataset) else {
            return;
        };
        if self.unlock_job.is_some() {
            return;
        }
        let user = state.user.trim().to_owned();
        let password = std::mem::take(&mut state.password);
        let dataset = dataset.clone();
        let device = self.device.clone();
        state.error = None;
        self.unlock_job = Some(self.jobs.spawn("The unlock", Scope::App, move |_| {
            dataset.unlock(&user, &password, &device)
        }));
    }

    pub(super) fn finish_unlock(&mut self, result: Result<Workspace, Error>) {
        match result {
            Ok(ws) => {
                let notices = ws.notices();
                self.key_holders = Some(ws.key_holders());
                self.screen = Screen::Workbench(Box::new(Workbench {
                    idle_lock: Duration::from_secs(60 * ws.idle_lock_minutes()),
                    view: ViewState::Overview(Box::default()),
                    import: None,
                    grid_job: None,
                    revoke: None,
                    heatmap_job: None,
                    replay_job: None,
                    compliance_job: None,
                    anomaly_job: None,
                    verify_job: None,
                    png_job: None,
                    overview_job: None,
                    purpose: None,
                    ws,
                    notices,
                    last_activity: None,
                    now: 0.0,
                    last_frame_time: None,
                }));
                // The first view: what needs attention, read through the gate.
                self.open(crate::command::View::Overview);
            }
            Err(e) => {
                let now = (self.clock)();
                let Screen::Login(state) = &mut self.screen else {
                    return;
                };
                state.retry_at = match &e {
                    Error::LockedOut { retry_after } => Some(now + retry_after.as_secs_f64()),
                    _ => self
                        .dataset
                        .as_ref()
                        .and_then(|d| d.retry_after(&self.device))
                        .map(|d| now + d.as_secs_f64()),
                };
                state.error = Some(match &e {
                    Error::LockedOut { .. } => "Too many failed attempts.".to_owned(),
                    other => other.to_string(),
                });
            }
        }
    }

    pub(super) fn lock(&mut self, message: Option<String>) {
        if let Screen::Workbench(w) = &mut self.screen
            && let Some(running) = &mut w.revoke
        {
            // The keys are being replaced on another thread; lock as soon as that ends.
            running.lock_requested = true;
            return;
        }
        let unsaved = self.flush_annotations();
        let Screen::Workbench(w) =
            std::mem::replace(&mut self.screen, Screen::Login(Box::default()))
        else {
            return;
        };
        // Every job of the session is asked to stop; the registry tracks each until its
        // thread has ended, which is when its fork and keys are gone. Their results are
        // dropped unread with the workbench.
        self.jobs.stop_session();
        let user = w.ws.user().to_owned();
        let error =
            w.ws.lock()
                .err()
                .map(|e| format!("The lock was not logged: {e}"));
        let message = [message, error, unsaved]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let mut state = LoginState {
            user,
            message: (!message.is_empty()).then_some(message),
            ..LoginState::default()
        };
        state.recent = recent::load(self.device.state_dir());
        if let Some(dataset) = &self.dataset {
            state.dataset_path = dataset.dir().display().to_string();
            state.dataset_name = Some(dataset.name().to_owned());
        }
        self.screen = Screen::Login(Box::new(state));
    }

    /// Locks on Ctrl+L, or when the app's clock says the workbench has been idle for the
    /// policy's time. The clock is monotonic and keeps running while the window is hidden or
    /// minimised (egui's input time does not); input counts only on frames actually drawn, so
    /// a hidden window's stale input never keeps it open.
    pub(super) fn idle_lock(&mut self, ctx: &egui::Context) {
        let now = (self.clock)();
        if let Screen::Workbench(w) = &mut self.screen {
            // egui's input time moves only with new frames: the same time again means the
            // window was not drawn (hidden or minimised) and its input is stale.
            let frame_time = ctx.input(|i| i.time);
            let drawn = w.last_frame_time != Some(frame_time);
            w.last_frame_time = Some(frame_time);
            let active = drawn
                && ctx.input(|i| {
                    i.pointer.is_moving()
                        || i.events.iter().any(|e| {
                            !matches!(e, egui::Event::WindowFocused(_) | egui::Event::PointerGone)
                        })
                });
            w.now = now;
            if active || w.last_activity.is_none() {
                w.last_activity = Some(now);
            }
            let idle = now - w.last_activity.unwrap_or(now);
            if ctx.input_mut(|i| {
                i.consume_shortcut(&egui::KeyboardShortcut::new(
                    egui::Modifiers::COMMAND,
                    egui::Key::L,
                ))
            }) {
                self.run(Command::Lock);
            } else if idle >= w.idle_lock.as_secs_f64() {
                let minutes = w.idle_lock.as_secs() / 60;
                self.lock(Some(format!(
                    "Locked after {minutes} minutes without activity."
                )));
            } else {
                ctx.request_repaint_after(Duration::from_secs(1));
            }
        }
    }
}
