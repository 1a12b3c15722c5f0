//! User management through the gate: list, add, change or reset passwords. Revocation, which
//! rotates keys, lives in `access::rotate`.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::access::sealed_policy::{self, SoundSeal};
use crate::access::{Action, Role, Workspace, log};
use crate::clock::rfc3339;
use crate::dataset::{Header, HeaderLock, KeySlot, db};
use crate::error::{Error, Result};
use ed25519_dalek::SigningKey;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// One user as the users view shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// User name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When added (RFC 3339).
    pub created_at: String,
    /// Last successful unlock (RFC 3339), if any.
    pub last_login: Option<String>,
}

/// User names are short and plain: they appear in the plaintext header and in the log.
pub fn check_user_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(
            "User names are 1 to 64 letters, digits, '.', '_', '-' or '@'.".into(),
        ))
    }
}

/// The password rules. The message never repeats the password.
pub fn check_new_password(user: &str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "The password is too short: use at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if password.eq_ignore_ascii_case(user) {
        return Err(Error::Invalid(
            "The password must not be the user name.".into(),
        ));
    }
    Ok(())
}

impl Workspace {
    /// Active users with their roles and last login (compliance lead). From format 2 the list
    /// is the signed membership, not whatever slots the file holds.
    pub fn users(&self) -> Result<Vec<UserInfo>> {
        self.gate(Action::ListUsers, "users", "")?;
        let (header, _) = Header::load(&self.dir)?;
        let listed: Vec<(String, Role, String)> = match &header.authority {
            Some(block) => {
                block
                    .check(&header.dataset_id)
                    .map_err(|e| Error::Integrity(format!("{e}.")))?;
                block
                    .membership
                    .members
                    .iter()
                    .map(|m| {
                        let created = header
                            .slot(&m.user)
                            .map(|s| s.created_at.clone())
                            .unwrap_or_default();
                        (m.user.clone(), m.role, created)
                    })
                    .collect()
            }
            None => header
                .slots
                .iter()
                .map(|s| (s.user.clone(), s.role, s.created_at.clone()))
                .collect(),
        };
        let mut out = Vec::new();
        for (name, role, created_at) in listed {
            let last: Option<i64> = self
                .core
                .query_row(
                    "SELECT last_login_ms FROM users WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| db::sql_error("core.db", e))?
                .flatten();
            out.push(UserInfo {
                name,
                role,
                created_at,
                last_login: last.map(rfc3339),
            });
        }
        Ok(out)
    }

    /// Adds a user with a role and an initial password (compliance lead). The authority signs
    /// the new membership.
    pub fn add_user(&mut self, name: &str, role: Role, password: &str) -> Result<()> {
        let object = format!("user {name} ({role})");
        self.gate(Action::AddUser, &object, "")?;
        let result = (|| {
            check_user_name(name)?;
            check_new_password(name, password)?;
            self.edit_header(|ws, header, authority| {
                let (Some(block), Some(authority)) = (header.authority.as_mut(), authority) else {
                    return Err(Error::Invalid(
                        "Only a compliance lead of an upgraded dataset can add users.".into(),
                    ));
                };
                if block.membership.member(name).is_some()
                    || header.slots.iter().any(|s| s.user == name)
                {
                    return Err(Error::Invalid(format!("There is already a user '{name}'.")));
                }
                let role_keys = ws
                    .keys
                    .subset(role.tiers())
                    .ok_or_else(|| Error::Invalid("Not all keys of this role are held.".into()))?;
                let (slot, member, _) = KeySlot::create(
                    &header.dataset_id,
                    name,
                    role,
                    password,
                    &role_keys,
                    Some(authority),
                    rfc3339(ws.device.now_ms()),
                )?;
                header.slots.push(slot);
                block.membership.members.push(member);
                block.membership.version += 1;
                Ok(())
            })?;
            self.core
                .execute(
                    "INSERT INTO users (name, role, created_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT(name) DO UPDATE SET role = ?2, created_at_ms = ?3, last_login_ms = NULL, revoked_at_ms = NULL",
                    rusqlite::params![name, role.as_str(), self.device.now_ms()],
                )
                .map_err(|e| db::sql_error("core.db", e))?;
            Ok(())
        })();
        result.or_else(|e| self.failed(Action::AddUser, &object, e))
    }

    /// Sets a new password: one's own (anyone; the slot keeps its keys, so the membership does
    /// not change), or another user's (compliance lead; a new slot for the role the authority
    /// signed, whatever the file says).
    pub fn set_password(&mut self, user: &str, password: &str) -> Result<()> {
        let own = user == self.user;
        let action = if own {
            Action::ChangeOwnPassword
        } else {
            Action::ResetPassword
        };
        let object = format!("user {user}");
        self.gate(action, &object, "")?;
        let result = (|| {
            check_new_password(user, password)?;
            // A reset retires the user's signing key: from here their open windows may not
            // sign, and the seals it signed are signed again by the authority first (valid
            // under the old membership and the new one alike).
            let retiring = match (&self.header.authority, own) {
                (Some(block), false) => {
                    block.membership.member(user).map(|m| m.signing_key.clone())
                }
                _ => None,
            };
            let mut head_seq = 0;
            let mut marked = false;
            if let Some(key) = &retiring {
                let resign = self.with_trust(|trust| {
                    sealed_policy::sound_kinds(&self.core, &self.header.dataset_id, trust, &[user])
                })?;
                self.resign_policy(
                    &resign,
                    &format!("signed again before {user}'s password reset:"),
                )?;
                (head_seq, marked) = log::retire_key(&self.core, key)?;
            }
            let edited = self.edit_header(|ws, header, authority| {
                let id = header.dataset_id.clone();
                let Some(index) = header.slots.iter().position(|s| s.user == user) else {
                    return Err(Error::Invalid(format!("There is no user '{user}'.")));
                };
                match header.authority.as_mut() {
                    None => {
                        // Format 1 (only a user's own password before the upgrade).
                        let slot = &mut header.slots[index];
                        slot.rewrap(&id, &ws.identity.secret, &ws.keys, password)
                    }
                    Some(block) => {
                        let member =
                            block.membership.member(user).cloned().ok_or_else(|| {
                                Error::Invalid(format!("There is no user '{user}'."))
                            })?;
                        if own {
                            let mut slot = header.slots[index].as_signed(&member);
                            slot.rewrap(&id, &ws.identity.secret, &ws.keys, password)?;
                            header.slots[index] = slot;
                            return Ok(());
                        }
                        let authority = authority.ok_or_else(|| {
                            Error::Invalid(
                                "Only a compliance lead can set another user's password.".into(),
                            )
                        })?;
                        let role_keys = ws.keys.subset(member.role.tiers()).ok_or_else(|| {
                            Error::Invalid("Not all keys of this role are held.".into())
                        })?;
                        let (slot, new_member, _) = KeySlot::create(
                            &id,
                            user,
                            member.role,
                            password,
                            &role_keys,
                            Some(authority),
                            header.slots[index].created_at.clone(),
                        )?;
                        header.slots[index] = slot;
                        crate::dataset::replace_member(
                            &mut block.membership,
                            &member,
                            new_member,
                            head_seq,
                        );
                        Ok(())
                    }
                }
            });
            if edited.is_err()
                && marked
                && let Some(key) = &retiring
            {
                // The reset did not happen: the key is still the user's.
                let _restored = log::unretire_key(&self.core, key);
            }
            edited
        })();
        result.or_else(|e| self.failed(action, &object, e))
    }

    /// The header on disk, for a change this workspace will sign: whole (never the previous
    /// copy), signed, pinned, naming this workspace's files, and no older than the membership
    /// this workspace opened with (else an old slot put back would be signed again).
    pub(crate) fn header_for_write(&self) -> Result<Header> {
        let header = Header::load_for_write(&self.dir)?;
        if header.dataset_id != self.header.dataset_id || header.databases != self.header.databases
        {
            return Err(Error::Busy(
                "The dataset changed on disk (another process rotated its keys). Lock and unlock again.".into(),
            ));
        }
        match (&header.authority, &self.header.authority) {
            (Some(block), Some(opened)) => {
                block
                    .check(&header.dataset_id)
                    .map_err(|e| Error::Integrity(format!("{e}.")))?;
                self.device
                    .check_pin(&header.dataset_id, block)
                    .map_err(|e| Error::Integrity(format!("{e}.")))?;
                if block.membership.version < opened.membership.version {
                    return Err(Error::Integrity(format!(
                        "header.json on disk is older than the one this window opened (membership version {}, opened {}): it was put back outside Sightline. Nothing was changed.",
                        block.membership.version, opened.membership.version
                    )));
                }
            }
            (None, Some(_)) => {
                return Err(Error::Integrity(
                    "header.json on disk has lost its signed membership: it was replaced outside Sightline. Nothing was changed.".into(),
                ));
            }
            _ => {}
        }
        Ok(header)
    }

    /// Signs `kinds` again with the authority after a membership change retired the key
    /// that signed them; logged with the new versions.
    pub(crate) fn resign_policy(&self, kinds: &[SoundSeal], what: &str) -> Result<()> {
        let (Some(key), Some(signer)) = (self.authority_key(), self.signer()) else {
            return Ok(());
        };
        let head = sealed_policy::reseal(
            &self.core,
            &self.header.dataset_id,
            kinds,
            key,
            log::NewEntry {
                time_ms: self.device.now_ms(),
                user: &self.user,
                role: self.role.as_str(),
                action: Action::EditPolicy,
                object: what,
                purpose: "",
                outcome: crate::access::Outcome::Allowed,
            },
            signer,
        )?;
        if let Some(head) = head {
            self.anchored(head);
        }
        Ok(())
    }

    /// Re-reads the header under its lock, checks its signatures, applies `change` and writes
    /// it back (signing the membership again when it changed), so concurrent edits from other
    /// processes are never lost and a header edited outside Sightline is never signed.
    pub(crate) fn edit_header(
        &mut self,
        change: impl FnOnce(&Workspace, &mut Header, Option<&SigningKey>) -> Result<()>,
    ) -> Result<()> {
        let _guard = HeaderLock::acquire(&self.dir)?;
        let mut header = self.header_for_write()?;
        let before = header.authority.as_ref().map(|b| b.membership.clone());
        change(self, &mut header, self.authority_key())?;
        if let Some(block) = header.authority.as_mut()
            && Some(&block.membership) != before.as_ref()
        {
            let authority = self.authority_key().ok_or_else(|| {
                Error::Invalid("Only a compliance lead can change the membership.".into())
            })?;
            block.sign(&header.dataset_id, authority)?;
        }
        crate::failpoint::hit("passwd:before-header");
        header.store(&self.dir)?;
        crate::failpoint::hit("passwd:after-header");
        if let Some(block) = &header.authority {
            let _pinned = self.device.check_pin(&header.dataset_id, block);
        }
        self.header = header;
        Ok(())
    }
}
