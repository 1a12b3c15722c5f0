//! The dataset policy as one typed value, read from `core.db` once per unlock and again after
//! every edit, with database errors passed up. Defaults are written here and only here.

use rusqlite::{Connection, OptionalExtension};

use crate::compliance::retention;
use crate::dataset::db::sql_error;
use crate::error::Result;

/// The k floor when the policy has none.
pub const DEFAULT_K: usize = 5;
/// Minutes without activity before the workbench locks, when the policy says nothing.
pub const DEFAULT_IDLE_LOCK_MINUTES: u64 = 10;
/// The opt-in rate (%) below which a jurisdiction is flagged, when the policy says nothing.
pub const DEFAULT_CONSENT_TARGET: u32 = 70;

/// Everything the policy table decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The k floor (1–1000 people).
    pub k_anonymity: usize,
    /// Idle minutes before the workbench locks (1–1440).
    pub idle_lock_minutes: u64,
    /// Opt-in target (%), 0–100.
    pub consent_target_percent: u32,
    /// Regions whose spikes are anomalies.
    pub restricted_regions: Vec<String>,
    /// Retention per data class.
    pub retention: retention::Policy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            k_anonymity: DEFAULT_K,
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            consent_target_percent: DEFAULT_CONSENT_TARGET,
            restricted_regions: Vec::new(),
            retention: retention::Policy::default(),
        }
    }
}

impl Policy {
    /// Reads the policy. A value out of its range reads as the default (the sealed policy
    /// decides whether the table can be trusted at all); a database error is an error.
    pub fn read(core: &Connection) -> Result<Policy> {
        let get = |key: &str| -> Result<Option<String>> {
            core.query_row("SELECT value FROM policy WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error("core.db", e))
        };
        let number = |key: &str| -> Result<Option<u64>> {
            Ok(get(key)?.and_then(|v| v.trim().parse().ok()))
        };
        Ok(Policy {
            k_anonymity: number("k_anonymity")?
                .filter(|k| (1..=1000).contains(k))
                .map_or(DEFAULT_K, |k| k as usize),
            idle_lock_minutes: number("idle_lock_minutes")?
                .filter(|m| (1..=24 * 60).contains(m))
                .unwrap_or(DEFAULT_IDLE_LOCK_MINUTES),
            consent_target_percent: number("consent_target_percent")?
                .filter(|t| *t <= 100)
                .map_or(DEFAULT_CONSENT_TARGET, |t| t as u32),
            restricted_regions: get("restricted_regions")?
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            retention: retention::Policy::load(core)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_out_of_range_read_as_defaults_and_errors_pass_up() -> Result<()> {
        let core = Connection::open_in_memory().map_err(|e| sql_error("core.db", e))?;
        crate::dataset::schema::migrate(&core, crate::dataset::Tier::Core)?;
        let read = Policy::read(&core)?;
        assert_eq!((read.k_anonymity, read.idle_lock_minutes), (5, 10));
        assert_eq!(read.consent_target_percent, DEFAULT_CONSENT_TARGET);
        core.execute_batch(
            "UPDATE policy SET value = '0' WHERE key = 'k_anonymity';
             UPDATE policy SET value = 'x' WHERE key = 'idle_lock_minutes';
             UPDATE policy SET value = 'EU, US ,' WHERE key = 'restricted_regions';",
        )
        .map_err(|e| sql_error("core.db", e))?;
        let read = Policy::read(&core)?;
        assert_eq!((read.k_anonymity, read.idle_lock_minutes), (5, 10));
        assert_eq!(read.restricted_regions, ["EU", "US"]);
        core.execute_batch("DROP TABLE policy")
            .map_err(|e| sql_error("core.db", e))?;
        assert!(
            Policy::read(&core).is_err(),
            "a database error is not a default"
        );
        Ok(())
    }
}
