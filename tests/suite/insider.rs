//! Attack stories by an insider: a user with a valid account of any role, write access to the
//! dataset folder, the source code and all the time they want. Each story ends with the attacker
//! holding nothing new and unlock or `verify` naming the tampering.

use std::fs;

use sightline::Error;
use sightline::access::{Keychain, LogQuery, NoticeLevel, Role};
use sightline::dataset::crypto::{random_array, seal_to};
use sightline::dataset::{Dataset, KeySlot, Tier};
use sightline::device::Device;

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX, edit_header, entry_hash, slot_index};

fn alerts(fx: &Fixture) -> Vec<String> {
    fx.unlock(LEAD)
        .access_log(&LogQuery {
            action: Some("integrity-alert".into()),
            ..LogQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.object, e.purpose))
        .collect()
}

#[test]
fn a_ux_liaison_who_edits_their_role_gains_nothing_from_a_password_reset() {
    let fx = Fixture::with_all_roles();
    // 1. The UX liaison gives their own slot the analyst's role and tiers.
    edit_header(&fx, |json| {
        let i = slot_index(json, UX.0);
        json["slots"][i]["role"] = "analyst".into();
        json["slots"][i]["tiers"] = serde_json::json!(["core", "recordings"]);
    });
    // 2. Their sign-in opens what the membership signed (a UX liaison, core key only), names
    //    the edit, and puts their slot back: no escalation, and nobody locked out.
    let ws = fx.unlock(UX);
    assert_eq!(ws.role(), Role::UxLiaison);
    assert!(!ws.holds(Tier::Recordings));
    assert_named(&ws, UX.0);
    drop(ws);
    let header = fx.dataset().header().clone();
    assert_eq!(header.slot(UX.0).unwrap().role, Role::UxLiaison);
    // 3. The help desk resets their password.
    let mut lead = fx.unlock(LEAD);
    lead.set_password(UX.0, "uma-new-password-1").unwrap();
    lead.lock().unwrap();
    // 4. They sign in with it: still a UX liaison, without the recordings key.
    let ws = fx
        .dataset()
        .unlock(UX.0, "uma-new-password-1", &fx.device)
        .unwrap();
    assert_eq!(ws.role(), Role::UxLiaison);
    assert!(!ws.holds(Tier::Recordings));
    assert!(matches!(ws.sessions(None), Err(Error::Denied { .. })));
    drop(ws);
    assert!(
        alerts(&fx).iter().any(|a| a.contains(UX.0)),
        "the edited slot is in the log"
    );
}

#[test]
fn a_revocation_reseals_only_to_what_the_membership_signed() {
    let fx = Fixture::with_all_roles();
    let original_recovery = fx.dataset().header().recovery.public_key.clone();
    let analyst_keys = fx.slot_keys(ANALYST);
    let id = fx.dataset().header().dataset_id.clone();
    // The departing analyst adds a slot of their own, swaps the recovery key for one they
    // control, and the UX liaison claims the recordings tier.
    let mallory = KeySlot::new(
        &id,
        "mallory",
        Role::ComplianceLead,
        "mallory-password-1",
        &analyst_keys,
        "2026-01-01T00:00:00Z".into(),
    )
    .unwrap();
    let attacker_secret = x25519_dalek::StaticSecret::from(random_array::<32>().unwrap());
    let attacker_public = x25519_dalek::PublicKey::from(&attacker_secret);
    edit_header(&fx, |json| {
        json["slots"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::to_value(&mallory).unwrap());
        json["recovery"]["public_key"] = hex::encode(attacker_public.as_bytes()).into();
        let i = slot_index(json, UX.0);
        json["slots"][i]["tiers"] = serde_json::json!(["core", "recordings"]);
    });

    let mut lead = fx.unlock(LEAD);
    lead.revoke_user(ANALYST.0, &mut |_| {}).unwrap();
    lead.lock().unwrap();

    let header = fx.dataset().header().clone();
    assert!(
        header.slot("mallory").is_none(),
        "the added slot got nothing"
    );
    assert_eq!(
        header.recovery.public_key, original_recovery,
        "the new keys are sealed to the recovery key the authority signed"
    );
    let ux = header.slot(UX.0).unwrap();
    assert_eq!(ux.tiers, vec![Tier::Core]);
    assert!(fx.slot_keys(UX).get(Tier::Recordings).is_none());
    assert!(matches!(
        fx.dataset()
            .unlock("mallory", "mallory-password-1", &fx.device),
        Err(Error::BadCredentials)
    ));
}

#[test]
fn a_low_order_public_key_gets_no_sealed_keys() {
    // The identity point: every "shared secret" with it is zero, known to anyone.
    assert!(seal_to(&[0u8; 32], b"keys", b"ad").is_err());
    let mut one = [0u8; 32];
    one[0] = 1;
    assert!(seal_to(&one, b"keys", b"ad").is_err());
}

#[test]
fn a_forged_compliance_lead_slot_written_with_the_attackers_keys_is_refused() {
    let fx = Fixture::with_all_roles();
    let keys = fx.slot_keys(ANALYST);
    let id = fx.dataset().header().dataset_id.clone();
    let forged = |user: &str| {
        KeySlot::new(
            &id,
            user,
            Role::ComplianceLead,
            "attacker-password-1",
            &keys,
            "2026-01-01T00:00:00Z".into(),
        )
        .unwrap()
    };
    let (extra, replaced) = (forged("mallory"), forged(LEAD.0));
    edit_header(&fx, |json| {
        let i = slot_index(json, LEAD.0);
        json["slots"][i] = serde_json::to_value(&replaced).unwrap();
        json["slots"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::to_value(&extra).unwrap());
    });
    for user in ["mallory", LEAD.0] {
        assert!(
            fx.dataset()
                .unlock(user, "attacker-password-1", &fx.device)
                .is_err(),
            "{user} with the attacker's password"
        );
    }
    // The next person to sign in is told, and the alarm is logged.
    let ws = fx.unlock(ENGINEER);
    let notices: Vec<String> = ws
        .notices()
        .into_iter()
        .filter(|n| n.level == NoticeLevel::Integrity)
        .map(|n| n.text)
        .collect();
    assert!(notices.iter().any(|n| n.contains("mallory")), "{notices:?}");
    assert!(notices.iter().any(|n| n.contains(LEAD.0)), "{notices:?}");
}

#[test]
fn an_old_header_put_back_to_revive_a_reset_password_is_refused() {
    let fx = Fixture::with_all_roles();
    let old = fs::read(fx.path.join("header.json")).unwrap();
    // The analyst's password leaked; the lead resets it.
    let mut lead = fx.unlock(LEAD);
    lead.set_password(ANALYST.0, "ana-fresh-password-1")
        .unwrap();
    lead.lock().unwrap();
    // Whoever knows the leaked password puts the old header back.
    fs::write(fx.path.join("header.json"), &old).unwrap();
    fs::write(fx.path.join("header.json.prev"), &old).unwrap();
    match fx.dataset().unlock(ANALYST.0, ANALYST.1, &fx.device) {
        Err(Error::Integrity(msg)) => assert!(msg.contains("older"), "{msg}"),
        other => panic!("expected an integrity error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_stale_header_after_a_rotation_is_refused_and_deletes_nothing() {
    let fx = Fixture::with_all_roles();
    let old = fs::read(fx.path.join("header.json")).unwrap();
    let mut lead = fx.unlock(LEAD);
    lead.revoke_user(ANALYST.0, &mut |_| {}).unwrap();
    lead.lock().unwrap();
    let current = fx.dataset().header().db_path(&fx.path, Tier::Core);
    assert!(current.is_file());
    // A sync conflict brings back the header from before the rotation, on a device that never
    // saw the dataset.
    fs::write(fx.path.join("header.json"), &old).unwrap();
    fs::write(fx.path.join("header.json.prev"), &old).unwrap();
    let device = Device::new(fx.tmp.path().join("other"), Keychain::unavailable("test"));
    let result = Dataset::open(&fx.path)
        .unwrap()
        .unlock(LEAD.0, LEAD.1, &device);
    assert!(result.is_err());
    assert!(current.is_file(), "the newer database was not deleted");
}

/// Recomputes the hash of entries `from..` so the chain links again (as an attacker with the
/// core key and the source code can).
fn rehash_from(conn: &rusqlite::Connection, from: i64) {
    type Row = (i64, i64, String, String, String, String, String, String);
    let rows: Vec<Row> = conn
        .prepare("SELECT seq, time_ms, user, role, action, object, purpose, outcome FROM access_log WHERE seq >= ?1 ORDER BY seq")
        .unwrap()
        .query_map([from], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev: Vec<u8> = conn
        .query_row(
            "SELECT hash FROM access_log WHERE seq = ?1",
            [from - 1],
            |r| r.get(0),
        )
        .unwrap();
    for (seq, time_ms, user, role, action, object, purpose, outcome) in rows {
        let hash = entry_hash(
            &prev, seq as u64, time_ms, &user, &role, &action, &object, &purpose, &outcome,
        );
        conn.execute(
            "UPDATE access_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash.as_slice(), seq],
        )
        .unwrap();
        prev = hash.to_vec();
    }
}

fn busy(fx: &Fixture) {
    for _ in 0..3 {
        let ws = fx.unlock(ANALYST);
        ws.pages().unwrap();
        ws.lock().unwrap();
    }
}

/// Verifies on a device with no anchor, so only what is in the dataset can tell.
fn verify_elsewhere(fx: &Fixture) -> sightline::access::VerifyReport {
    let device = Device::new(
        fx.tmp.path().join("elsewhere"),
        Keychain::unavailable("test"),
    );
    Dataset::open(&fx.path)
        .unwrap()
        .unlock(LEAD.0, LEAD.1, &device)
        .unwrap()
        .verify()
        .unwrap()
}

#[test]
fn cutting_the_oldest_entries_with_a_forged_base_is_named() {
    let fx = Fixture::with_all_roles();
    busy(&fx);
    let conn = fx.raw_core();
    let hash: Vec<u8> = conn
        .query_row("SELECT hash FROM access_log WHERE seq = 6", [], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute_batch("DELETE FROM access_log WHERE seq <= 6")
        .unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_base', ?1)",
        [format!("6:{}", hex::encode(hash))],
    )
    .unwrap();
    drop(conn);
    let report = verify_elsewhere(&fx);
    let problem = report.chain.problem.expect("the cut is found");
    assert_eq!(problem.seq, 1, "{}", problem.reason);
    assert!(problem.reason.contains("deleted"), "{}", problem.reason);
}

#[test]
fn a_rewritten_and_rehashed_entry_is_named_without_any_anchor() {
    let fx = Fixture::with_all_roles();
    busy(&fx);
    let conn = fx.raw_core();
    let seq: i64 = conn
        .query_row(
            "SELECT min(seq) FROM access_log WHERE user = ?1 AND action = 'list-pages'",
            [ANALYST.0],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE access_log SET object = 'nothing to see' WHERE seq = ?1",
        [seq],
    )
    .unwrap();
    rehash_from(&conn, seq);
    drop(conn);
    let problem = verify_elsewhere(&fx).chain.problem.expect("found");
    assert_eq!(problem.seq, seq as u64, "{}", problem.reason);
    assert!(problem.reason.contains("not signed"), "{}", problem.reason);
}

#[test]
fn an_entry_forged_in_another_users_name_is_named() {
    let fx = Fixture::with_all_roles();
    let dataset = fx.dataset();
    let header = dataset.header();
    let member = header
        .authority
        .as_ref()
        .unwrap()
        .membership
        .member(ANALYST.0)
        .unwrap()
        .clone();
    // The analyst opens their own slot and signs with their own key, in the lead's name.
    let opened = header
        .slot(ANALYST.0)
        .unwrap()
        .as_signed(&member)
        .open(&header.dataset_id, ANALYST.1)
        .ok()
        .unwrap();
    let key = opened.signing.unwrap();
    let forged = entry(
        1,
        LEAD.0,
        "compliance-lead",
        sightline::access::Action::ExportAccessLog,
        "access log (csv)",
    );
    for signer in [ANALYST.0, LEAD.0] {
        let conn = fx.raw_core();
        let before: i64 = conn
            .query_row("SELECT max(seq) FROM access_log", [], |r| r.get(0))
            .unwrap();
        sightline::access::log::append(
            &conn,
            &header.dataset_id,
            &forged,
            Some(sightline::access::log::Signer {
                name: signer,
                key: &key,
            }),
        )
        .unwrap();
        drop(conn);
        let problem = fx.unlock(LEAD).verify().unwrap().chain.problem.unwrap();
        assert_eq!(problem.seq, before as u64 + 1, "{}", problem.reason);
        assert!(
            problem.reason.contains("forged") || problem.reason.contains("not signed by lead"),
            "{}",
            problem.reason
        );
        fx.raw_core()
            .execute("DELETE FROM access_log WHERE seq > ?1", [before])
            .unwrap();
    }
}

#[test]
fn access_log_retention_cannot_go_below_its_floor() {
    let fx = Fixture::new();
    let lead = fx.unlock(LEAD);
    let mut policy = lead.retention_policy().unwrap();
    policy.access_log_days = 1;
    assert!(matches!(
        lead.set_retention_policy(&policy),
        Err(Error::Invalid(_))
    ));
    policy.access_log_floor_days = 7;
    assert!(lead.set_retention_policy(&policy).is_err(), "floor ≥ 30");
}

#[test]
fn a_k_floor_lowered_by_hand_is_put_back_and_named() {
    let fx = Fixture::with_all_roles();
    fx.raw_core()
        .execute_batch("UPDATE policy SET value = '1' WHERE key = 'k_anonymity'")
        .unwrap();
    let ws = fx.unlock(ANALYST);
    assert_eq!(ws.k_anonymity(), 5, "the signed floor holds");
    assert_named(&ws, "policy");
    drop(ws);
    assert!(alerts(&fx).iter().any(|a| a.contains("policy")));
}

#[test]
fn a_masking_rule_removed_by_hand_is_put_back_and_named() {
    let fx = Fixture::with_all_roles();
    let before = fx.unlock(ENGINEER).masking_rules().unwrap();
    fx.raw_core()
        .execute_batch("DELETE FROM masking_rules WHERE id = (SELECT min(id) FROM masking_rules)")
        .unwrap();
    let ws = fx.unlock(ENGINEER);
    assert_eq!(ws.masking_rules().unwrap(), before);
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.level == NoticeLevel::Integrity && n.text.contains("masking"))
    );
}

#[test]
fn an_older_signed_policy_put_back_is_named_and_keeps_heatmaps_closed() {
    let fx = Fixture::with_all_roles();
    let saved = policy_seals(&fx);
    fx.unlock(LEAD).set_idle_lock_minutes(3).unwrap();
    put_back(&fx, &saved);
    let conn = fx.raw_core();
    conn.execute_batch("UPDATE policy SET value = '10' WHERE key = 'idle_lock_minutes'")
        .unwrap();
    drop(conn);
    let ws = fx.unlock(ANALYST);
    assert_named(&ws, "older version");
    let request = sightline::access::heatmaps::HeatmapRequest {
        page: "https://app.test/home".into(),
        viewport: "desktop".into(),
        params: Default::default(),
        segment: Default::default(),
    };
    assert!(matches!(ws.heatmap(&request), Err(Error::Integrity(_))));
    drop(ws);
    // A compliance lead saving the policy again seals a new version and reopens them.
    let lead = fx.unlock(LEAD);
    let policy = lead.retention_policy().unwrap();
    lead.set_retention_policy(&policy).unwrap();
    assert!(lead.verify().unwrap().trust_problems.is_empty());
}

#[test]
fn reanchoring_is_refused_while_the_log_does_not_verify() {
    let fx = Fixture::with_all_roles();
    busy(&fx);
    fx.raw_core()
        .execute_batch("UPDATE access_log SET object = 'x' WHERE seq = 3")
        .unwrap();
    let mut lead = fx.unlock(LEAD);
    assert!(matches!(lead.reanchor(), Err(Error::Integrity(_))));
}

#[test]
fn without_a_keychain_the_rollback_check_says_it_is_off_and_how_to_fix_it() {
    let fx = Fixture::new();
    let device = Device::new(
        fx.tmp.path().join("bare"),
        Keychain::unavailable("no Secret Service"),
    );
    let ws = Dataset::open(&fx.path)
        .unwrap()
        .unlock(LEAD.0, LEAD.1, &device)
        .unwrap();
    let off = ws.rollback_off().expect("said");
    assert!(
        off.contains("no Secret Service") && off.contains("To turn it on"),
        "{off}"
    );
    assert_eq!(ws.verify().unwrap().rollback_off.as_deref(), Some(off));
}

#[test]
fn every_device_pins_the_authority_and_the_fingerprint_is_shown() {
    let fx = Fixture::with_all_roles();
    let info = fx.dataset().info(&fx.device);
    let fingerprint = info.authority_fingerprint.unwrap();
    assert_eq!(
        fx.unlock(ANALYST).authority_fingerprint(),
        Some(fingerprint)
    );
    // The attacker signs the same membership with an authority of their own (no id binding,
    // as for an upgraded dataset) and puts it in the header.
    let dataset = fx.dataset();
    let header = dataset.header();
    let mut block = header.authority.clone().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&random_array::<32>().unwrap());
    block = sightline::dataset::authority::AuthorityBlock::new(
        &header.dataset_id,
        &key,
        None,
        block.membership,
    )
    .unwrap();
    edit_header(&fx, |json| {
        json["authority"] = serde_json::to_value(&block).unwrap();
    });
    assert!(
        fx.dataset()
            .info(&fx.device)
            .integrity
            .is_some_and(|p| p.contains("pinned")),
        "info says the users shown are not vouched for"
    );
    match fx.dataset().unlock(ANALYST.0, ANALYST.1, &fx.device) {
        Err(Error::Integrity(msg)) => assert!(msg.contains("pinned"), "{msg}"),
        other => panic!("expected an integrity error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn stripping_the_signed_membership_brings_back_nothing() {
    let fx = Fixture::with_all_roles();
    // The analyst forges a format-1 compliance-lead slot (they hold both keys) and removes the
    // authority, hoping for the old rules.
    let keys = fx.slot_keys(ANALYST);
    let id = fx.dataset().header().dataset_id.clone();
    let forged = KeySlot::new(
        &id,
        "mallory",
        Role::ComplianceLead,
        "mallory-password-1",
        &keys,
        "2026-01-01T00:00:00Z".into(),
    )
    .unwrap();
    edit_header(&fx, |json| {
        json.as_object_mut().unwrap().remove("authority");
        json["version"] = 1.into();
        json["slots"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::to_value(&forged).unwrap());
    });
    // Neither on this device (which pinned the authority) nor on a fresh one.
    let fresh = Device::new(fx.tmp.path().join("fresh"), Keychain::unavailable("test"));
    for device in [&fx.device, &fresh] {
        for (user, password) in [("mallory", "mallory-password-1"), ANALYST] {
            match Dataset::open(&fx.path)
                .unwrap()
                .unlock(user, password, device)
            {
                Err(Error::Integrity(msg)) => {
                    assert!(msg.contains("lost its signed membership"), "{msg}")
                }
                other => panic!(
                    "{user}: expected an integrity error, got {:?}",
                    other.map(|_| ())
                ),
            }
        }
    }
}

/// The signing key a member opens from their own slot (as they can, with the source code).
fn own_signing_key(fx: &Fixture, (user, password): (&str, &str)) -> ed25519_dalek::SigningKey {
    let dataset = fx.dataset();
    let header = dataset.header();
    let member = header
        .authority
        .as_ref()
        .unwrap()
        .membership
        .member(user)
        .unwrap()
        .clone();
    let opened = header
        .slot(user)
        .unwrap()
        .as_signed(&member)
        .open(&header.dataset_id, password)
        .ok()
        .unwrap();
    opened.signing.unwrap()
}

fn append_as(
    fx: &Fixture,
    signer: &str,
    key: &ed25519_dalek::SigningKey,
    entry: &sightline::access::log::NewEntry<'_>,
) -> u64 {
    let id = fx.dataset().header().dataset_id.clone();
    let conn = fx.raw_core();
    sightline::access::log::append(
        &conn,
        &id,
        entry,
        Some(sightline::access::log::Signer { name: signer, key }),
    )
    .unwrap()
    .seq
}

#[test]
fn a_back_dated_entry_cannot_steer_a_purge_and_is_named() {
    let fx = Fixture::with_all_roles();
    let before = thirty_day_log_retention(&fx);
    // The analyst writes an entry in their own name, dated 1970.
    let key = own_signing_key(&fx, ANALYST);
    let seq = append_as(
        &fx,
        ANALYST.0,
        &key,
        &entry(
            1,
            ANALYST.0,
            "analyst",
            sightline::access::Action::ListPages,
            "pages",
        ),
    );
    // The next purge removes nothing: nothing is 30 days old.
    let lead = fx.unlock(LEAD);
    lead.purge("on demand").unwrap();
    let after = lead.access_log(&LogQuery::default()).unwrap();
    assert!(
        after.len() > before,
        "{} entries left of {before}",
        after.len()
    );
    assert!(
        after.iter().any(|e| e.seq == 1),
        "the oldest entry is still there"
    );
    // Writing the time at append is clamped, so the entry carries its real time order.
    let entry = after.iter().find(|e| e.seq == seq).unwrap();
    assert!(entry.time_ms > 1, "the append kept time moving forward");
    // Setting the time back by hand is named.
    fx.raw_core()
        .execute(
            "UPDATE access_log SET time_ms = 1 WHERE seq = ?1",
            [seq as i64],
        )
        .unwrap();
    let problem = fx.unlock(LEAD).verify().unwrap().chain.problem.unwrap();
    assert_eq!(problem.seq, seq, "{}", problem.reason);
}

#[test]
fn an_older_policy_vouched_for_by_the_attackers_own_entry_is_still_named() {
    let fx = Fixture::with_all_roles();
    let saved = policy_seals(&fx);
    let old_body = saved[0].2.clone();
    fx.unlock(LEAD).set_idle_lock_minutes(3).unwrap();
    put_back(&fx, &saved);
    let conn = fx.raw_core();
    conn.execute_batch("UPDATE policy SET value = '10' WHERE key = 'idle_lock_minutes'")
        .unwrap();
    drop(conn);
    // The data engineer vouches for the old version in an entry of their own.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(old_body.as_bytes());
    let tag = format!("[policy v{} {}]", saved[0].1, hex::encode(&digest[..8]));
    let key = own_signing_key(&fx, ENGINEER);
    append_as(
        &fx,
        ENGINEER.0,
        &key,
        &entry(
            sightline::clock::now_ms(),
            ENGINEER.0,
            "data-engineer",
            sightline::access::Action::EditPolicy,
            &format!("restored {tag}"),
        ),
    );
    let ws = fx.unlock(ANALYST);
    assert_named(&ws, "older version");
}

#[test]
fn a_revoked_leads_old_keys_sign_nothing_after_the_revocation() {
    let fx = Fixture::with_all_roles();
    let mut lead = fx.unlock(LEAD);
    lead.add_user("lead2", Role::ComplianceLead, "lead2-password-1")
        .unwrap();
    lead.lock().unwrap();
    let lead2 = ("lead2", "lead2-password-1");
    let old_authority = fx.authority_key();
    let old_signing = own_signing_key(&fx, lead2);
    let mut lead = fx.unlock(LEAD);
    lead.revoke_user("lead2", &mut |_| {}).unwrap();
    lead.lock().unwrap();
    assert_ne!(
        fx.authority_key().verifying_key(),
        old_authority.verifying_key(),
        "the authority passed to a new key"
    );
    // Still valid: everything signed before the revocation.
    assert!(fx.unlock(LEAD).verify().unwrap().is_intact());
    // The old lead signs an entry with their retired key (Sightline refuses to, so they clear
    // the marker by hand first), then a purge record with the old authority key.
    fx.raw_core()
        .execute_batch("DELETE FROM retired_keys")
        .unwrap();
    let seq = append_as(
        &fx,
        "lead2",
        &old_signing,
        &entry(
            sightline::clock::now_ms(),
            "lead2",
            "compliance-lead",
            sightline::access::Action::ExportAccessLog,
            "access log (csv)",
        ),
    );
    let problem = fx.unlock(LEAD).verify().unwrap().chain.problem.unwrap();
    assert_eq!(problem.seq, seq, "{}", problem.reason);
    fx.raw_core()
        .execute("DELETE FROM access_log WHERE seq >= ?1", [seq as i64])
        .unwrap();
    let id = fx.dataset().header().dataset_id.clone();
    sightline::access::log::purge_before(
        &fx.raw_core(),
        &id,
        sightline::clock::now_ms() + 60_000,
        &old_authority,
        None,
        sightline::clock::now_ms(),
    )
    .unwrap()
    .unwrap();
    let problem = verify_elsewhere(&fx).chain.problem.unwrap();
    assert!(problem.reason.contains("purge"), "{}", problem.reason);
}

#[test]
fn an_older_header_put_back_under_an_open_window_is_never_signed_again() {
    let fx = Fixture::with_all_roles();
    let old = fs::read(fx.path.join("header.json")).unwrap();
    let mut lead = fx.unlock(LEAD);
    lead.set_password(ANALYST.0, "ana-fresh-password-1")
        .unwrap();
    // While the lead's window is open, the old header (with the leaked password) comes back.
    fs::write(fx.path.join("header.json"), &old).unwrap();
    assert!(matches!(
        lead.add_user("newcomer", Role::Analyst, "newcomer-password-1"),
        Err(Error::Integrity(_))
    ));
    assert!(matches!(
        lead.revoke_user(UX.0, &mut |_| {}),
        Err(Error::Integrity(_))
    ));
}

#[test]
fn a_policy_seal_removed_by_hand_never_locks_the_lead_out() {
    let fx = Fixture::with_all_roles();
    fx.raw_core()
        .execute_batch(
            "DELETE FROM policy_seals WHERE kind = 'policy';
             UPDATE policy SET value = '1' WHERE key IN ('purge_on_open', 'retention_recordings_days');",
        )
        .unwrap();
    let lead = fx.unlock(LEAD);
    assert!(
        lead.notices()
            .iter()
            .any(|n| n.text.contains("carries no signature")),
        "{:?}",
        lead.notices()
    );
    // Saving the policy again seals a new version and clears the problem.
    let mut policy = lead.retention_policy().unwrap();
    policy.recordings_days = 0;
    lead.set_retention_policy(&policy).unwrap();
    assert!(lead.verify().unwrap().is_intact());
}

#[test]
fn times_edited_by_hand_never_decide_what_a_purge_removes() {
    let fx = Fixture::with_all_roles();
    let before = thirty_day_log_retention(&fx);
    // Recent entries made to look ancient, hashes untouched.
    fx.raw_core()
        .execute_batch("UPDATE access_log SET time_ms = 0 WHERE seq <= 12")
        .unwrap();
    let lead = fx.unlock(LEAD);
    lead.purge("on demand").unwrap();
    let after = lead.access_log(&LogQuery::default()).unwrap();
    assert!(after.iter().any(|e| e.seq == 1), "nothing was purged");
    assert!(after.len() > before);
    assert_named(&lead, "not purged");
}

#[test]
fn an_older_policy_put_back_after_removing_the_entry_that_names_the_newer_is_named() {
    let fx = Fixture::with_all_roles();
    let saved = policy_seals(&fx);
    fx.unlock(LEAD).set_idle_lock_minutes(3).unwrap();
    fx.unlock(ANALYST).lock().unwrap();
    put_back(&fx, &saved);
    let conn = fx.raw_core();
    conn.execute_batch(
        "UPDATE policy SET value = '10' WHERE key = 'idle_lock_minutes';
         DELETE FROM access_log WHERE action = 'edit-policy';",
    )
    .unwrap();
    drop(conn);
    let ws = fx.unlock(ANALYST);
    assert_named(&ws, "removed outside");
}

#[test]
fn an_entry_dated_in_the_future_is_named() {
    let fx = Fixture::with_all_roles();
    let key = own_signing_key(&fx, ANALYST);
    let seq = append_as(
        &fx,
        ANALYST.0,
        &key,
        &sightline::access::log::NewEntry {
            time_ms: 4_102_444_800_000, // 2100-01-01
            user: ANALYST.0,
            role: "analyst",
            action: sightline::access::Action::ListPages,
            object: "pages",
            purpose: "",
            outcome: sightline::access::Outcome::Allowed,
        },
    );
    let lead = fx.unlock(LEAD);
    let problem = lead.verify().unwrap().chain.problem.unwrap();
    assert_eq!(problem.seq, seq, "{}", problem.reason);
    assert!(problem.reason.contains("future"), "{}", problem.reason);
    // Later entries keep the clock's time instead of following it to 2100.
    let newest = lead.access_log(&LogQuery::default()).unwrap();
    let last = newest.last().unwrap();
    assert!(
        last.seq > seq && last.time_ms < 4_000_000_000_000,
        "{last:?}"
    );
}

#[test]
fn a_window_open_across_a_password_reset_signs_nothing_more() {
    let fx = Fixture::with_all_roles();
    let analyst = fx.unlock(ANALYST);
    let mut lead = fx.unlock(LEAD);
    lead.set_password(ANALYST.0, "ana-fresh-password-1")
        .unwrap();
    lead.lock().unwrap();
    assert!(matches!(analyst.pages(), Err(Error::Busy(_))));
    drop(analyst);
    assert!(fx.unlock(LEAD).verify().unwrap().is_intact());
}

/// Thirty days of access-log retention (the lowest floor), set by the lead; returns how many
/// entries the log holds after a few sign-ins.
fn thirty_day_log_retention(fx: &Fixture) -> usize {
    busy(fx);
    let lead = fx.unlock(LEAD);
    let mut policy = lead.retention_policy().unwrap();
    policy.access_log_floor_days = 30;
    policy.access_log_days = 30;
    policy.purge_on_open = false;
    lead.set_retention_policy(&policy).unwrap();
    lead.lock().unwrap();
    fx.unlock(LEAD)
        .access_log(&LogQuery::default())
        .unwrap()
        .len()
}

type SealRow = (String, i64, String, String, Vec<u8>);

/// The policy seal rows as they are now (an attacker keeps a copy to put back later).
fn policy_seals(fx: &Fixture) -> Vec<SealRow> {
    fx.raw_core()
        .prepare(
            "SELECT kind, version, body, signer, signature FROM policy_seals WHERE kind = 'policy'",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Puts saved seal rows back in place.
fn put_back(fx: &Fixture, saved: &[SealRow]) {
    let conn = fx.raw_core();
    for (kind, version, body, signer, signature) in saved {
        conn.execute(
            "INSERT OR REPLACE INTO policy_seals (kind, version, body, signer, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![kind, version, body, signer, signature],
        )
        .unwrap();
    }
}

/// Asserts an integrity notice at unlock mentions `text`.
fn assert_named(ws: &sightline::access::Workspace, text: &str) {
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.level == NoticeLevel::Integrity && n.text.contains(text)),
        "no integrity notice about {text:?}: {:?}",
        ws.notices()
    );
}

#[test]
fn info_does_not_vouch_for_a_membership_edited_by_hand() {
    let fx = Fixture::with_all_roles();
    assert_eq!(fx.dataset().info(&fx.device).integrity, None);
    edit_header(&fx, |json| {
        let members = json["authority"]["membership"]["members"]
            .as_array_mut()
            .unwrap();
        for m in members.iter_mut().filter(|m| m["user"] == UX.0) {
            m["role"] = "compliance-lead".into();
        }
    });
    let fresh = Device::new(fx.tmp.path().join("fresh"), Keychain::unavailable("test"));
    let info = fx.dataset().info(&fresh);
    assert!(
        info.integrity.is_some_and(|p| p.contains("not signed")),
        "the edited role is shown as unverified"
    );
}

/// An allowed entry with no purpose, as an attacker writes one.
fn entry<'a>(
    time_ms: i64,
    user: &'a str,
    role: &'a str,
    action: sightline::access::Action,
    object: &'a str,
) -> sightline::access::log::NewEntry<'a> {
    sightline::access::log::NewEntry {
        time_ms,
        user,
        role,
        action,
        object,
        purpose: "",
        outcome: sightline::access::Outcome::Allowed,
    }
}
