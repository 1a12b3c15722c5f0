//! The encrypted dataset bundle: a folder with a plaintext `header.json` (key slots, metadata)
//! and one SQLCipher database per key tier. See ARCHITECTURE.md for the format.
//!
//! [`Dataset`] is what can be known without a password. Creating a dataset, unlocking it and
//! recovering a password are the gate's entry, so they live in `access::open`; this module
//! never builds a workspace.

pub mod authority;
pub mod crypto;
pub mod db;
mod epochs;
pub(crate) mod header;
mod keys;
pub(crate) mod keyslot;
mod lock;
pub mod points;
mod recovery;
mod role;
pub mod schema;
mod tier;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::throttle::Throttle;
use crate::dataset::authority::{AuthorityBlock, Membership};
use crate::device::Device;
use crate::error::{Error, Result};

pub(crate) use epochs::{check_files, remove_db_files, set_pending};
pub use header::{DbInfo, FORMAT_VERSION, Header};
pub(crate) use header::{epochs_on_disk, sync_dir};
pub use keys::TierKeys;
pub use keyslot::{KeySlot, SlotError};
pub(crate) use lock::BundleLock;
pub use lock::HeaderLock;
pub use recovery::{RecoveryKey, RecoverySlot};
pub use role::Role;
pub use tier::Tier;

/// A dataset whose header has been read; nothing is decrypted yet.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub(crate) dir: PathBuf,
    pub(crate) header: Header,
    pub(crate) header_notice: Option<String>,
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
    /// Users and their roles (as the authority signed them, from format 2).
    pub users: Vec<(String, Role)>,
    /// The authority key's fingerprint, to compare out of band (format 2).
    pub authority_fingerprint: Option<String>,
    /// Why the users and roles above cannot be trusted, when the header's signatures do not
    /// verify or this device pinned another authority or a newer membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
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

    /// Metadata anyone can read, with whether the header's signatures and this device's pin
    /// vouch for it.
    pub fn info(&self, device: &Device) -> DatasetInfo {
        let id = &self.header.dataset_id;
        // Read-only: the pin is compared, never moved, by a command that needs no password.
        let integrity = self.header.authority.as_ref().and_then(|block| {
            let pinned = device.pin(id).and_then(|pin| {
                if !block.chain().contains(&pin.authority.as_slice()) {
                    Some("the authority key is not the one this device pinned".to_owned())
                } else if block.membership.version < pin.membership_version {
                    Some("header.json is older than the one this device last saw".to_owned())
                } else {
                    None
                }
            });
            block.check(id).err().or(pinned)
        });
        DatasetInfo {
            name: self.header.name.clone(),
            id: id.clone(),
            format_version: self.header.version,
            created_at: self.header.created_at.clone(),
            users: match &self.header.authority {
                Some(block) => block
                    .membership
                    .members
                    .iter()
                    .map(|m| (m.user.clone(), m.role))
                    .collect(),
                None => self
                    .header
                    .slots
                    .iter()
                    .map(|s| (s.user.clone(), s.role))
                    .collect(),
            },
            authority_fingerprint: self
                .header
                .authority
                .as_ref()
                .map(AuthorityBlock::fingerprint),
            integrity,
        }
    }

    /// How long this device must wait before the next unlock attempt, if at all.
    pub fn retry_after(&self, device: &Device) -> Option<std::time::Duration> {
        match Throttle::new(device.state_dir(), &self.header.dataset_id).check(device.now_ms()) {
            Err(Error::LockedOut { retry_after }) => Some(retry_after),
            _ => None,
        }
    }
}

/// Replaces `old` in the membership by `new` (a new key pair for the same user and role), keeps
/// the old signing key among the former ones so earlier log entries still verify, and bumps the
/// version.
pub(crate) fn replace_member(
    membership: &mut Membership,
    old: &authority::Member,
    new: authority::Member,
    retired_at_seq: u64,
) {
    membership.former.push(authority::FormerMember {
        user: old.user.clone(),
        role: old.role,
        signing_key: old.signing_key.clone(),
        retired_at_seq,
    });
    if let Some(m) = membership.members.iter_mut().find(|m| m.user == old.user) {
        *m = new;
    }
    membership.version += 1;
}
