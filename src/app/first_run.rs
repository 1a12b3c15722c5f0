//! First run: with no dataset known, the demo dataset is built in the background (through the
//! real import) while the login screen shows its progress.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::app::jobs::{Job, Jobs, Scope};
use crate::device::Device;
use crate::error::Error;
use crate::sample::demo;

/// A demo build in progress.
pub struct DemoBuild {
    job: Job<Result<PathBuf, Error>>,
    progress: Arc<Mutex<(String, f32)>>,
}

impl DemoBuild {
    /// Starts building `sessions` generated sessions into `path`.
    pub fn start(jobs: &mut Jobs, device: Device, path: PathBuf, sessions: usize) -> DemoBuild {
        let progress = Arc::new(Mutex::new(("Starting".to_owned(), 0.0)));
        let shared = Arc::clone(&progress);
        let job = jobs.spawn("Building the demo", Scope::App, move |_| {
            demo::build(&path, sessions, &device, &mut |step, fraction| {
                if let Ok(mut p) = shared.lock() {
                    *p = (step.to_owned(), fraction);
                }
            })
            .map(|summary| summary.path)
        });
        DemoBuild { job, progress }
    }

    /// The current step and fraction done.
    pub fn progress(&self) -> (String, f32) {
        self.progress
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|_| ("Working".to_owned(), 0.0))
    }

    /// The finished build, if it has finished.
    pub fn finished(&self) -> Option<Result<PathBuf, Error>> {
        self.job.finished("Building the demo")
    }
}

/// Where the GUI keeps the demo dataset on this device.
pub fn demo_path(device: &Device) -> PathBuf {
    device.state_dir().join("demo.sightline")
}

/// The message shown once the demo is ready.
pub fn ready_message() -> String {
    format!(
        "Demo dataset ready. Sign in as compliance-lead, analyst, data-engineer or ux-liaison with the password {}.",
        demo::DEMO_PASSWORD
    )
}
