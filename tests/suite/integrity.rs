use std::fs;
use std::path::Path;

use sightline::Error;
use sightline::access::Keychain;
use sightline::dataset::{Dataset, Tier};
use sightline::device::Device;

use super::common::{ANALYST, Fixture, LEAD, copy_dir};

const PAGE: usize = 4096;

/// Unlocks and verifies; true when the damage was reported as an integrity problem.
fn damage_reported(path: &Path, device: &Device) -> bool {
    let ws = match Dataset::open(path).and_then(|d| d.unlock(LEAD.0, LEAD.1, device)) {
        Err(Error::Integrity(_)) => return true,
        Err(other) => panic!("damage gave a non-integrity error: {other}"),
        Ok(ws) => ws,
    };
    match ws.verify() {
        Err(Error::Integrity(_)) => true,
        Err(other) => panic!("damage gave a non-integrity error: {other}"),
        Ok(report) => !report.is_intact(),
    }
}

#[test]
fn one_flipped_byte_in_any_database_page_is_an_integrity_error() {
    let fx = Fixture::with_all_roles();
    let pristine = fx.tmp.path().join("pristine");
    copy_dir(&fx.path, &pristine);
    let header = fx.dataset().header().clone();
    for tier in Tier::ALL {
        let name = header
            .db_path(&fx.path, tier)
            .file_name()
            .unwrap()
            .to_owned();
        let len = fs::metadata(pristine.join(&name)).unwrap().len() as usize;
        assert_eq!(len % PAGE, 0);
        assert!(
            !pristine
                .join(format!("{}-wal", name.to_string_lossy()))
                .exists_nonempty()
        );
        for page in 0..len / PAGE {
            // Keychain off: each trial starts from the same pristine copy, which an anchor would
            // (rightly) call a rollback.
            let device = Device::new(
                fx.tmp.path().join("state-off"),
                Keychain::unavailable("test"),
            );
            let trial = fx
                .tmp
                .path()
                .join(format!("trial-{}-{page}", tier.as_str()));
            copy_dir(&pristine, &trial);
            let file = trial.join(&name);
            let mut bytes = fs::read(&file).unwrap();
            bytes[page * PAGE + 1000] ^= 0x01;
            fs::write(&file, bytes).unwrap();
            assert!(
                damage_reported(&trial, &device),
                "flipped byte in page {page} of {name:?} went unnoticed"
            );
            fs::remove_dir_all(&trial).unwrap();
        }
    }
}

trait ExistsNonEmpty {
    fn exists_nonempty(&self) -> bool;
}

impl ExistsNonEmpty for std::path::PathBuf {
    fn exists_nonempty(&self) -> bool {
        fs::metadata(self).is_ok_and(|m| m.len() > 0)
    }
}

#[test]
fn a_half_written_temporary_header_is_ignored() {
    let fx = Fixture::with_all_roles();
    let header = fs::read(fx.path.join("header.json")).unwrap();
    fs::write(fx.path.join("header.json.tmp"), &header[..header.len() / 2]).unwrap();
    let ws = fx.unlock(ANALYST);
    assert!(ws.notices().iter().all(|n| !n.text.contains("header")));
}

#[test]
fn a_torn_or_missing_header_falls_back_to_the_previous_copy() {
    let fx = Fixture::with_all_roles();
    let main = fx.path.join("header.json");
    let bytes = fs::read(&main).unwrap();
    fs::write(&main, &bytes[..bytes.len() / 3]).unwrap();
    let dataset = fx.dataset();
    assert!(
        dataset
            .header_notice()
            .is_some_and(|n| n.contains("previous copy"))
    );
    // The previous copy is the current header's twin, so everyone still gets in.
    let ws = dataset.unlock(LEAD.0, LEAD.1, &fx.device).unwrap();
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.text.contains("previous copy"))
    );
    drop(ws);

    fs::remove_file(&main).unwrap();
    assert!(fx.dataset().unlock(LEAD.0, LEAD.1, &fx.device).is_ok());
}

#[test]
fn a_fresh_dataset_already_has_a_previous_header() {
    let fx = Fixture::new();
    fs::remove_file(fx.path.join("header.json")).unwrap();
    assert!(fx.dataset().unlock(LEAD.0, LEAD.1, &fx.device).is_ok());
}

#[test]
fn a_database_from_another_dataset_is_refused() {
    let one = Fixture::new();
    let two = Fixture::new();
    fs::copy(two.path.join("core.db"), one.path.join("core.db")).unwrap();
    match one.dataset().unlock(LEAD.0, LEAD.1, &one.device) {
        Err(Error::Integrity(_)) => {}
        other => panic!("a swapped core.db was accepted: {:?}", other.map(|_| ())),
    }
}
