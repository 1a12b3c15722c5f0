//! Verifying the access log: signed checkpoints, the chain walk from its recorded base, each
//! entry's signature against the key its author held then, and the device's anchor.

use super::*;

/// Signs the current head as a checkpoint with the authority key (at a compliance lead's
/// sign-in and at every verification). Verification requires the chain to extend each one.
pub fn checkpoint(
    conn: &Connection,
    dataset_id: &str,
    key: &SigningKey,
    now_ms: i64,
) -> Result<()> {
    let Some(head) = head(conn)? else {
        return Ok(());
    };
    let mut checkpoint = Checkpoint {
        seq: head.seq,
        hash: head.hash,
        time_ms: now_ms,
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
pub(super) struct Checkpoint {
    pub(super) seq: u64,
    pub(super) hash: [u8; 32],
    pub(super) time_ms: i64,
    pub(super) signature: Vec<u8>,
}

impl Checkpoint {
    pub(super) fn load_all(conn: &Connection) -> Result<Vec<Checkpoint>> {
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

    pub(super) fn fields(&self, dataset_id: &str) -> [Vec<u8>; 4] {
        [
            dataset_id.as_bytes().to_vec(),
            self.seq.to_be_bytes().to_vec(),
            self.hash.to_vec(),
            self.time_ms.to_be_bytes().to_vec(),
        ]
    }

    pub(super) fn sign(&self, dataset_id: &str, key: &SigningKey) -> Vec<u8> {
        let fields = self.fields(dataset_id);
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        authority::sign(key, CHECKPOINT_SIG, &refs)
    }

    pub(super) fn signed_by(&self, dataset_id: &str, authority_key: &[u8]) -> bool {
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
    now_ms: i64,
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
    if let Some(problem) = walk(&rows, base, dataset_id, trust, now_ms) {
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
pub(super) fn walk(
    rows: &[LogEntry],
    base: Option<Head>,
    dataset_id: &str,
    trust: Option<Trust<'_>>,
    now_ms: i64,
) -> Option<ChainProblem> {
    let by_hash: HashMap<[u8; 32], u64> = rows.iter().map(|e| (e.hash, e.seq)).collect();
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
