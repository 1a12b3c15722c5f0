//! Revoking a user: every tier key the user held is replaced. Each affected database is
//! re-encrypted into a new file (`sqlcipher_export`), the remaining slots and the recovery slot
//! get the new keys sealed to their public keys, and the header switches to the new files in
//! one atomic replace. A crash before that replace leaves the old dataset; after it, the new.
//! Leftover files of either are removed at the next unlock.

use std::fs;
use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroizing;

use crate::access::{Action, Role, Workspace};
use crate::clock::now_ms;
use crate::dataset::crypto::random_key;
use crate::dataset::db::{self, sql_error, tier_file};
use crate::dataset::header::sync_dir;
use crate::dataset::{BundleLock, DbInfo, Header, HeaderLock, Tier};
use crate::error::{Error, Result};

/// Progress of a rotation, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationProgress {
    /// What is happening now.
    pub step: String,
    /// Steps done.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
}

impl Workspace {
    /// Revokes `user` and rotates every key they held (compliance lead). Needs the dataset to be
    /// open nowhere else.
    pub fn revoke_user(
        &mut self,
        user: &str,
        progress: &mut dyn FnMut(RotationProgress),
    ) -> Result<()> {
        let object = format!("user {user}");
        self.gate(Action::RevokeUser, &object, "")?;
        let result = if user == self.user {
            Err(Error::Invalid(
                "You cannot revoke yourself; ask another compliance lead.".into(),
            ))
        } else {
            match &self.bundle_lock {
                None => Err(Error::Busy(
                    "This workspace has handed its lock to a rotation.".into(),
                )),
                Some(lock) => lock.exclusive().and_then(|()| {
                    let rotated = self.rotate_out(user, progress);
                    if let Some(lock) = &self.bundle_lock {
                        lock.downgrade();
                    }
                    rotated
                }),
            }
        };
        result.or_else(|e| self.failed(Action::RevokeUser, &object, e))
    }

    fn rotate_out(&mut self, user: &str, progress: &mut dyn FnMut(RotationProgress)) -> Result<()> {
        let _guard = HeaderLock::acquire(&self.dir)?;
        let (mut header, _) = Header::load(&self.dir)?;
        if header.databases != self.header.databases {
            return Err(Error::Busy(
                "The dataset changed on disk. Lock and unlock again.".into(),
            ));
        }
        let target = header
            .slot(user)
            .cloned()
            .ok_or_else(|| Error::Invalid(format!("There is no user '{user}'.")))?;
        let leads = header
            .slots
            .iter()
            .filter(|s| s.role == Role::ComplianceLead)
            .count();
        if target.role == Role::ComplianceLead && leads <= 1 {
            return Err(Error::Invalid(
                "The last compliance lead cannot be revoked.".into(),
            ));
        }
        self.core
            .execute(
                "UPDATE users SET revoked_at_ms = ?1 WHERE name = ?2",
                rusqlite::params![now_ms(), user],
            )
            .map_err(|e| sql_error("core.db", e))?;

        let id = header.dataset_id.clone();
        let rotate = target.tiers.clone();
        let total = rotate.len() + 2;
        let mut new_keys = self.keys.subset(&Tier::ALL).ok_or_else(|| {
            Error::Invalid("Only a compliance lead holding every key can revoke.".into())
        })?;
        let mut new_files = Vec::new();
        for (done, tier) in rotate.iter().enumerate() {
            progress(RotationProgress {
                step: format!("Re-encrypting {}", tier_file(*tier)),
                done,
                total,
            });
            let key = random_key()?;
            let epoch = header.databases.get(tier).map_or(0, |d| d.epoch) + 1;
            let path = self.dir.join(tier.file_name(epoch));
            remove_db_files(&path)?;
            export(self.conn(*tier)?, &path, &key, *tier)?;
            new_keys.set(*tier, key);
            header.databases.insert(*tier, DbInfo { epoch });
            new_files.push((*tier, path));
        }
        header.slots.retain(|s| s.user != user);
        for slot in &mut header.slots {
            if slot.tiers.iter().any(|t| rotate.contains(t)) {
                slot.reseal_keys(&id, &new_keys)?;
            }
        }
        header.recovery.reseal_keys(&id, &new_keys)?;
        progress(RotationProgress {
            step: "Switching to the new keys".into(),
            done: rotate.len(),
            total,
        });
        header.store(&self.dir)?;
        // Twice, so that header.json.prev also names the new files.
        header.store(&self.dir)?;

        for (tier, path) in &new_files {
            let key = new_keys
                .get(*tier)
                .ok_or_else(|| Error::Invalid("missing key".into()))?;
            let conn = db::open(path, *tier, key, false)?;
            let old_path = self.header.db_path(&self.dir, *tier);
            let old = match tier {
                Tier::Core => Some(std::mem::replace(&mut self.core, conn)),
                Tier::Recordings => self.recordings.replace(conn),
            };
            drop(old);
            remove_db_files(&old_path)?;
        }
        self.keys = new_keys;
        self.header = header;
        sync_dir(&self.dir)?;
        progress(RotationProgress {
            step: "Done".into(),
            done: total,
            total,
        });
        Ok(())
    }

    fn conn(&self, tier: Tier) -> Result<&Connection> {
        match tier {
            Tier::Core => Ok(&self.core),
            Tier::Recordings => self.recordings.as_ref().ok_or_else(|| {
                Error::Invalid("This workspace does not hold the recordings key.".into())
            }),
        }
    }
}

/// Copies every table of `conn`'s main database into a new file under `key`.
fn export(conn: &Connection, path: &Path, key: &[u8; 32], tier: Tier) -> Result<()> {
    let file = tier_file(tier);
    let path_text = path
        .to_str()
        .ok_or_else(|| Error::Invalid("The dataset path is not valid UTF-8.".into()))?;
    let key_text = Zeroizing::new(format!("x'{}'", hex::encode(key)));
    conn.execute(
        "ATTACH DATABASE ?1 AS rotated KEY ?2",
        rusqlite::params![path_text, key_text.as_str()],
    )
    .map_err(|e| sql_error(file, e))?;
    let copied = (|| -> rusqlite::Result<()> {
        let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        conn.query_row("SELECT sqlcipher_export('rotated')", [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA rotated.user_version = {version};"))
    })();
    let detached = conn.execute_batch("DETACH DATABASE rotated");
    copied.map_err(|e| sql_error(file, e))?;
    detached.map_err(|e| sql_error(file, e))
}

/// Removes a database file and its WAL and shared-memory files, if present.
fn remove_db_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &name)(e)),
        }
    }
    Ok(())
}

/// Removes database files the header does not name (left by a rotation that crashed), when no
/// other process has the dataset open.
pub(crate) fn remove_orphans(dir: &Path, header: &Header, lock: &BundleLock) {
    if lock.exclusive().is_err() {
        return;
    }
    let current: Vec<String> = Tier::ALL
        .iter()
        .map(|t| t.file_name(header.databases.get(t).map_or(0, |d| d.epoch)))
        .collect();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let base = name
                .trim_end_matches("-wal")
                .trim_end_matches("-shm")
                .trim_end_matches("-journal");
            let is_tier_db = Tier::ALL.iter().any(|t| {
                base.strip_prefix(t.as_str())
                    .and_then(|rest| rest.strip_suffix(".db"))
                    .is_some_and(|mid| {
                        mid.is_empty()
                            || mid
                                .strip_prefix('.')
                                .is_some_and(|n| n.parse::<u32>().is_ok())
                    })
            });
            if is_tier_db && !current.iter().any(|c| c == base) {
                // Best effort: a file we cannot remove now is tried again next time.
                let _removed = fs::remove_file(entry.path());
            }
        }
    }
    lock.downgrade();
}
