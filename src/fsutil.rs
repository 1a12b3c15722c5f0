//! File helpers: writing an output file so that it appears complete or not at all.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes through a temporary file beside `path`, renamed into place only when complete.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".partial");
    let tmp = std::path::PathBuf::from(tmp_name);
    let file = fs::File::create(&tmp).map_err(Error::io("create", &tmp))?;
    let mut writer = BufWriter::new(file);
    let value = match write(&mut writer) {
        Ok(v) => v,
        Err(e) => {
            drop(writer);
            let _removed = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let file = writer
        .into_inner()
        .map_err(|e| Error::io("write", &tmp)(e.into_error()))?;
    file.sync_all().map_err(Error::io("sync", &tmp))?;
    fs::rename(&tmp, path).map_err(Error::io("write", path))?;
    Ok(value)
}
