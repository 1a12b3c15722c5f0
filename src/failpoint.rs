//! Crash points for the crash tests: with `SIGHTLINE_FAILPOINT=<name>` in the environment, the
//! process aborts (like `kill -9`) when it reaches the point of that name. The tests kill key
//! rotations, password changes and recoveries between every two writes this way and prove the
//! dataset still opens with the old or the new keys.

/// Aborts the process if `SIGHTLINE_FAILPOINT` names this point.
pub fn hit(name: &str) {
    if std::env::var_os("SIGHTLINE_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}
