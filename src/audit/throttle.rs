//! Login back-off kept on this device (outside the dataset, so a failed attempt leaves the
//! dataset's files byte-for-byte unchanged). Failed attempts wait here until the next successful
//! unlock enters them in the access log.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Attempts allowed before the back-off starts.
const FREE_ATTEMPTS: u32 = 3;
/// The longest wait.
const MAX_DELAY: Duration = Duration::from_secs(300);
/// Pending attempts kept at most (the oldest are dropped, and counted).
const MAX_PENDING: usize = 1000;

/// A failed attempt waiting to be entered in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedAttempt {
    /// When it happened.
    pub time_ms: i64,
    /// The user name tried, when it names an existing user. Unknown names are not kept: people
    /// type passwords into the user field.
    pub user: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    consecutive_failures: u32,
    last_failure_ms: i64,
    pending: Vec<FailedAttempt>,
    dropped: u64,
}

/// The back-off record of one dataset on this device.
pub struct Throttle {
    path: PathBuf,
}

/// How long to wait after `failures` consecutive failures: nothing for the first three, then
/// 1 s, 2 s, 4 s, … up to five minutes.
pub fn delay_after(failures: u32) -> Duration {
    if failures < FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_ATTEMPTS).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

impl Throttle {
    /// The record for `dataset_id` under this device's state folder.
    pub fn new(state_dir: &Path, dataset_id: &str) -> Throttle {
        Throttle {
            path: state_dir
                .join("attempts")
                .join(format!("{dataset_id}.json")),
        }
    }

    fn load(&self) -> State {
        // A damaged record starts afresh; it only ever makes logins easier for someone who can
        // already write to this device's state folder.
        fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, state: &State) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(state).map_err(|e| Error::Format(e.to_string()))?;
        fs::write(&tmp, bytes).map_err(Error::io("write", &tmp))?;
        fs::rename(&tmp, &self.path).map_err(Error::io("write", &self.path))
    }

    /// Refuses with [`Error::LockedOut`] while the back-off lasts.
    pub fn check(&self, now_ms: i64) -> Result<()> {
        let state = self.load();
        let wait = delay_after(state.consecutive_failures);
        let until = state
            .last_failure_ms
            .saturating_add(wait.as_millis() as i64);
        if now_ms < until {
            return Err(Error::LockedOut {
                retry_after: Duration::from_millis((until - now_ms) as u64),
            });
        }
        Ok(())
    }

    /// Records a failure; returns the wait before the next attempt.
    pub fn record_failure(&self, now_ms: i64, user: Option<&str>) -> Result<Duration> {
        let mut state = self.load();
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        state.last_failure_ms = now_ms;
        state.pending.push(FailedAttempt {
            time_ms: now_ms,
            user: user.map(str::to_owned),
        });
        if state.pending.len() > MAX_PENDING {
            let excess = state.pending.len() - MAX_PENDING;
            state.pending.drain(..excess);
            state.dropped += excess as u64;
        }
        self.save(&state)?;
        Ok(delay_after(state.consecutive_failures))
    }

    /// Clears the back-off and hands over the pending attempts (and how many were dropped).
    pub fn take_pending(&self) -> Result<(Vec<FailedAttempt>, u64)> {
        let state = self.load();
        if state.consecutive_failures == 0 && state.pending.is_empty() {
            return Ok((Vec::new(), 0));
        }
        self.save(&State::default())?;
        Ok((state.pending, state.dropped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_after_three_failures_and_is_capped() {
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(1));
        assert_eq!(delay_after(6), Duration::from_secs(8));
        assert_eq!(delay_after(40), MAX_DELAY);
    }

    #[test]
    fn lockout_survives_a_new_throttle_and_clears_on_success() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("create", "temp"))?;
        let t = Throttle::new(dir.path(), "abc");
        for i in 0..3 {
            t.check(1000 + i)?;
            t.record_failure(1000 + i, Some("ana"))?;
        }
        let again = Throttle::new(dir.path(), "abc");
        assert!(matches!(again.check(1003), Err(Error::LockedOut { .. })));
        assert!(again.check(1002 + 1000).is_ok());
        let (pending, dropped) = again.take_pending()?;
        assert_eq!((pending.len(), dropped), (3, 0));
        assert!(again.check(1003).is_ok());
        Ok(())
    }
}
