//! Sealed policy: the policy table (k floor, retention, consent target, restricted regions,
//! idle lock) and the masking rules are signed, as a whole, by the member who last changed
//! them, and the log entry of each change names the version. A value changed in `core.db` by
//! hand is put back from the signed copy and named; a seal that does not verify, or an older
//! one put back, is named and keeps the features that depend on it closed until a member who
//! may change it saves it again.

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::access::log::{self, NewEntry, Signer, Trust};
use crate::access::{Action, Capability, Notice, Outcome, Role, Workspace};

use crate::dataset::authority::{self, AUTHORITY_SIGNER};
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};

const FILE: &str = "core.db";
const SEAL_SIG: &str = "sightline/policy/v1";

/// The two sealed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// The `policy` table (compliance leads change it).
    Policy,
    /// The `masking_rules` table (data engineers change it).
    Masking,
}

impl PolicyKind {
    /// Both kinds.
    pub const ALL: [PolicyKind; 2] = [PolicyKind::Policy, PolicyKind::Masking];

    /// Stable name in seals and log tags.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Policy => "policy",
            PolicyKind::Masking => "masking",
        }
    }

    /// Whether `role` may sign a version of this document.
    fn may_sign(self, role: Role) -> bool {
        match self {
            PolicyKind::Policy => Capability::EraseSubject.allows(role),
            // Compliance leads seal the first rules at creation and at an upgrade.
            PolicyKind::Masking => {
                Capability::ImportData.allows(role) || role == Role::ComplianceLead
            }
        }
    }

    fn select(self) -> &'static str {
        match self {
            PolicyKind::Policy => "SELECT key, value FROM policy ORDER BY key",
            PolicyKind::Masking => "SELECT CAST(id AS TEXT), rule FROM masking_rules ORDER BY id",
        }
    }
}

/// The rows of a document as they are in `core.db`, as canonical JSON.
fn current_body(core: &Connection, kind: PolicyKind) -> Result<String> {
    let mut stmt = core
        .prepare(kind.select())
        .map_err(|e| sql_error(FILE, e))?;
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(FILE, e))?;
    serde_json::to_string(&rows).map_err(|e| Error::Format(e.to_string()))
}

fn restore(core: &Connection, kind: PolicyKind, body: &str) -> Result<()> {
    let rows: Vec<(String, String)> =
        serde_json::from_str(body).map_err(|e| Error::Format(e.to_string()))?;
    let tx = core
        .unchecked_transaction()
        .map_err(|e| sql_error(FILE, e))?;
    let run = || -> rusqlite::Result<()> {
        match kind {
            PolicyKind::Policy => {
                tx.execute("DELETE FROM policy", [])?;
                for (k, v) in &rows {
                    tx.execute("INSERT INTO policy (key, value) VALUES (?1, ?2)", [k, v])?;
                }
            }
            PolicyKind::Masking => {
                tx.execute("DELETE FROM masking_rules", [])?;
                for (id, rule) in &rows {
                    tx.execute(
                        "INSERT INTO masking_rules (id, rule) VALUES (CAST(?1 AS INTEGER), ?2)",
                        [id, rule],
                    )?;
                }
            }
        }
        Ok(())
    };
    run().map_err(|e| sql_error(FILE, e))?;
    tx.commit().map_err(|e| sql_error(FILE, e))
}

struct Seal {
    version: u64,
    body: String,
    signer: String,
    signature: Vec<u8>,
}

fn load_seal(core: &Connection, kind: PolicyKind) -> Result<Option<Seal>> {
    core.query_row(
        "SELECT version, body, signer, signature FROM policy_seals WHERE kind = ?1",
        [kind.as_str()],
        |r| {
            Ok(Seal {
                version: r.get::<_, i64>(0)? as u64,
                body: r.get(1)?,
                signer: r.get(2)?,
                signature: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(|e| sql_error(FILE, e))
}

fn fields<'a>(
    dataset_id: &'a str,
    kind: PolicyKind,
    version: &'a [u8; 8],
    signer: &'a str,
    body: &'a str,
) -> [&'a [u8]; 5] {
    [
        dataset_id.as_bytes(),
        kind.as_str().as_bytes(),
        version,
        signer.as_bytes(),
        body.as_bytes(),
    ]
}

/// The tag a log entry carries for a sealed version: `[policy v3 0123456789abcdef]`.
fn tag(kind: PolicyKind, version: u64, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!(
        "[{} v{version} {}]",
        kind.as_str(),
        hex::encode(&digest[..8])
    )
}

/// Signs the document as it now is in `core.db` as the next version; returns the tag for the
/// log entry that records the change (write both in one transaction).
pub(crate) fn seal(
    core: &Connection,
    dataset_id: &str,
    kind: PolicyKind,
    signer: Signer<'_>,
) -> Result<String> {
    let version = load_seal(core, kind)?.map_or(1, |s| s.version + 1);
    let body = current_body(core, kind)?;
    let v = version.to_be_bytes();
    let signature = authority::sign(
        signer.key,
        SEAL_SIG,
        &fields(dataset_id, kind, &v, signer.name, &body),
    );
    core.execute(
        "INSERT OR REPLACE INTO policy_seals (kind, version, body, signer, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![kind.as_str(), version as i64, body, signer.name, signature],
    )
    .map_err(|e| sql_error(FILE, e))?;
    Ok(tag(kind, version, &body))
}

/// A seal that verified, exactly as it was: what [`reseal`] may sign again.
pub(crate) struct SoundSeal {
    kind: PolicyKind,
    version: u64,
    body: String,
}

/// The seals that verify now and were signed by one of `signers` (whose keys a membership
/// change is about to retire), so that [`reseal`] can sign exactly those again with the
/// authority.
pub(crate) fn sound_kinds(
    core: &Connection,
    dataset_id: &str,
    trust: Option<Trust<'_>>,
    signers: &[&str],
) -> Result<Vec<SoundSeal>> {
    let Some(trust) = trust else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for kind in PolicyKind::ALL {
        let Some(seal) = load_seal(core, kind)? else {
            continue;
        };
        if signers.contains(&seal.signer.as_str())
            && check(core, dataset_id, kind, trust)?.seal_holds()
        {
            out.push(SoundSeal {
                kind,
                version: seal.version,
                body: seal.body,
            });
        }
    }
    Ok(out)
}

/// Signs the sealed versions of `kinds` again, unchanged, with the (current) authority key, as
/// the next versions, and logs them in one entry: after a membership change, the member or
/// authority key that signed them may be retired.
pub(crate) fn reseal(
    core: &Connection,
    dataset_id: &str,
    seals: &[SoundSeal],
    authority_key: &ed25519_dalek::SigningKey,
    entry: NewEntry<'_>,
    log_signer: Signer<'_>,
) -> Result<Option<log::Head>> {
    if seals.is_empty() {
        return Ok(None);
    }
    core.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| sql_error(FILE, e))?;
    let run = || -> Result<log::Head> {
        let mut tags = Vec::new();
        for sound in seals {
            // Only the very seal that was checked: a row changed since stays as it is, named.
            let unchanged = load_seal(core, sound.kind)?
                .is_some_and(|s| s.version == sound.version && s.body == sound.body);
            if !unchanged {
                continue;
            }
            let version = sound.version + 1;
            let v = version.to_be_bytes();
            let signature = authority::sign(
                authority_key,
                SEAL_SIG,
                &fields(dataset_id, sound.kind, &v, AUTHORITY_SIGNER, &sound.body),
            );
            core.execute(
                "INSERT OR REPLACE INTO policy_seals (kind, version, body, signer, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![sound.kind.as_str(), version as i64, sound.body, AUTHORITY_SIGNER, signature],
            )
            .map_err(|e| sql_error(FILE, e))?;
            tags.push(tag(sound.kind, version, &sound.body));
        }
        let object = format!("{} {}", entry.object, tags.join(" "));
        let head = log::append_in_transaction(
            core,
            dataset_id,
            &NewEntry {
                object: &object,
                ..entry
            },
            Some(log_signer),
        )?;
        core.execute_batch("COMMIT")
            .map_err(|e| sql_error(FILE, e))?;
        Ok(head)
    };
    run().map(Some).inspect_err(|_| {
        let _rolled_back = core.execute_batch("ROLLBACK");
    })
}

/// Seals both documents (creation and upgrade); returns both tags.
pub(crate) fn seal_all(core: &Connection, dataset_id: &str, signer: Signer<'_>) -> Result<String> {
    let mut tags = Vec::new();
    for kind in PolicyKind::ALL {
        tags.push(seal(core, dataset_id, kind, signer)?);
    }
    Ok(tags.join(" "))
}

/// The tags of the current seals that verify, for a log entry that must keep naming them (the
/// purge of old log entries would otherwise remove the entries that do). A seal that does not
/// verify is never named again, so a purge cannot launder a rollback.
pub(crate) fn current_tags(
    core: &Connection,
    dataset_id: &str,
    trust: Option<Trust<'_>>,
) -> Result<String> {
    let Some(trust) = trust else {
        return Ok(String::new());
    };
    let mut out = Vec::new();
    for kind in PolicyKind::ALL {
        if let Some(seal) = load_seal(core, kind)?
            && check(core, dataset_id, kind, trust)?.seal_holds()
        {
            out.push(tag(kind, seal.version, &seal.body));
        }
    }
    Ok(out.join(" "))
}

/// The newest version of `kind` named by a whole log entry whose author may change it.
fn logged_tag(
    core: &Connection,
    dataset_id: &str,
    kind: PolicyKind,
    trust: Trust<'_>,
) -> Result<std::result::Result<Option<String>, String>> {
    let pattern = format!("%[{} v%", kind.as_str());
    let mut stmt = core
        .prepare(&format!(
            "SELECT {} FROM access_log
             WHERE action IN ('create-dataset', 'upgrade-dataset', 'edit-policy', 'manage-masking', 'retention-purge')
               AND outcome = 'allowed' AND object LIKE ?1
             ORDER BY seq DESC",
            log::COLUMNS
        ))
        .map_err(|e| sql_error(FILE, e))?;
    let mut rows = stmt.query([pattern]).map_err(|e| sql_error(FILE, e))?;
    let prefix = format!("[{} v", kind.as_str());
    while let Some(row) = rows.next().map_err(|e| sql_error(FILE, e))? {
        let entry = log::LogEntry::from_row(row).map_err(|e| sql_error(FILE, e))?;
        // An entry anyone could have written in their own name says nothing about the policy;
        // one that was changed says the log was.
        let may = match log::authentic_author(&entry, dataset_id, trust) {
            Some(None) => true,
            Some(Some(role)) => kind.may_sign(role),
            None => {
                return Ok(Err(format!(
                    "entry {} names a version of the {} but was changed or forged outside Sightline",
                    entry.seq,
                    kind.as_str()
                )));
            }
        };
        if !may {
            continue;
        }
        let tag = entry.object.rfind(&prefix).and_then(|start| {
            let end = entry.object[start..].find(']')?;
            Some(entry.object[start..start + end + 1].to_owned())
        });
        if let Some(tag) = tag {
            // Entries removed after it could have named a newer version.
            let (count, last): (i64, i64) = core
                .query_row(
                    "SELECT count(*), coalesce(max(seq), 0) FROM access_log WHERE seq >= ?1",
                    [entry.seq as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| sql_error(FILE, e))?;
            if count != last - entry.seq as i64 + 1 {
                return Ok(Err(format!(
                    "access-log entries after entry {} (which names the {}) were removed outside Sightline",
                    entry.seq,
                    kind.as_str()
                )));
            }
            return Ok(Ok(Some(tag)));
        }
    }
    Ok(Ok(None))
}

/// What a check of one sealed document found.
enum Verdict {
    /// The seal verifies, is the newest the log names, and `core.db` holds what it says.
    Sound,
    /// Only the table was changed: the signed body (second) can put it back.
    TableChanged(String, String),
    /// The seal itself cannot be trusted.
    Broken(String),
}

impl Verdict {
    /// Whether the seal itself can be trusted (the table may still need putting back).
    fn seal_holds(&self) -> bool {
        !matches!(self, Verdict::Broken(_))
    }
}

/// Checks one sealed document against the signed membership and the log.
fn check(
    core: &Connection,
    dataset_id: &str,
    kind: PolicyKind,
    trust: Trust<'_>,
) -> Result<Verdict> {
    let name = kind.as_str();
    let Some(seal) = load_seal(core, kind)? else {
        return Ok(Verdict::Broken(format!(
            "the {name} in core.db carries no signature: its seal was removed outside Sightline"
        )));
    };
    let v = seal.version.to_be_bytes();
    let fields = fields(dataset_id, kind, &v, &seal.signer, &seal.body);
    // Only keys in use now: a retired key (a revoked member, an old authority) signs no seal;
    // membership changes sign the current seals again with the authority.
    let signed = if seal.signer == AUTHORITY_SIGNER {
        authority::verify(trust.current(), SEAL_SIG, &fields, &seal.signature)
    } else {
        trust
            .membership()
            .active_key(&seal.signer)
            .is_some_and(|(k, role)| {
                kind.may_sign(role) && authority::verify(k, SEAL_SIG, &fields, &seal.signature)
            })
    };
    if !signed {
        return Ok(Verdict::Broken(format!(
            "the {name} in core.db (version {}) is not signed by a member who may change it: it was written outside Sightline",
            seal.version
        )));
    }
    let sealed_tag = tag(kind, seal.version, &seal.body);
    let logged = match logged_tag(core, dataset_id, kind, trust)? {
        Ok(logged) => logged,
        Err(problem) => return Ok(Verdict::Broken(problem)),
    };
    match logged {
        Some(logged) if logged != sealed_tag => {
            return Ok(Verdict::Broken(format!(
                "the {name} in core.db is {sealed_tag} but the access log names {logged} as the newest: an older version was put back outside Sightline"
            )));
        }
        None if log::purge_records(core)?.is_empty() => {
            return Ok(Verdict::Broken(format!(
                "the {name} in core.db is {sealed_tag}, a version no access-log entry names: it was put there outside Sightline"
            )));
        }
        _ => {}
    }
    if current_body(core, kind)? != seal.body {
        return Ok(Verdict::TableChanged(
            format!(
                "the {name} in core.db was changed outside Sightline: it no longer matches version {} signed by {}, which was put back",
                seal.version, seal.signer
            ),
            seal.body,
        ));
    }
    Ok(Verdict::Sound)
}

/// What [`Workspace::settle`] left a sealed document in.
enum Settled {
    /// Nothing to say.
    Sound,
    /// The table had been changed by hand and was put back from the signed copy.
    Restored(String),
    /// The seal cannot be trusted: what depends on it stays closed.
    Broken(String),
}

impl Workspace {
    /// Checks one sealed document (format 2) and puts a hand-edited table back from its signed
    /// copy.
    fn settle(&self, kind: PolicyKind) -> Result<Settled> {
        let verdict = self.with_trust(|trust| {
            trust
                .map(|t| check(&self.core, &self.header.dataset_id, kind, t))
                .transpose()
        })?;
        Ok(match verdict {
            None | Some(Verdict::Sound) => Settled::Sound,
            Some(Verdict::TableChanged(problem, body)) => {
                restore(&self.core, kind, &body)?;
                Settled::Restored(problem)
            }
            Some(Verdict::Broken(problem)) => Settled::Broken(problem),
        })
    }

    /// Checks both sealed documents; a changed table is put back from its signed copy. Returns
    /// every problem found, for notices, alerts and `verify`.
    pub(crate) fn policy_problems(&self) -> Vec<String> {
        PolicyKind::ALL
            .iter()
            .filter_map(|kind| match self.settle(*kind) {
                Ok(Settled::Sound) => None,
                Ok(Settled::Restored(problem) | Settled::Broken(problem)) => Some(problem),
                Err(e) => Some(format!("the {} could not be checked: {e}", kind.as_str())),
            })
            .collect()
    }

    /// Refuses work that depends on `kind` while its seal cannot be trusted; a table changed by
    /// hand is put back from the signed copy first. Either is logged.
    pub(crate) fn require_policy(&self, kind: PolicyKind) -> Result<()> {
        let (problem, refuse) = match self.settle(kind)? {
            Settled::Sound => return Ok(()),
            Settled::Restored(problem) => (problem, false),
            Settled::Broken(problem) => (problem, true),
        };
        self.log(
            Action::IntegrityAlert,
            kind.as_str(),
            &problem,
            Outcome::Failed,
        )?;
        if refuse {
            return Err(Error::Integrity(format!(
                "{problem}. What depends on the {} stays closed until a member who may change it saves it again.",
                kind.as_str()
            )));
        }
        self.add_notice(Notice::integrity(format!("{problem}.")));
        Ok(())
    }

    /// Runs `change` on core.db and records it: in format 2 the change, the new seal of
    /// `kind` and the log entry (naming the sealed version) commit together.
    pub(crate) fn edit_sealed(
        &self,
        action: Action,
        object: &str,
        kind: PolicyKind,
        change: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<()> {
        let Some(signer) = self.signer() else {
            self.gate(action, object, "")?;
            change(&self.core).or_else(|e| self.failed(action, object, e))?;
            if kind == PolicyKind::Policy {
                self.refresh_policy()?;
            }
            return Ok(());
        };
        if let Some(capability) = action.capability()
            && !capability.allows(self.role)
        {
            return self.gate(action, object, "");
        }
        let core = &self.core;
        let run = || -> Result<log::Head> {
            core.execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| sql_error(FILE, e))?;
            change(core)?;
            let tag = seal(core, &self.header.dataset_id, kind, signer)?;
            let head = log::append_in_transaction(
                core,
                &self.header.dataset_id,
                &NewEntry {
                    time_ms: self.device.now_ms(),
                    user: &self.user,
                    role: self.role.as_str(),
                    action,
                    object: &format!("{object} {tag}"),
                    purpose: "",
                    outcome: Outcome::Allowed,
                },
                Some(signer),
            )?;
            core.execute_batch("COMMIT")
                .map_err(|e| sql_error(FILE, e))?;
            Ok(head)
        };
        match run() {
            Ok(head) => {
                self.anchored(head);
                // The edit is committed: a failed re-read is said, not reported as a failure.
                if kind == PolicyKind::Policy
                    && let Err(e) = self.refresh_policy()
                {
                    self.add_notice(Notice::warning(format!(
                        "The policy was saved but could not be read back: {e}"
                    )));
                }
                Ok(())
            }
            Err(e) => {
                if !core.is_autocommit() {
                    let _rolled_back = core.execute_batch("ROLLBACK");
                }
                self.failed(action, object, e)
            }
        }
    }
}
