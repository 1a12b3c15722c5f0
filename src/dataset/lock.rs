//! Advisory file locks of a bundle. Every open workspace holds `bundle.lock` shared; a key
//! rotation needs it exclusively, because it replaces database files. Header edits (add user,
//! password changes) serialise on `header.lock` so that two processes never lose each other's
//! changes.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

const BUNDLE_LOCK: &str = "bundle.lock";
const HEADER_LOCK: &str = "header.lock";

fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Error::io("open", path))
}

/// The shared lock an open workspace holds on its bundle.
#[derive(Debug)]
pub(crate) struct BundleLock {
    file: File,
}

impl BundleLock {
    /// Makes the lock file of a new bundle.
    pub(crate) fn create(dir: &Path) -> Result<()> {
        open_lock_file(&dir.join(BUNDLE_LOCK)).map(drop)
    }

    /// Takes the lock shared; fails while a rotation holds it. Another unlock holds it
    /// exclusively for a moment (to tidy leftover files), so a short wait is allowed first.
    pub(crate) fn shared(dir: &Path) -> Result<BundleLock> {
        let file = open_lock_file(&dir.join(BUNDLE_LOCK))?;
        for _ in 0..40 {
            if file.try_lock_shared().is_ok() {
                return Ok(BundleLock { file });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(Error::Busy(
            "A key rotation is running on this dataset. Try again in a moment.".into(),
        ))
    }

    /// Upgrades to exclusive; fails while any other workspace has the dataset open.
    pub(crate) fn exclusive(&self) -> Result<()> {
        self.file.try_lock().map_err(|_| {
            Error::Busy(
                "The dataset is open in another window or process. Close it there, then try again."
                    .into(),
            )
        })
    }

    /// Goes back to shared after [`BundleLock::exclusive`].
    pub(crate) fn downgrade(&self) {
        // On the platforms we support, converting an exclusive flock to shared cannot block.
        let _shared = self.file.try_lock_shared();
    }
}

/// Held while a header is read, changed and written back.
#[derive(Debug)]
pub struct HeaderLock {
    _file: File,
}

impl HeaderLock {
    /// Waits for and takes the header lock of the bundle at `dir`.
    pub fn acquire(dir: &Path) -> Result<HeaderLock> {
        let path = dir.join(HEADER_LOCK);
        let file = open_lock_file(&path)?;
        file.lock().map_err(Error::io("lock", &path))?;
        Ok(HeaderLock { _file: file })
    }
}
