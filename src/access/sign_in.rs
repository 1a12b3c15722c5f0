//! What every sign-in checks and logs: the signed membership, this user's own slot, the
//! rollback anchor, and the failed attempts waiting to be logged.

use crate::access::log;
use crate::access::throttle::Throttle;
use crate::access::{Action, Notice, Outcome, Role, Workspace};
use crate::dataset::db;
use crate::error::{Error, Result};

impl Workspace {
    /// Logs the sign-in (and what waits to be logged). With `repair`, the user's own slot in the
    /// file differs from the signed membership (it opened as signed): it is written back as
    /// signed, so an insider's edit neither raises access nor locks its owner out.
    pub(super) fn record_login(mut self, throttle: &Throttle, repair: bool) -> Result<Workspace> {
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
        self.backfill_signals();
        Ok(self)
    }

    /// Computes, once, the frustration signals of replays stored before signals existed (the
    /// migration of older datasets). A failure is said and the unlock goes on: the signals are
    /// computed at the next unlock or import instead.
    fn backfill_signals(&self) {
        let Some(rec) = &self.recordings else { return };
        let result = crate::insights::store::needs_backfill(rec).and_then(|needed| {
            needed
                .then(|| crate::insights::store::backfill(&self.core, rec))
                .transpose()
        });
        match result {
            Ok(Some(n)) if n > 0 => self.add_notice(Notice::info(format!(
                "Frustration signals were computed for {n} replays stored before this version."
            ))),
            Ok(_) => {}
            Err(e) => self.add_notice(Notice::warning(format!(
                "Frustration signals could not be computed for older replays: {e}"
            ))),
        }
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
}
