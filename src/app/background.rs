//! Background work as tests and Lock see it: whether any job is running (forks of a locked
//! session included), waiting for them without sleeping, and the idle lock's clock.

use std::time::Duration;

use std::sync::Arc;

use super::SightlineApp;

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

    /// Whether any background job (the first-run demo, unlock, import, revocation, heatmap,
    /// replay, compliance task, anomaly scan, Verify, PNG export, or a job of a locked
    /// session still ending) is running or has a result the next frame takes up.
    pub fn has_background_work(&self) -> bool {
        !self.jobs.is_idle()
    }

    /// How many workspaces still hold the keys of the last session unlocked in this window:
    /// the open one and its forks; 0 after Lock once every job of it has ended.
    pub fn session_key_holders(&self) -> usize {
        self.key_holders.as_ref().map_or(0, |h| h.count())
    }

    /// Waits (up to `timeout` each) for every running background job to finish; their results
    /// are taken up by the next frame. GUI tests step frames after this instead of sleeping.
    pub fn wait_for_background(&self, timeout: Duration) {
        self.jobs.wait_all(timeout);
    }
}

/// A monotonic clock in seconds.
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

pub(super) fn monotonic() -> Clock {
    let start = std::time::Instant::now();
    Arc::new(move || start.elapsed().as_secs_f64())
}
