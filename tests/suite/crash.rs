//! Crashes in the middle of key changes: `user revoke`, `user passwd` and `recover` are killed
//! (abort, like `kill -9`) at every point between two of their writes. Every time the dataset
//! opens afterwards with the old or the new keys, every session is still there, and no file the
//! opened header needs is gone.

use std::path::Path;

use sightline::access::Keychain;
use sightline::dataset::{Dataset, Tier};
use sightline::device::Device;

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, copy_dir, import_text, sightline, stderr};

const SESSIONS: usize = 3;

fn fixture_with_sessions() -> Fixture {
    let fx = Fixture::with_all_roles();
    let lines: Vec<String> = (0..SESSIONS)
        .map(|i| {
            format!(
                r#"{{"sightline": 1, "session": "crash-{i}", "subject": "p-{i}", "started_at": "2026-11-01T10:00:00Z", "region": "EU", "consent": {{"heatmaps": true, "recordings": true}}, "url": "https://app.test/home", "viewport": {{"width": 1440, "height": 900}}}}
{{"t": 100, "kind": "click", "x": 40, "y": 50, "target": "button#go"}}"#
            )
        })
        .collect();
    import_text(&fx, "crash.jsonl", lines.join("\n"));
    fx
}

/// Opens `dir` as the lead on the CLI's device and checks what every crash must leave.
fn check_after(dir: &Path, state: &Path, point: &str, user: &str, passwords: &[&str]) {
    let device = Device::new(state, Keychain::unavailable("crash test"));
    let dataset = Dataset::open(dir).unwrap_or_else(|e| panic!("{point}: header: {e}"));
    for tier in Tier::ALL {
        let path = dataset.header().db_path(dir, tier);
        assert!(path.is_file(), "{point}: {} is gone", path.display());
    }
    let ws = dataset
        .unlock(LEAD.0, LEAD.1, &device)
        .unwrap_or_else(|e| panic!("{point}: the lead cannot open: {e}"));
    assert_eq!(
        ws.sessions(None).unwrap().len(),
        SESSIONS,
        "{point}: sessions lost"
    );
    let report = ws.verify().unwrap();
    assert!(report.is_intact(), "{point}: {report:?}");
    drop(ws);
    if !passwords.is_empty() {
        let opened = passwords.iter().any(|p| {
            Dataset::open(dir)
                .and_then(|d| d.unlock(user, p, &device))
                .is_ok()
        });
        assert!(opened, "{point}: {user} opens with neither password");
    }
}

fn crash_at(
    fx: &Fixture,
    point: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let name = point.replace(':', "-");
    let dir = fx.tmp.path().join(format!("trial-{name}"));
    copy_dir(&fx.path, &dir);
    let state = fx.tmp.path().join(format!("state-{name}"));
    let dir_text = dir.to_str().unwrap().to_owned();
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "DIR" { dir_text.as_str() } else { a })
        .collect();
    let mut env = env.to_vec();
    // Every trial is a copy of one dataset: keep their pins and anchors apart.
    env.push(("SIGHTLINE_KEYCHAIN", "off"));
    env.push(("SIGHTLINE_FAILPOINT", point));
    let out = sightline(&state, &args, &env);
    assert!(
        !out.status.success() && out.status.code().is_none(),
        "{point}: the command was not killed ({:?}): {}",
        out.status,
        stderr(&out)
    );
    (dir, state)
}

#[test]
fn a_revocation_killed_at_any_point_leaves_the_old_or_the_new_dataset() {
    let fx = fixture_with_sessions();
    for point in [
        "revoke:marked",
        "revoke:exported-core",
        "revoke:exported-recordings",
        "revoke:before-header",
        "revoke:header-stored",
        "revoke:removed-old-core",
        "revoke:removed-old-recordings",
    ] {
        let (dir, state) = crash_at(
            &fx,
            point,
            &["user", "revoke", "DIR", "--as", LEAD.0, "--user", ANALYST.0],
            &[("SIGHTLINE_PASSWORD", LEAD.1)],
        );
        check_after(&dir, &state, point, ENGINEER.0, &[ENGINEER.1]);
        // A second revocation after the crash completes.
        let out = sightline(
            &state,
            &[
                "user",
                "revoke",
                dir.to_str().unwrap(),
                "--as",
                LEAD.0,
                "--user",
                ANALYST.0,
            ],
            &[
                ("SIGHTLINE_PASSWORD", LEAD.1),
                ("SIGHTLINE_KEYCHAIN", "off"),
            ],
        );
        let revoked_already = stderr(&out).contains("no user");
        assert!(
            out.status.success() || revoked_already,
            "{point}: {}",
            stderr(&out)
        );
        check_after(&dir, &state, point, ENGINEER.0, &[ENGINEER.1]);
    }
}

#[test]
fn revoking_a_compliance_lead_killed_at_any_point_leaves_a_dataset_that_verifies() {
    let fx = fixture_with_sessions();
    let mut lead = fx.unlock(LEAD);
    lead.add_user(
        "lead2",
        sightline::access::Role::ComplianceLead,
        "lead2-password-1",
    )
    .unwrap();
    // The second lead's key signs the policy, so the revocation must sign it again.
    let lead2 = fx
        .dataset()
        .unlock("lead2", "lead2-password-1", &fx.device)
        .unwrap();
    lead2.set_idle_lock_minutes(7).unwrap();
    lead2.lock().unwrap();
    lead.lock().unwrap();
    for point in [
        "revoke:marked",
        "revoke:exported-core",
        "revoke:before-header",
        "revoke:header-stored",
        "revoke:removed-old-core",
    ] {
        let (dir, state) = crash_at(
            &fx,
            point,
            &["user", "revoke", "DIR", "--as", LEAD.0, "--user", "lead2"],
            &[("SIGHTLINE_PASSWORD", LEAD.1)],
        );
        check_after(&dir, &state, point, ENGINEER.0, &[ENGINEER.1]);
    }
}

#[test]
fn a_password_reset_killed_at_any_point_leaves_the_old_or_the_new_password() {
    let fx = fixture_with_sessions();
    for point in ["passwd:before-header", "passwd:after-header"] {
        let (dir, state) = crash_at(
            &fx,
            point,
            &["user", "passwd", "DIR", "--as", LEAD.0, "--user", ANALYST.0],
            &[
                ("SIGHTLINE_PASSWORD", LEAD.1),
                ("SIGHTLINE_NEW_PASSWORD", "ana-crash-password-1"),
            ],
        );
        check_after(
            &dir,
            &state,
            point,
            ANALYST.0,
            &[ANALYST.1, "ana-crash-password-1"],
        );
    }
}

#[test]
fn a_recovery_killed_at_any_point_leaves_the_old_or_the_new_password() {
    let fx = fixture_with_sessions();
    let key = fx.recovery.to_string();
    for point in [
        "recover:before-log",
        "recover:before-header",
        "recover:after-header",
    ] {
        let (dir, state) = crash_at(
            &fx,
            point,
            &["recover", "DIR", "--user", ANALYST.0],
            &[
                ("SIGHTLINE_RECOVERY_KEY", key.as_str()),
                ("SIGHTLINE_NEW_PASSWORD", "ana-recovered-password-1"),
            ],
        );
        check_after(
            &dir,
            &state,
            point,
            ANALYST.0,
            &[ANALYST.1, "ana-recovered-password-1"],
        );
    }
}
