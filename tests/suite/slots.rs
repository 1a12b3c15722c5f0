use std::fs;

use sightline::Error;
use sightline::access::{LogQuery, Role};
use sightline::dataset::{RecoveryKey, Tier, db};

use super::common::{ANALYST, Fixture, LEAD, UX, edit_header, slot_index};

/// Opens `user` after a header edit: the role the membership signed, the edit named and the
/// slot written back as signed.
fn opens_as_signed(fx: &Fixture, (user, password): (&str, &str), role: Role, edit: &str) {
    let ws = fx.dataset().unlock(user, password, &fx.device).unwrap();
    assert_eq!(ws.role(), role, "the file's role is ignored");
    assert_eq!(ws.holds(Tier::Recordings), role != Role::UxLiaison);
    assert!(
        ws.notices().iter().any(|n| n.text.contains(edit)),
        "{:?}",
        ws.notices()
    );
    drop(ws);
    let header = fx.dataset().header().clone();
    let member = header
        .authority
        .as_ref()
        .unwrap()
        .membership
        .member(user)
        .unwrap()
        .clone();
    assert_eq!(header.slot(user).unwrap().differs_from(&member), None);
}

#[test]
fn editing_a_slots_role_changes_nothing_and_is_named() {
    let fx = Fixture::with_all_roles();
    edit_header(&fx, |json| {
        let i = slot_index(json, ANALYST.0);
        json["slots"][i]["role"] = "compliance-lead".into();
    });
    opens_as_signed(&fx, ANALYST, Role::Analyst, "says role compliance-lead");
}

#[test]
fn editing_a_slots_user_name_makes_it_refuse() {
    let fx = Fixture::with_all_roles();
    edit_header(&fx, |json| {
        let i = slot_index(json, ANALYST.0);
        json["slots"][i]["user"] = "renamed".into();
    });
    assert!(
        fx.dataset()
            .unlock("renamed", ANALYST.1, &fx.device)
            .is_err()
    );
}

#[test]
fn granting_a_ux_slot_the_recordings_tier_in_the_header_does_not_work() {
    let fx = Fixture::with_all_roles();
    edit_header(&fx, |json| {
        let i = slot_index(json, UX.0);
        json["slots"][i]["tiers"] = serde_json::json!(["core", "recordings"]);
        json["slots"][i]["role"] = "analyst".into();
    });
    opens_as_signed(&fx, UX, Role::UxLiaison, "says role analyst");
}

#[test]
fn weakened_kdf_parameters_are_ignored_and_named() {
    let fx = Fixture::with_all_roles();
    edit_header(&fx, |json| {
        let i = slot_index(json, ANALYST.0);
        json["slots"][i]["kdf"]["m_kib"] = 1024.into();
    });
    // The signed membership names the slot's cost: the file's weaker one is never used.
    opens_as_signed(&fx, ANALYST, Role::Analyst, "key-derivation parameters");
}

#[test]
fn ux_liaison_keys_cannot_open_recordings() {
    let fx = Fixture::with_all_roles();
    let keys = fx.slot_keys(UX);
    assert_eq!(
        keys.tiers(),
        [Tier::Core],
        "a UX slot must hold the core key only"
    );
    let dataset = fx.dataset();
    let recordings = dataset.header().db_path(&fx.path, Tier::Recordings);
    let core_key = keys.get(Tier::Core).unwrap();
    match db::open(&recordings, Tier::Recordings, core_key, false) {
        Err(Error::Integrity(_)) => {}
        other => panic!("the core key opened recordings.db: {:?}", other.map(|_| ())),
    }
    // And the raw file carries no plaintext SQLite header for a SQLCipher shell to start from.
    let bytes = fs::read(&recordings).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));

    let ws = fx.unlock(UX);
    assert!(!ws.holds(Tier::Recordings));
    assert!(matches!(ws.sessions(None), Err(Error::Denied { .. })));
}

#[test]
fn recovery_key_sets_a_new_password_and_a_wrong_key_does_not() {
    let fx = Fixture::with_all_roles();
    let dataset = fx.dataset();
    let wrong = RecoveryKey::generate().unwrap();
    assert!(
        dataset
            .recover(&wrong, LEAD.0, "brand-new-password", &fx.device)
            .is_err()
    );
    assert!(
        fx.dataset()
            .unlock(LEAD.0, "brand-new-password", &fx.device)
            .is_err()
    );

    let typed = RecoveryKey::parse(&fx.recovery.to_string().to_lowercase()).unwrap();
    dataset
        .recover(&typed, LEAD.0, "brand-new-password", &fx.device)
        .unwrap();
    assert!(matches!(
        fx.dataset().unlock(LEAD.0, LEAD.1, &fx.device),
        Err(Error::BadCredentials)
    ));
    let ws = fx
        .dataset()
        .unlock(LEAD.0, "brand-new-password", &fx.device)
        .unwrap();
    let recover = ws
        .access_log(&LogQuery {
            action: Some("recover".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(recover.len(), 1);
    assert_eq!(recover[0].user, LEAD.0);
}

#[test]
fn changing_a_password_rewraps_only_that_slot() {
    let fx = Fixture::with_all_roles();
    let before = fx.dataset().header().clone();
    let mut ws = fx.unlock(ANALYST);
    ws.set_password(ANALYST.0, "another-password-9").unwrap();
    // Another user's password is not an analyst's business.
    assert!(matches!(
        ws.set_password(LEAD.0, "hijacked-password"),
        Err(Error::Denied { .. })
    ));
    ws.lock().unwrap();
    let after = fx.dataset().header().clone();
    assert_eq!(
        before.databases, after.databases,
        "no key rotation for a password change"
    );
    for (old, new) in before.slots.iter().zip(&after.slots) {
        assert_eq!(
            old == new,
            old.user != ANALYST.0,
            "slot of {} changed unexpectedly",
            old.user
        );
    }
    assert!(
        fx.dataset()
            .unlock(ANALYST.0, ANALYST.1, &fx.device)
            .is_err()
    );
    assert_eq!(
        fx.dataset()
            .unlock(ANALYST.0, "another-password-9", &fx.device)
            .unwrap()
            .role(),
        Role::Analyst
    );
}

#[test]
fn weak_passwords_and_odd_user_names_are_refused_with_a_reason() {
    let fx = Fixture::new();
    let mut ws = fx.unlock(LEAD);
    let short = ws.add_user("newbie", Role::Analyst, "Qz7!xk").unwrap_err();
    assert!(
        short.to_string().contains("at least 10 characters"),
        "{short}"
    );
    assert!(
        !short.to_string().contains("Qz7!xk"),
        "the password must not be echoed"
    );
    assert!(
        ws.add_user("bad name", Role::Analyst, "long-enough-password")
            .is_err()
    );
    assert!(
        ws.add_user(LEAD.0, Role::Analyst, "long-enough-password")
            .is_err(),
        "duplicate user"
    );
}
