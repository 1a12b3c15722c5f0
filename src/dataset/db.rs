//! Opening a tier's SQLCipher database with its raw key, and turning SQLite errors into
//! integrity errors where they mean the bytes on disk were changed.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use zeroize::Zeroizing;

use crate::dataset::Tier;
use crate::dataset::schema;
use crate::error::{Error, Result};

/// Opens (or with `create`, makes) the database of `tier` at `path` with `key`.
///
/// The key has already been authenticated by the key slot, so a page that fails SQLCipher's
/// HMAC means the file was modified or damaged: that is reported as an integrity problem.
pub fn open(path: &Path, tier: Tier, key: &[u8; 32], create: bool) -> Result<Connection> {
    if !create && !path.is_file() {
        return Err(Error::Integrity(format!(
            "{} is missing from the dataset.",
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            )
        )));
    }
    // CREATE is needed even for existing files: a rotation ATTACHes a new file through this
    // connection, and ATTACH uses the main database's open flags.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let file = tier_file(tier);
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sql_error(file, e))?;
    // SQLCipher would print page-level failures to stderr; we report them ourselves, once.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .map_err(|e| sql_error(file, e))?;
    apply_key(&conn, "main", key).map_err(|e| sql_error(file, e))?;
    // The first read checks the key and page 1's HMAC.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| sql_error(file, e))?;
    conn.execute_batch(
        "PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         -- 32 MiB of decrypted pages: the Overview and element tables read the same tables
         -- again on every refresh, and each page read from disk costs an HMAC check.
         PRAGMA cache_size = -32768;",
    )
    .map_err(|e| sql_error(file, e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| sql_error(file, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Database {
            file,
            message: format!("could not switch to WAL mode (got {mode})"),
        });
    }
    schema::migrate(&conn, tier)?;
    Ok(conn)
}

/// Gives SQLCipher the raw key of schema `db` ("main" or an attached name).
pub(crate) fn apply_key(conn: &Connection, db: &str, key: &[u8; 32]) -> rusqlite::Result<()> {
    let sql = Zeroizing::new(format!("PRAGMA {db}.key = \"x'{}'\";", hex::encode(key)));
    conn.execute_batch(&sql)
}

/// The file name used in messages for a tier.
pub fn tier_file(tier: Tier) -> &'static str {
    match tier {
        Tier::Core => "core.db",
        Tier::Recordings => "recordings.db",
    }
}

/// Classifies a SQLite error: authentication and corruption failures are integrity problems.
pub fn sql_error(file: &'static str, err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Integrity(format!(
            "{file} failed authentication: the file was modified or is damaged."
        )),
        _ => Error::Database {
            file,
            message: err.to_string(),
        },
    }
}

/// Runs SQLCipher's page-by-page HMAC check; returns a description of each bad page.
pub fn cipher_integrity_check(conn: &Connection, file: &'static str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare("PRAGMA cipher_integrity_check")
        .map_err(|e| sql_error(file, e))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| sql_error(file, e))?;
    rows.map(|r| r.map_err(|e| sql_error(file, e))).collect()
}

/// Moves the WAL into the main file and truncates it, so the files at rest are complete.
pub fn checkpoint(conn: &Connection) {
    // A busy checkpoint (another process reading) is retried at the next close; not an error.
    let _busy = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
}
