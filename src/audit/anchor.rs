//! The keychain anchor: the last log head this device saw, kept in the OS keychain through
//! `keyring`, so that a rolled-back or swapped copy of a dataset is noticed on the next open.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use crate::audit::log::Head;

const SERVICE: &str = "sightline";

/// A credential store for anchors, or the reason there is none on this machine.
#[derive(Clone)]
pub struct Keychain {
    store: Option<Arc<CredentialStore>>,
    description: String,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Keychain {
    /// The platform's keychain: macOS Keychain, Windows Credential Manager, the Secret Service on
    /// Linux and, when no Secret Service answers, the kernel keyring (keyutils).
    pub fn platform() -> Keychain {
        let mut reasons = Vec::new();
        match keyring::Entry::store_status() {
            Ok(()) => match keyring_core::get_default_store() {
                Some(store) => match Self::probe(&store) {
                    Ok(()) => return Self::with_store(store, &platform_name()),
                    Err(e) => reasons.push(format!("{}: {e}", platform_name())),
                },
                None => reasons.push(format!("{}: not set up", platform_name())),
            },
            Err(e) => reasons.push(format!("{}: {e}", platform_name())),
        }
        #[cfg(target_os = "linux")]
        match linux_keyutils_keyring_store::Store::new() {
            Ok(store) => {
                let store: Arc<CredentialStore> = store;
                match Self::probe(&store) {
                    Ok(()) => return Self::with_store(store, "the kernel keyring (keyutils)"),
                    Err(e) => reasons.push(format!("kernel keyring: {e}")),
                }
            }
            Err(e) => reasons.push(format!("kernel keyring: {e}")),
        }
        Self::unavailable(&reasons.join("; "))
    }

    /// A keychain backed by `store` (tests pass `keyring_core::mock::Store`).
    pub fn with_store(store: Arc<CredentialStore>, name: &str) -> Keychain {
        Keychain {
            store: Some(store),
            description: name.to_owned(),
        }
    }

    /// No keychain; anchors are neither stored nor checked.
    pub fn unavailable(reason: &str) -> Keychain {
        Keychain {
            store: None,
            description: format!("no OS keychain is available ({reason})"),
        }
    }

    /// Whether anchors can be stored.
    pub fn is_available(&self) -> bool {
        self.store.is_some()
    }

    /// What backs this keychain, or why there is none.
    pub fn description(&self) -> &str {
        &self.description
    }

    fn probe(store: &Arc<CredentialStore>) -> Result<(), String> {
        let entry = Entry::new_in_store(store, SERVICE, "probe").map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn entry(&self, account: &str) -> Result<Option<Entry>, String> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        Entry::new_in_store(store, SERVICE, account)
            .map(Some)
            .map_err(|e| format!("keychain: {e}"))
    }

    /// A stored value, if any (`None` too when there is no keychain).
    pub(crate) fn get_value(&self, account: &str) -> Result<Option<String>, String> {
        let Some(entry) = self.entry(account)? else {
            return Ok(None);
        };
        match entry.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(format!("keychain: {e}")),
        }
    }

    /// Stores a value (nothing without a keychain).
    pub(crate) fn set_value(&self, account: &str, value: &str) -> Result<(), String> {
        let Some(entry) = self.entry(account)? else {
            return Ok(());
        };
        entry
            .set_password(value)
            .map_err(|e| format!("keychain: {e}"))
    }

    /// The stored head for a dataset, if any.
    pub fn load_head(&self, dataset_id: &str) -> Result<Option<Head>, String> {
        let Some(entry) = self.entry(dataset_id)? else {
            return Ok(None);
        };
        match entry.get_password() {
            Ok(text) => parse_head(&text)
                .map(Some)
                .ok_or_else(|| "keychain: the stored log head is malformed".to_owned()),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(format!("keychain: {e}")),
        }
    }

    /// Stores `head` as this device's anchor for a dataset.
    pub fn store_head(&self, dataset_id: &str, head: Head) -> Result<(), String> {
        let Some(entry) = self.entry(dataset_id)? else {
            return Ok(());
        };
        entry
            .set_password(&format!("v1:{}:{}", head.seq, hex::encode(head.hash)))
            .map_err(|e| format!("keychain: {e}"))
    }
}

impl Keychain {
    /// Moves the anchor to `head`, unless the stored anchor is missing from `conn`'s chain: a
    /// rollback alarm stays until a compliance lead accepts the current head.
    pub(crate) fn advance(
        &self,
        conn: &rusqlite::Connection,
        dataset_id: &str,
        head: Head,
        trust: Option<crate::audit::log::Trust<'_>>,
    ) -> Result<(), String> {
        if let Some(anchor) = self.load_head(dataset_id)? {
            let contained = crate::audit::log::contains(conn, dataset_id, anchor, trust)
                .map_err(|e| e.to_string())?;
            if !contained {
                return Ok(());
            }
        }
        self.store_head(dataset_id, head)
    }
}

fn platform_name() -> String {
    if cfg!(target_os = "macos") {
        "the macOS Keychain".into()
    } else if cfg!(windows) {
        "the Windows Credential Manager".into()
    } else {
        "the Secret Service".into()
    }
}

fn parse_head(text: &str) -> Option<Head> {
    let mut parts = text.split(':');
    if parts.next()? != "v1" {
        return None;
    }
    let seq = parts.next()?.parse().ok()?;
    let hash = hex::decode(parts.next()?).ok()?.try_into().ok()?;
    Some(Head { seq, hash })
}
