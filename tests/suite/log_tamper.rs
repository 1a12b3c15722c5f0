use sightline::access::{ChainProblem, Keychain, LogQuery, NoticeLevel};
use sightline::device::Device;

use super::common::{ANALYST, Fixture, LEAD, copy_dir, entry_hash};

/// A dataset with a dozen log entries, locked.
fn busy_fixture() -> Fixture {
    let fx = Fixture::with_all_roles();
    for _ in 0..2 {
        let ws = fx.unlock(ANALYST);
        ws.pages().unwrap();
        ws.lock().unwrap();
    }
    fx
}

/// Applies `sql` to the core database directly (as someone with the core key and a SQLCipher
/// shell could), then verifies as the compliance lead.
fn tamper_and_verify(fx: &Fixture, sql: &str) -> Option<ChainProblem> {
    let conn = fx.raw_core();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let ws = fx.unlock(LEAD);
    let report = ws.verify().unwrap();
    assert!(report.damaged_pages.is_empty());
    report.chain.problem
}

#[test]
fn an_untouched_log_verifies() {
    let fx = busy_fixture();
    let ws = fx.unlock(LEAD);
    let report = ws.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.anchor_checked);
    assert!(report.chain.entries > 10);
}

#[test]
fn an_edited_entry_is_named() {
    let fx = busy_fixture();
    let problem = tamper_and_verify(
        &fx,
        "UPDATE access_log SET object = 'nothing to see' WHERE seq = 4",
    )
    .unwrap();
    assert_eq!(problem.seq, 4);
    assert!(problem.reason.contains("edited"), "{}", problem.reason);
}

#[test]
fn an_edited_and_rehashed_entry_is_named() {
    let fx = busy_fixture();
    let conn = fx.raw_core();
    let (prev, time_ms, user, role, action, purpose, outcome): (Vec<u8>, i64, String, String, String, String, String) = conn
        .query_row(
            "SELECT prev_hash, time_ms, user, role, action, purpose, outcome FROM access_log WHERE seq = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .unwrap();
    let object = "rewritten";
    let hash = entry_hash(
        &prev, 4, time_ms, &user, &role, &action, object, &purpose, &outcome,
    );
    conn.execute(
        "UPDATE access_log SET object = ?1, hash = ?2 WHERE seq = 4",
        rusqlite::params![object, hash.as_slice()],
    )
    .unwrap();
    drop(conn);
    let problem = fx.unlock(LEAD).verify().unwrap().chain.problem.unwrap();
    assert_eq!(problem.seq, 4, "{}", problem.reason);
    assert!(problem.reason.contains("rewritten"), "{}", problem.reason);
}

#[test]
fn a_deleted_entry_is_named() {
    let fx = busy_fixture();
    let problem = tamper_and_verify(&fx, "DELETE FROM access_log WHERE seq = 5").unwrap();
    assert_eq!(problem.seq, 5);
    assert!(problem.reason.contains("missing"), "{}", problem.reason);
}

#[test]
fn reordered_entries_are_named() {
    let fx = busy_fixture();
    let problem = tamper_and_verify(
        &fx,
        "UPDATE access_log SET seq = -1 WHERE seq = 5;
         UPDATE access_log SET seq = 5 WHERE seq = 6;
         UPDATE access_log SET seq = 6 WHERE seq = -1;",
    )
    .unwrap();
    assert_eq!(problem.seq, 5);
    assert!(
        problem.reason.contains("out of order"),
        "{}",
        problem.reason
    );
}

#[test]
fn a_truncated_log_is_found_through_the_keychain_anchor() {
    let fx = busy_fixture();
    let problem = tamper_and_verify(&fx, "DELETE FROM access_log WHERE seq > 7").unwrap();
    assert!(problem.seq >= 8, "{problem:?}");
    assert!(problem.reason.contains("last saw"), "{}", problem.reason);
}

#[test]
fn without_a_keychain_truncation_is_not_claimed_to_be_checked() {
    let fx = busy_fixture();
    let device = Device::new(
        fx.tmp.path().join("other-state"),
        Keychain::unavailable("test machine"),
    );
    let conn = fx.raw_core();
    conn.execute_batch("DELETE FROM access_log WHERE seq > 7")
        .unwrap();
    drop(conn);
    let ws = fx.dataset().unlock(LEAD.0, LEAD.1, &device).unwrap();
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.text.contains("Rollback check is off"))
    );
    let report = ws.verify().unwrap();
    assert!(
        !report.anchor_checked,
        "the report must say no anchor was compared"
    );
}

#[test]
fn a_rolled_back_copy_is_reported_at_unlock_and_by_verify() {
    let fx = busy_fixture();
    let old_copy = fx.tmp.path().join("old-copy");
    copy_dir(&fx.path, &old_copy);
    let ws = fx.unlock(ANALYST);
    ws.pages().unwrap();
    ws.lock().unwrap();

    // Put the older copy back in place.
    std::fs::remove_dir_all(&fx.path).unwrap();
    copy_dir(&old_copy, &fx.path);
    // A failed attempt waits to be logged at the next unlock; logging it must not move the
    // anchor onto the rolled-back chain before the check.
    assert!(
        fx.dataset()
            .unlock(LEAD.0, "wrong-password", &fx.device)
            .is_err()
    );

    let ws = fx.unlock(LEAD);
    let alarm = ws
        .notices()
        .into_iter()
        .find(|n| n.level == NoticeLevel::Integrity);
    assert!(
        alarm.is_some(),
        "no integrity notice at unlock: {:?}",
        ws.notices()
    );
    let problem = ws.verify().unwrap().chain.problem.unwrap();
    assert!(problem.reason.contains("last saw"), "{}", problem.reason);
    let alerts = ws
        .access_log(&LogQuery {
            action: Some("integrity-alert".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(alerts.len(), 1, "the alarm is itself logged");
    drop(ws);

    // The alarm repeats until a compliance lead accepts the current head.
    let mut ws = fx.unlock(LEAD);
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.level == NoticeLevel::Integrity)
    );
    ws.reanchor().unwrap();
    ws.lock().unwrap();
    let ws = fx.unlock(LEAD);
    assert!(
        ws.notices()
            .iter()
            .all(|n| n.level != NoticeLevel::Integrity)
    );
    assert!(ws.verify().unwrap().is_intact());
}
