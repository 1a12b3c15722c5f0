use std::fs;

use sightline::Error;
use sightline::access::{LogQuery, Role};
use sightline::dataset::{Dataset, Tier, db};

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX};

#[test]
fn a_revoked_users_saved_header_opens_nothing_written_after_the_revocation() {
    let fx = Fixture::with_all_roles();
    let saved_header = fs::read(fx.path.join("header.json")).unwrap();
    let old_keys = fx.slot_keys(ANALYST);

    let mut ws = fx.unlock(LEAD);
    let mut steps = Vec::new();
    ws.revoke_user(ANALYST.0, &mut |p| steps.push(p.step))
        .unwrap();
    assert!(
        steps.iter().any(|s| s.contains("recordings.db")),
        "{steps:?}"
    );
    // Data written after the revocation.
    ws.add_user("later", Role::Analyst, "later-password-1")
        .unwrap();
    ws.lock().unwrap();

    // The revoked user can no longer unlock.
    assert!(matches!(
        fx.dataset().unlock(ANALYST.0, ANALYST.1, &fx.device),
        Err(Error::BadCredentials)
    ));

    // Their old keys do not open the current files.
    let dataset = fx.dataset();
    for tier in Tier::ALL {
        let path = dataset.header().db_path(&fx.path, tier);
        assert!(path.is_file());
        let key = old_keys.get(tier).unwrap();
        assert!(
            matches!(db::open(&path, tier, key, false), Err(Error::Integrity(_))),
            "old {tier:?} key still opens {}",
            path.display()
        );
    }
    // Putting the saved header back does not help either: it names files that are gone.
    fs::write(fx.path.join("header.json"), &saved_header).unwrap();
    fs::write(fx.path.join("header.json.prev"), &saved_header).unwrap();
    let old = Dataset::open(&fx.path).unwrap();
    assert!(old.unlock(ANALYST.0, ANALYST.1, &fx.device).is_err());
}

#[test]
fn remaining_users_and_the_recovery_key_still_open_after_rotation() {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(LEAD);
    ws.revoke_user(UX.0, &mut |_| {}).unwrap();
    ws.lock().unwrap();
    let header = fx.dataset().header().clone();
    assert_eq!(
        header.databases[&Tier::Core].epoch,
        1,
        "the UX liaison held the core key"
    );
    assert_eq!(
        header.databases[&Tier::Recordings].epoch,
        0,
        "but never the recordings key"
    );
    for user in [LEAD, ANALYST, ENGINEER] {
        let ws = fx.unlock(user);
        assert_eq!(ws.user(), user.0);
    }
    fx.dataset()
        .recover(&fx.recovery, ENGINEER.0, "engineer-new-pass", &fx.device)
        .unwrap();
    let ws = fx.unlock(LEAD);
    let log = ws
        .access_log(&LogQuery {
            action: Some("revoke-user".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].object, "user uma");
}

#[test]
fn revocation_needs_the_dataset_to_be_open_nowhere_else() {
    let fx = Fixture::with_all_roles();
    let other = fx.unlock(ENGINEER);
    let mut ws = fx.unlock(LEAD);
    match ws.revoke_user(ANALYST.0, &mut |_| {}) {
        Err(Error::Busy(msg)) => assert!(msg.contains("open in another"), "{msg}"),
        other => panic!("expected busy, got {:?}", other),
    }
    drop(other);
    ws.revoke_user(ANALYST.0, &mut |_| {}).unwrap();
}

#[test]
fn the_last_compliance_lead_and_oneself_cannot_be_revoked() {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(LEAD);
    assert!(matches!(
        ws.revoke_user(LEAD.0, &mut |_| {}),
        Err(Error::Invalid(_))
    ));
    ws.add_user("lead2", Role::ComplianceLead, "second-lead-pass")
        .unwrap();
    ws.lock().unwrap();
    let mut second = fx.unlock(("lead2", "second-lead-pass"));
    second.revoke_user(LEAD.0, &mut |_| {}).unwrap();
    assert!(matches!(
        second.revoke_user("lead2", &mut |_| {}),
        Err(Error::Invalid(_))
    ));
}
