//! Background work as tests and Lock see it: whether any job is running (forks of a locked
//! session included), waiting for them without sleeping, and the idle lock's clock.

use std::time::Duration;

use super::jobs::Wait;
use std::sync::Arc;

use super::{Screen, SightlineApp};

impl SightlineApp {
    /// Whether the first-run demo is still being built.
    pub fn is_preparing(&self) -> bool {
        self.demo_build.is_some()
    }

    /// Whether an unlock is running in the background.
    pub fn is_busy(&self) -> bool {
        self.unlock_job.is_some()
    }

    /// Replaces the idle-lock clock (tests move time on without sleeping).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Whether any background job (the first-run demo, unlock, import, revocation, heatmap, replay, compliance
    /// task, anomaly scan, Verify, PNG export) is running.
    pub fn has_background_work(&self) -> bool {
        self.unlock_job.is_some()
            || self.demo_build.is_some()
            || !self.draining.is_empty()
            || match &self.screen {
                Screen::Workbench(w) => {
                    w.import.is_some()
                        || w.revoke.is_some()
                        || w.heatmap_job.is_some()
                        || w.replay_job.is_some()
                        || w.compliance_job.is_some()
                        || w.anomaly_job.is_some()
                        || w.verify_job.is_some()
                        || w.png_job.is_some()
                }
                Screen::Login(_) => false,
            }
    }

    /// Waits (up to `timeout` each) for every running background job to finish; their results
    /// are taken up by the next frame. GUI tests step frames after this instead of sleeping.
    pub fn wait_for_background(&self, timeout: Duration) {
        if let Some(job) = &self.unlock_job {
            job.wait(timeout);
        }
        if let Some(build) = &self.demo_build {
            build.wait(timeout);
        }
        for job in &self.draining {
            job.wait(timeout);
        }
        let Screen::Workbench(w) = &self.screen else {
            return;
        };
        if let Some(running) = &w.import {
            running.job.wait(timeout);
        }
        if let Some(running) = &w.revoke {
            running.job.wait(timeout);
        }
        for wait in [
            w.heatmap_job.as_ref().map(|j| j as &dyn Wait),
            w.replay_job.as_ref().map(|j| j as &dyn Wait),
            w.compliance_job.as_ref().map(|j| j as &dyn Wait),
            w.anomaly_job.as_ref().map(|j| j as &dyn Wait),
            w.verify_job.as_ref().map(|j| j as &dyn Wait),
            w.png_job.as_ref().map(|j| j as &dyn Wait),
        ]
        .into_iter()
        .flatten()
        {
            wait.wait(timeout);
        }
    }
}

/// A monotonic clock in seconds.
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

pub(super) fn monotonic() -> Clock {
    let start = std::time::Instant::now();
    Arc::new(move || start.elapsed().as_secs_f64())
}
