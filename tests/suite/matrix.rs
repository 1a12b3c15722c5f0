use sightline::Error;
use sightline::access::{Capability, LogFormat, LogQuery, Role, Workspace};

use super::common::{Fixture, LEAD, user_of};

/// PRODUCT.md's matrix, written out independently of the code's table.
fn product_matrix(capability: Capability) -> [bool; 4] {
    // Columns: compliance lead, analyst, data engineer, UX liaison.
    match capability {
        Capability::ViewHeatmaps => [true, true, true, true],
        Capability::AnnotateHeatmaps => [true, true, false, true],
        Capability::ListSessions => [true, true, true, false],
        Capability::ReplaySession => [true, true, false, false],
        Capability::ImportData => [false, false, true, false],
        Capability::ViewDashboards => [true, true, true, false],
        Capability::RetentionPurge => [true, false, true, false],
        Capability::EraseSubject => [true, false, false, false],
        Capability::AccessLog => [true, false, false, false],
        Capability::ManageUsers => [true, false, false, false],
        Capability::ComplianceReport => [true, false, false, false],
    }
}

#[test]
fn the_code_matrix_is_product_md_matrix() {
    for capability in Capability::all() {
        let expected = product_matrix(capability);
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(
                capability.allows(role),
                expected[i],
                "{capability:?} for {role}"
            );
        }
    }
}

type Probe = (
    &'static str,
    Capability,
    fn(&mut Workspace) -> Result<(), Error>,
);

/// Every gated operation that exists so far, with the capability it needs.
fn probes() -> Vec<Probe> {
    vec![
        ("read log", Capability::AccessLog, |ws| {
            ws.access_log(&LogQuery::default()).map(drop)
        }),
        ("verify log", Capability::AccessLog, |ws| {
            ws.verify().map(drop)
        }),
        ("export log", Capability::AccessLog, |ws| {
            ws.export_log(LogFormat::Jsonl, &mut Vec::new()).map(drop)
        }),
        ("list users", Capability::ManageUsers, |ws| {
            ws.users().map(drop)
        }),
        ("add user", Capability::ManageUsers, |ws| {
            let name = format!("added-by-{}", ws.user());
            ws.add_user(&name, Role::Analyst, "added-user-password")
        }),
        ("reset password", Capability::ManageUsers, |ws| {
            let other = if ws.user() == LEAD.0 { "ana" } else { LEAD.0 };
            ws.set_password(other, "reset-password-99")
        }),
        ("list sessions", Capability::ListSessions, |ws| {
            ws.sessions(None).map(drop)
        }),
        ("list pages", Capability::ViewHeatmaps, |ws| {
            ws.pages().map(drop)
        }),
    ]
}

#[test]
fn every_role_gets_exactly_the_matrix_and_every_denial_is_logged() {
    let fx = Fixture::with_all_roles();
    let mut expected_denials = 0;
    // The compliance lead goes last, because it resets another user's password.
    for role in [
        Role::Analyst,
        Role::DataEngineer,
        Role::UxLiaison,
        Role::ComplianceLead,
    ] {
        let mut ws = fx.unlock(user_of(role));
        for (name, capability, probe) in probes() {
            let result = probe(&mut ws);
            if capability.allows(role) {
                assert!(
                    result.is_ok(),
                    "{role} should be allowed to {name}: {:?}",
                    result.err()
                );
            } else {
                match result {
                    Err(Error::Denied {
                        role: r,
                        capability: c,
                    }) => assert_eq!((r, c), (role, capability)),
                    other => panic!("{role} should be denied {name}, got {other:?}"),
                }
                expected_denials += 1;
            }
        }
        ws.lock().unwrap();
    }
    let ws = fx.unlock(LEAD);
    let denied = ws
        .access_log(&LogQuery {
            outcome: Some("denied".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(denied.len(), expected_denials);
    assert!(denied.iter().all(|e| e.user != LEAD.0));
}
