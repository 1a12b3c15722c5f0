//! User management through the gate: list, add, change or reset passwords. Revocation, which
//! rotates keys, lives in `dataset::rotate`.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::access::{Action, Role, Workspace};
use crate::clock::{now_ms, rfc3339};
use crate::dataset::{Header, HeaderLock, KeySlot, db};
use crate::error::{Error, Result};

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
    /// Active users with their roles and last login (compliance lead).
    pub fn users(&self) -> Result<Vec<UserInfo>> {
        self.gate(Action::ListUsers, "users", "")?;
        let (header, _) = Header::load(&self.dir)?;
        let mut out = Vec::new();
        for slot in &header.slots {
            let last: Option<i64> = self
                .core
                .query_row(
                    "SELECT last_login_ms FROM users WHERE name = ?1",
                    [&slot.user],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| db::sql_error("core.db", e))?
                .flatten();
            out.push(UserInfo {
                name: slot.user.clone(),
                role: slot.role,
                created_at: slot.created_at.clone(),
                last_login: last.map(rfc3339),
            });
        }
        Ok(out)
    }

    /// Adds a user with a role and an initial password (compliance lead).
    pub fn add_user(&mut self, name: &str, role: Role, password: &str) -> Result<()> {
        let object = format!("user {name} ({role})");
        self.gate(Action::AddUser, &object, "")?;
        let result = (|| {
            check_user_name(name)?;
            check_new_password(name, password)?;
            self.edit_header(|ws, header| {
                if header.slot(name).is_some() {
                    return Err(Error::Invalid(format!("There is already a user '{name}'.")));
                }
                let slot = KeySlot::new(
                    &header.dataset_id,
                    name,
                    role,
                    password,
                    &ws.keys,
                    rfc3339(now_ms()),
                )?;
                header.slots.push(slot);
                Ok(())
            })?;
            self.core
                .execute(
                    "INSERT INTO users (name, role, created_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT(name) DO UPDATE SET role = ?2, created_at_ms = ?3, last_login_ms = NULL, revoked_at_ms = NULL",
                    rusqlite::params![name, role.as_str(), now_ms()],
                )
                .map_err(|e| db::sql_error("core.db", e))?;
            Ok(())
        })();
        result.or_else(|e| self.failed(Action::AddUser, &object, e))
    }

    /// Sets a new password: one's own (anyone), or another user's (compliance lead). Only that
    /// slot is rewrapped; no data key changes.
    pub fn set_password(&mut self, user: &str, password: &str) -> Result<()> {
        let action = if user == self.user {
            Action::ChangeOwnPassword
        } else {
            Action::ResetPassword
        };
        let object = format!("user {user}");
        self.gate(action, &object, "")?;
        let result = (|| {
            check_new_password(user, password)?;
            self.edit_header(|ws, header| {
                let Some(index) = header.slots.iter().position(|s| s.user == user) else {
                    return Err(Error::Invalid(format!("There is no user '{user}'.")));
                };
                let old = &header.slots[index];
                let slot = KeySlot::new(
                    &header.dataset_id,
                    user,
                    old.role,
                    password,
                    &ws.keys,
                    old.created_at.clone(),
                )?;
                header.slots[index] = slot;
                Ok(())
            })
        })();
        result.or_else(|e| self.failed(action, &object, e))
    }

    /// Re-reads the header under its lock, applies `change` and writes it back, so concurrent
    /// edits from other processes are never lost.
    pub(crate) fn edit_header(
        &mut self,
        change: impl FnOnce(&Workspace, &mut Header) -> Result<()>,
    ) -> Result<()> {
        let _guard = HeaderLock::acquire(&self.dir)?;
        let (mut header, _) = Header::load(&self.dir)?;
        if header.dataset_id != self.header.dataset_id || header.databases != self.header.databases
        {
            return Err(Error::Busy(
                "The dataset changed on disk (another process rotated its keys). Lock and unlock again.".into(),
            ));
        }
        change(self, &mut header)?;
        header.store(&self.dir)?;
        self.header = header;
        Ok(())
    }
}
