//! `header.json`: the only plaintext file of a bundle. It holds format metadata, the key slots
//! and the signed membership, nothing sensitive. It is replaced atomically and then copied to
//! `header.json.prev`, so a file damaged later (a sync tool, a bad disk) never loses the dataset.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dataset::Tier;
use crate::dataset::authority::AuthorityBlock;
use crate::dataset::keyslot::KeySlot;
use crate::dataset::recovery::RecoverySlot;
use crate::error::{Error, Result};

/// The `format` field of every bundle.
pub const FORMAT: &str = "sightline-dataset";
/// The bundle format this build writes (and the newest it reads). Format 2 adds the signed
/// membership (`authority`); format 1 datasets open and are upgraded by a compliance lead.
pub const FORMAT_VERSION: u32 = 2;

pub(crate) const HEADER: &str = "header.json";
const HEADER_PREV: &str = "header.json.prev";
const HEADER_TMP: &str = "header.json.tmp";

/// One tier's database: its key epoch decides the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    /// Bumped by every rotation of this tier's key.
    pub epoch: u32,
}

/// The parsed header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Bundle format version.
    pub version: u32,
    /// Random id (32 hex digits); bound into every slot and log hash.
    pub dataset_id: String,
    /// Display name.
    pub name: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Database epoch per tier.
    pub databases: BTreeMap<Tier, DbInfo>,
    /// One slot per active user.
    pub slots: Vec<KeySlot>,
    /// The recovery slot.
    pub recovery: RecoverySlot,
    /// Format 2: the authority and the membership it signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityBlock>,
}

impl Header {
    /// The slot of `user`, if any.
    pub fn slot(&self, user: &str) -> Option<&KeySlot> {
        self.slots.iter().find(|s| s.user == user)
    }

    /// The epoch of `tier`'s database.
    pub fn epoch(&self, tier: Tier) -> u32 {
        self.databases.get(&tier).map_or(0, |d| d.epoch)
    }

    /// The database path of `tier` inside `dir`.
    pub fn db_path(&self, dir: &Path, tier: Tier) -> PathBuf {
        dir.join(tier.file_name(self.epoch(tier)))
    }

    /// Reads the header of the bundle at `dir`. When `header.json` is missing or unreadable but
    /// the previous copy is good, that copy is used and a notice says so.
    pub fn load(dir: &Path) -> Result<(Header, Option<String>)> {
        let main = dir.join(HEADER);
        match Self::load_file(&main) {
            Ok(header) => Ok((header, None)),
            Err(first) => {
                if !dir.is_dir() {
                    return Err(Error::Format(format!("{} is not a folder.", dir.display())));
                }
                match Self::load_file(&dir.join(HEADER_PREV)) {
                    Ok(header) => Ok((
                        header,
                        Some(format!(
                            "header.json could not be read ({first}); the previous copy was used."
                        )),
                    )),
                    Err(_) => Err(first),
                }
            }
        }
    }

    /// Reads `header.json` for a change that will be written back: never the previous copy,
    /// which could carry an older membership the change would then sign again.
    pub fn load_for_write(dir: &Path) -> Result<Header> {
        Self::load_file(&dir.join(HEADER)).map_err(|e| {
            Error::Integrity(format!(
                "{e} Changes to users and keys wait until header.json is whole again (header.json.prev may be it)."
            ))
        })
    }

    fn load_file(path: &Path) -> Result<Header> {
        let bytes = fs::read(path).map_err(Error::io("read", path))?;
        let header: Header = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Format(format!(
                "{} is not a valid Sightline header (line {}, column {}).",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        header.validate(path)?;
        Ok(header)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::Format(format!(
                "{} is not a Sightline dataset header.",
                path.display()
            )));
        }
        if self.version > FORMAT_VERSION {
            return Err(Error::Format(format!(
                "This dataset uses format {}, made by a newer Sightline; this build reads up to format {FORMAT_VERSION}.",
                self.version
            )));
        }
        let id_ok =
            self.dataset_id.len() == 32 && self.dataset_id.bytes().all(|b| b.is_ascii_hexdigit());
        if !id_ok || Tier::ALL.iter().any(|t| !self.databases.contains_key(t)) {
            return Err(Error::Format(format!(
                "{} is incomplete or damaged.",
                path.display()
            )));
        }
        Ok(())
    }

    /// Replaces `header.json` atomically: the old one is kept as `header.json.prev`, the new one
    /// is written to a temporary file, synced, renamed over, and the folder is synced.
    pub fn store(&self, dir: &Path) -> Result<()> {
        let main = dir.join(HEADER);
        let tmp = dir.join(HEADER_TMP);
        let mut json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Format(format!("Could not encode the header: {e}")))?;
        json.push(b'\n');
        write_synced(&tmp, &json)?;
        fs::rename(&tmp, &main).map_err(Error::io("replace", &main))?;
        sync_dir(dir)?;
        // The copy follows the main file, so falling back to it never means going back to an
        // older membership (which this device's pin would refuse). The change has happened
        // once the main file is in place: a copy that fails is retried at the next store.
        let _copied = copy_synced(&main, &dir.join(HEADER_PREV)).and_then(|()| sync_dir(dir));
        Ok(())
    }
}

/// The epochs of the tier databases present in `dir` (main files only).
pub(crate) fn epochs_on_disk(dir: &Path) -> Vec<(Tier, u32, String)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        for tier in Tier::ALL {
            let epoch = name
                .strip_prefix(tier.as_str())
                .and_then(|rest| rest.strip_suffix(".db"))
                .and_then(|mid| {
                    if mid.is_empty() {
                        Some(0)
                    } else {
                        mid.strip_prefix('.').and_then(|n| n.parse::<u32>().ok())
                    }
                });
            if let Some(epoch) = epoch {
                out.push((tier, epoch, name.clone()));
            }
        }
    }
    out
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(Error::io("create", path))?;
    file.write_all(bytes).map_err(Error::io("write", path))?;
    file.sync_all().map_err(Error::io("sync", path))
}

fn copy_synced(from: &Path, to: &Path) -> Result<()> {
    let bytes = fs::read(from).map_err(Error::io("read", from))?;
    let tmp = to.with_extension("prev.tmp");
    write_synced(&tmp, &bytes)?;
    fs::rename(&tmp, to).map_err(Error::io("replace", to))
}

/// Makes a rename inside `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("sync", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
