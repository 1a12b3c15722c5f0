//! Revoking a user: every tier key the user held is replaced. Each affected database is
//! re-encrypted into a new file (`sqlcipher_export`), the remaining slots and the recovery slot
//! get the new keys sealed to their public keys, and the header switches to the new files in
//! one atomic replace. A crash before that replace leaves the old dataset; after it, the new.
//! Leftover files of either are removed at the next unlock.

use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroizing;

use crate::access::{Action, Role, Workspace};

use crate::dataset::authority::{FormerMember, new_signing_key};
use crate::dataset::crypto::random_key;
use crate::dataset::db::{self, sql_error, tier_file};
use crate::dataset::{
    DbInfo, HeaderLock, Tier, epochs_on_disk, remove_db_files, set_pending, sync_dir,
};
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
        let mut header = self.header_for_write()?;
        let id = header.dataset_id.clone();
        // Everything below comes from the signed membership: a slot's own claims in the file
        // (tiers, public key, an added slot, a swapped recovery key) are never trusted.
        let mut block = header.authority.clone().ok_or_else(|| {
            Error::Invalid(
                "Sign in again as a compliance lead first: the dataset has not been upgraded to signed membership.".into(),
            )
        })?;
        block
            .check(&id)
            .map_err(|e| Error::Integrity(format!("{e}.")))?;
        let authority = self
            .authority_key()
            .cloned()
            .ok_or_else(|| Error::Invalid("Only a compliance lead can revoke.".into()))?;
        let target = block
            .membership
            .member(user)
            .cloned()
            .ok_or_else(|| Error::Invalid(format!("There is no user '{user}'.")))?;
        let leads = block
            .membership
            .members
            .iter()
            .filter(|m| m.role == Role::ComplianceLead)
            .count();
        if target.role == Role::ComplianceLead && leads <= 1 {
            return Err(Error::Invalid(
                "The last compliance lead cannot be revoked.".into(),
            ));
        }
        self.core
            .execute(
                "UPDATE users SET revoked_at_ms = ?1 WHERE name = ?2",
                rusqlite::params![self.device.now_ms(), user],
            )
            .map_err(|e| sql_error("core.db", e))?;
        // The revoked member's key (and, for a lead, the authority key) signs nothing after
        // this entry; seals they signed are signed again by the new authority below.
        let (head_seq, _) = crate::access::log::retire_key(&self.core, &target.signing_key)?;
        let mut retiring = vec![user];
        if target.role == Role::ComplianceLead {
            retiring.push(crate::dataset::authority::AUTHORITY_SIGNER);
        }
        let resign = self.with_trust(|trust| {
            crate::access::sealed_policy::sound_kinds(&self.core, &id, trust, &retiring)
        })?;

        let rotate: Vec<Tier> = target.role.tiers().to_vec();
        let total = rotate.len() + 2;
        let mut new_keys = self.keys.subset(&Tier::ALL).ok_or_else(|| {
            Error::Invalid("Only a compliance lead holding every key can revoke.".into())
        })?;
        // New epochs above every file on disk, so no leftover (or newer) file is overwritten.
        let on_disk = epochs_on_disk(&self.dir);
        let mut epochs = Vec::new();
        for tier in &rotate {
            let highest = on_disk
                .iter()
                .filter(|(t, _, _)| t == tier)
                .map(|(_, e, _)| *e)
                .max()
                .unwrap_or(0)
                .max(header.epoch(*tier));
            epochs.push((*tier, highest + 1));
        }
        set_pending(&self.core, &epochs)?;
        crate::failpoint::hit("revoke:marked");
        let mut new_files = Vec::new();
        for (done, (tier, epoch)) in epochs.iter().enumerate() {
            progress(RotationProgress {
                step: format!("Re-encrypting {}", tier_file(*tier)),
                done,
                total,
            });
            let key = random_key()?;
            let path = self.dir.join(tier.file_name(*epoch));
            export(self.conn(*tier)?, &path, &key, *tier)?;
            crate::failpoint::hit(&format!("revoke:exported-{}", tier.as_str()));
            new_keys.set(*tier, key);
            header.databases.insert(*tier, DbInfo { epoch: *epoch });
            new_files.push((*tier, path));
        }
        let membership = &mut block.membership;
        membership.members.retain(|m| m.user != user);
        membership.former.push(FormerMember {
            user: target.user.clone(),
            role: target.role,
            signing_key: target.signing_key.clone(),
            retired_at_seq: head_seq,
        });
        membership.databases = header.databases.clone();
        membership.version += 1;
        // A revoked compliance lead held the authority key: hand it to a new one.
        let previous_authority = authority.verifying_key().as_bytes().to_vec();
        let authority = if target.role == Role::ComplianceLead {
            let next = new_signing_key()?;
            block.succeed(&id, &authority, &next, head_seq);
            next
        } else {
            authority
        };
        let mut slots = Vec::new();
        for member in &block.membership.members {
            let Some(slot) = header.slot(&member.user) else {
                continue;
            };
            let mut slot = slot.as_signed(member);
            slot.reseal_keys(&id, &new_keys)?;
            if member.role == Role::ComplianceLead {
                slot.seal_authority(&id, &authority)?;
            }
            slots.push(slot);
        }
        header.slots = slots;
        header.recovery.public_key = block.membership.recovery_public_key.clone();
        header.recovery.reseal_keys(&id, &new_keys)?;
        header.recovery.seal_authority(&id, &authority)?;
        block.sign(&id, &authority)?;
        header.authority = Some(block);
        progress(RotationProgress {
            step: "Switching to the new keys".into(),
            done: rotate.len(),
            total,
        });
        // Everything the new keys must sign goes into the new core.db before the header
        // switches to it: a crash on either side of the switch leaves a log that verifies.
        let mut opened = Vec::new();
        for (tier, path) in &new_files {
            let key = new_keys
                .get(*tier)
                .ok_or_else(|| Error::Invalid("missing key".into()))?;
            opened.push((*tier, db::open(path, *tier, key, false)?));
        }
        let mut resealed = None;
        if let Some((_, new_core)) = opened.iter().find(|(t, _)| *t == Tier::Core) {
            set_pending(new_core, &[])?;
            if target.role == Role::ComplianceLead {
                crate::access::log::resign_authority_records(
                    new_core,
                    &id,
                    &previous_authority,
                    &authority,
                )?;
            }
            if let Some(signer) = self.signer() {
                resealed = crate::access::sealed_policy::reseal(
                    new_core,
                    &id,
                    &resign,
                    &authority,
                    crate::access::log::NewEntry {
                        time_ms: self.device.now_ms(),
                        user: &self.user,
                        role: self.role.as_str(),
                        action: crate::access::Action::EditPolicy,
                        object: &format!("signed again after revoking {user}:"),
                        purpose: "",
                        outcome: crate::access::Outcome::Allowed,
                    },
                    signer,
                )?;
            }
        }
        crate::failpoint::hit("revoke:before-header");
        header.store(&self.dir)?;
        crate::failpoint::hit("revoke:header-stored");
        if let Some(block) = &header.authority {
            let _pinned = self.device.check_pin(&id, block);
        }

        for (tier, conn) in opened {
            let old_path = self.header.db_path(&self.dir, tier);
            let old = match tier {
                Tier::Core => Some(std::mem::replace(&mut self.core, conn)),
                Tier::Recordings => self.recordings.replace(conn),
            };
            drop(old);
            remove_db_files(&old_path)?;
            crate::failpoint::hit(&format!("revoke:removed-old-{}", tier.as_str()));
        }
        self.keys = new_keys;
        self.identity.authority = Some(authority);
        self.header = header;
        sync_dir(&self.dir)?;
        if let Some(head) = resealed {
            self.anchored(head);
        }
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
