//! The upgrade of a format-1 dataset to signed membership, policy and log, run at the first
//! compliance-lead sign-in. It signs the membership as it finds it (slots whose role or tiers
//! disagree with the users table are left out and named), so the compliance lead is asked to
//! review the users it lists.

use rusqlite::OptionalExtension;

use crate::access::log::{self, NewEntry, Signer};
use crate::access::{Action, Identity, Notice, Outcome, Role, Workspace, seal_all};

use crate::dataset::authority::{AuthorityBlock, Member, Membership, new_signing_key};
use crate::dataset::db::sql_error;
use crate::dataset::{FORMAT_VERSION, Header, HeaderLock};
use crate::error::{Error, Result};

impl Workspace {
    /// Upgrades this format-1 dataset (compliance lead, at sign-in); logged.
    pub(crate) fn upgrade(&mut self) -> Result<()> {
        let _guard = HeaderLock::acquire(&self.dir)?;
        let mut header = Header::load_for_write(&self.dir)?;
        if header.authority.is_some() || header.databases != self.header.databases {
            self.add_notice(Notice::warning(
                "Another Sightline upgraded or changed this dataset while you signed in: lock and unlock again.",
            ));
            return Ok(());
        }
        let id = header.dataset_id.clone();
        let authority = new_signing_key()?;
        let mut members = Vec::new();
        let mut left_out = Vec::new();
        let mut own_signing = None;
        let mut kept = Vec::new();
        for mut slot in std::mem::take(&mut header.slots) {
            let recorded: Option<String> = self
                .core
                .query_row(
                    "SELECT role FROM users WHERE name = ?1 AND revoked_at_ms IS NULL",
                    [&slot.user],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| sql_error("core.db", e))?;
            let consistent = slot.tiers.as_slice() == slot.role.tiers()
                && recorded.as_deref() == Some(slot.role.as_str());
            if !consistent && slot.user != self.user {
                left_out.push(format!("{} ({})", slot.user, slot.role));
                continue;
            }
            let signing = new_signing_key()?;
            slot.seal_signing(&id, &signing)?;
            if slot.role == Role::ComplianceLead {
                slot.seal_authority(&id, &authority)?;
            }
            members.push(Member {
                user: slot.user.clone(),
                role: slot.role,
                kdf: slot.kdf,
                public_key: slot.public_key.clone(),
                signing_key: signing.verifying_key().as_bytes().to_vec(),
            });
            if slot.user == self.user {
                own_signing = Some(signing);
            }
            kept.push(slot);
        }
        let signing = own_signing.ok_or_else(|| {
            Error::Invalid("Your own key slot is missing from header.json.".into())
        })?;
        header.slots = kept;
        header.recovery.seal_authority(&id, &authority)?;
        let summary = members
            .iter()
            .map(|m| format!("{} ({})", m.user, m.role))
            .collect::<Vec<_>>()
            .join(", ");
        let signer = Signer {
            name: &self.user,
            key: &signing,
        };
        let core = &self.core;
        core.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| sql_error("core.db", e))?;
        let run = || -> Result<(log::Head, AuthorityBlock)> {
            crate::ingest::store::masking_rules(core)?;
            log::sign_legacy_base(core, &id, &authority, self.device.now_ms())?;
            let tags = seal_all(core, &id, signer)?;
            let mut object = format!(
                "signed membership: {summary}; authority {}",
                crate::dataset::authority::fingerprint(authority.verifying_key().as_bytes())
            );
            if !left_out.is_empty() {
                object.push_str(&format!(
                    "; left out (role or tiers disagree with the users table): {}",
                    left_out.join(", ")
                ));
            }
            let head = log::append_in_transaction(
                core,
                &id,
                &NewEntry {
                    time_ms: self.device.now_ms(),
                    user: &self.user,
                    role: self.role.as_str(),
                    action: Action::UpgradeDataset,
                    object: &format!("{object} {tags}"),
                    purpose: "format 1 to 2",
                    outcome: Outcome::Allowed,
                },
                Some(signer),
            )?;
            core.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_signed_from', ?1)",
                [head.seq.to_string()],
            )
            .map_err(|e| sql_error("core.db", e))?;
            let membership = Membership {
                version: 1,
                databases: header.databases.clone(),
                members,
                former: Vec::new(),
                recovery_public_key: header.recovery.public_key.clone(),
                log_signed_from: head.seq,
            };
            let block = AuthorityBlock::new(&id, &authority, None, membership)?;
            header.authority = Some(block.clone());
            header.version = FORMAT_VERSION;
            // The header is written inside the log's transaction: a crash before the commit
            // leaves a signed header over an unsealed policy, which the next unlock names.
            header.store(&self.dir)?;
            core.execute_batch("COMMIT")
                .map_err(|e| sql_error("core.db", e))?;
            Ok((head, block))
        };
        let (head, block) = run().inspect_err(|_| {
            let _rolled_back = core.execute_batch("ROLLBACK");
        })?;
        self.anchored(head);
        let _pinned = self.device.check_pin(&id, &block);
        let fingerprint = block.fingerprint();
        self.header = header;
        self.identity = Identity {
            signing: Some(signing),
            authority: Some(authority),
            secret: self.identity.secret.clone(),
        };
        let mut text = format!(
            "This dataset was upgraded: its membership, policy and access log are now signed. Authority fingerprint {fingerprint}: compare it with what other devices show. Users signed: {summary}."
        );
        if !left_out.is_empty() {
            text.push_str(&format!(
                " Left out because their slot disagreed with the users table: {}; add them again.",
                left_out.join(", ")
            ));
        }
        self.add_notice(Notice::warning(text));
        Ok(())
    }
}
