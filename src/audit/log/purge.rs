//! Purges of the access log: each removal of old entries is recorded, signed, with the hash
//! of the last entry removed, so the remaining chain still verifies from a recorded base.

use super::verify::{Checkpoint, walk};
use super::*;

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

    pub(super) fn verifies(&self, dataset_id: &str, authority: &[u8], signature: &[u8]) -> bool {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::verify(authority, PURGE_SIG, &refs, signature)
    }
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
pub fn sign_legacy_base(
    conn: &Connection,
    dataset_id: &str,
    key: &SigningKey,
    now_ms: i64,
) -> Result<()> {
    let Some(base) = legacy_base(conn)? else {
        return Ok(());
    };
    let record = PurgeRecord {
        from_seq: 1,
        to_seq: base.seq,
        entries: base.seq,
        last_hash: base.hash,
        time_ms: now_ms,
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
    now_ms: i64,
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
        if let Some(problem) = walk(&rows, base, dataset_id, trust, now_ms) {
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
            time_ms: now_ms,
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
