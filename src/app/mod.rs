//! The eframe application: owns the state, runs commands from the views and background jobs.
//! `logic` drains job results and commands once per frame; `ui` only draws.

mod access_log;
mod background;

use background::{Clock, monotonic};
use views::explain;
mod compliance;
mod dialog;
mod first_run;
mod grid;
mod heatmaps;
mod import;
mod jobs;
mod login;
mod overview;
mod recent;
mod replay;
mod users;
mod views;

use import::RunningImport;
use users::RunningRevoke;

use std::path::PathBuf;
use std::time::Duration;

use crate::command::Command;

use crate::access::{Notice, Workspace};
use crate::dataset::Dataset;
use crate::device::Device;
use crate::error::Error;
use crate::ui::heatmaps::state::HeatmapResult;
use crate::ui::login::{LoginState, login_ui};
use crate::ui::workbench::{FrameInfo, ViewState, workbench_ui};

/// The top-level screen. A workbench exists only with a workspace, so no view can reach data
/// without having unlocked.
enum Screen {
    Login(Box<LoginState>),
    Workbench(Box<Workbench>),
}

struct Workbench {
    ws: Workspace,
    notices: Vec<Notice>,
    /// The app's clock (seconds) at the last input; `None` until the first frame after
    /// unlocking.
    last_activity: Option<f64>,
    /// The app's clock at the current frame.
    now: f64,
    /// egui's input time at the last `logic`, to tell frames drawn from calls while hidden.
    last_frame_time: Option<f64>,
    /// The dataset policy's idle time before the workbench locks itself.
    idle_lock: Duration,
    view: ViewState,
    import: Option<RunningImport>,
    /// A warehouse grid being read, checked and stored on a fork.
    grid_job: Option<grid::RunningGrid>,
    revoke: Option<RunningRevoke>,
    heatmap_job: Option<jobs::Job<Result<HeatmapResult, Error>>>,
    replay_job: Option<jobs::Job<Result<replay::OpenedReplay, Error>>>,
    /// A purge or erasure scrubbing the files on a fork.
    compliance_job: Option<jobs::Job<Result<String, Error>>>,
    /// The anomaly scan of the compliance view.
    anomaly_job: Option<jobs::Job<Result<Vec<crate::compliance::anomaly::Anomaly>, Error>>>,
    /// The annotated PNG being rendered and written.
    png_job: Option<jobs::Job<Result<(std::path::PathBuf, usize), Error>>>,
    /// The Overview's figures being read.
    overview_job: Option<jobs::Job<Result<overview::Figures, Error>>>,
    /// Verify of the access log and every database page (seconds on a large log).
    verify_job: Option<jobs::Job<Result<crate::access::VerifyReport, Error>>>,
    /// The purpose given for replays in this sitting (forgotten at lock).
    purpose: Option<String>,
}

/// The Sightline application.
pub struct SightlineApp {
    device: Device,
    screen: Screen,
    dataset: Option<Dataset>,
    unlock_job: Option<jobs::Job<Result<Workspace, Error>>>,
    demo_build: Option<first_run::DemoBuild>,
    /// Every running job, the session's forks included until their threads have ended (after
    /// Lock too, when their results are dropped unread).
    jobs: jobs::Jobs,
    /// Who holds the keys of the last session unlocked here (after Lock: forks still ending).
    key_holders: Option<crate::access::KeyHolders>,
    /// Monotonic seconds for the idle lock; tests put in their own.
    clock: Clock,
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
            jobs: jobs::Jobs::default(),
            key_holders: None,
            clock: monotonic(),
            device,
        };
        let known = dataset.or_else(|| recent::load(app.device.state_dir()).into_iter().next());
        let demo = first_run::demo_path(&app.device);
        match known {
            Some(path) => app.run(Command::SelectDataset(path)),
            None if demo.join("header.json").is_file() => app.run(Command::SelectDataset(demo)),
            None => {
                app.demo_build = Some(first_run::DemoBuild::start(
                    &mut app.jobs,
                    app.device.clone(),
                    demo,
                    demo_sessions,
                ))
            }
        }
        app
    }

    /// The signed-in workspace, if unlocked (tests look at it).
    pub fn workspace(&self) -> Option<&Workspace> {
        match &self.screen {
            Screen::Workbench(w) => Some(&w.ws),
            Screen::Login(_) => None,
        }
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
        self.jobs.prune();
        if self.jobs.any_running() {
            ctx.request_repaint_after(Duration::from_millis(50));
        }
        self.poll_import();
        self.poll_grid_import();
        self.poll_revoke();
        self.poll_heatmap(ctx);
        self.poll_replay(ctx);
        self.poll_compliance(ctx);
        self.poll_anomalies(ctx);
        self.poll_verify(ctx);
        self.poll_png(ctx);
        self.poll_overview(ctx);
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
            && (w.import.is_some() || w.revoke.is_some() || w.grid_job.is_some())
        {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        self.idle_lock(ctx);
    }

    /// Draws the current screen and runs what it asks for, every command in the order asked.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut commands = Vec::new();
        match &mut self.screen {
            Screen::Login(state) => {
                state.busy = self.unlock_job.is_some();
                state.now = (self.clock)();
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
            Command::PickDataset => self.pick_dataset(),
            Command::Unlock => self.start_unlock(),
            Command::Lock => self.lock(None),
            Command::Open(view) => self.open(view),
            Command::VerifyLog => self.verify_log(),
            Command::ExportLog(format) => self.pick_log_export(format),
            Command::ExportLogTo(format, path) => self.export_log(format, &path),
            Command::AddUser(name, role, password) => self.user_change(|ws| {
                ws.add_user(&name, role, &password.0)
                    .map(|()| format!("Added {name} as {}.", role.label().to_lowercase()))
            }),
            Command::ResetPassword(name, password) => self.user_change(|ws| {
                ws.set_password(&name, &password.0)
                    .map(|()| format!("New password set for {name}."))
            }),
            Command::PickImportFiles => self.pick_import_files(),
            Command::PickImportFolder => self.pick_import_folder(),
            Command::AddImportFiles(paths) => self.add_import_files(paths),
            Command::PickManifest => self.pick_manifest(),
            Command::StartImport => self.start_import(),
            Command::NewDataset => self.show_wizard(true),
            Command::CancelNewDataset => self.show_wizard(false),
            Command::CreateDataset => self.create_dataset(),
            Command::FinishNewDataset => self.finish_wizard(),
            Command::CancelImport => self.cancel_import(),
            Command::PickGridFile => self.pick_grid_file(),
            Command::AskRemoveGridLayer(id) => {
                if let Some(state) = self.import_state() {
                    state.confirm_remove = Some(id);
                }
            }
            Command::RemoveGridLayer(id) => self.remove_grid_layer(id),
            Command::RevokeUser(name) => self.start_revoke(name),
            Command::ComputeHeatmap => self.compute_heatmap(),
            Command::SaveAnnotations => self.save_annotations(),
            Command::ExportHeatmap => self.pick_heatmap_export(),
            Command::ExportHeatmapTo(path) => self.export_heatmap(&path),
            Command::AskReplay(id) => self.ask_replay(id),
            Command::ConfirmReplay => self.confirm_replay(),
            Command::CancelReplay => self.close_replay(false),
            Command::SavePolicy(policy) => self.save_policy(policy),
            Command::RunPurge => self.run_purge(),
            Command::EraseSubject(id) => self.erase_subject(&id),
            Command::SaveComplianceSettings(target, regions) => {
                self.save_compliance_settings(target, &regions)
            }
            Command::AcknowledgeAnomaly(key) => self.acknowledge_anomaly(&key),
            Command::ExportReport => self.pick_report(),
            Command::ExportReportTo(path) => self.export_report(&path),
            Command::CloseReplay => self.close_replay(true),
            Command::RefreshOverview => self.refresh_overview(),
            Command::OpenHeatmapAt(page, viewport) => self.open_heatmap_at(page, viewport),
            Command::OpenFrustratedSessions(page) => self.open_frustrated_sessions(page),
        }
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
