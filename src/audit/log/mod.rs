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

mod purge;
mod verify;

pub use purge::*;
pub use verify::*;

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
        // goes on from the clock. This reads the system's clock, not the entry's claimed time,
        // so an entry written back-dated through this function is still clamped.
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
