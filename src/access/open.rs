//! The gate's entry: creating a dataset (with its first compliance lead, authority and sealed
//! policy), unlocking it into a [`Workspace`], and recovering a password with the recovery
//! key. These are the only ways to a workspace, so they live with the gate, not in `dataset`.

use std::fs;
use std::path::Path;

use crate::access::{Workspace, check_new_password, check_user_name};
use crate::audit::log::{self, NewEntry, Signer};
use crate::audit::throttle::Throttle;
use crate::audit::{Action, Outcome};
use crate::clock::rfc3339;
use crate::dataset::authority::{AuthorityBlock, Membership, derive_dataset_id, new_signing_key};
use crate::dataset::{
    BundleLock, Dataset, DbInfo, FORMAT_VERSION, Header, HeaderLock, KeySlot, RecoveryKey,
    RecoverySlot, Role, SlotError, Tier, TierKeys, authority, crypto, db, header, keyslot,
    replace_member,
};
use crate::device::Device;
use crate::error::{Error, Result};

impl Dataset {
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
        let authority = new_signing_key()?;
        let id_salt = crypto::random_array::<16>()?.to_vec();
        let dataset_id = derive_dataset_id(authority.verifying_key().as_bytes(), &id_salt);
        let keys = TierKeys::generate()?;
        let now = device.now_ms();
        let (slot, member, signing) = KeySlot::create(
            &dataset_id,
            admin,
            Role::ComplianceLead,
            password,
            &keys,
            Some(&authority),
            rfc3339(now),
        )?;
        let recovery_key = RecoveryKey::generate()?;
        let mut recovery = RecoverySlot::new(&dataset_id, &recovery_key, &keys)?;
        recovery.seal_authority(&dataset_id, &authority)?;
        let databases: std::collections::BTreeMap<Tier, DbInfo> = Tier::ALL
            .iter()
            .map(|t| (*t, DbInfo { epoch: 0 }))
            .collect();
        let membership = Membership {
            version: 1,
            databases: databases.clone(),
            members: vec![member],
            former: Vec::new(),
            recovery_public_key: recovery.public_key.clone(),
            log_signed_from: 1,
        };
        let block = AuthorityBlock::new(&dataset_id, &authority, Some(id_salt), membership)?;
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
                let head = Self::first_entries(&conn, &dataset_id, admin, name, now, &signing)?;
                // Best effort: without a keychain the first unlock says the check is off.
                let _anchored = device.keychain().store_head(&dataset_id, head);
            }
            db::checkpoint(&conn);
        }
        let header = Header {
            format: header::FORMAT.into(),
            version: FORMAT_VERSION,
            dataset_id: dataset_id.clone(),
            name: name.to_owned(),
            created_at: rfc3339(now),
            databases,
            slots: vec![slot],
            recovery,
            authority: Some(block.clone()),
        };
        header.store(&dir)?;
        BundleLock::create(&dir)?;
        // Best effort: a device that cannot pin says so at the next unlock.
        let _pinned = device.check_pin(&dataset_id, &block);
        Ok((
            Dataset {
                dir,
                header,
                header_notice: None,
            },
            recovery_key,
        ))
    }

    /// The creation entry, the signed-log marker and the first sealed policy and masking rules,
    /// in one transaction.
    fn first_entries(
        conn: &rusqlite::Connection,
        dataset_id: &str,
        admin: &str,
        name: &str,
        now: i64,
        signing: &ed25519_dalek::SigningKey,
    ) -> Result<log::Head> {
        let signer = Signer {
            name: admin,
            key: signing,
        };
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| db::sql_error("core.db", e))?;
        let run = || -> Result<log::Head> {
            conn.execute(
                "INSERT INTO users (name, role, created_at_ms) VALUES (?1, ?2, ?3)",
                rusqlite::params![admin, Role::ComplianceLead.as_str(), now],
            )
            .map_err(|e| db::sql_error("core.db", e))?;
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('log_signed_from', '1')",
                [],
            )
            .map_err(|e| db::sql_error("core.db", e))?;
            crate::ingest::store::masking_rules(conn)?;
            let tags = crate::access::seal_all(conn, dataset_id, signer)?;
            let head = log::append_in_transaction(
                conn,
                dataset_id,
                &NewEntry {
                    time_ms: now,
                    user: admin,
                    role: Role::ComplianceLead.as_str(),
                    action: Action::CreateDataset,
                    object: &format!("{name} {tags}"),
                    purpose: "",
                    outcome: Outcome::Allowed,
                },
                Some(signer),
            )?;
            conn.execute_batch("COMMIT")
                .map_err(|e| db::sql_error("core.db", e))?;
            Ok(head)
        };
        run().inspect_err(|_| {
            let _rolled_back = conn.execute_batch("ROLLBACK");
        })
    }

    /// Unlocks with a user name and password. Unknown users and wrong passwords give the same
    /// error after the same Argon2id work; failures count towards this device's back-off and
    /// leave the dataset's files untouched. In format 2 the authority block is checked against
    /// this device's pin first, and the slot opens only as the signed membership describes it.
    pub fn unlock(&self, user: &str, password: &str, device: &Device) -> Result<Workspace> {
        let id = &self.header.dataset_id;
        let throttle = Throttle::new(device.state_dir(), id);
        throttle.check(device.now_ms())?;
        let refuse = |user: Option<&str>| -> Result<Workspace> {
            throttle.record_failure(device.now_ms(), user)?;
            Err(Error::BadCredentials)
        };
        // Format 2: everything that decides access comes from the signed membership.
        let signed = match &self.header.authority {
            Some(block) => {
                block
                    .check(id)
                    .map_err(|e| Error::Integrity(format!("{e}.")))?;
                device
                    .check_pin(id, block)
                    .map_err(|e| Error::Integrity(format!("{e}.")))?;
                if block.membership.databases != self.header.databases {
                    return Err(Error::Integrity(
                        "header.json names database files that the signed membership does not: it was edited outside Sightline.".into(),
                    ));
                }
                let Some(member) = block.membership.member(user) else {
                    keyslot::dummy_work(password);
                    return refuse(None);
                };
                Some((block, member))
            }
            None => {
                // A dataset this device has seen signed cannot lose its signatures.
                if device.pin(id).is_some() {
                    return Err(Error::Integrity(
                        "header.json has lost its signed membership, which this device has seen: it was replaced outside Sightline. Put the newest header.json back.".into(),
                    ));
                }
                None
            }
        };
        let Some(slot) = self.header.slot(user) else {
            keyslot::dummy_work(password);
            if signed.is_some() {
                return Err(Error::Integrity(format!(
                    "the key slot of '{user}' is missing from header.json."
                )));
            }
            return refuse(None);
        };
        let (opening, role) = match signed {
            Some((_, member)) => (slot.as_signed(member), member.role),
            None => (slot.clone(), slot.role),
        };
        let opened = match opening.open(id, password) {
            Ok(opened) => opened,
            Err(SlotError::Refused) => return refuse(Some(user)),
            Err(SlotError::Tampered(what)) => return Err(Error::Integrity(format!("{what}."))),
        };
        let mut tampered = None;
        let identity = match signed {
            Some((block, member)) => {
                let signing = opened
                    .signing
                    .filter(|k| k.verifying_key().as_bytes().as_slice() == member.signing_key);
                if signing.is_none() {
                    return Err(Error::Integrity(format!(
                        "the key slot of '{user}' holds a signing key the signed membership does not name."
                    )));
                }
                let authority = opened
                    .authority
                    .filter(|k| k.verifying_key().as_bytes().as_slice() == block.current());
                if role == Role::ComplianceLead && authority.is_none() {
                    return Err(Error::Integrity(format!(
                        "the key slot of '{user}' does not hold the dataset's current authority key."
                    )));
                }
                tampered = slot.differs_from(member);
                crate::access::Identity {
                    signing,
                    authority: authority.filter(|_| role == Role::ComplianceLead),
                    secret: opened.secret,
                }
            }
            None => crate::access::Identity {
                signing: None,
                authority: None,
                secret: opened.secret,
            },
        };
        let mut notices = Vec::new();
        if let Some(text) = &self.header_notice {
            notices.push(crate::access::Notice::warning(text.clone()));
        }
        Workspace::open(
            self.dir.clone(),
            self.header.clone(),
            slot.user.clone(),
            role,
            opened.keys,
            device.clone(),
            &throttle,
            notices,
            identity,
            tampered.is_some(),
        )
    }

    /// Sets a new password for `user` with the recovery key. Logged as a recovery. The new
    /// slot is built from the signed membership (format 2) and the membership is signed again
    /// with the authority key the recovery slot holds.
    pub fn recover(
        &self,
        recovery_key: &RecoveryKey,
        user: &str,
        new_password: &str,
        device: &Device,
    ) -> Result<()> {
        check_new_password(user, new_password)?;
        let _guard = HeaderLock::acquire(&self.dir)?;
        let mut header = Header::load_for_write(&self.dir)?;
        let id = header.dataset_id.clone();
        let wrong_key = || Error::Invalid("That recovery key does not open this dataset.".into());
        let keys = header
            .recovery
            .unlock(&id, recovery_key)
            .ok_or_else(wrong_key)?;
        let Some(index) = header.slots.iter().position(|s| s.user == user) else {
            return Err(Error::Invalid(format!(
                "There is no user '{user}' in this dataset."
            )));
        };
        if let Some(block) = &header.authority {
            block
                .check(&id)
                .map_err(|e| Error::Integrity(format!("{e}.")))?;
            device
                .check_pin(&id, block)
                .map_err(|e| Error::Integrity(format!("{e}.")))?;
            if block.membership.databases != header.databases {
                return Err(Error::Integrity(
                    "header.json names database files that the signed membership does not: it was edited outside Sightline.".into(),
                ));
            }
        }
        let core_key = keys
            .get(Tier::Core)
            .ok_or_else(|| Error::Invalid("missing key".into()))?;
        let core = db::open(
            &header.db_path(&self.dir, Tier::Core),
            Tier::Core,
            core_key,
            false,
        )?;
        let trust = header.authority.as_ref().map(|block| log::Trust { block });
        let resign = crate::access::sealed_policy::sound_kinds(&core, &id, trust, &[user])?;
        let retiring = header
            .authority
            .as_ref()
            .and_then(|b| b.membership.member(user))
            .map(|m| m.signing_key.clone());
        let mut signer_key = None;
        let role = match header.authority.as_mut() {
            Some(block) => {
                if header.recovery.public_key != block.membership.recovery_public_key {
                    return Err(Error::Integrity(
                        "the recovery slot in header.json is not the one the signed membership names: it was swapped outside Sightline.".into(),
                    ));
                }
                let authority = header
                    .recovery
                    .open_authority(&id, recovery_key)
                    .filter(|k| k.verifying_key().as_bytes().as_slice() == block.current())
                    .ok_or_else(|| {
                        Error::Integrity(
                            "the recovery slot does not hold the dataset's current authority key."
                                .into(),
                        )
                    })?;
                let Some(member) = block.membership.member(user).cloned() else {
                    return Err(Error::Invalid(format!(
                        "There is no user '{user}' in this dataset."
                    )));
                };
                let role_keys = keys
                    .subset(member.role.tiers())
                    .ok_or_else(|| Error::Invalid("missing key".into()))?;
                let (slot, new_member, _) = KeySlot::create(
                    &id,
                    user,
                    member.role,
                    new_password,
                    &role_keys,
                    Some(&authority),
                    header.slots[index].created_at.clone(),
                )?;
                header.slots[index] = slot;
                // The seals the old key signed are signed again by the authority first; then
                // the old key signs nothing more.
                let entry = NewEntry {
                    time_ms: device.now_ms(),
                    user,
                    role: member.role.as_str(),
                    action: Action::EditPolicy,
                    object: &format!("signed again before {user}'s recovery:"),
                    purpose: "",
                    outcome: Outcome::Allowed,
                };
                let signer = Signer {
                    name: authority::AUTHORITY_SIGNER,
                    key: &authority,
                };
                crate::access::sealed_policy::reseal(
                    &core, &id, &resign, &authority, entry, signer,
                )?;
                let head_seq = match &retiring {
                    Some(key) => log::retire_key(&core, key)?.0,
                    None => 0,
                };
                replace_member(&mut block.membership, &member, new_member, head_seq);
                block.sign(&id, &authority)?;
                signer_key = Some(authority);
                member.role
            }
            None => {
                let old = &header.slots[index];
                let role = old.role;
                let slot = KeySlot::new(
                    &id,
                    user,
                    role,
                    new_password,
                    &keys
                        .subset(role.tiers())
                        .ok_or_else(|| Error::Invalid("missing key".into()))?,
                    old.created_at.clone(),
                )?;
                header.slots[index] = slot;
                role
            }
        };
        // The authority signs the entry: its key is the same before and after the new header,
        // so a crash between the two leaves a log that still verifies.
        let signer = signer_key.as_ref().map(|key| Signer {
            name: authority::AUTHORITY_SIGNER,
            key,
        });
        let entry = NewEntry {
            time_ms: device.now_ms(),
            user,
            role: role.as_str(),
            action: Action::Recover,
            object: &format!("user {user}"),
            purpose: "password set with the recovery key",
            outcome: Outcome::Allowed,
        };
        crate::failpoint::hit("recover:before-log");
        let head = log::append(&core, &id, &entry, signer)?;
        crate::failpoint::hit("recover:before-header");
        header.store(&self.dir)?;
        crate::failpoint::hit("recover:after-header");
        if let Some(block) = &header.authority {
            let _pinned = device.check_pin(&id, block);
        }
        db::checkpoint(&core);
        // Anchoring is best effort here: the next unlock reports a keychain that fails.
        let trust = header.authority.as_ref().map(|block| log::Trust { block });
        let _anchored = device.keychain().advance(&core, &id, head, trust);
        Ok(())
    }
}
