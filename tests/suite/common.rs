//! Shared fixtures for the integration tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::NoPadding};
use sightline::access::{Keychain, Role, Workspace};
use sightline::dataset::{Dataset, RecoveryKey, Tier, TierKeys, db};
use sightline::device::Device;

pub const LEAD: (&str, &str) = ("lead", "lead-password-1");
pub const ANALYST: (&str, &str) = ("ana", "ana-password-1");
pub const ENGINEER: (&str, &str) = ("eddie", "eddie-password-1");
pub const UX: (&str, &str) = ("uma", "uma-password-1");

/// The user of each role in [`Fixture::with_all_roles`].
pub fn user_of(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::ComplianceLead => LEAD,
        Role::Analyst => ANALYST,
        Role::DataEngineer => ENGINEER,
        Role::UxLiaison => UX,
    }
}

/// A device whose keychain is a fresh keyring-core mock store.
pub fn mock_device(state_dir: &Path) -> Device {
    let store = keyring_core::mock::Store::new().expect("mock store");
    Device::new(state_dir, Keychain::with_store(store, "mock keychain"))
}

/// A dataset in a temporary folder, with its device and recovery key.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub path: PathBuf,
    pub device: Device,
    pub recovery: RecoveryKey,
}

impl Fixture {
    /// A dataset with only the compliance lead.
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("test.sightline");
        let device = mock_device(&tmp.path().join("state"));
        let (_, recovery) =
            Dataset::create(&path, "Test dataset", LEAD.0, LEAD.1, &device).expect("create");
        Fixture {
            tmp,
            path,
            device,
            recovery,
        }
    }

    /// A dataset with one user per role.
    pub fn with_all_roles() -> Fixture {
        let fx = Fixture::new();
        let mut ws = fx.unlock(LEAD);
        for (user, role) in [
            (ANALYST, Role::Analyst),
            (ENGINEER, Role::DataEngineer),
            (UX, Role::UxLiaison),
        ] {
            ws.add_user(user.0, role, user.1).expect("add user");
        }
        ws.lock().expect("lock");
        fx
    }

    pub fn dataset(&self) -> Dataset {
        Dataset::open(&self.path).expect("open dataset")
    }

    pub fn unlock(&self, (user, password): (&str, &str)) -> Workspace {
        self.dataset()
            .unlock(user, password, &self.device)
            .expect("unlock")
    }

    /// The keys a user's slot unwraps, read straight from the header (as an attacker with the
    /// password and the files could).
    pub fn slot_keys(&self, (user, password): (&str, &str)) -> TierKeys {
        let dataset = self.dataset();
        let header = dataset.header();
        let slot = header.slot(user).expect("slot");
        slot.unlock(&header.dataset_id, password)
            .expect("slot opens")
    }

    /// The authority's signing key, as the holder of the recovery key can open it.
    pub fn authority_key(&self) -> ed25519_dalek::SigningKey {
        let dataset = self.dataset();
        let header = dataset.header();
        header
            .recovery
            .open_authority(&header.dataset_id, &self.recovery)
            .expect("the recovery slot holds the authority")
    }

    /// A raw connection to the current core database, for tampering.
    pub fn raw_core(&self) -> rusqlite::Connection {
        self.raw(Tier::Core)
    }

    /// A raw connection to one of the current databases, as a compliance lead's keys open it.
    pub fn raw(&self, tier: Tier) -> rusqlite::Connection {
        let keys = self.slot_keys(LEAD);
        let dataset = self.dataset();
        let path = dataset.header().db_path(&self.path, tier);
        db::open(&path, tier, keys.get(tier).expect("tier key"), false).expect("raw database")
    }
}

/// Every file in `dir` with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// Copies the files of `from` into a new folder `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for (name, bytes) in snapshot(from) {
        fs::write(to.join(name), bytes).expect("write");
    }
}

/// Runs the real binary with a private state folder and the given environment.
pub fn sightline(state: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sightline"));
    cmd.args(args)
        .env("SIGHTLINE_STATE_DIR", state)
        .env_remove("SIGHTLINE_PASSWORD")
        .env_remove("SIGHTLINE_NEW_PASSWORD")
        .env_remove("SIGHTLINE_RECOVERY_KEY")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sightline")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Imports `text` (native JSON Lines, or CSV when `name` ends in .csv) as the data engineer.
pub fn import_text(fx: &Fixture, name: &str, text: String) {
    let mut ws = fx.unlock(ENGINEER);
    let input = sightline::ingest::ImportInput::Memory {
        name: name.into(),
        text,
    };
    ws.import_inputs(
        &[input],
        &sightline::ingest::ImportOptions::default(),
        &mut |_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
}

/// Saves one annotation note on the test page, as the UX liaison.
pub fn note(fx: &Fixture, text: &str) {
    let ux = fx.unlock(UX);
    ux.save_annotations(
        "https://app.test/home",
        "desktop",
        &[sightline::heatmap::annotation::Shape::Note {
            at: [1.0, 1.0],
            text: text.into(),
        }],
    )
    .unwrap();
    ux.lock().unwrap();
}

/// Edits `header.json` and its copy as JSON (as anyone with write access to the folder can).
pub fn edit_header(fx: &Fixture, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = fx.path.join("header.json");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut json);
    let bytes = serde_json::to_vec_pretty(&json).unwrap();
    fs::write(&path, &bytes).unwrap();
    fs::write(fx.path.join("header.json.prev"), &bytes).unwrap();
}

/// The index of `user`'s slot in a header's JSON.
pub fn slot_index(json: &serde_json::Value, user: &str) -> usize {
    json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["user"] == user)
        .unwrap()
}

/// An access-log entry's hash as the format defines it, for attackers who rewrite entries.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev: &[u8],
    seq: u64,
    time_ms: i64,
    user: &str,
    role: &str,
    action: &str,
    object: &str,
    purpose: &str,
    outcome: &str,
) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(sightline::dataset::crypto::encode_fields(
        "sightline/log/v1",
        &[
            &seq.to_be_bytes(),
            &time_ms.to_be_bytes(),
            user.as_bytes(),
            role.as_bytes(),
            action.as_bytes(),
            object.as_bytes(),
            purpose.as_bytes(),
            outcome.as_bytes(),
        ],
    ));
    hasher.finalize().into()
}

/// Every page of an SQLCipher file decrypted (AES-256-CBC with the raw key; SQLCipher 4
/// defaults: 4096-byte pages, 80 reserved bytes holding the IV and the HMAC, a 16-byte salt
/// in front of page 1), free pages included.
pub fn decrypted(path: &std::path::Path, key: &[u8; 32]) -> Vec<u8> {
    const PAGE: usize = 4096;
    const RESERVE: usize = 80;
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::with_capacity(bytes.len());
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        let start = if i == 0 { 16 } else { 0 };
        let iv: [u8; 16] = page[PAGE - RESERVE..PAGE - RESERVE + 16]
            .try_into()
            .unwrap();
        let mut buf = page[start..PAGE - RESERVE].to_vec();
        cbc::Decryptor::<aes::Aes256>::new(key.into(), &iv.into())
            .decrypt_padded::<NoPadding>(&mut buf)
            .unwrap();
        out.extend_from_slice(&buf);
    }
    out
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Both databases decrypted, and their WAL files as they are on disk.
pub fn files(fx: &Fixture) -> (Vec<u8>, Vec<u8>) {
    files_of(fx, &Tier::ALL)
}

pub fn files_of(fx: &Fixture, tiers: &[Tier]) -> (Vec<u8>, Vec<u8>) {
    let keys = fx.slot_keys(LEAD);
    let header = fx.dataset().header().clone();
    let mut plain = Vec::new();
    let mut wal = Vec::new();
    for &tier in tiers {
        let path = header.db_path(&fx.path, tier);
        plain.extend(decrypted(&path, keys.get(tier).unwrap()));
        let mut w = path.as_os_str().to_owned();
        w.push("-wal");
        wal.extend(std::fs::read(std::path::PathBuf::from(w)).unwrap_or_default());
    }
    (plain, wal)
}

/// Import options that assume both purposes were consented upstream (with a reason).
pub fn assumed() -> sightline::ingest::ImportOptions {
    sightline::ingest::ImportOptions {
        manifest: None,
        assume_consent: Some((
            sightline::ingest::Purposes {
                heatmaps: true,
                recordings: true,
            },
            "consent handled upstream (test)".into(),
        )),
    }
}

/// Rewrites the stored events of `session` (every session when `None`) as an older version
/// stored them (JSON), with `from` replaced by `to` in every target: text an older, less
/// careful version might have kept.
pub fn plant_in_stored_events(
    rec: &rusqlite::Connection,
    session: Option<&str>,
    from: &str,
    to: &str,
) {
    let rows: Vec<(String, Vec<u8>)> = rec
        .prepare("SELECT session_id, events FROM session_events")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, stored) in rows {
        if session.is_some_and(|s| s != id) {
            continue;
        }
        let mut events = sightline::session::stored::decode(&stored).unwrap();
        for e in &mut events {
            if let Some(t) = &mut e.target {
                *t = t.replace(from, to);
            }
        }
        rec.execute(
            "UPDATE session_events SET events = ?1 WHERE session_id = ?2",
            rusqlite::params![serde_json::to_vec(&events).unwrap(), id],
        )
        .unwrap();
    }
}

/// Every session's stored events, as JSON text (whatever form they are stored in).
pub fn stored_events_text(rec: &rusqlite::Connection) -> Vec<String> {
    rec.prepare("SELECT events FROM session_events")
        .unwrap()
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|blob| {
            let events = sightline::session::stored::decode(&blob.unwrap()).unwrap();
            serde_json::to_string(&events).unwrap()
        })
        .collect()
}
