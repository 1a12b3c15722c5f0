//! Recently opened datasets: folder paths only, never names of users or secrets.

use std::fs;
use std::path::{Path, PathBuf};

const FILE: &str = "recent-datasets.json";
const KEEP: usize = 10;

/// Recent dataset folders, most recent first.
pub fn load(state_dir: &Path) -> Vec<PathBuf> {
    fs::read(state_dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Puts `path` first in the list.
pub fn remember(state_dir: &Path, path: &Path) {
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut list = load(state_dir);
    list.retain(|p| p != &path);
    list.insert(0, path);
    list.truncate(KEEP);
    if let Ok(bytes) = serde_json::to_vec_pretty(&list) {
        // The list is a convenience; failing to save it must not disturb the login.
        let _saved =
            fs::create_dir_all(state_dir).and_then(|()| fs::write(state_dir.join(FILE), bytes));
    }
}
