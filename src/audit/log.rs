//! The hash-chained access log: append, read, and verify.
//!
//! `hash = SHA-256(prev_hash ‖ length-prefixed fields)`, starting from a genesis hash bound to
//! the dataset id. The chain makes edits, deletions and reordering evident; truncation and
//! rollback are caught by comparing with the head this device stored in its keychain.
//!
//! Since format 2 every entry is also signed by the acting member's Ed25519 key (listed in the
//! authority-signed membership), the authority signs checkpoints of the head, and the chain's
//! base moves only through authority-signed purge records. So someone holding the core key can
//! no longer rewrite entries, forge another user's, or cut the oldest ones unnoticed.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{Action, Outcome};
use crate::clock::rfc3339;
use crate::dataset::authority::{self, AUTHORITY_SIGNER, AuthorityBlock, Membership};
use crate::dataset::crypto::encode_fields;
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};

const FILE: &str = "core.db";

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Acting user, or `(unknown)` for a failed login with an unknown name.
    pub user: String,
    /// Acting role, or `-` when unknown.
    pub role: String,
    /// What was attempted (see [`Action::as_str`]).
    pub action: String,
    /// What it concerned (a page, a session id, a user name, a file name).
    pub object: String,
    /// Why, when the action asks for a purpose.
    pub purpose: String,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    /// The previous entry's hash.
    #[serde(serialize_with = "hex::serde::serialize")]
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    #[serde(serialize_with = "hex::serde::serialize")]
    pub hash: [u8; 32],
    /// Whose key signed it (empty before a dataset's upgrade to format 2).
    pub signer: String,
    /// The signer's Ed25519 signature of the hash.
    #[serde(serialize_with = "opt_hex")]
    pub signature: Option<Vec<u8>>,
}

fn opt_hex<S: serde::Serializer>(
    v: &Option<Vec<u8>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(bytes) => s.serialize_str(&hex::encode(bytes)),
        None => s.serialize_none(),
    }
}

/// Who signs an entry being appended.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    /// The member's name, or [`AUTHORITY_SIGNER`].
    pub name: &'a str,
    /// Their key.
    pub key: &'a SigningKey,
}

/// What verification trusts: a verified authority block (membership, authority keys and
/// when each earlier key was retired).
#[derive(Clone, Copy)]
pub struct Trust<'a> {
    /// The verified block.
    pub block: &'a AuthorityBlock,
}

impl<'a> Trust<'a> {
    /// The signed membership.
    pub fn membership(&self) -> &'a Membership {
        &self.block.membership
    }

    /// The current authority key: the only one that signs checkpoints and purge records
    /// (a succession signs the existing ones again).
    pub fn current(&self) -> &'a [u8] {
        self.block.current()
    }
}

const ENTRY_SIG: &str = "sightline/log/entry/v1";
/// How far ahead of the verifier's clock an entry may be dated (devices' clocks differ).
const FUTURE_SKEW_MS: i64 = 24 * 3600 * 1000;
const CHECKPOINT_SIG: &str = "sightline/log/checkpoint/v1";
const PURGE_SIG: &str = "sightline/log/purge/v1";

fn entry_signature_fields<'a>(
    dataset_id: &'a str,
    signer: &'a str,
    hash: &'a [u8; 32],
) -> [&'a [u8]; 3] {
    [dataset_id.as_bytes(), signer.as_bytes(), hash]
}

/// The last entry of a chain: what the keychain anchor stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// An entry about to be appended.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// When.
    pub time_ms: i64,
    /// Who.
    pub user: &'a str,
    /// As what role (`role.as_str()`, or `-`).
    pub role: &'a str,
    /// What.
    pub action: Action,
    /// On what.
    pub object: &'a str,
    /// Why.
    pub purpose: &'a str,
    /// With what result.
    pub outcome: Outcome,
}

/// The hash before entry 1.
pub fn genesis(dataset_id: &str) -> [u8; 32] {
    Sha256::digest(encode_fields(
        "sightline/log/genesis/v1",
        &[dataset_id.as_bytes()],
    ))
    .into()
}

#[allow(clippy::too_many_arguments)]
fn entry_hash(
    prev: &[u8; 32],
    seq: u64,
    time_ms: i64,
    user: &str,
    role: &str,
    action: &str,
    object: &str,
    purpose: &str,
    outcome: &str,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(encode_fields(
        "sightline/log/v1",
        &[
            &seq.to_be_bytes(),
            &time_ms.to_be_bytes(),
            user.as_bytes(),
            role.as_bytes(),
            action.as_bytes(),
            object.as_bytes(),
            purpose.as_bytes(),
            outcome.as_bytes(),
        ],
    ));
    hasher.finalize().into()
}

impl LogEntry {
    fn recomputed_hash(&self) -> [u8; 32] {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.time_ms,
            &self.user,
            &self.role,
            &self.action,
            &self.object,
            &self.purpose,
            &self.outcome,
        )
    }

    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
        let blob32 = |i: usize| -> rusqlite::Result<[u8; 32]> {
            let v: Vec<u8> = row.get(i)?;
            // A wrong-length hash is kept as zeros so verification reports the entry as edited.
            Ok(v.as_slice().try_into().unwrap_or([0u8; 32]))
        };
        Ok(LogEntry {
            seq: row.get::<_, i64>(0)? as u64,
            time_ms: row.get(1)?,
            user: row.get(2)?,
            role: row.get(3)?,
            action: row.get(4)?,
            object: row.get(5)?,
            purpose: row.get(6)?,
            outcome: row.get(7)?,
            prev_hash: blob32(8)?,
            hash: blob32(9)?,
            signer: row.get(10)?,
            signature: row.get(11)?,
        })
    }
}

pub(crate) const COLUMNS: &str = "seq, time_ms, user, role, action, object, purpose, outcome, prev_hash, hash, signer, signature";

/// Appends an entry and commits it durably; returns the new head.
pub fn append(
    conn: &Connection,
    dataset_id: &str,
    entry: &NewEntry<'_>,
    signer: Option<Signer<'_>>,
) -> Result<Head> {
    let run = || -> Result<Head> {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| sql_error(FILE, e))?;
        let head = append_in_transaction(conn, dataset_id, entry, signer)?;
        conn.execute_batch("COMMIT")
            .map_err(|e| sql_error(FILE, e))?;
        Ok(head)
    };
    run().inspect_err(|_| {
        if !conn.is_autocommit() {
            // The append failed half-way; undo it so the chain stays whole.
            let _rolled_back = conn.execute_batch("ROLLBACK");
        }
    })
}

/// Whether the dataset's log requires signed entries (set by the upgrade to format 2).
pub fn requires_signatures(conn: &Connection) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'log_signed_from')",
        [],
        |r| r.get(0),
    )
    .map_err(|e| sql_error(FILE, e))
}

fn is_retired(conn: &Connection, key: &[u8]) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM retired_keys WHERE key = ?1)",
        [key],
        |r| r.get(0),
    )
    .map_err(|e| sql_error(FILE, e))
}

/// Marks a member's signing key as retired from now on and returns the last entry it may have
/// signed (the head), in one transaction, so no entry it signs can follow that point. The flag
/// says whether this call marked it (an earlier change may have).
pub fn retire_key(conn: &Connection, key: &[u8]) -> Result<(u64, bool)> {
    let tx = conn
        .unchecked_transaction()
        .map_err(|e| sql_error(FILE, e))?;
    let seq: i64 = tx
        .query_row("SELECT coalesce(max(seq), 0) FROM access_log", [], |r| {
            r.get(0)
        })
        .map_err(|e| sql_error(FILE, e))?;
    let inserted = tx
        .execute(
            "INSERT OR IGNORE INTO retired_keys (key, retired_at_seq) VALUES (?1, ?2)",
            params![key, seq],
        )
        .map_err(|e| sql_error(FILE, e))?;
    tx.commit().map_err(|e| sql_error(FILE, e))?;
    Ok((seq as u64, inserted > 0))
}

/// Undoes [`retire_key`] when the change that retired it failed.
pub fn unretire_key(conn: &Connection, key: &[u8]) -> Result<()> {
    conn.execute("DELETE FROM retired_keys WHERE key = ?1", [key])
        .map_err(|e| sql_error(FILE, e))?;
    Ok(())
}

/// [`append`] inside a transaction the caller opened (`BEGIN IMMEDIATE`) and commits, so an
/// entry and the change it records land together.
pub fn append_in_transaction(
    conn: &Connection,
    dataset_id: &str,
    entry: &NewEntry<'_>,
    signer: Option<Signer<'_>>,
) -> Result<Head> {
    if signer.is_none() && requires_signatures(conn)? {
        return Err(Error::Busy(
            "A compliance lead upgraded this dataset while you had it open: lock and unlock again."
                .into(),
        ));
    }
    if let Some(signer) = signer
        && is_retired(conn, signer.key.verifying_key().as_bytes())?
    {
        // A window opened before a password reset or a revocation: what it signed now would
        // not verify.
        return Err(Error::Busy(
            "Your keys were replaced (a password reset, a recovery or a revocation) while you had the dataset open: lock and sign in again.".into(),
        ));
    }
    let run = || -> rusqlite::Result<Head> {
        let last = conn
            .query_row(
                "SELECT seq, hash, time_ms FROM access_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()?;
        let (seq, prev, earliest) = match last {
            Some((seq, hash, time_ms)) => (
                seq + 1,
                hash.as_slice().try_into().unwrap_or([0u8; 32]),
                time_ms,
            ),
            None => (1, genesis(dataset_id), i64::MIN),
        };
        // Times never go back along the chain (a device with a slow clock writes the previous
        // entry's time), so a back-dated entry cannot steer a retention purge.
        // ... but never up to an entry dated in the future: that one is named, and the time
        // goes on from the clock.
        let time_ms = if earliest > crate::clock::now_ms() + FUTURE_SKEW_MS {
            entry.time_ms
        } else {
            entry.time_ms.max(earliest)
        };
        let hash = entry_hash(
            &prev,
            seq,
            time_ms,
            entry.user,
            entry.role,
            entry.action.as_str(),
            entry.object,
            entry.purpose,
            entry.outcome.as_str(),
        );
        let signature = signer.map(|s| {
            authority::sign(
                s.key,
                ENTRY_SIG,
                &entry_signature_fields(dataset_id, s.name, &hash),
            )
        });
        conn.execute(
            &format!("INSERT INTO access_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
            params![
                seq as i64,
                time_ms,
                entry.user,
                entry.role,
                entry.action.as_str(),
                entry.object,
                entry.purpose,
                entry.outcome.as_str(),
                prev.as_slice(),
                hash.as_slice(),
                signer.map_or("", |s| s.name),
                signature
            ],
        )?;
        Ok(Head { seq, hash })
    };
    run().map_err(|e| sql_error(FILE, e))
}

/// The newest entry, if any.
pub fn head(conn: &Connection) -> Result<Option<Head>> {
    conn.query_row(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
        [],
        |r| {
            let hash: Vec<u8> = r.get(1)?;
            Ok(Head {
                seq: r.get::<_, i64>(0)? as u64,
                hash: hash.as_slice().try_into().unwrap_or([0u8; 32]),
            })
        },
    )
    .optional()
    .map_err(|e| sql_error(FILE, e))
}

/// Filters for reading the log. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// Exact user name.
    pub user: Option<String>,
    /// Exact role name.
    pub role: Option<String>,
    /// Exact action name.
    pub action: Option<String>,
    /// Exact outcome name.
    pub outcome: Option<String>,
    /// Entries at or after this time.
    pub from_ms: Option<i64>,
    /// Entries before this time.
    pub to_ms: Option<i64>,
    /// Case-insensitive substring of user, action, object or purpose.
    pub text: Option<String>,
    /// Return at most this many, newest first; `None` returns all in chain order.
    pub newest: Option<usize>,
}

/// Reads entries matching `query`.
pub fn read(conn: &Connection, query: &LogQuery) -> Result<Vec<LogEntry>> {
    let mut sql = format!("SELECT {COLUMNS} FROM access_log WHERE 1=1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |clause: &str, value: rusqlite::types::Value| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    for (column, value) in [
        ("user", &query.user),
        ("role", &query.role),
        ("action", &query.action),
        ("outcome", &query.outcome),
    ] {
        if let Some(v) = value {
            bind(&format!(" AND {column} = ?"), v.clone().into());
        }
    }
    if let Some(from) = query.from_ms {
        bind(" AND time_ms >= ?", from.into());
    }
    if let Some(to) = query.to_ms {
        bind(" AND time_ms < ?", to.into());
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        bind(
            "  AND (user LIKE ? ESCAPE '\\' OR action LIKE ? ESCAPE '\\' OR object LIKE ? ESCAPE '\\' OR purpose LIKE ? ESCAPE '\\')",
            like.into(),
        );
    }
    match query.newest {
        Some(n) => sql.push_str(&format!(" ORDER BY seq DESC LIMIT {n}")),
        None => sql.push_str(" ORDER BY seq"),
    }
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_error(FILE, e))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), LogEntry::from_row)
        .map_err(|e| sql_error(FILE, e))?;
    rows.map(|r| r.map_err(|e| sql_error(FILE, e))).collect()
}

/// The first problem verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The entry it concerns.
    pub seq: u64,
    /// What is wrong, in words.
    pub reason: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// How many entries were read.
    pub entries: u64,
    /// The newest entry.
    pub head: Option<Head>,
    /// The first problem, or `None` when intact.
    pub problem: Option<ChainProblem>,
}

/// A purge of the oldest entries, as the authority signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PurgeRecord {
    /// First entry removed.
    pub from_seq: u64,
    /// Last entry removed: the chain goes on from its hash.
    pub to_seq: u64,
    /// How many entries were removed.
    pub entries: u64,
    /// The hash of entry `to_seq`.
    #[serde(with = "hex::serde")]
    pub last_hash: [u8; 32],
    /// When.
    pub time_ms: i64,
    /// The receipt that records it.
    pub receipt: String,
}

impl PurgeRecord {
    fn fields(&self, dataset_id: &str) -> Vec<Vec<u8>> {
        vec![
            dataset_id.as_bytes().to_vec(),
            self.from_seq.to_be_bytes().to_vec(),
            self.to_seq.to_be_bytes().to_vec(),
            self.entries.to_be_bytes().to_vec(),
            self.last_hash.to_vec(),
            self.time_ms.to_be_bytes().to_vec(),
            self.receipt.as_bytes().to_vec(),
        ]
    }

    fn sign(&self, dataset_id: &str, key: &SigningKey) -> Vec<u8> {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::sign(key, PURGE_SIG, &refs)
    }

    fn verifies(&self, dataset_id: &str, authority: &[u8], signature: &[u8]) -> bool {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::verify(authority, PURGE_SIG, &refs, signature)
    }
}

/// Where the chain starts: `Ok(None)` at genesis, or the last removed entry. With `trust`,
/// only an authority-signed purge record moves it; a record that does not verify is a problem.
fn chain_base(
    conn: &Connection,
    dataset_id: &str,
    trust: Option<Trust<'_>>,
) -> Result<std::result::Result<Option<Head>, ChainProblem>> {
    let Some(trust) = trust else {
        return legacy_base(conn).map(Ok);
    };
    let records = purge_records(conn)?;
    for (record, signature) in records.iter().rev() {
        if !record.verifies(dataset_id, trust.current(), signature) {
            return Ok(Err(ChainProblem {
                seq: record.to_seq,
                reason: format!(
                    "the record of a purge of entries {}–{} is not signed by the dataset's authority: entries were removed outside Sightline",
                    record.from_seq, record.to_seq
                ),
            }));
        }
    }
    Ok(Ok(records.last().map(|(r, _)| Head {
        seq: r.to_seq,
        hash: r.last_hash,
    })))
}

/// Every purge record with its signature, oldest first.
pub fn purge_records(conn: &Connection) -> Result<Vec<(PurgeRecord, Vec<u8>)>> {
    let mut stmt = conn
        .prepare(
            "SELECT from_seq, to_seq, entries, last_hash, time_ms, receipt, signature
             FROM log_purges ORDER BY to_seq",
        )
        .map_err(|e| sql_error(FILE, e))?;
    let rows = stmt
        .query_map([], |r| {
            let hash: Vec<u8> = r.get(3)?;
            Ok((
                PurgeRecord {
                    from_seq: r.get::<_, i64>(0)? as u64,
                    to_seq: r.get::<_, i64>(1)? as u64,
                    entries: r.get::<_, i64>(2)? as u64,
                    last_hash: hash.as_slice().try_into().unwrap_or([0u8; 32]),
                    time_ms: r.get(4)?,
                    receipt: r.get(5)?,
                },
                r.get::<_, Vec<u8>>(6)?,
            ))
        })
        .map_err(|e| sql_error(FILE, e))?;
    rows.map(|r| r.map_err(|e| sql_error(FILE, e))).collect()
}

/// The base recorded by a format-1 purge (`meta.log_base`, unsigned).
pub fn legacy_base(conn: &Connection) -> Result<Option<Head>> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'log_base'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| sql_error(FILE, e))?;
    Ok(value.and_then(|v| {
        let (seq, hash) = v.split_once(':')?;
        let hash: [u8; 32] = hex::decode(hash).ok()?.try_into().ok()?;
        Some(Head {
            seq: seq.parse().ok()?,
            hash,
        })
    }))
}

/// Turns a format-1 base into a signed purge record (at the upgrade, by the authority).
pub fn sign_legacy_base(conn: &Connection, dataset_id: &str, key: &SigningKey) -> Result<()> {
    let Some(base) = legacy_base(conn)? else {
        return Ok(());
    };
    let record = PurgeRecord {
        from_seq: 1,
        to_seq: base.seq,
        entries: base.seq,
        last_hash: base.hash,
        time_ms: crate::clock::now_ms(),
        receipt: "purged before the upgrade to signed logs".into(),
    };
    insert_purge(conn, dataset_id, &record, key)
}

fn insert_purge(
    conn: &Connection,
    dataset_id: &str,
    record: &PurgeRecord,
    key: &SigningKey,
) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO log_purges (to_seq, from_seq, entries, last_hash, time_ms, receipt, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            record.to_seq as i64,
            record.from_seq as i64,
            record.entries as i64,
            record.last_hash.as_slice(),
            record.time_ms,
            record.receipt,
            record.sign(dataset_id, key)
        ],
    )
    .map_err(|e| sql_error(FILE, e))?;
    Ok(())
}

/// Names the receipt of a purge record (as this purge made it, never as the row reads now)
/// and signs it again.
pub fn attach_receipt(
    conn: &Connection,
    dataset_id: &str,
    record: &PurgeRecord,
    receipt: &str,
    key: &SigningKey,
) -> Result<()> {
    let record = PurgeRecord {
        receipt: receipt.to_owned(),
        ..record.clone()
    };
    insert_purge(conn, dataset_id, &record, key)
}

/// Where a purge ends: the entry before the first one at or after `cut_ms` (so one entry dated
/// in the past cannot pull newer ones along), never the newest of all.
fn newest_older_than(conn: &Connection, cut_ms: i64) -> Result<Option<(i64, Vec<u8>)>> {
    conn.query_row(
        "SELECT seq, hash FROM access_log
         WHERE seq < coalesce((SELECT min(seq) FROM access_log WHERE time_ms >= ?1),
                              (SELECT max(seq) FROM access_log))
         ORDER BY seq DESC LIMIT 1",
        [cut_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(|e| sql_error(FILE, e))
}

/// Removes the entries older than `cut_ms`, except the newest entry, and writes an
/// authority-signed record of the removed range so verification goes on from its last hash.
/// All in one write transaction, and only after the entries to remove (and the link to the
/// first one kept) verify: what the authority signs away is what was really there. Returns
/// the record (`None` when nothing was old enough), or the problem that stopped it.
pub fn purge_before(
    conn: &Connection,
    dataset_id: &str,
    cut_ms: i64,
    key: &SigningKey,
    trust: Option<Trust<'_>>,
) -> Result<std::result::Result<Option<PurgeRecord>, ChainProblem>> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| sql_error(FILE, e))?;
    let run = || -> Result<std::result::Result<Option<PurgeRecord>, ChainProblem>> {
        let Some((seq, hash)) = newest_older_than(conn, cut_ms)? else {
            return Ok(Ok(None));
        };
        let base = match chain_base(conn, dataset_id, trust)? {
            Ok(base) => base,
            Err(problem) => return Ok(Err(problem)),
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM access_log WHERE seq <= ?1 ORDER BY seq"
            ))
            .map_err(|e| sql_error(FILE, e))?;
        let rows: Vec<LogEntry> = stmt
            .query_map([seq + 1], LogEntry::from_row)
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(FILE, e))?;
        if let Some(problem) = walk(&rows, base, dataset_id, trust) {
            return Ok(Err(problem));
        }
        let first = rows.first().map_or(seq, |e| e.seq as i64);
        let removed = conn
            .execute("DELETE FROM access_log WHERE seq <= ?1", [seq])
            .map_err(|e| sql_error(FILE, e))?;
        let record = PurgeRecord {
            from_seq: first as u64,
            to_seq: seq as u64,
            entries: removed as u64,
            last_hash: hash.as_slice().try_into().unwrap_or([0u8; 32]),
            time_ms: crate::clock::now_ms(),
            receipt: String::new(),
        };
        insert_purge(conn, dataset_id, &record, key)?;
        Ok(Ok(Some(record)))
    };
    match run() {
        Ok(Ok(record)) => {
            conn.execute_batch("COMMIT")
                .map_err(|e| sql_error(FILE, e))?;
            Ok(Ok(record))
        }
        other => {
            let _rolled_back = conn.execute_batch("ROLLBACK");
            other
        }
    }
}

/// Format 1: removes the entries older than `cut_ms` (never the newest) and records the last
/// removed one, unsigned, as the chain's base.
pub fn purge_legacy(conn: &Connection, cut_ms: i64) -> Result<u64> {
    let last = newest_older_than(conn, cut_ms)?;
    let Some((seq, hash)) = last else {
        return Ok(0);
    };
    let tx = conn
        .unchecked_transaction()
        .map_err(|e| sql_error(FILE, e))?;
    let removed = tx
        .execute("DELETE FROM access_log WHERE seq <= ?1", [seq])
        .map_err(|e| sql_error(FILE, e))?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_base', ?1)",
        [format!("{seq}:{}", hex::encode(hash))],
    )
    .map_err(|e| sql_error(FILE, e))?;
    tx.commit().map_err(|e| sql_error(FILE, e))?;
    Ok(removed as u64)
}

/// After the authority passes to a new key: signs again, with `next`, every purge record and
/// checkpoint that `previous` signed (only the current key is trusted for them), leaving
/// any that do not verify as they are, so they stay named.
pub fn resign_authority_records(
    conn: &Connection,
    dataset_id: &str,
    previous: &[u8],
    next: &SigningKey,
) -> Result<()> {
    for (record, signature) in purge_records(conn)? {
        if record.verifies(dataset_id, previous, &signature) {
            insert_purge(conn, dataset_id, &record, next)?;
        }
    }
    for checkpoint in Checkpoint::load_all(conn)? {
        if checkpoint.signed_by(dataset_id, previous) {
            conn.execute(
                "UPDATE log_checkpoints SET signature = ?1 WHERE seq = ?2",
                params![checkpoint.sign(dataset_id, next), checkpoint.seq as i64],
            )
            .map_err(|e| sql_error(FILE, e))?;
        }
    }
    Ok(())
}

/// Signs the current head as a checkpoint with the authority key (at a compliance lead's
/// sign-in and at every verification). Verification requires the chain to extend each one.
pub fn checkpoint(conn: &Connection, dataset_id: &str, key: &SigningKey) -> Result<()> {
    let Some(head) = head(conn)? else {
        return Ok(());
    };
    let mut checkpoint = Checkpoint {
        seq: head.seq,
        hash: head.hash,
        time_ms: crate::clock::now_ms(),
        signature: Vec::new(),
    };
    checkpoint.signature = checkpoint.sign(dataset_id, key);
    conn.execute(
        "INSERT OR IGNORE INTO log_checkpoints (seq, hash, time_ms, signature) VALUES (?1, ?2, ?3, ?4)",
        params![
            checkpoint.seq as i64,
            checkpoint.hash.as_slice(),
            checkpoint.time_ms,
            checkpoint.signature
        ],
    )
    .map_err(|e| sql_error(FILE, e))?;
    Ok(())
}

/// A head the authority signed.
struct Checkpoint {
    seq: u64,
    hash: [u8; 32],
    time_ms: i64,
    signature: Vec<u8>,
}

impl Checkpoint {
    fn load_all(conn: &Connection) -> Result<Vec<Checkpoint>> {
        let mut stmt = conn
            .prepare("SELECT seq, hash, time_ms, signature FROM log_checkpoints ORDER BY seq")
            .map_err(|e| sql_error(FILE, e))?;
        let rows = stmt
            .query_map([], |r| {
                let hash: Vec<u8> = r.get(1)?;
                Ok(Checkpoint {
                    seq: r.get::<_, i64>(0)? as u64,
                    hash: hash.as_slice().try_into().unwrap_or([0u8; 32]),
                    time_ms: r.get(2)?,
                    signature: r.get(3)?,
                })
            })
            .map_err(|e| sql_error(FILE, e))?;
        rows.map(|r| r.map_err(|e| sql_error(FILE, e))).collect()
    }

    fn fields(&self, dataset_id: &str) -> [Vec<u8>; 4] {
        [
            dataset_id.as_bytes().to_vec(),
            self.seq.to_be_bytes().to_vec(),
            self.hash.to_vec(),
            self.time_ms.to_be_bytes().to_vec(),
        ]
    }

    fn sign(&self, dataset_id: &str, key: &SigningKey) -> Vec<u8> {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::sign(key, CHECKPOINT_SIG, &refs)
    }

    fn signed_by(&self, dataset_id: &str, authority_key: &[u8]) -> bool {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::verify(authority_key, CHECKPOINT_SIG, &refs, &self.signature)
    }
}

/// Walks the whole chain and compares its end with `anchor` (this device's stored head). With
/// `trust` (format 2) it also checks every signature, every checkpoint and the purge records.
pub fn verify(
    conn: &Connection,
    dataset_id: &str,
    anchor: Option<Head>,
    trust: Option<Trust<'_>>,
) -> Result<ChainReport> {
    let rows = read(conn, &LogQuery::default())?;
    let head = rows.last().map(|e| Head {
        seq: e.seq,
        hash: e.hash,
    });
    let report = |problem| ChainReport {
        entries: rows.len() as u64,
        head,
        problem,
    };
    let base = match chain_base(conn, dataset_id, trust)? {
        Ok(base) => base,
        Err(problem) => return Ok(report(Some(problem))),
    };
    let first = base.map_or(0, |b| b.seq);
    if let Some(problem) = walk(&rows, base, dataset_id, trust) {
        return Ok(report(Some(problem)));
    }
    if let Some(trust) = trust
        && let Some(problem) = checkpoint_problem(conn, dataset_id, &rows, first, trust)?
    {
        return Ok(report(Some(problem)));
    }
    // An anchor inside the purged part cannot be compared; one after it still can.
    let problem = anchor
        .filter(|a| a.seq > first)
        .and_then(|a| anchor_problem(&rows, a, first));
    Ok(report(problem))
}

/// Walks `rows` (consecutive entries from the chain's base) and returns the first problem:
/// a gap, a broken link, an edit, a time set back or in the future, a missing or wrong
/// signature.
fn walk(
    rows: &[LogEntry],
    base: Option<Head>,
    dataset_id: &str,
    trust: Option<Trust<'_>>,
) -> Option<ChainProblem> {
    let by_hash: HashMap<[u8; 32], u64> = rows.iter().map(|e| (e.hash, e.seq)).collect();
    let now_ms = crate::clock::now_ms();
    let mut prev = base.map_or_else(|| genesis(dataset_id), |b| b.hash);
    let first = base.map_or(0, |b| b.seq);
    for (i, entry) in rows.iter().enumerate() {
        let expected = first + i as u64 + 1;
        let found = if entry.seq != expected {
            Some(ChainProblem {
                seq: expected,
                reason: format!("entry {expected} is missing: it was deleted"),
            })
        } else if entry.prev_hash != prev {
            Some(match by_hash.get(&entry.prev_hash) {
                Some(&after) => ChainProblem {
                    seq: entry.seq,
                    reason: format!(
                        "entry {} is out of order: it was written after entry {after}",
                        entry.seq
                    ),
                },
                None => ChainProblem {
                    seq: entry.seq.saturating_sub(1).max(1),
                    reason: format!(
                        "entry {} was rewritten: entry {} no longer links to it",
                        entry.seq.saturating_sub(1).max(1),
                        entry.seq
                    ),
                },
            })
        } else if entry.recomputed_hash() != entry.hash {
            Some(ChainProblem {
                seq: entry.seq,
                reason: format!(
                    "entry {} was edited: its contents do not match its hash",
                    entry.seq
                ),
            })
        } else if trust.is_some_and(|t| entry.seq >= t.membership().log_signed_from)
            && entry.time_ms > now_ms + FUTURE_SKEW_MS
        {
            Some(ChainProblem {
                seq: entry.seq,
                reason: format!(
                    "entry {} is dated {}, in the future: its time was set outside Sightline, and every later entry's time follows it",
                    entry.seq,
                    rfc3339(entry.time_ms)
                ),
            })
        } else if trust.is_some_and(|t| entry.seq > t.membership().log_signed_from)
            && i > 0
            // After an entry dated in the future (itself named), times go on from the clock.
            && rows
                .get(i - 1)
                .is_some_and(|p| entry.time_ms < p.time_ms && p.time_ms <= now_ms + FUTURE_SKEW_MS)
        {
            Some(ChainProblem {
                seq: entry.seq,
                reason: format!(
                    "entry {} is dated before the entry it follows: its time was set back outside Sightline",
                    entry.seq
                ),
            })
        } else {
            trust.and_then(|t| signature_problem(entry, dataset_id, t))
        };
        if found.is_some() {
            return found;
        }
        prev = entry.hash;
    }
    None
}

fn signature_problem(entry: &LogEntry, dataset_id: &str, trust: Trust<'_>) -> Option<ChainProblem> {
    if entry.seq < trust.membership().log_signed_from {
        return None;
    }
    let problem = |reason: String| {
        Some(ChainProblem {
            seq: entry.seq,
            reason,
        })
    };
    let Some(signature) = entry
        .signature
        .as_deref()
        .filter(|_| !entry.signer.is_empty())
    else {
        return problem(format!(
            "entry {} carries no signature: it was written outside Sightline",
            entry.seq
        ));
    };
    if !is_signed(entry, dataset_id, trust, signature) {
        return problem(format!(
            "entry {} is not signed by {}: it was written or rewritten outside Sightline",
            entry.seq, entry.signer
        ));
    }
    // Failed sign-ins are entered by whoever signs in next, and say nothing else; every other
    // entry speaks for its signer only.
    let entered_failure = entry.action == Action::LoginFailed.as_str()
        && entry.outcome == Outcome::Failed.as_str()
        && entry.object.is_empty()
        && entry.purpose.is_empty();
    let speaks_for_other =
        entry.signer != entry.user && entry.signer != AUTHORITY_SIGNER && !entered_failure;
    if speaks_for_other {
        return problem(format!(
            "entry {} claims to be by {} but is signed by {}: it was forged",
            entry.seq, entry.user, entry.signer
        ));
    }
    None
}

/// Whether `signature` is the entry's signature by a key its signer held at that point of the
/// log (retired keys sign nothing after they were retired).
fn is_signed(entry: &LogEntry, dataset_id: &str, trust: Trust<'_>, signature: &[u8]) -> bool {
    signing_role(entry, dataset_id, trust, signature).is_some()
}

/// The role of the key that signed the entry (`Some(None)` for the authority), if one did.
fn signing_role(
    entry: &LogEntry,
    dataset_id: &str,
    trust: Trust<'_>,
    signature: &[u8],
) -> Option<Option<crate::dataset::Role>> {
    let fields = entry_signature_fields(dataset_id, &entry.signer, &entry.hash);
    let signed_by = |key: &[u8]| authority::verify(key, ENTRY_SIG, &fields, signature);
    if entry.signer == AUTHORITY_SIGNER {
        return trust
            .block
            .keys_at(entry.seq)
            .into_iter()
            .any(signed_by)
            .then_some(None);
    }
    trust
        .membership()
        .signing_keys_at(&entry.signer, entry.seq)
        .into_iter()
        .find(|(key, _)| signed_by(key))
        .map(|(_, role)| Some(role))
}

/// Whether an entry is whole and signed by its own author (for readers that take a fact from
/// one entry, like the newest policy version): the role returned is the role of the key that
/// signed it, or `None` for the authority.
pub(crate) fn authentic_author(
    entry: &LogEntry,
    dataset_id: &str,
    trust: Trust<'_>,
) -> Option<Option<crate::dataset::Role>> {
    let signature = entry.signature.as_deref()?;
    if entry.recomputed_hash() != entry.hash {
        return None;
    }
    if entry.signer != AUTHORITY_SIGNER && entry.signer != entry.user {
        return None;
    }
    signing_role(entry, dataset_id, trust, signature)
}

fn checkpoint_problem(
    conn: &Connection,
    dataset_id: &str,
    rows: &[LogEntry],
    first: u64,
    trust: Trust<'_>,
) -> Result<Option<ChainProblem>> {
    let last = rows.last().map_or(first, |e| e.seq);
    for checkpoint in Checkpoint::load_all(conn)? {
        let Checkpoint {
            seq, hash, time_ms, ..
        } = checkpoint;
        let signed = checkpoint.signed_by(dataset_id, trust.current());
        let problem = |reason: String| Ok(Some(ChainProblem { seq, reason }));
        if !signed {
            return problem(format!(
                "the checkpoint at entry {seq} is not signed by the dataset's authority: it was forged"
            ));
        }
        if seq <= first {
            continue;
        }
        if seq > last {
            return problem(format!(
                "the log ends at entry {last} but the authority signed entry {seq} on {}: newer entries were removed",
                rfc3339(time_ms)
            ));
        }
        let index = usize::try_from(seq - first - 1).unwrap_or(usize::MAX);
        if rows.get(index).is_none_or(|e| e.hash != hash) {
            return problem(format!(
                "entry {seq} is not the one the authority signed on {}: the log was rewritten",
                rfc3339(time_ms)
            ));
        }
    }
    Ok(None)
}

fn anchor_problem(rows: &[LogEntry], anchor: Head, first: u64) -> Option<ChainProblem> {
    let last = rows.last().map_or(0, |e| e.seq);
    if anchor.seq > last {
        return Some(ChainProblem {
            seq: last + 1,
            reason: format!(
                "the log ends at entry {last} but this device last saw entry {}: entries were removed, or an older copy of the dataset was put back",
                anchor.seq
            ),
        });
    }
    let index = usize::try_from(anchor.seq - first).ok()?.checked_sub(1)?;
    match rows.get(index) {
        Some(entry) if entry.hash == anchor.hash => None,
        _ => Some(ChainProblem {
            seq: anchor.seq,
            reason: format!(
                "entry {} is not the one this device last saw: the log was replaced or the dataset rolled back",
                anchor.seq
            ),
        }),
    }
}

/// Whether `anchor` is an entry of the chain in `conn` (a cheap check at unlock), or one
/// that a retention purge removed (with `trust`, only a signed purge counts).
pub fn contains(
    conn: &Connection,
    dataset_id: &str,
    anchor: Head,
    trust: Option<Trust<'_>>,
) -> Result<bool> {
    if let Ok(Some(base)) = chain_base(conn, dataset_id, trust)?
        && anchor.seq <= base.seq
    {
        return Ok(true);
    }
    let hash: Option<Vec<u8>> = conn
        .query_row(
            "SELECT hash FROM access_log WHERE seq = ?1",
            [anchor.seq as i64],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| sql_error(FILE, e))?;
    Ok(hash.is_some_and(|h| h.as_slice() == anchor.hash))
}
