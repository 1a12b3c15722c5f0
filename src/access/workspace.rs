//! The access gate. A [`Workspace`] exists only after a successful unlock and is the sole path
//! from the databases to the screen, an export or the CLI: each data method checks the
//! permission matrix, appends an access-log entry (allowed or denied) and commits it, and only
//! then reads and returns data.

use std::cell::RefCell;
use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::access::log::{self, Head, NewEntry, Signer, Trust};
use crate::access::throttle::Throttle;
use crate::access::{Action, Capability, Outcome, Role};

use crate::dataset::{BundleLock, Header, Tier, TierKeys, db};
use crate::device::Device;
use crate::error::{Error, Result};

/// How loudly a notice should be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    /// Good to know.
    Info,
    /// Something the user should act on.
    Warning,
    /// Tampering, corruption or a rollback.
    Integrity,
}

/// A message for the person who just unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// How loudly.
    pub level: NoticeLevel,
    /// What to say.
    pub text: String,
}

impl Notice {
    /// An informational notice.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
        }
    }
    /// A warning.
    pub fn warning(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Warning,
            text: text.into(),
        }
    }
    /// An integrity alarm.
    pub fn integrity(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Integrity,
            text: text.into(),
        }
    }
}

/// The signed-in member's private keys beyond the data keys (format 2).
#[derive(Clone)]
pub(crate) struct Identity {
    /// Signs every log entry this user writes (`None` before the upgrade to format 2).
    pub(crate) signing: Option<ed25519_dalek::SigningKey>,
    /// The dataset authority (compliance leads only).
    pub(crate) authority: Option<ed25519_dalek::SigningKey>,
    /// The slot's X25519 secret, to rewrap it under a new password.
    pub(crate) secret: x25519_dalek::StaticSecret,
}

/// An unlocked dataset, bound to one user and role.
pub struct Workspace {
    pub(super) dir: PathBuf,
    pub(super) header: Header,
    pub(super) user: String,
    pub(super) role: Role,
    pub(super) keys: TierKeys,
    pub(super) core: Connection,
    pub(super) recordings: Option<Connection>,
    pub(super) device: Device,
    /// Shared while open; `None` while another workspace of this window rotates keys.
    pub(super) bundle_lock: Option<BundleLock>,
    /// False when the keychain's head is not in this log: we stop moving the anchor forward so
    /// the alarm is not silenced by our own appends.
    pub(super) anchor_trusted: bool,
    notices: RefCell<Vec<Notice>>,
    /// Decoded heatmap points and screenshots, shared with forks, kept while unlocked.
    pub(super) cache: crate::access::heatmaps::Cache,
    /// This member's slot secret and, in format 2, signing (and authority) keys.
    pub(super) identity: Identity,
    /// Why this device cannot check for rollbacks, when it cannot.
    pub(super) rollback_off: Option<String>,
    /// The policy, read at unlock and after every edit of it.
    /// The policy with the seal version it was read under, read at unlock, after every edit
    /// here, and again whenever the seal's version moved (an edit by another window or the
    /// CLI).
    policy: RefCell<(Option<i64>, crate::compliance::policy::Policy)>,
    /// Shared by this workspace and its forks: counts who still holds the session's keys.
    holders: std::sync::Arc<()>,
}

/// Counts the workspaces (an unlocked one and its forks) that still hold one session's keys,
/// without holding them itself.
#[derive(Clone)]
pub struct KeyHolders(std::sync::Weak<()>);

impl KeyHolders {
    /// How many workspaces of the session are still alive; 0 once every one was dropped and
    /// its keys zeroized.
    pub fn count(&self) -> usize {
        self.0.strong_count()
    }
}

impl Workspace {
    /// Opens the databases with unwrapped keys and records the login. Called by
    /// [`crate::dataset::Dataset::unlock`] only.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn open(
        dir: PathBuf,
        header: Header,
        user: String,
        role: Role,
        keys: TierKeys,
        device: Device,
        throttle: &Throttle,
        notices: Vec<Notice>,
        identity: Identity,
        repair: bool,
    ) -> Result<Workspace> {
        let bundle_lock = BundleLock::shared(&dir)?;
        let id = header.dataset_id.clone();
        let open_tier = |tier: Tier| -> Result<Option<Connection>> {
            let Some(key) = keys.get(tier) else {
                return Ok(None);
            };
            let conn = db::open(&header.db_path(&dir, tier), tier, key, false)?;
            let stored: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'dataset_id'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| db::sql_error(db::tier_file(tier), e))?;
            if stored.as_deref() != Some(id.as_str()) {
                return Err(Error::Integrity(format!(
                    "{} does not belong to this dataset.",
                    db::tier_file(tier)
                )));
            }
            Ok(Some(conn))
        };
        let core = open_tier(Tier::Core)?
            .ok_or_else(|| Error::Integrity("this key slot holds no core key.".into()))?;
        crate::dataset::check_files(&dir, &header, &core, &bundle_lock)?;
        let recordings = open_tier(Tier::Recordings)?;
        let ws = Workspace {
            dir,
            header,
            user,
            role,
            keys,
            core,
            recordings,
            device,
            bundle_lock: Some(bundle_lock),
            anchor_trusted: true,
            notices: RefCell::new(notices),
            cache: crate::access::heatmaps::Cache::default(),
            identity,
            rollback_off: None,
            policy: RefCell::default(),
            holders: std::sync::Arc::new(()),
        };
        let core_path = ws.header.db_path(&ws.dir, Tier::Core);
        let core_key = ws.keys.subset(&[Tier::Core]);
        ws.record_login(throttle, repair)
            .map_err(|e| match (e, core_key) {
                // SQLCipher refuses to write past a page that fails its HMAC with a generic
                // database error; name it for what it is.
                (e @ Error::Database { .. }, Some(keys)) => {
                    let damaged = keys
                        .get(Tier::Core)
                        .and_then(|key| db::open(&core_path, Tier::Core, key, false).ok())
                        .and_then(|conn| db::cipher_integrity_check(&conn, "core.db").ok())
                        .is_some_and(|pages| !pages.is_empty());
                    if damaged {
                        Error::Integrity(
                            "core.db failed authentication: the file was modified or is damaged."
                                .into(),
                        )
                    } else {
                        e
                    }
                }
                (e, _) => e,
            })
    }

    /// Runs `f` with what verification trusts: the signed membership and the authority keys
    /// (`None` for a format-1 dataset).
    pub(crate) fn with_trust<T>(&self, f: impl FnOnce(Option<Trust<'_>>) -> T) -> T {
        match &self.header.authority {
            Some(block) => f(Some(Trust { block })),
            None => f(None),
        }
    }

    /// The authority key, when this member holds it.
    pub(crate) fn authority_key(&self) -> Option<&ed25519_dalek::SigningKey> {
        self.identity.authority.as_ref()
    }

    /// The current authority's fingerprint (compare it out of band), or `None` before the
    /// dataset's upgrade to format 2.
    pub fn authority_fingerprint(&self) -> Option<String> {
        self.header.authority.as_ref().map(|a| a.fingerprint())
    }

    /// Why this device cannot check for rollbacks, with how to fix it; `None` when it can.
    pub fn rollback_off(&self) -> Option<&str> {
        self.rollback_off.as_deref()
    }

    /// Logs the sign-in (and what waits to be logged). With `repair`, the user's own slot in the
    /// file differs from the signed membership (it opened as signed): it is written back as
    /// signed, so an insider's edit neither raises access nor locks its owner out.
    fn record_login(mut self, throttle: &Throttle, repair: bool) -> Result<Workspace> {
        // Stripping the signed membership from header.json must not bring back the old rules.
        if self.header.authority.is_none() && log::requires_signatures(&self.core)? {
            return Err(Error::Integrity(
                "header.json has lost its signed membership, but this dataset's log is signed: header.json was replaced outside Sightline. Put the newest header.json back (header.json.prev may be it).".into(),
            ));
        }
        // A key marked retired that the signed membership still lists as this member's is
        // left from a reset or recovery that never completed: it is still theirs.
        if let (Some(block), Some(signing)) = (&self.header.authority, &self.identity.signing) {
            let own = signing.verifying_key();
            if block
                .membership
                .active_key(&self.user)
                .is_some_and(|(k, _)| k == own.as_bytes().as_slice())
            {
                log::unretire_key(&self.core, own.as_bytes())?;
            }
        }
        // First, before any append could move the anchor onto a rolled-back chain.
        self.check_anchor()?;
        let (pending, dropped) = throttle.take_pending()?;
        for attempt in &pending {
            let known = attempt
                .user
                .as_deref()
                .and_then(|u| match &self.header.authority {
                    Some(block) => block.membership.member(u).map(|m| (m.user.clone(), m.role)),
                    None => self.header.slot(u).map(|s| (s.user.clone(), s.role)),
                });
            let (user, role) = match &known {
                Some((user, role)) => (user.clone(), role.as_str()),
                None => ("(unknown)".to_owned(), "-"),
            };
            self.append_raw(
                attempt.time_ms,
                &user,
                role,
                Action::LoginFailed,
                "",
                "",
                Outcome::Failed,
            )?;
        }
        if dropped > 0 {
            self.add_notice(Notice::warning(format!(
                "{dropped} older failed attempts on this device were not kept individually."
            )));
        }
        let failures = self.failures_since_last_login()?;
        if failures > 0 {
            let s = if failures == 1 { "" } else { "s" };
            self.add_notice(Notice::warning(format!(
                "{failures} failed attempt{s} since your last login."
            )));
        }
        self.log(Action::Login, "", "", Outcome::Allowed)?;
        self.core
            .execute(
                "UPDATE users SET last_login_ms = ?1 WHERE name = ?2",
                rusqlite::params![self.device.now_ms(), self.user],
            )
            .map_err(|e| db::sql_error("core.db", e))?;
        if self.header.authority.is_none() {
            if self.role == Role::ComplianceLead {
                self.upgrade()?;
            } else {
                self.add_notice(Notice::warning(
                    "This dataset was made by an older Sightline: its membership, policy and log are not signed yet, so someone with write access to its folder could change them unnoticed. The next compliance-lead sign-in upgrades it.",
                ));
            }
        }
        for problem in self.membership_problems() {
            self.log(
                Action::IntegrityAlert,
                "header.json",
                &problem,
                Outcome::Failed,
            )?;
            self.add_notice(Notice::integrity(format!("{problem}.")));
        }
        if repair {
            self.repair_own_slot();
        }
        for problem in self.policy_problems() {
            self.log(Action::IntegrityAlert, "policy", &problem, Outcome::Failed)?;
            self.add_notice(Notice::integrity(format!("{problem}.")));
        }
        if self.anchor_trusted
            && let Some(key) = self.authority_key()
        {
            log::checkpoint(
                &self.core,
                &self.header.dataset_id,
                key,
                self.device.now_ms(),
            )?;
        }
        self.refresh_policy()?;
        self.purge_on_open()?;
        Ok(self)
    }

    /// Writes this user's slot back as the membership signed it (it opened that way).
    fn repair_own_slot(&mut self) {
        let user = self.user.clone();
        let repaired = self.edit_header(|_, header, _| {
            let member = header
                .authority
                .as_ref()
                .and_then(|b| b.membership.member(&user))
                .cloned();
            if let (Some(member), Some(slot)) =
                (member, header.slots.iter_mut().find(|s| s.user == user))
            {
                *slot = slot.as_signed(&member);
            }
            Ok(())
        });
        self.add_notice(match repaired {
            Ok(()) => Notice::warning(
                "Your key slot in header.json had been edited outside Sightline; it was written back as the signed membership says. Your role and keys are unchanged.",
            ),
            Err(e) => Notice::warning(format!("Your key slot could not be written back: {e}")),
        });
    }

    /// Slots in `header.json` that differ from the signed membership: added, edited or missing.
    pub(crate) fn membership_problems(&self) -> Vec<String> {
        let Some(block) = &self.header.authority else {
            return Vec::new();
        };
        let membership = &block.membership;
        let mut out = Vec::new();
        for slot in &self.header.slots {
            match membership.member(&slot.user) {
                None => out.push(format!(
                    "header.json holds a key slot for '{}' that the signed membership does not list: it was added outside Sightline and is ignored",
                    slot.user
                )),
                Some(member) => out.extend(slot.differs_from(member)),
            }
        }
        for member in &membership.members {
            if self.header.slot(&member.user).is_none() {
                out.push(format!(
                    "the key slot of '{}' is missing from header.json",
                    member.user
                ));
            }
        }
        if self.header.recovery.public_key != membership.recovery_public_key {
            out.push(
                "the recovery slot in header.json names a public key the signed membership does not: it was swapped outside Sightline and is ignored"
                    .into(),
            );
        }
        out
    }

    fn check_anchor(&mut self) -> Result<()> {
        let keychain = self.device.keychain().clone();
        if !keychain.is_available() {
            let text = format!(
                "Rollback check is off on this device: {}. An older copy of the dataset put in its place would not be noticed here. To turn it on, run Sightline in a desktop session with a keychain (GNOME Keyring or KWallet through the Secret Service, the macOS Keychain, the Windows Credential Manager) or with the kernel keyring (keyutils).",
                keychain.description()
            );
            self.add_notice(Notice::warning(text.clone()));
            self.rollback_off = Some(text);
            return Ok(());
        }
        let id = self.header.dataset_id.clone();
        let loaded = keychain.load_head(&id);
        let contained = match loaded {
            Ok(Some(anchor)) => {
                Some(self.with_trust(|trust| log::contains(&self.core, &id, anchor, trust))?)
            }
            _ => None,
        };
        match loaded {
            Ok(None) if log::head(&self.core)?.is_some_and(|h| h.seq > 1) => {
                self.add_notice(Notice::warning(
                    "Rollback check had nothing to compare on this device: no log anchor is stored here for this dataset (first open on this device, or the keychain lost it, as the kernel keyring does at a reboot). From now on this device checks.",
                ));
            }
            Ok(Some(anchor)) if contained == Some(false) => {
                self.anchor_trusted = false;
                let text = format!(
                    "This dataset's access log does not contain entry {} as this device last saw it: an older or swapped copy of the dataset may have been put in place.",
                    anchor.seq
                );
                self.log(
                    Action::IntegrityAlert,
                    "access log",
                    "rollback check",
                    Outcome::Failed,
                )?;
                self.add_notice(Notice::integrity(text));
            }
            Ok(_) => {}
            Err(e) => self.add_notice(Notice::warning(format!(
                "Could not read the log anchor: {e}."
            ))),
        }
        Ok(())
    }

    fn failures_since_last_login(&self) -> Result<i64> {
        let last_login: i64 = self
            .core
            .query_row(
                "SELECT coalesce(max(seq), 0) FROM access_log WHERE user = ?1 AND action = 'login' AND outcome = 'allowed'",
                [&self.user],
                |r| r.get(0),
            )
            .map_err(|e| db::sql_error("core.db", e))?;
        self.core
            .query_row(
                "SELECT count(*) FROM access_log WHERE user = ?1 AND action = 'login-failed' AND seq > ?2",
                rusqlite::params![self.user, last_login],
                |r| r.get(0),
            )
            .map_err(|e| db::sql_error("core.db", e))
    }

    pub(crate) fn add_notice(&self, notice: Notice) {
        self.notices.borrow_mut().push(notice);
    }

    /// The signed-in user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Their role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Dataset display name.
    pub fn dataset_name(&self) -> &str {
        &self.header.name
    }

    /// Dataset id.
    pub fn dataset_id(&self) -> &str {
        &self.header.dataset_id
    }

    /// The bundle folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Notices gathered since unlock (failed attempts, keychain and integrity warnings).
    pub fn notices(&self) -> Vec<Notice> {
        self.notices.borrow().clone()
    }

    /// Whether the role may use `capability` (for enabling buttons; the gate decides anyway).
    pub fn may(&self, capability: Capability) -> bool {
        capability.allows(self.role)
    }

    /// Whether this workspace holds the key of `tier`.
    pub fn holds(&self, tier: Tier) -> bool {
        self.keys.get(tier).is_some()
    }

    #[allow(clippy::too_many_arguments)]
    fn append_raw(
        &self,
        time_ms: i64,
        user: &str,
        role: &str,
        action: Action,
        object: &str,
        purpose: &str,
        outcome: Outcome,
    ) -> Result<Head> {
        let head = log::append(
            &self.core,
            &self.header.dataset_id,
            &NewEntry {
                time_ms,
                user,
                role,
                action,
                object,
                purpose,
                outcome,
            },
            self.signer(),
        )?;
        self.anchored(head);
        Ok(head)
    }

    /// This member as the signer of log entries (format 2).
    pub(crate) fn signer(&self) -> Option<Signer<'_>> {
        self.identity.signing.as_ref().map(|key| Signer {
            name: &self.user,
            key,
        })
    }

    /// Moves this device's anchor to `head` after an append.
    pub(crate) fn anchored(&self, head: Head) {
        if self.anchor_trusted
            && let Err(e) = self
                .device
                .keychain()
                .store_head(&self.header.dataset_id, head)
        {
            self.add_notice(Notice::warning(format!(
                "Could not store the log anchor: {e}."
            )));
        }
    }

    /// Appends an entry as the signed-in user.
    pub(crate) fn log(
        &self,
        action: Action,
        object: &str,
        purpose: &str,
        outcome: Outcome,
    ) -> Result<Head> {
        self.append_raw(
            self.device.now_ms(),
            &self.user,
            self.role.as_str(),
            action,
            object,
            purpose,
            outcome,
        )
    }

    /// The gate: checks the matrix, logs the attempt and commits, and refuses if denied.
    pub(crate) fn gate(&self, action: Action, object: &str, purpose: &str) -> Result<()> {
        match action.capability() {
            Some(capability) if !capability.allows(self.role) => {
                self.log(action, object, purpose, Outcome::Denied)?;
                Err(Error::Denied {
                    role: self.role,
                    capability,
                })
            }
            _ => self
                .log(action, object, purpose, Outcome::Allowed)
                .map(drop),
        }
    }

    /// Logs that an allowed action did not complete, and passes the error on.
    pub(crate) fn failed<T>(&self, action: Action, object: &str, err: Error) -> Result<T> {
        // The original error matters more than a failure to log it.
        let _logged = self.log(action, object, "", Outcome::Failed);
        Err(err)
    }

    /// Lets go of this workspace's share of the bundle lock, so that a fork of it (on another
    /// thread) can rotate keys; this workspace must then be replaced by that fork.
    pub fn release_for_rotation(&mut self) {
        self.bundle_lock = None;
    }

    /// Minutes without activity before the workbench locks itself (policy; 10 by default).
    /// Every signed-in user may read it: it governs their own session.
    pub fn idle_lock_minutes(&self) -> u64 {
        self.policy().idle_lock_minutes
    }

    /// Sets the idle time before the workbench locks itself (compliance lead; 1 to 1440
    /// minutes). Signed and logged like every policy change.
    pub fn set_idle_lock_minutes(&self, minutes: u64) -> Result<()> {
        if !(1..=24 * 60).contains(&minutes) {
            return Err(Error::Invalid("The idle lock is 1 to 1440 minutes.".into()));
        }
        self.edit_sealed(
            Action::EditPolicy,
            &format!("idle lock {minutes} min"),
            crate::access::PolicyKind::Policy,
            |core| {
                core.execute(
                    "INSERT OR REPLACE INTO policy (key, value) VALUES ('idle_lock_minutes', ?1)",
                    [minutes.to_string()],
                )
                .map(drop)
                .map_err(|e| db::sql_error("core.db", e))
            },
        )
    }

    /// The policy as read at unlock or after its last edit.
    pub fn policy(&self) -> crate::compliance::policy::Policy {
        let sealed = self.policy_seal_version();
        if sealed != self.policy.borrow().0 {
            // A failed read keeps the copy already held; the next call tries again.
            let _kept = self.refresh_policy();
        }
        self.policy.borrow().1.clone()
    }

    /// The version of the policy's seal (none before format 2).
    fn policy_seal_version(&self) -> Option<i64> {
        self.core
            .query_row(
                "SELECT version FROM policy_seals WHERE kind = 'policy'",
                [],
                |r| r.get(0),
            )
            .ok()
    }

    /// Reads the policy again (at unlock, after an edit).
    pub(crate) fn refresh_policy(&self) -> Result<()> {
        let version = self.policy_seal_version();
        let policy = crate::compliance::policy::Policy::read(&self.core)?;
        *self.policy.borrow_mut() = (version, policy);
        Ok(())
    }

    /// Who still holds this session's keys (this workspace and its forks).
    pub fn key_holders(&self) -> KeyHolders {
        KeyHolders(std::sync::Arc::downgrade(&self.holders))
    }

    /// A second workspace for the same user, with its own connections, for work on another
    /// thread (an import) while this one keeps serving the screen. Nothing is logged: the
    /// work it does is.
    pub fn fork(&self) -> Result<Workspace> {
        let keys = self
            .keys
            .subset(&self.keys.tiers())
            .ok_or_else(|| Error::Invalid("missing key".into()))?;
        let bundle_lock = BundleLock::shared(&self.dir)?;
        let open = |tier: Tier| -> Result<Option<Connection>> {
            keys.get(tier)
                .map(|key| db::open(&self.header.db_path(&self.dir, tier), tier, key, false))
                .transpose()
        };
        let core = open(Tier::Core)?.ok_or_else(|| Error::Invalid("missing core key".into()))?;
        let recordings = open(Tier::Recordings)?;
        Ok(Workspace {
            dir: self.dir.clone(),
            header: self.header.clone(),
            user: self.user.clone(),
            role: self.role,
            keys,
            core,
            recordings,
            device: self.device.clone(),
            bundle_lock: Some(bundle_lock),
            anchor_trusted: self.anchor_trusted,
            notices: RefCell::new(Vec::new()),
            policy: RefCell::new(self.policy.borrow().clone()),
            holders: std::sync::Arc::clone(&self.holders),
            cache: self.cache.clone(),
            identity: self.identity.clone(),
            rollback_off: self.rollback_off.clone(),
        })
    }

    /// Locks: logs it, writes the databases back to their main files and drops keys and
    /// connections.
    pub fn lock(self) -> Result<()> {
        self.log(Action::Lock, "", "", Outcome::Allowed)?;
        Ok(())
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        db::checkpoint(&self.core);
        if let Some(conn) = &self.recordings {
            db::checkpoint(conn);
        }
    }
}
