//! The encrypted dataset bundle: a folder with a plaintext `header.json` (key slots, metadata)
//! and one SQLCipher database per key tier. See ARCHITECTURE.md for the format.
//!
//! [`Dataset`] is what can be known without a password; [`Dataset::unlock`] is the only way to
//! a [`Workspace`](crate::access::Workspace), and through it to any data.

pub mod crypto;
pub mod db;
mod header;
mod keys;
mod keyslot;
mod lock;
mod recovery;
mod rotate;
pub mod schema;
mod tier;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::access::log::{self, NewEntry};
use crate::access::throttle::Throttle;
use crate::access::{Action, Outcome, Role, Workspace, check_new_password, check_user_name};
use crate::clock::{now_ms, rfc3339};
use crate::device::Device;
use crate::error::{Error, Result};

pub use header::{DbInfo, FORMAT_VERSION, Header};
pub use keys::TierKeys;
pub use keyslot::{KeySlot, SlotError};
pub(crate) use lock::BundleLock;
pub use lock::HeaderLock;
pub use recovery::{RecoveryKey, RecoverySlot};
pub use rotate::RotationProgress;
pub(crate) use rotate::remove_orphans;
pub use tier::Tier;

/// A dataset whose header has been read; nothing is decrypted yet.
#[derive(Debug, Clone)]
pub struct Dataset {
    dir: PathBuf,
    header: Header,
    header_notice: Option<String>,
}

/// What `sightline info` shows: no password needed, nothing sensitive.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetInfo {
    /// Display name.
    pub name: String,
    /// Dataset id.
    pub id: String,
    /// Bundle format version.
    pub format_version: u32,
    /// Creation time.
    pub created_at: String,
    /// Users and their roles.
    pub users: Vec<(String, Role)>,
}

impl Dataset {
    /// Reads the header of the bundle at `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Dataset> {
        let dir = dir.as_ref().to_path_buf();
        let (header, header_notice) = Header::load(&dir)?;
        Ok(Dataset {
            dir,
            header,
            header_notice,
        })
    }

    /// Creates a new bundle at `dir` (which must not exist or be empty) with `admin` as its first
    /// compliance lead. Returns the dataset and the recovery key, which is shown once and never
    /// stored.
    pub fn create(
        dir: impl AsRef<Path>,
        name: &str,
        admin: &str,
        password: &str,
        device: &Device,
    ) -> Result<(Dataset, RecoveryKey)> {
        let dir = dir.as_ref().to_path_buf();
        check_user_name(admin)?;
        check_new_password(admin, password)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::Invalid(
                "Give the dataset a name of 1 to 200 characters.".into(),
            ));
        }
        if dir.exists() {
            let empty = fs::read_dir(&dir)
                .map_err(Error::io("read", &dir))?
                .next()
                .is_none();
            if !empty {
                return Err(Error::Invalid(format!(
                    "{} already exists and is not empty: choose a new folder.",
                    dir.display()
                )));
            }
        }
        fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
        let dataset_id = hex::encode(crypto::random_array::<16>()?);
        let keys = TierKeys::generate()?;
        let now = now_ms();
        for tier in Tier::ALL {
            let key = keys
                .get(tier)
                .ok_or_else(|| Error::Invalid("missing key".into()))?;
            let conn = db::open(&dir.join(tier.file_name(0)), tier, key, true)?;
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('dataset_id', ?1)",
                [&dataset_id],
            )
            .map_err(|e| db::sql_error(db::tier_file(tier), e))?;
            if tier == Tier::Core {
                conn.execute(
                    "INSERT INTO users (name, role, created_at_ms) VALUES (?1, ?2, ?3)",
                    rusqlite::params![admin, Role::ComplianceLead.as_str(), now],
                )
                .map_err(|e| db::sql_error("core.db", e))?;
                let head = log::append(
                    &conn,
                    &dataset_id,
                    &NewEntry {
                        time_ms: now,
                        user: admin,
                        role: Role::ComplianceLead.as_str(),
                        action: Action::CreateDataset,
                        object: name,
                        purpose: "",
                        outcome: Outcome::Allowed,
                    },
                )?;
                // Best effort: without a keychain the first unlock says the check is off.
                let _anchored = device.keychain().store_head(&dataset_id, head);
            }
            db::checkpoint(&conn);
        }
        let recovery_key = RecoveryKey::generate()?;
        let header = Header {
            format: header::FORMAT.into(),
            version: FORMAT_VERSION,
            dataset_id: dataset_id.clone(),
            name: name.to_owned(),
            created_at: rfc3339(now),
            databases: Tier::ALL
                .iter()
                .map(|t| (*t, DbInfo { epoch: 0 }))
                .collect(),
            slots: vec![KeySlot::new(
                &dataset_id,
                admin,
                Role::ComplianceLead,
                password,
                &keys,
                rfc3339(now),
            )?],
            recovery: RecoverySlot::new(&dataset_id, &recovery_key, &keys)?,
        };
        // Twice, so that header.json.prev exists from the start.
        header.store(&dir)?;
        header.store(&dir)?;
        BundleLock::create(&dir)?;
        Ok((
            Dataset {
                dir,
                header,
                header_notice: None,
            },
            recovery_key,
        ))
    }

    /// The bundle folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The header as read.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Display name.
    pub fn name(&self) -> &str {
        &self.header.name
    }

    /// Set when `header.json` was unreadable and its previous copy was used.
    pub fn header_notice(&self) -> Option<&str> {
        self.header_notice.as_deref()
    }

    /// Metadata anyone can read.
    pub fn info(&self) -> DatasetInfo {
        DatasetInfo {
            name: self.header.name.clone(),
            id: self.header.dataset_id.clone(),
            format_version: self.header.version,
            created_at: self.header.created_at.clone(),
            users: self
                .header
                .slots
                .iter()
                .map(|s| (s.user.clone(), s.role))
                .collect(),
        }
    }

    /// Unlocks with a user name and password. Unknown users and wrong passwords give the same
    /// error after the same Argon2id work; failures count towards this device's back-off and
    /// leave the dataset's files untouched.
    pub fn unlock(&self, user: &str, password: &str, device: &Device) -> Result<Workspace> {
        let id = &self.header.dataset_id;
        let throttle = Throttle::new(device.state_dir(), id);
        throttle.check(now_ms())?;
        let Some(slot) = self.header.slot(user) else {
            keyslot::dummy_work(password);
            throttle.record_failure(now_ms(), None)?;
            return Err(Error::BadCredentials);
        };
        let keys = match slot.unlock(id, password) {
            Ok(keys) => keys,
            Err(SlotError::Refused) => {
                throttle.record_failure(now_ms(), Some(user))?;
                return Err(Error::BadCredentials);
            }
            Err(SlotError::Tampered(what)) => return Err(Error::Integrity(format!("{what}."))),
        };
        let mut notices = Vec::new();
        if let Some(text) = &self.header_notice {
            notices.push(crate::access::Notice::warning(text.clone()));
        }
        Workspace::open(
            self.dir.clone(),
            self.header.clone(),
            slot.user.clone(),
            slot.role,
            keys,
            device.clone(),
            &throttle,
            notices,
        )
    }

    /// How long this device must wait before the next unlock attempt, if at all.
    pub fn retry_after(&self, device: &Device) -> Option<std::time::Duration> {
        match Throttle::new(device.state_dir(), &self.header.dataset_id).check(now_ms()) {
            Err(Error::LockedOut { retry_after }) => Some(retry_after),
            _ => None,
        }
    }

    /// Sets a new password for `user` with the recovery key. Logged as a recovery.
    pub fn recover(
        &self,
        recovery_key: &RecoveryKey,
        user: &str,
        new_password: &str,
        device: &Device,
    ) -> Result<()> {
        check_new_password(user, new_password)?;
        let _guard = HeaderLock::acquire(&self.dir)?;
        let (mut header, _) = Header::load(&self.dir)?;
        let id = header.dataset_id.clone();
        let keys = header.recovery.unlock(&id, recovery_key).ok_or_else(|| {
            Error::Invalid("That recovery key does not open this dataset.".into())
        })?;
        let Some(index) = header.slots.iter().position(|s| s.user == user) else {
            return Err(Error::Invalid(format!(
                "There is no user '{user}' in this dataset."
            )));
        };
        let old = &header.slots[index];
        let slot = KeySlot::new(
            &id,
            user,
            old.role,
            new_password,
            &keys,
            old.created_at.clone(),
        )?;
        let role = old.role;
        header.slots[index] = slot;
        let core_key = keys
            .get(Tier::Core)
            .ok_or_else(|| Error::Invalid("missing key".into()))?;
        let core = db::open(
            &header.db_path(&self.dir, Tier::Core),
            Tier::Core,
            core_key,
            false,
        )?;
        let head = log::append(
            &core,
            &id,
            &NewEntry {
                time_ms: now_ms(),
                user,
                role: role.as_str(),
                action: Action::Recover,
                object: &format!("user {user}"),
                purpose: "password set with the recovery key",
                outcome: Outcome::Allowed,
            },
        )?;
        header.store(&self.dir)?;
        db::checkpoint(&core);
        // Anchoring is best effort here: the next unlock reports a keychain that fails.
        let _anchored = device.keychain().advance(&core, &id, head);
        Ok(())
    }
}
