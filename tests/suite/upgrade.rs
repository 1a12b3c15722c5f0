//! Datasets made by the previous format open, and a compliance lead's first sign-in upgrades
//! them to signed membership, policy and log, logged.

use std::fs;
use std::path::{Path, PathBuf};

use sightline::access::{LogQuery, Role};
use sightline::dataset::{Dataset, RecoveryKey};

use super::common::mock_device;

const RECOVERY: &str = "M3CM-70XH-XVBC-X52P-FQ8V-4YXQ-SXR4-SW0G";

fn format1_copy(tmp: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format1");
    let to = tmp.join("format1.sightline");
    fs::create_dir_all(&to).unwrap();
    for name in [
        "header.json",
        "header.json.prev",
        "core.db",
        "recordings.db",
    ] {
        fs::copy(from.join(name), to.join(name)).unwrap();
    }
    to
}

#[test]
fn a_format_1_dataset_opens_and_is_upgraded_at_the_first_compliance_lead_sign_in() {
    let tmp = tempfile::tempdir().unwrap();
    let path = format1_copy(tmp.path());
    let open = || Dataset::open(&path).unwrap();
    let device = mock_device(&tmp.path().join("state"));
    assert_eq!(open().header().version, 1);
    assert!(open().info(&device).authority_fingerprint.is_none());

    // Before the upgrade: it opens, and says it is not signed yet.
    let ana = open().unlock("ana", "ana-password-1", &device).unwrap();
    assert_eq!(ana.sessions(None).unwrap().len(), 1);
    assert!(
        ana.notices()
            .iter()
            .any(|n| n.text.contains("older Sightline"))
    );
    drop(ana);

    // The compliance lead's sign-in upgrades it.
    let lead = open().unlock("lead", "lead-password-1", &device).unwrap();
    assert!(
        lead.notices().iter().any(|n| n.text.contains("upgraded")),
        "{:?}",
        lead.notices()
    );
    let report = lead.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.signatures_checked);
    let upgrades = lead
        .access_log(&LogQuery {
            action: Some("upgrade-dataset".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(upgrades.len(), 1);
    assert_eq!(upgrades[0].user, "lead");
    for user in [
        "lead (compliance-lead)",
        "ana (analyst)",
        "eddie (data-engineer)",
        "uma (ux-liaison)",
    ] {
        assert!(upgrades[0].object.contains(user), "{}", upgrades[0].object);
    }
    lead.lock().unwrap();

    let dataset = open();
    assert_eq!(dataset.header().version, 2);
    assert!(dataset.info(&device).authority_fingerprint.is_some());
    // Everyone still gets in, in their role, and the data is all there.
    for (user, role) in [
        ("ana", Role::Analyst),
        ("eddie", Role::DataEngineer),
        ("uma", Role::UxLiaison),
    ] {
        let ws = dataset
            .unlock(user, &format!("{user}-password-1"), &device)
            .unwrap();
        assert_eq!(ws.role(), role);
        ws.lock().unwrap();
    }
    assert_eq!(
        dataset
            .unlock("ana", "ana-password-1", &device)
            .unwrap()
            .sessions(None)
            .unwrap()
            .len(),
        1
    );
    // The recovery key still works, and now signs through the recovery slot's authority.
    let key = RecoveryKey::parse(RECOVERY).unwrap();
    open()
        .recover(&key, "ana", "ana-recovered-password-1", &device)
        .unwrap();
    let ana = open()
        .unlock("ana", "ana-recovered-password-1", &device)
        .unwrap();
    drop(ana);
    let lead = open().unlock("lead", "lead-password-1", &device).unwrap();
    assert!(lead.verify().unwrap().is_intact());
}
