//! What this device contributes to security: a state folder (login back-off, recent datasets),
//! the OS keychain (log anchors) and its clock. None holds secrets of a dataset.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::anchor::Keychain;
use crate::clock::{Clock, SystemClock};

/// Environment variable that moves the state folder (portable installs, tests).
pub const STATE_DIR_ENV: &str = "SIGHTLINE_STATE_DIR";
/// Environment variable that, set to `off`, keeps Sightline out of the OS keychain (scripts
/// working on copies of one dataset). The rollback check is then off, and every unlock says so.
pub const KEYCHAIN_ENV: &str = "SIGHTLINE_KEYCHAIN";

/// This device's state folder, keychain and clock.
#[derive(Debug, Clone)]
pub struct Device {
    state_dir: PathBuf,
    keychain: Keychain,
    clock: Arc<dyn Clock>,
}

impl Device {
    /// A device with an explicit state folder and keychain.
    pub fn new(state_dir: impl Into<PathBuf>, keychain: Keychain) -> Device {
        Device {
            state_dir: state_dir.into(),
            keychain,
            clock: Arc::new(SystemClock),
        }
    }

    /// This device reading the time from `clock` (tests move time on without sleeping).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Device {
        self.clock = clock;
        self
    }

    /// Milliseconds since the Unix epoch on this device's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The platform's data folder (or `SIGHTLINE_STATE_DIR`) and the platform keychain.
    pub fn from_env() -> Device {
        let keychain = if std::env::var_os(KEYCHAIN_ENV).is_some_and(|v| v == "off") {
            Keychain::unavailable(&format!("turned off by {KEYCHAIN_ENV}=off"))
        } else {
            Keychain::platform()
        };
        Device::new(default_state_dir(), keychain)
    }

    /// Where back-off records and the recent-datasets list live.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The keychain used for log anchors.
    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }
}

/// The state folder: `SIGHTLINE_STATE_DIR`, or the platform's local data folder.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "Sightline")
        .map(|p| p.data_local_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".sightline-state"))
}
