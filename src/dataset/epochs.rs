//! The database files beside `header.json`: epochs newer than the header name (a rotation that
//! never switched it, or a header put back from a backup) and older leftovers. The pending
//! marker a rotation writes in the new core.db tells the two apart.

use std::fs;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::dataset::db::sql_error;
use crate::dataset::{BundleLock, Header, Tier};
use crate::error::{Error, Result};

/// Records in the current core.db which epochs a rotation is writing, so that files of a
/// rotation that never switched the header can be told from files newer than a stale header.
pub(crate) fn set_pending(core: &Connection, epochs: &[(Tier, u32)]) -> Result<()> {
    let value: std::collections::BTreeMap<&str, u32> =
        epochs.iter().map(|(t, e)| (t.as_str(), *e)).collect();
    let text = serde_json::to_string(&value).map_err(|e| Error::Format(e.to_string()))?;
    core.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('rotation_pending', ?1)",
        [text],
    )
    .map_err(|e| sql_error("core.db", e))?;
    Ok(())
}

fn pending(core: &Connection) -> Result<std::collections::BTreeMap<String, u32>> {
    let text: Option<String> = core
        .query_row(
            "SELECT value FROM meta WHERE key = 'rotation_pending'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| sql_error("core.db", e))?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// At unlock, with the header's core.db open: refuses a header older than the database files
/// beside it (a backup restore or a sync conflict) without deleting anything, and removes the
/// files of older epochs that a finished rotation left. Files of a rotation that never switched
/// the header (named in this core.db as pending) are left in place: they are unreadable without
/// keys nobody holds, and deleting on an unsigned marker would let anyone steer a deletion.
/// Removal waits until no other process has the dataset open.
pub(crate) fn check_files(
    dir: &Path,
    header: &Header,
    core: &Connection,
    lock: &BundleLock,
) -> Result<()> {
    let pending = pending(core)?;
    let mut newer = Vec::new();
    let mut leftovers = Vec::new();
    for (tier, epoch, name) in crate::dataset::header::epochs_on_disk(dir) {
        let current = header.epoch(tier);
        if epoch > current {
            // A rotation that never switched the header leaves files this core.db names as
            // pending. The marker is not signed, so they are left alone, never deleted.
            if pending.get(tier.as_str()) != Some(&epoch) {
                newer.push(name);
            }
        } else if epoch < current {
            leftovers.push(name);
        }
    }
    if !newer.is_empty() {
        newer.sort();
        return Err(Error::Integrity(format!(
            "header.json is older than the database files beside it ({} newer than what it names): it may have been restored from a backup or a sync conflict. Nothing was deleted. Put the newest header.json back (header.json.prev may be it) and open again.",
            newer.join(", ")
        )));
    }
    if leftovers.is_empty() || lock.exclusive().is_err() {
        return Ok(());
    }
    for name in leftovers {
        // Best effort: a file we cannot remove now is tried again next time.
        let _removed = remove_db_files(&dir.join(name));
    }
    lock.downgrade();
    Ok(())
}

/// Removes a database file and its WAL and shared-memory files, if present.
pub(crate) fn remove_db_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &name)(e)),
        }
    }
    Ok(())
}
