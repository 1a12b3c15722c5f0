use sightline::Error;
use sightline::access::{LogQuery, NoticeLevel};

use super::common::{ANALYST, Fixture, LEAD, snapshot};

#[test]
fn wrong_password_and_unknown_user_give_one_message_and_leave_files_unchanged() {
    let fx = Fixture::with_all_roles();
    let before = snapshot(&fx.path);
    let dataset = fx.dataset();
    let wrong = dataset
        .unlock(LEAD.0, "not-the-password", &fx.device)
        .err()
        .expect("wrong password refused");
    let unknown = dataset
        .unlock("mallory", LEAD.1, &fx.device)
        .err()
        .expect("unknown user refused");
    assert!(matches!(wrong, Error::BadCredentials), "{wrong}");
    assert!(matches!(unknown, Error::BadCredentials), "{unknown}");
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.exit_code(), 3);
    assert_eq!(
        snapshot(&fx.path),
        before,
        "a failed attempt changed the dataset's files"
    );
}

#[test]
fn back_off_starts_after_three_failures_even_for_the_right_password() {
    let fx = Fixture::new();
    let dataset = fx.dataset();
    for _ in 0..3 {
        assert!(matches!(
            dataset.unlock(LEAD.0, "wrong-password", &fx.device),
            Err(Error::BadCredentials)
        ));
    }
    match dataset.unlock(LEAD.0, LEAD.1, &fx.device) {
        Err(Error::LockedOut { retry_after }) => assert!(retry_after.as_millis() > 0),
        other => panic!("expected a lockout, got {:?}", other.map(|_| ())),
    }
    assert!(dataset.retry_after(&fx.device).is_some());
    // The back-off is kept on the device, so a new Dataset value (a new run) sees it too.
    assert!(matches!(
        fx.dataset().unlock(LEAD.0, LEAD.1, &fx.device),
        Err(Error::LockedOut { .. })
    ));
}

#[test]
fn the_back_off_ends_when_the_devices_clock_has_moved_past_it() {
    let mut fx = Fixture::new();
    let clock = std::sync::Arc::new(sightline::clock::ManualClock::new());
    fx.device = fx.device.clone().with_clock(clock.clone());
    let dataset = fx.dataset();
    for _ in 0..3 {
        assert!(
            dataset
                .unlock(LEAD.0, "wrong-password", &fx.device)
                .is_err()
        );
    }
    let Err(Error::LockedOut { retry_after }) = dataset.unlock(LEAD.0, LEAD.1, &fx.device) else {
        panic!("expected a lockout");
    };
    // Time stands still on this clock: the lockout holds until it is moved on.
    clock.advance_ms(retry_after.as_millis() as i64 - 1);
    assert!(matches!(
        dataset.unlock(LEAD.0, LEAD.1, &fx.device),
        Err(Error::LockedOut { .. })
    ));
    clock.advance_ms(1);
    assert!(dataset.retry_after(&fx.device).is_none());
    assert!(dataset.unlock(LEAD.0, LEAD.1, &fx.device).is_ok());
}

#[test]
fn failed_attempts_are_logged_at_the_next_unlock_and_announced_to_their_user() {
    let fx = Fixture::with_all_roles();
    let dataset = fx.dataset();
    assert!(
        dataset
            .unlock(LEAD.0, "wrong-1-password", &fx.device)
            .is_err()
    );
    assert!(
        dataset
            .unlock(LEAD.0, "wrong-2-password", &fx.device)
            .is_err()
    );

    // Another user unlocking first enters the attempts in the log but is not told about lead's.
    let ana = fx.unlock(ANALYST);
    assert!(
        ana.notices()
            .iter()
            .all(|n| !n.text.contains("failed attempt"))
    );
    ana.lock().unwrap();
    assert!(
        dataset
            .unlock("sup3r-secret-typed-as-name", "x", &fx.device)
            .is_err()
    );

    let ws = fx.unlock(LEAD);
    let notices = ws.notices();
    assert!(
        notices.iter().any(|n| n.level == NoticeLevel::Warning
            && n.text == "2 failed attempts since your last login."),
        "{notices:?}"
    );
    let failed = ws
        .access_log(&LogQuery {
            action: Some("login-failed".into()),
            ..LogQuery::default()
        })
        .unwrap();
    let users: Vec<&str> = failed.iter().map(|e| e.user.as_str()).collect();
    assert_eq!(users, ["lead", "lead", "(unknown)"]);
    let all = ws.access_log(&LogQuery::default()).unwrap();
    assert!(
        all.iter()
            .all(|e| !format!("{e:?}").contains("sup3r-secret")),
        "a name typed at login must not reach the log"
    );
    ws.lock().unwrap();

    // Told once: the next unlock has nothing new to report.
    let again = fx.unlock(LEAD);
    assert!(
        again
            .notices()
            .iter()
            .all(|n| !n.text.contains("failed attempt"))
    );
}
