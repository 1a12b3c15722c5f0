//! The eframe application: owns the state, runs commands from the views and background jobs.
//! `logic` drains job results and commands once per frame; `ui` only draws.

mod compliance;
mod first_run;
mod heatmaps;
mod jobs;
mod recent;
mod replay;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::command::{Command, View};

use crate::access::{LogFormat, LogQuery, Notice, Workspace};
use crate::dataset::Dataset;
use crate::dataset::RotationProgress;
use crate::device::Device;
use crate::error::Error;
use crate::ingest::{ImportOptions, ImportProgress, ImportReport, Purposes};
use crate::ui::access_log::AccessLogState;
use crate::ui::heatmaps::state::{HeatmapResult, HeatmapViewState};
use crate::ui::import::ImportViewState;
use crate::ui::login::{LoginState, login_ui};
use crate::ui::replay::SessionsViewState;
use crate::ui::users::UsersState;
use crate::ui::workbench::{FrameInfo, ViewState, workbench_ui};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Said when the system has no file dialog (no desktop portal, as on a bare X server).
const NO_DIALOG: &str = "No file dialog is available here (no desktop portal).";

/// Files as given, and for folders the `.json`, `.jsonl` and `.csv` files directly inside.
fn importable_files(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let importable = |p: &std::path::Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "json" | "jsonl" | "csv"))
    };
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(&path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && importable(p))
                .collect();
            inside.sort();
            out.extend(inside);
        } else {
            out.push(path);
        }
    }
    out
}

/// An error in words for the screen; a denial also says that it was logged (the gate logs
/// every denial).
pub(crate) fn explain(e: &Error) -> String {
    match e {
        Error::Denied { .. } => format!("{e} The attempt was logged."),
        _ => e.to_string(),
    }
}

/// A dialog nobody could have answered that fast was never shown.
fn never_shown(asked: Instant) -> bool {
    asked.elapsed() < Duration::from_millis(300)
}

/// The top-level screen. A workbench exists only with a workspace, so no view can reach data
/// without having unlocked.
enum Screen {
    Login(Box<LoginState>),
    Workbench(Box<Workbench>),
}

struct Workbench {
    ws: Workspace,
    notices: Vec<Notice>,
    /// The window's clock (egui's input time, in seconds) at the last input; `None` until the
    /// first frame after unlocking. Tests drive this clock instead of sleeping.
    last_activity: Option<f64>,
    /// The window's clock at the current frame.
    now: f64,
    /// The dataset policy's idle time before the workbench locks itself.
    idle_lock: Duration,
    view: ViewState,
    import: Option<RunningImport>,
    revoke: Option<RunningRevoke>,
    heatmap_job: Option<jobs::Job<Result<HeatmapResult, Error>>>,
    replay_job: Option<jobs::Job<Result<replay::OpenedReplay, Error>>>,
    /// A purge or erasure scrubbing the files on a fork.
    compliance_job: Option<jobs::Job<Result<String, Error>>>,
    /// The anomaly scan of the compliance view.
    anomaly_job: Option<jobs::Job<Result<Vec<crate::compliance::anomaly::Anomaly>, Error>>>,
    /// The purpose given for replays in this sitting (forgotten at lock).
    purpose: Option<String>,
}

/// A revocation on its own thread. The key rotation needs the bundle to itself, so the window's
/// workspace hands its lock to a fork, which rotates and then replaces it.
struct RunningRevoke {
    user: String,
    job: jobs::Job<(Workspace, Result<(), Error>)>,
    progress: Arc<Mutex<Option<RotationProgress>>>,
    /// Lock was asked for while rotating; it happens when the rotation ends.
    lock_requested: bool,
}

/// An import on its own thread, with a forked workspace.
struct RunningImport {
    job: jobs::Job<Result<ImportReport, Error>>,
    progress: Arc<Mutex<Option<ImportProgress>>>,
    cancel: Arc<AtomicBool>,
}

/// The Sightline application.
pub struct SightlineApp {
    device: Device,
    screen: Screen,
    dataset: Option<Dataset>,
    unlock_job: Option<jobs::Job<Result<Workspace, Error>>>,
    demo_build: Option<first_run::DemoBuild>,
}

impl SightlineApp {
    /// A new app on the login screen, with `dataset` (or the most recent one) selected. With
    /// no dataset known, the demo dataset is opened, or built first.
    pub fn new(device: Device, dataset: Option<PathBuf>) -> SightlineApp {
        SightlineApp::with_demo_sessions(device, dataset, crate::sample::demo::DEFAULT_SESSIONS)
    }

    /// [`SightlineApp::new`] with the number of sessions a first-run demo gets.
    pub fn with_demo_sessions(
        device: Device,
        dataset: Option<PathBuf>,
        demo_sessions: usize,
    ) -> SightlineApp {
        let mut app = SightlineApp {
            screen: Screen::Login(Box::default()),
            dataset: None,
            unlock_job: None,
            demo_build: None,
            device,
        };
        let known = dataset.or_else(|| recent::load(app.device.state_dir()).into_iter().next());
        let demo = first_run::demo_path(&app.device);
        match known {
            Some(path) => app.run(Command::SelectDataset(path)),
            None if demo.join("header.json").is_file() => app.run(Command::SelectDataset(demo)),
            None => {
                app.demo_build = Some(first_run::DemoBuild::start(
                    app.device.clone(),
                    demo,
                    demo_sessions,
                ))
            }
        }
        app
    }

    /// Whether the first-run demo is still being built.
    pub fn is_preparing(&self) -> bool {
        self.demo_build.is_some()
    }

    /// The signed-in workspace, if unlocked (tests look at it).
    pub fn workspace(&self) -> Option<&Workspace> {
        match &self.screen {
            Screen::Workbench(w) => Some(&w.ws),
            Screen::Login(_) => None,
        }
    }

    /// The heatmap view, when it is open (tests look at it).
    pub fn heatmap_view(&self) -> Option<&HeatmapViewState> {
        match &self.screen {
            Screen::Workbench(w) => match &w.view {
                ViewState::Heatmaps(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    /// The sessions view, when it is open (tests look at it).
    pub fn sessions_view(&self) -> Option<&SessionsViewState> {
        match &self.screen {
            Screen::Workbench(w) => match &w.view {
                ViewState::Sessions(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    /// Whether an unlock is running in the background.
    pub fn is_busy(&self) -> bool {
        self.unlock_job.is_some()
    }

    /// Once per frame, before drawing: finishes jobs, applies shortcuts and the idle lock.
    pub fn logic(&mut self, ctx: &egui::Context) {
        if let Some(build) = &self.demo_build {
            match build.finished() {
                None => {
                    let progress = build.progress();
                    if let Screen::Login(state) = &mut self.screen {
                        state.preparing = Some(progress);
                    }
                    ctx.request_repaint_after(Duration::from_millis(100));
                }
                Some(result) => {
                    self.demo_build = None;
                    self.finish_demo(result);
                }
            }
        }
        if let Some(result) = self
            .unlock_job
            .as_ref()
            .and_then(|job| job.finished("The unlock"))
        {
            self.unlock_job = None;
            self.finish_unlock(result);
        }
        self.poll_import();
        self.poll_revoke();
        self.poll_heatmap(ctx);
        self.poll_replay(ctx);
        self.poll_compliance(ctx);
        self.poll_anomalies(ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() {
            self.run(Command::AddImportFiles(dropped));
        }
        if let Screen::Workbench(w) = &self.screen
            && (w.import.is_some() || w.revoke.is_some())
        {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        if let Screen::Workbench(w) = &mut self.screen {
            let (now, active) =
                ctx.input(|i| (i.time, !i.events.is_empty() || i.pointer.is_moving()));
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

    /// Draws the current screen and runs what it asks for, every command in the order asked.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut commands = Vec::new();
        match &mut self.screen {
            Screen::Login(state) => {
                state.busy = self.unlock_job.is_some();
                login_ui(ui, state, &mut commands);
            }
            Screen::Workbench(w) => {
                let idle = w.now - w.last_activity.unwrap_or(w.now);
                let idle_lock_in_s = (w.idle_lock.as_secs_f64() - idle).max(0.0) as u64;
                workbench_ui(
                    ui,
                    &FrameInfo {
                        dataset: w.ws.dataset_name(),
                        user: w.ws.user(),
                        role: w.ws.role(),
                        idle_lock_in_s,
                        notices: &w.notices,
                        rollback_off: w.ws.rollback_off(),
                    },
                    &mut w.view,
                    &mut commands,
                );
            }
        }
        for command in commands {
            self.run(command);
        }
    }

    /// Runs one command. While keys are being rotated, only Lock is taken (and deferred).
    pub fn run(&mut self, command: Command) {
        if let Screen::Workbench(w) = &self.screen
            && w.revoke.is_some()
            && command != Command::Lock
        {
            return;
        }
        match command {
            Command::SelectDataset(path) => self.select_dataset(path),
            Command::PickDataset => {
                let asked = Instant::now();
                match rfd::FileDialog::new()
                    .set_title("Open a Sightline dataset")
                    .pick_folder()
                {
                    Some(path) => self.select_dataset(path),
                    None if never_shown(asked) => {
                        if let Screen::Login(state) = &mut self.screen {
                            state.dataset_error =
                                Some(format!("{NO_DIALOG} Type the dataset's folder instead."));
                        }
                    }
                    None => {}
                }
            }
            Command::Unlock => self.start_unlock(),
            Command::Lock => self.lock(None),
            Command::Open(page) => self.open(page),
            Command::VerifyLog => self.verify_log(),
            Command::ExportLog(format) => {
                let (name, ext) = match format {
                    LogFormat::Csv => ("access-log.csv", "csv"),
                    LogFormat::Jsonl => ("access-log.jsonl", "jsonl"),
                };
                let asked = Instant::now();
                match rfd::FileDialog::new()
                    .set_file_name(name)
                    .add_filter(ext, &[ext])
                    .save_file()
                {
                    Some(path) => self.run(Command::ExportLogTo(format, path)),
                    None if never_shown(asked) => {
                        if let Screen::Workbench(w) = &mut self.screen
                            && let ViewState::AccessLog(state) = &mut w.view
                        {
                            state.export =
                                Some(format!("{NO_DIALOG} Use `sightline log export` instead."));
                        }
                    }
                    None => {}
                }
            }
            Command::ExportLogTo(format, path) => self.export_log(format, &path),
            Command::AddUser(name, role, password) => self.user_change(|ws| {
                ws.add_user(&name, role, &password.0)
                    .map(|()| format!("Added {name} as {}.", role.label().to_lowercase()))
            }),
            Command::ResetPassword(name, password) => self.user_change(|ws| {
                ws.set_password(&name, &password.0)
                    .map(|()| format!("New password set for {name}."))
            }),
            Command::PickImportFiles => {
                let asked = Instant::now();
                let picked = rfd::FileDialog::new()
                    .set_title("Recordings and tables to import")
                    .add_filter("recordings and tables", &["json", "jsonl", "csv"])
                    .pick_files();
                match picked {
                    Some(files) => self.run(Command::AddImportFiles(files)),
                    None if never_shown(asked) => {
                        if let Some(state) = self.import_state() {
                            state.error = Some(format!(
                                "{NO_DIALOG} Drop the files on the window instead, or use `sightline import`."
                            ));
                        }
                    }
                    None => {}
                }
            }
            Command::PickImportFolder => {
                let asked = Instant::now();
                match rfd::FileDialog::new()
                    .set_title("A folder of recordings and tables")
                    .pick_folder()
                {
                    Some(folder) => self.run(Command::AddImportFiles(vec![folder])),
                    None if never_shown(asked) => {
                        if let Some(state) = self.import_state() {
                            state.error = Some(format!(
                                "{NO_DIALOG} Drop the files on the window instead, or use `sightline import`."
                            ));
                        }
                    }
                    None => {}
                }
            }
            Command::AddImportFiles(paths) => {
                let files = importable_files(paths);
                if let Some(state) = self.import_state() {
                    for f in files {
                        if !state.files.contains(&f) {
                            state.files.push(f);
                        }
                    }
                }
            }
            Command::PickManifest => {
                let picked = rfd::FileDialog::new()
                    .add_filter("manifest", &["csv", "json"])
                    .pick_file();
                if let (Some(path), Some(state)) = (picked, self.import_state()) {
                    state.manifest = Some(path);
                }
            }
            Command::StartImport => self.start_import(),
            Command::NewDataset => {
                if let Screen::Login(state) = &mut self.screen {
                    state.wizard = Some(crate::ui::new_dataset::NewDatasetState::default());
                }
            }
            Command::CancelNewDataset => {
                if let Screen::Login(state) = &mut self.screen {
                    state.wizard = None;
                }
            }
            Command::CreateDataset => self.create_dataset(),
            Command::FinishNewDataset => {
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
            Command::CancelImport => {
                if let Screen::Workbench(w) = &self.screen
                    && let Some(running) = &w.import
                {
                    running.cancel.store(true, Ordering::Relaxed);
                }
            }
            Command::RevokeUser(name) => self.start_revoke(name),
            Command::ComputeHeatmap => self.compute_heatmap(),
            Command::SaveAnnotations => self.save_annotations(),
            Command::ExportHeatmap => self.pick_heatmap_export(),
            Command::ExportHeatmapTo(path) => self.export_heatmap(&path),
            Command::AskReplay(id) => self.ask_replay(id),
            Command::ConfirmReplay => self.confirm_replay(),
            Command::CancelReplay => {
                if let Some(state) = self.sessions_state() {
                    state.prompt = None;
                }
            }
            Command::SavePolicy(policy) => self.save_policy(policy),
            Command::RunPurge => self.run_purge(),
            Command::EraseSubject(id) => self.erase_subject(&id),
            Command::SaveComplianceSettings(target, regions) => {
                self.save_compliance_settings(target, &regions)
            }
            Command::AcknowledgeAnomaly(key) => self.acknowledge_anomaly(&key),
            Command::ExportReport => self.pick_report(),
            Command::ExportReportTo(path) => self.export_report(&path),
            Command::CloseReplay => {
                if let Some(state) = self.sessions_state() {
                    state.player = None;
                }
            }
        }
    }

    fn open(&mut self, view: View) {
        self.flush_annotations();
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let opened = match view {
            View::Overview => Ok(ViewState::Overview),
            View::Compliance => {
                compliance::open_view(&w.ws).map(|s| ViewState::Compliance(Box::new(s)))
            }
            View::Sessions => replay::open_view(&w.ws).map(|s| ViewState::Sessions(Box::new(s))),
            // The page list is the gate for the view (every role may, and it is logged).
            View::Heatmaps => heatmaps::open_view(&w.ws).map(|s| ViewState::Heatmaps(Box::new(s))),
            // Read once through the gate (one log entry); filters then work in memory.
            View::AccessLog => {
                w.ws.access_log(&LogQuery::default())
                    .map(|entries| ViewState::AccessLog(Box::new(AccessLogState::new(entries))))
            }
            // Reading the masking rules is the gate for the view: data engineers only, logged.
            View::Import => {
                w.ws.masking_rules()
                    .map(|_| ViewState::Import(Box::default()))
            }
            View::Users => w.ws.users().map(|users| {
                ViewState::Users(Box::new(UsersState {
                    users,
                    fingerprint: w.ws.authority_fingerprint(),
                    ..UsersState::default()
                }))
            }),
        };
        w.view = opened.unwrap_or_else(|e| ViewState::Refused(view, explain(&e)));
        // The anomaly scan reads every stored text: it runs behind the opened view.
        if view == View::Compliance {
            self.refresh_anomalies();
        }
    }

    fn import_state(&mut self) -> Option<&mut ImportViewState> {
        match &mut self.screen {
            Screen::Workbench(w) => match &mut w.view {
                ViewState::Import(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    fn create_dataset(&mut self) {
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

    fn start_import(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let ViewState::Import(state) = &mut w.view else {
            return;
        };
        if w.import.is_some() {
            return;
        }
        let manifest = match state
            .manifest
            .as_deref()
            .map(crate::ingest::manifest::Manifest::load)
            .transpose()
        {
            Ok(m) => m,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        };
        let options = ImportOptions {
            manifest,
            assume_consent: state.assume.then(|| {
                (
                    Purposes {
                        heatmaps: state.heatmaps,
                        recordings: state.recordings,
                    },
                    state.reason.trim().to_owned(),
                )
            }),
        };
        let mut ws = match w.ws.fork() {
            Ok(ws) => ws,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        };
        let files = state.files.clone();
        let progress = Arc::new(Mutex::new(Some(ImportProgress {
            files_done: 0,
            files_total: files.len(),
            sessions_stored: 0,
        })));
        let cancel = Arc::new(AtomicBool::new(false));
        let (shared, stop) = (Arc::clone(&progress), Arc::clone(&cancel));
        state.error = None;
        state.report = None;
        w.import = Some(RunningImport {
            job: jobs::Job::spawn(move || {
                let report = ws.import(
                    &files,
                    &options,
                    &mut |p| {
                        if let Ok(mut slot) = shared.lock() {
                            *slot = Some(p);
                        }
                    },
                    &stop,
                );
                // Its own lock entry: the forked workspace's work ends here.
                drop(ws);
                report
            }),
            progress,
            cancel,
        });
    }

    fn start_revoke(&mut self, user: String) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        if w.revoke.is_some() || w.import.is_some() {
            if let ViewState::Users(state) = &mut w.view {
                state.message = Some((
                    false,
                    "Wait for the running import or revocation to finish.".into(),
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
        let job = jobs::Job::spawn(move || {
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

    fn poll_revoke(&mut self) {
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

    fn poll_import(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(running) = &w.import else { return };
        let finished = running.job.finished("The import");
        let progress = running.progress.lock().ok().and_then(|p| p.clone());
        if finished.is_some() {
            w.import = None;
        }
        let ViewState::Import(state) = &mut w.view else {
            return;
        };
        match finished {
            None => state.progress = progress,
            Some(Ok(report)) => {
                state.progress = None;
                state.report = Some(report);
                state.files.clear();
            }
            Some(Err(e)) => {
                state.progress = None;
                state.error = Some(e.to_string());
            }
        }
    }

    /// Runs a user change through the gate, then shows the result and the fresh list.
    fn user_change(&mut self, change: impl FnOnce(&mut Workspace) -> Result<String, Error>) {
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

    fn verify_log(&mut self) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let result = w.ws.verify();
        let ViewState::AccessLog(state) = &mut w.view else {
            return;
        };
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

    fn export_log(&mut self, format: LogFormat, path: &std::path::Path) {
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

    fn finish_demo(&mut self, result: Result<PathBuf, Error>) {
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

    fn select_dataset(&mut self, path: PathBuf) {
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

    fn start_unlock(&mut self) {
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
        self.unlock_job = Some(jobs::Job::spawn(move || {
            dataset.unlock(&user, &password, &device)
        }));
    }

    fn finish_unlock(&mut self, result: Result<Workspace, Error>) {
        match result {
            Ok(ws) => {
                let notices = ws.notices();
                self.screen = Screen::Workbench(Box::new(Workbench {
                    idle_lock: Duration::from_secs(60 * ws.idle_lock_minutes()),
                    view: ViewState::Overview,
                    import: None,
                    revoke: None,
                    heatmap_job: None,
                    replay_job: None,
                    compliance_job: None,
                    anomaly_job: None,
                    purpose: None,
                    ws,
                    notices,
                    last_activity: None,
                    now: 0.0,
                }));
            }
            Err(e) => {
                let Screen::Login(state) = &mut self.screen else {
                    return;
                };
                state.retry_at = match &e {
                    Error::LockedOut { retry_after } => Some(Instant::now() + *retry_after),
                    _ => self
                        .dataset
                        .as_ref()
                        .and_then(|d| d.retry_after(&self.device))
                        .map(|d| Instant::now() + d),
                };
                state.error = Some(match &e {
                    Error::LockedOut { .. } => "Too many failed attempts.".to_owned(),
                    other => other.to_string(),
                });
            }
        }
    }

    fn lock(&mut self, message: Option<String>) {
        if let Screen::Workbench(w) = &mut self.screen
            && let Some(running) = &mut w.revoke
        {
            // The keys are being replaced on another thread; lock as soon as that ends.
            running.lock_requested = true;
            return;
        }
        self.flush_annotations();
        let Screen::Workbench(w) =
            std::mem::replace(&mut self.screen, Screen::Login(Box::default()))
        else {
            return;
        };
        if let Some(running) = &w.import {
            // The import thread stops after its current session and drops its keys.
            running.cancel.store(true, Ordering::Relaxed);
        }
        let user = w.ws.user().to_owned();
        let error =
            w.ws.lock()
                .err()
                .map(|e| format!("The lock was not logged: {e}"));
        let mut state = LoginState {
            user,
            message: message.or(error),
            ..LoginState::default()
        };
        state.recent = recent::load(self.device.state_dir());
        if let Some(dataset) = &self.dataset {
            state.dataset_path = dataset.dir().display().to_string();
            state.dataset_name = Some(dataset.name().to_owned());
        }
        self.screen = Screen::Login(Box::new(state));
    }
}

impl eframe::App for SightlineApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        SightlineApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        SightlineApp::ui(self, ui);
    }
}
