//! The hash-chained access log: append, read, and verify.
//!
//! `hash = SHA-256(prev_hash ‖ length-prefixed fields)`, starting from a genesis hash bound to
//! the dataset id. The chain makes edits, deletions and reordering evident; truncation and
//! rollback are caught by comparing with the head this device stored in its keychain. It is
//! tamper-evident, not tamper-proof: anyone holding the core key can rewrite the whole chain,
//! and only the keychain anchor (or an exported head) shows that.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::{Action, Outcome};
use crate::dataset::crypto::encode_fields;
use crate::dataset::db::sql_error;
use crate::error::Result;

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

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
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
        })
    }
}

const COLUMNS: &str = "seq, time_ms, user, role, action, object, purpose, outcome, prev_hash, hash";

/// Appends an entry and commits it durably; returns the new head.
pub fn append(conn: &Connection, dataset_id: &str, entry: &NewEntry<'_>) -> Result<Head> {
    let run = || -> rusqlite::Result<Head> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let last = conn
            .query_row(
                "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?;
        let (seq, prev) = match last {
            Some((seq, hash)) => (seq + 1, hash.as_slice().try_into().unwrap_or([0u8; 32])),
            None => (1, genesis(dataset_id)),
        };
        let hash = entry_hash(
            &prev,
            seq,
            entry.time_ms,
            entry.user,
            entry.role,
            entry.action.as_str(),
            entry.object,
            entry.purpose,
            entry.outcome.as_str(),
        );
        conn.execute(
            &format!("INSERT INTO access_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                seq as i64,
                entry.time_ms,
                entry.user,
                entry.role,
                entry.action.as_str(),
                entry.object,
                entry.purpose,
                entry.outcome.as_str(),
                prev.as_slice(),
                hash.as_slice()
            ],
        )?;
        conn.execute_batch("COMMIT")?;
        Ok(Head { seq, hash })
    };
    run().map_err(|e| {
        if !conn.is_autocommit() {
            // The append failed half-way; undo it so the chain stays whole.
            let _rolled_back = conn.execute_batch("ROLLBACK");
        }
        sql_error(FILE, e)
    })
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

/// The last entry removed by a retention purge, if any: the chain continues from its hash.
pub fn base(conn: &Connection) -> Result<Option<Head>> {
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

/// Removes the entries older than `cut_ms`, except the newest entry, and records the last
/// removed one as the chain's base so verification goes on from it. Returns how many went.
pub fn purge_before(conn: &Connection, cut_ms: i64) -> Result<u64> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM access_log WHERE time_ms < ?1
               AND seq < (SELECT max(seq) FROM access_log) ORDER BY seq DESC LIMIT 1",
            [cut_ms],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| sql_error(FILE, e))?;
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

/// Walks the whole chain and compares its end with `anchor` (this device's stored head).
pub fn verify(conn: &Connection, dataset_id: &str, anchor: Option<Head>) -> Result<ChainReport> {
    let rows = read(conn, &LogQuery::default())?;
    let by_hash: HashMap<[u8; 32], u64> = rows.iter().map(|e| (e.hash, e.seq)).collect();
    let base = base(conn)?;
    let mut prev = base.map_or_else(|| genesis(dataset_id), |b| b.hash);
    let first = base.map_or(0, |b| b.seq);
    let mut problem = None;
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
        } else {
            None
        };
        if found.is_some() {
            problem = found;
            break;
        }
        prev = entry.hash;
    }
    let head = rows.last().map(|e| Head {
        seq: e.seq,
        hash: e.hash,
    });
    if problem.is_none() {
        // An anchor inside the purged part cannot be compared; one after it still can.
        problem = anchor
            .filter(|a| a.seq > first)
            .and_then(|a| anchor_problem(&rows, a, first));
    }
    Ok(ChainReport {
        entries: rows.len() as u64,
        head,
        problem,
    })
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
/// that a retention purge removed.
pub fn contains(conn: &Connection, anchor: Head) -> Result<bool> {
    if base(conn)?.is_some_and(|b| anchor.seq <= b.seq) {
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
