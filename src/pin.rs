//! Pins: the authority key and the newest signed membership this device has seen for each
//! dataset, like SSH's `known_hosts`. Kept in the OS keychain and in the device's state folder,
//! so a swapped authority or an older `header.json` put back is refused even without a keychain.

use std::fs;

use serde::{Deserialize, Serialize};

use crate::dataset::authority::{AuthorityBlock, fingerprint};
use crate::device::Device;

/// What this device remembers of a dataset's authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The newest authority public key seen.
    #[serde(with = "hex::serde")]
    pub authority: Vec<u8>,
    /// The highest membership version seen.
    pub membership_version: u64,
}

fn account(dataset_id: &str) -> String {
    format!("pin:{dataset_id}")
}

impl Device {
    fn pin_file(&self, dataset_id: &str) -> std::path::PathBuf {
        self.state_dir()
            .join("pins")
            .join(format!("{dataset_id}.json"))
    }

    /// The pin of a dataset: the keychain's when it has one, else the state folder's.
    pub fn pin(&self, dataset_id: &str) -> Option<Pin> {
        let from_keychain = self
            .keychain()
            .get_value(&account(dataset_id))
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str::<Pin>(&text).ok());
        let from_file = fs::read(self.pin_file(dataset_id))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Pin>(&bytes).ok());
        match (from_keychain, from_file) {
            // Both present: the keychain is harder to reach, but a file that saw a newer
            // membership of the same authority is newer knowledge.
            (Some(k), Some(f)) if k.authority == f.authority => Some(Pin {
                membership_version: k.membership_version.max(f.membership_version),
                ..k
            }),
            (Some(k), _) => Some(k),
            (None, f) => f,
        }
    }

    /// Stores the pin in both places (each best effort; the error names what failed).
    pub fn store_pin(&self, dataset_id: &str, pin: &Pin) -> Result<(), String> {
        let text = serde_json::to_string(pin).map_err(|e| e.to_string())?;
        let keychain = self.keychain().set_value(&account(dataset_id), &text);
        let path = self.pin_file(dataset_id);
        let file = path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .map_err(|e| format!("state folder: {e}"))
            .and_then(|()| {
                crate::fsutil::write_atomically(&path, |out| {
                    std::io::Write::write_all(out, text.as_bytes())
                        .map_err(crate::error::Error::io("write", &path))
                })
                .map_err(|e| format!("state folder: {e}"))
            });
        keychain.and(file)
    }

    /// Checks a verified authority block against this device's pin and moves the pin forward.
    /// Refuses an authority this device did not pin (and that no signed succession leads to)
    /// and a membership older than one this device saw.
    pub fn check_pin(&self, dataset_id: &str, block: &AuthorityBlock) -> Result<(), String> {
        let current = block.current().to_vec();
        let version = block.membership.version;
        if let Some(pin) = self.pin(dataset_id) {
            let chain = block.chain();
            if !chain.contains(&pin.authority.as_slice()) {
                return Err(format!(
                    "the dataset's authority key (fingerprint {}) is not the one this device pinned ({}): header.json was replaced, or this folder is a different dataset with the same id",
                    fingerprint(&current),
                    fingerprint(&pin.authority)
                ));
            }
            if version < pin.membership_version {
                return Err(format!(
                    "header.json is older than the one this device last saw (membership version {version}, seen {}): it may have been restored from a backup or a sync conflict. Nothing was changed; put the newest header.json back",
                    pin.membership_version
                ));
            }
            if pin.authority == current && pin.membership_version == version {
                return Ok(());
            }
        }
        self.store_pin(
            dataset_id,
            &Pin {
                authority: current,
                membership_version: version,
            },
        )
        .or(Ok(()))
    }
}
