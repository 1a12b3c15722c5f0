//! The access gate. A [`Workspace`] exists only after a successful unlock and is the sole path
//! from the databases to the screen, an export or the CLI: each data method checks the
//! permission matrix, appends an access-log entry (allowed or denied) and commits it, and only
//! then reads and returns data.

use std::cell::RefCell;
use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension};

use crate::access::log::{self, Head, NewEntry, Signer, Trust};
use crate::access::throttle::Throttle;
use crate::access::{Action, Capability, Notice, Outcome, Role};

use crate::dataset::{BundleLock, Header, Tier, TierKeys, db};
use crate::device::Device;
use crate::error::{Error, Result};

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
    pub(super) fn append_raw(
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

    /// How the log names an export's file: its name only, PII redacted.
    pub(crate) fn export_file_label(out: &std::path::Path) -> String {
        let file = out
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        crate::privacy::pii::redact(&file).0.into_owned()
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
