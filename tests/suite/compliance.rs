//! The compliance centre: erasure leaves no bytes behind, purges remove exactly what is past
//! retention (with receipts), the policy purges on opening, and role rules hold in the CLI.

use std::sync::atomic::AtomicBool;

use sightline::clock::{now_ms, rfc3339};
use sightline::compliance::retention::Policy;
use sightline::dataset::Tier;
use sightline::error::Error;
use sightline::ingest::{ImportInput, ImportOptions};

use super::common::{
    ANALYST, ENGINEER, Fixture, LEAD, UX, contains, files, files_of, plant_in_stored_events,
    sightline, stderr, stdout,
};

const DAY: i64 = 86_400_000;

/// A native session of `subject` starting `age_ms` ago, with a custom event named `marker`
/// (UI words only, so it is stored as written and can be found in the decrypted pages).
fn session(id: &str, subject: &str, age_ms: i64, marker: &str) -> String {
    format!(
        r#"{{"sightline": 1, "session": "{id}", "subject": "{subject}", "started_at": "{}", "region": "EU", "consent": {{"heatmaps": true, "recordings": true}}, "url": "https://app.test/home", "viewport": {{"width": 1440, "height": 900}}}}
{{"t": 100, "kind": "move", "x": 10, "y": 10}}
{{"t": 600, "kind": "click", "x": 40, "y": 50, "target": "button#send"}}
{{"t": 700, "kind": "custom", "tag": "{marker}"}}
{{"t": 900, "kind": "scroll", "x": 0, "y": 300}}"#,
        rfc3339(now_ms() - age_ms)
    )
}

fn import(fx: &Fixture, text: String, extra: Vec<ImportInput>) {
    let mut ws = fx.unlock(ENGINEER);
    let mut inputs = vec![ImportInput::Memory {
        name: "sessions.jsonl".into(),
        text,
    }];
    inputs.extend(extra);
    ws.import_inputs(
        &inputs,
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    ws.lock().unwrap();
}

#[test]
fn erasure_leaves_no_byte_of_the_subject_in_pages_free_pages_or_wal() {
    let fx = Fixture::with_all_roles();
    let mut text = Vec::new();
    for i in 0..3 {
        text.push(session(
            &format!("gone-{i}"),
            "canary.subject@example.org",
            DAY,
            "wizard-trash-kbd",
        ));
    }
    text.push(session("stays-1", "other-person", DAY, "volume-pill-quote"));
    let survey = ImportInput::Memory {
        name: "surveys.csv".into(),
        text: "subject,session,score,comment\ncanary.subject@example.org,gone-0,2,\"the canary comment zx81\"\n".into(),
    };
    import(&fx, text.join("\n"), vec![survey]);
    let ws = fx.unlock(LEAD);
    let all = ws.sessions(None).unwrap();
    let subject = all
        .iter()
        .map(|s| s.subject.clone())
        .find(|p| all.iter().filter(|s| &s.subject == p).count() == 3)
        .unwrap();
    let erased_ids: Vec<String> = all
        .iter()
        .filter(|s| s.subject == subject)
        .map(|s| s.id.clone())
        .collect();
    ws.lock().unwrap();
    let (plain, _) = files(&fx);
    for marker in [
        "wizard-trash-kbd",
        "zx81",
        subject.as_str(),
        "volume-pill-quote",
    ] {
        assert!(
            contains(&plain, marker),
            "{marker} is readable before the erasure"
        );
    }

    let ws = fx.unlock(LEAD);
    let receipt = ws.erase_subject("canary.subject@example.org").unwrap();
    assert_eq!(receipt.kind, "erasure");
    assert_eq!(receipt.detail.subject.as_deref(), Some(subject.as_str()));
    let removed: std::collections::HashMap<_, _> = receipt.detail.removed.iter().cloned().collect();
    assert_eq!(removed["replays"], 3);
    assert_eq!(removed["heatmap sessions"], 3);
    assert_eq!(removed["survey answers"], 1);
    assert_eq!(ws.sessions(None).unwrap().len(), 1);
    ws.lock().unwrap();

    let (plain, wal) = files(&fx);
    let mut gone = vec!["wizard-trash-kbd", "zx81"];
    gone.extend(erased_ids.iter().map(String::as_str));
    for marker in gone {
        assert!(
            !contains(&plain, marker),
            "{marker} is gone from every page"
        );
        assert!(!contains(&wal, marker));
    }
    // The pseudonym stays only where the erasure itself is recorded (receipt and log, in
    // core.db); the recordings hold nothing of it.
    let (recordings, _) = files_of(&fx, &[Tier::Recordings]);
    assert!(!contains(&recordings, &subject));
    assert!(contains(&plain, "volume-pill-quote"), "other subjects stay");
    assert!(
        !contains(&plain, "canary.subject"),
        "the identifier was never stored"
    );

    // The log names the pseudonym, never the identifier; a second erasure finds nothing.
    let ws = fx.unlock(LEAD);
    let log = ws.access_log(&Default::default()).unwrap();
    let erase: Vec<_> = log.iter().filter(|e| e.action == "erase-subject").collect();
    assert!(
        erase
            .iter()
            .all(|e| e.object.contains(&subject) && !e.object.contains("canary"))
    );
    let again = ws.erase_subject(&subject).unwrap();
    assert_eq!(again.detail.total(), 0);
    assert_eq!(ws.receipts().unwrap().len(), 2);
}

#[test]
fn only_compliance_leads_erase() {
    let fx = Fixture::with_all_roles();
    for user in [ANALYST, ENGINEER, UX] {
        let ws = fx.unlock(user);
        assert!(
            matches!(ws.erase_subject("someone"), Err(Error::Denied { .. })),
            "{}",
            user.0
        );
    }
}

#[test]
fn a_purge_removes_exactly_what_is_past_retention_and_writes_a_receipt() {
    let fx = Fixture::with_all_roles();
    let hour = 3_600_000;
    let text = [
        session("old", "a", 30 * DAY + hour, "pager-trash"), // past 30 days
        session("edge", "b", 30 * DAY - hour, "pager-zoom"), // just inside
        session("new", "c", DAY, "pager-volume"),
        session("ancient", "d", 400 * DAY, "pager-wizard"), // past the points' 365 days too
    ]
    .join("\n");
    import(&fx, text, Vec::new());
    let lead = fx.unlock(LEAD);
    assert!(
        matches!(
            fx.unlock(ENGINEER).set_retention_policy(&Policy {
                recordings_days: 30,
                points_days: 365,
                survey_comments_days: 0,
                access_log_days: 0,
                purge_on_open: false,
                access_log_floor_days: 365,
            }),
            Err(Error::Denied { .. })
        ),
        "only the compliance lead edits the policy"
    );
    lead.set_retention_policy(&Policy {
        recordings_days: 30,
        points_days: 365,
        survey_comments_days: 0,
        access_log_days: 0,
        purge_on_open: false,
        access_log_floor_days: 365,
    })
    .unwrap();
    lead.lock().unwrap();
    assert!(matches!(
        fx.unlock(ANALYST).purge("on demand"),
        Err(Error::Denied { .. })
    ));
    let engineer = fx.unlock(ENGINEER);
    let receipt = engineer.purge("on demand").unwrap();
    let removed: std::collections::HashMap<_, _> = receipt.detail.removed.iter().cloned().collect();
    assert_eq!(removed["replays"], 2, "old and ancient");
    assert_eq!(
        removed["heatmap sessions"], 1,
        "only ancient is past 365 days"
    );
    assert_eq!(receipt.detail.cutoffs.len(), 2);
    assert_eq!(receipt.detail.trigger, "on demand");
    engineer.lock().unwrap();
    let lead = fx.unlock(LEAD);
    assert_eq!(
        lead.sessions(None).unwrap().len(),
        2,
        "edge and new are kept"
    );
    let receipts = lead.receipts().unwrap();
    assert_eq!(receipts[0].user, ENGINEER.0);
    let (plain, _) = files(&fx);
    for gone in ["pager-trash", "pager-wizard"] {
        assert!(!contains(&plain, gone), "{gone}");
    }
    for kept in ["pager-zoom", "pager-volume"] {
        assert!(contains(&plain, kept), "{kept}");
    }
}

#[test]
fn a_replay_is_purged_once_the_devices_clock_passes_its_retention() {
    let mut fx = Fixture::with_all_roles();
    let clock = std::sync::Arc::new(sightline::clock::ManualClock::new());
    fx.device = fx.device.clone().with_clock(clock.clone());
    import(&fx, session("s-1", "a", DAY, "pager-trash"), Vec::new());
    let lead = fx.unlock(LEAD);
    let mut policy = lead.retention_policy().unwrap();
    policy.recordings_days = 30;
    lead.set_retention_policy(&policy).unwrap();
    let replays = |receipt: sightline::compliance::Receipt| {
        receipt
            .detail
            .removed
            .iter()
            .find(|(what, _)| what == "replays")
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(replays(lead.purge("on demand").unwrap()), 0, "1 day old");
    // 29 days on, the replay is 30 days old less the minutes this test took: still kept.
    clock.advance_ms(29 * DAY - 60_000);
    assert_eq!(replays(lead.purge("on demand").unwrap()), 0);
    clock.advance_ms(DAY);
    assert_eq!(replays(lead.purge("on demand").unwrap()), 1, "past 30 days");
    assert!(lead.sessions(None).unwrap().is_empty());
}

#[test]
fn opening_purges_when_the_policy_says_so() {
    let fx = Fixture::with_all_roles();
    import(
        &fx,
        session("old", "a", 10 * DAY, "pager-trash"),
        Vec::new(),
    );
    let lead = fx.unlock(LEAD);
    lead.set_retention_policy(&Policy {
        recordings_days: 5,
        points_days: 0,
        survey_comments_days: 0,
        access_log_days: 0,
        purge_on_open: true,
        access_log_floor_days: 365,
    })
    .unwrap();
    lead.lock().unwrap();
    // The lead's own next opening purges (and says so).
    let ws = fx.unlock(LEAD);
    assert!(
        ws.notices()
            .iter()
            .any(|n| n.text.contains("Retention purge on opening"))
    );
    assert!(ws.sessions(None).unwrap().is_empty());
    let receipts = ws.receipts().unwrap();
    assert_eq!(receipts[0].detail.trigger, "automatic on open");
    ws.lock().unwrap();
    // Nothing is due now: opening again writes no purge entry.
    let before = fx.unlock(LEAD).receipts().unwrap().len();
    assert_eq!(fx.unlock(LEAD).receipts().unwrap().len(), before);
}

#[test]
fn the_cli_erases_and_purges_with_receipts_and_role_rules() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("s-1", "person-9", DAY, "m-cli"), Vec::new());
    let state = fx.tmp.path().join("cli-state");
    let path = fx.path.to_str().unwrap();
    let run = |user: (&str, &str), command: &[&str], rest: &[&str]| {
        let mut all = command.to_vec();
        all.push(path);
        all.extend_from_slice(rest);
        all.extend(["--as", user.0]);
        sightline(&state, &all, &[("SIGHTLINE_PASSWORD", user.1)])
    };
    let denied = run(ANALYST, &["erase"], &["--subject", "person-9"]);
    assert_eq!(denied.status.code(), Some(4), "{}", stderr(&denied));
    let erased = run(LEAD, &["erase"], &["--subject", "person-9"]);
    assert_eq!(erased.status.code(), Some(0), "{}", stderr(&erased));
    let out = stdout(&erased);
    assert!(
        out.contains("Receipt") && out.contains("1 replays"),
        "{out}"
    );
    assert!(!out.contains("person-9"), "the identifier is not echoed");
    let purge = run(ENGINEER, &["retention", "run"], &[]);
    assert_eq!(purge.status.code(), Some(0), "{}", stderr(&purge));
    assert!(stdout(&purge).contains("nothing to remove") || stdout(&purge).contains("Receipt"));
    assert_eq!(run(UX, &["retention", "run"], &[]).status.code(), Some(4));
    let html = fx.tmp.path().join("cli-report.html");
    let html_arg = html.to_str().unwrap();
    let denied = run(ANALYST, &["report"], &["--out", html_arg]);
    assert_eq!(denied.status.code(), Some(4));
    assert!(!html.exists());
    let made = run(LEAD, &["report"], &["--out", html_arg]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("Erasure receipts")
    );
}

#[test]
fn anomalies_find_a_planted_spike_and_leak_and_a_replay_burst() {
    let fx = Fixture::with_all_roles();
    let mut text = Vec::new();
    for day in 1..=20i64 {
        for k in 0..2 {
            text.push(session(
                &format!("ru-{day}-{k}"),
                &format!("ru-{day}-{k}"),
                day * DAY,
                "m",
            ));
        }
    }
    for k in 0..30 {
        text.push(session(
            &format!("spike-{k}"),
            &format!("spike-{k}"),
            7 * DAY + k * 1000,
            "m",
        ));
    }
    let text = text
        .join("\n")
        .replace("\"region\": \"EU\"", "\"region\": \"RU\"");
    import(&fx, text, Vec::new());
    let lead = fx.unlock(LEAD);
    assert!(
        lead.anomalies().unwrap().is_empty(),
        "quiet before the policy names RU"
    );
    lead.set_compliance_settings(70, &["RU".to_owned()])
        .unwrap();
    let found = lead.anomalies().unwrap();
    let spikes: Vec<_> = found
        .iter()
        .filter(|a| a.key.starts_with("spike:RU:"))
        .collect();
    assert_eq!(spikes.len(), 1, "{found:?}");
    assert!(
        spikes[0].explanation.contains("32 sessions"),
        "{}",
        spikes[0].explanation
    );
    lead.lock().unwrap();

    // A phone number typed into an annotation note is found (and not repeated).
    super::common::note(&fx, "ask Dana, +44 7700 900123");
    // Twenty replays within the hour by one analyst.
    let analyst = fx.unlock(ANALYST);
    let ids: Vec<String> = analyst
        .sessions(Some(20))
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    for id in &ids {
        analyst.replay(id, "audit sample").unwrap();
    }
    assert!(matches!(
        analyst.acknowledge_anomaly("x"),
        Err(Error::Denied { .. })
    ));
    let found = analyst.anomalies().unwrap();
    analyst.lock().unwrap();
    let leak = found
        .iter()
        .find(|a| a.key.starts_with("pii:annotations"))
        .expect("leak found");
    assert!(leak.explanation.contains("[phone]") && !leak.explanation.contains("7700"));
    assert!(
        found
            .iter()
            .any(|a| a.key.starts_with(&format!("replays:{}", ANALYST.0)))
    );

    let lead = fx.unlock(LEAD);
    lead.acknowledge_anomaly(&leak.key).unwrap();
    let again = lead.anomalies().unwrap();
    let acked = again.iter().find(|a| a.key == leak.key).unwrap();
    assert_eq!(
        acked.acknowledged.as_ref().map(|(u, _)| u.as_str()),
        Some(LEAD.0)
    );
}

#[test]
fn the_demo_data_raises_no_anomaly() {
    let tmp = tempfile::tempdir().unwrap();
    let device = super::common::mock_device(&tmp.path().join("state"));
    let path = tmp.path().join("demo.sightline");
    sightline::sample::demo::build(&path, 60, &device, &mut |_, _| {}).unwrap();
    let ws = sightline::dataset::Dataset::open(&path)
        .unwrap()
        .unlock(
            "compliance-lead",
            sightline::sample::demo::DEMO_PASSWORD,
            &device,
        )
        .unwrap();
    let regions: Vec<String> = ws
        .sessions(None)
        .unwrap()
        .into_iter()
        .map(|s| s.region)
        .collect();
    ws.set_compliance_settings(70, &regions).unwrap();
    assert_eq!(ws.anomalies().unwrap(), Vec::new());
}

#[test]
fn a_stopped_anomaly_scan_ends_with_a_message_instead_of_reading_on() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("s-1", "p-1", DAY, "m"), Vec::new());
    let lead = fx.unlock(LEAD);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let err = lead.anomalies_until(&stop).unwrap_err().to_string();
    assert!(err.contains("stopped"), "{err}");
    assert!(
        lead.anomalies_until(&std::sync::atomic::AtomicBool::new(false))
            .is_ok()
    );
}

#[test]
fn the_report_has_every_section_and_only_leads_export_it() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("s-1", "p-1", DAY, "m"), vec![ImportInput::Memory {
        name: "consent.csv".into(),
        text: "subject,purpose,granted,jurisdiction,recorded_at\np-1,heatmaps,yes,EU-FR,2026-11-01T10:00:00Z\np-2,heatmaps,no,EU-FR,2026-11-02T10:00:00Z\n".into(),
    }]);
    let lead = fx.unlock(LEAD);
    lead.erase_subject("p-1").unwrap();
    lead.purge("on demand").unwrap();
    lead.lock().unwrap();
    let _ = fx.unlock(ANALYST).purge("on demand"); // a denial for the report to list
    let out = fx.tmp.path().join("report.html");
    assert!(matches!(
        fx.unlock(ANALYST).export_report(&out),
        Err(Error::Denied { .. })
    ));
    assert!(!out.exists());
    let lead = fx.unlock(LEAD);
    lead.export_report(&out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    for section in [
        "id=\"processing\"",
        "id=\"retention\"",
        "id=\"purges\"",
        "id=\"erasures\"",
        "id=\"consent\"",
        "id=\"access\"",
        "id=\"denials\"",
        "id=\"anomalies\"",
        "id=\"log\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(
        html.contains("data:image/png;base64,"),
        "the consent chart is embedded"
    );
    assert!(html.contains("Verification: <b class=\"ok\">intact</b>"));
    let fingerprint = fx.dataset().info(&fx.device).authority_fingerprint.unwrap();
    assert!(
        html.contains(&format!(
            "Authority fingerprint: <code>{fingerprint}</code>"
        )),
        "the report names the authority to compare out of band"
    );
    assert!(
        html.contains("retention-purge") && html.contains(ANALYST.0),
        "the analyst's denial is listed"
    );
    assert!(html.contains("EU-FR") && html.contains("Made by <b>lead</b>"));
    assert!(
        !html.contains("p-1"),
        "erased identifiers are not in the report"
    );
    assert!(!html.contains("<script"), "self-contained and inert");
    let log = lead.access_log(&Default::default()).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "export-compliance-report" && e.outcome == "allowed")
    );
}

#[test]
fn a_purged_log_still_verifies_from_its_base_and_still_catches_tampering() {
    let fx = Fixture::with_all_roles();
    for _ in 0..3 {
        fx.unlock(ANALYST).lock().unwrap();
    }
    let before = fx
        .unlock(LEAD)
        .access_log(&Default::default())
        .unwrap()
        .len();
    // Everything but the newest entry is older than a cut-off just ahead of now.
    // As the authority does it (its key comes with the recovery key).
    let dataset = fx.dataset();
    let header = dataset.header();
    let trust = sightline::access::log::Trust {
        block: header.authority.as_ref().unwrap(),
    };
    let record = sightline::access::log::purge_before(
        &fx.raw_core(),
        &header.dataset_id,
        now_ms() + 60_000,
        &fx.authority_key(),
        Some(trust),
        now_ms(),
    )
    .unwrap()
    .expect("the log verifies")
    .unwrap();
    let removed = record.entries;
    assert!(removed as usize >= before - 1, "{removed} of {before}");
    let lead = fx.unlock(LEAD);
    assert!(
        lead.notices()
            .iter()
            .all(|n| n.level != sightline::access::NoticeLevel::Integrity),
        "the device's anchor inside the purged part raises no rollback alarm"
    );
    let report = lead.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.chain.problem);
    let entries = lead.access_log(&Default::default()).unwrap();
    assert!(entries.len() < before, "old entries are gone");
    lead.lock().unwrap();
    // Editing a remaining entry is still found.
    let victim = entries[1].seq as i64;
    fx.raw_core()
        .execute(
            "UPDATE access_log SET user = 'mallory' WHERE seq = ?1",
            [victim],
        )
        .unwrap();
    let report = fx.unlock(LEAD).verify().unwrap();
    assert_eq!(report.chain.problem.map(|p| p.seq), Some(victim as u64));
}

#[test]
fn erasure_finds_a_subject_whatever_the_case_width_or_spacing() {
    let fx = Fixture::with_all_roles();
    let text = [
        session("s-lower", "alice@example.org", DAY, "m-1"),
        session("s-upper", "Alice@Example.ORG", DAY, "m-2"),
        session("s-other", "bob@example.org", DAY, "m-3"),
    ]
    .join("\n");
    let consent = ImportInput::Memory {
        name: "consent.csv".into(),
        text: "subject,purpose,granted,jurisdiction,recorded_at\n ALICE@EXAMPLE.ORG ,heatmaps,yes,EU-FR,2026-11-01T10:00:00Z\n".into(),
    };
    import(&fx, text, vec![consent]);
    let lead = fx.unlock(LEAD);
    let sessions = lead.sessions(None).unwrap();
    assert_eq!(sessions.len(), 3);
    // One person: both spellings share a pseudonym.
    let subjects: std::collections::BTreeSet<_> = sessions.iter().map(|s| &s.subject).collect();
    assert_eq!(subjects.len(), 2, "{sessions:?}");
    // Erased as typed in full-width capitals with spaces around.
    let receipt = lead.erase_subject("  ＡＬＩＣＥ@example.org ").unwrap();
    let removed: std::collections::HashMap<_, _> = receipt.detail.removed.iter().cloned().collect();
    assert_eq!(removed["replays"], 2, "{removed:?}");
    assert_eq!(removed["consent records"], 1, "{removed:?}");
    assert!(
        receipt
            .detail
            .normal_form
            .as_deref()
            .is_some_and(|f| f.contains("NFKC")),
        "the receipt names the normal form"
    );
    assert_eq!(lead.sessions(None).unwrap().len(), 1);
}

fn import_report(fx: &Fixture, text: String) -> sightline::ingest::ImportReport {
    let mut ws = fx.unlock(ENGINEER);
    let report = ws
        .import_inputs(
            &[ImportInput::Memory {
                name: "sessions.jsonl".into(),
                text,
            }],
            &ImportOptions::default(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    ws.lock().unwrap();
    report
}

#[test]
fn a_heatmap_only_file_imported_five_times_counts_once() {
    let fx = Fixture::with_all_roles();
    let text = session("h-1", "carol@example.org", DAY, "m-h")
        .replace(r#""recordings": true"#, r#""recordings": false"#);
    let first = import_report(&fx, text.clone());
    assert_eq!(first.heatmap_sessions, 1);
    for _ in 0..4 {
        let again = import_report(&fx, text.clone());
        assert_eq!(again.heatmap_sessions, 0, "{:?}", again.sessions_dropped);
        assert_eq!(again.sessions_dropped.get("already imported"), Some(&1));
    }
}

#[test]
fn an_erased_subject_is_dropped_at_every_later_import() {
    let fx = Fixture::with_all_roles();
    import_report(&fx, session("e-1", "dave@example.org", DAY, "m-e1"));
    let lead = fx.unlock(LEAD);
    lead.erase_subject("dave@example.org").unwrap();
    lead.lock().unwrap();
    // The same export again, and a new session of theirs from a later export.
    let again = import_report(&fx, session("e-1", "dave@example.org", DAY, "m-e1"));
    let later = import_report(&fx, session("e-2", "Dave@Example.org", DAY, "m-e2"));
    assert_eq!(again.replays_stored + later.replays_stored, 0);
    assert_eq!(
        later.sessions_dropped.get("subject erased earlier"),
        Some(&1)
    );
    assert!(fx.unlock(LEAD).sessions(None).unwrap().is_empty());
    // Someone else still imports.
    let other = import_report(&fx, session("e-3", "erin@example.org", DAY, "m-e3"));
    assert_eq!(other.replays_stored, 1);
}

#[test]
fn a_policy_change_made_elsewhere_reaches_an_open_workspace() {
    // Two windows on one dataset: the lead changes the policy in one; the other, already
    // open, follows the new signed version rather than the copy it read at unlock.
    let fx = Fixture::with_all_roles();
    let analyst = fx.unlock(ANALYST);
    assert_eq!(analyst.idle_lock_minutes(), 10);
    assert_eq!(analyst.compliance_settings().0, 70);
    let lead = fx.unlock(LEAD);
    lead.set_idle_lock_minutes(4).unwrap();
    lead.set_compliance_settings(85, &["EU".to_owned()])
        .unwrap();
    assert_eq!(lead.idle_lock_minutes(), 4, "the editor sees its edit");
    assert_eq!(analyst.idle_lock_minutes(), 4);
    assert_eq!(analyst.compliance_settings(), (85, vec!["EU".to_owned()]));
}

#[test]
fn consent_rates_count_every_decision_refused_sessions_included_once() {
    let fx = Fixture::with_all_roles();
    let refused = |id: &str| {
        format!(
            r#"{{"sightline": 1, "session": "{id}", "subject": "r-{id}", "started_at": "2026-11-02T10:00:00Z", "region": "EU-FR", "consent": {{"heatmaps": false, "recordings": false}}, "url": "https://app.test/home", "viewport": {{"width": 1440, "height": 900}}}}
{{"t": 100, "kind": "click", "x": 1, "y": 1}}"#
        )
    };
    let text = [
        refused("x-1"),
        refused("x-2"),
        refused("x-3"),
        session("s-1", "p-1", DAY, "m").replace("\"region\": \"EU\"", "\"region\": \"EU-FR\""),
    ]
    .join("\n");
    let record = ImportInput::Memory {
        name: "consent.csv".into(),
        text: "subject,purpose,granted,jurisdiction,recorded_at\np-9,heatmaps,yes,EU-FR,2026-11-01T10:00:00Z\n".into(),
    };
    import(&fx, text.clone(), vec![record]);
    // The same file again: nothing is counted twice.
    import(&fx, text, Vec::new());
    let lead = fx.unlock(LEAD);
    let d = lead.consent_dashboard().unwrap();
    let heatmaps = d
        .series
        .iter()
        .find(|s| s.purpose == "heatmaps" && s.jurisdiction == "EU-FR")
        .expect("EU-FR heatmaps");
    // 1 record (granted) + 4 sessions' own decisions (3 refused, 1 granted).
    assert_eq!((heatmaps.granted, heatmaps.total), (2, 5));
    assert_eq!((heatmaps.records, heatmaps.sessions), (1, 4));
    assert_eq!(
        heatmaps.counted(),
        "2 of 5 decisions (1 consent record, 4 sessions at import)"
    );
    let recordings = d
        .series
        .iter()
        .find(|s| s.purpose == "recordings" && s.jurisdiction == "EU-FR")
        .unwrap();
    assert_eq!((recordings.granted, recordings.total), (1, 4));
    // The report says the same.
    let out = fx.tmp.path().join("report.html");
    lead.export_report(&out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains(&heatmaps.counted()), "the report agrees");
}

/// The PII scan of a replay's text is done at import and kept: opening the anomalies reads the
/// kept result rather than every session's events. A replay without one (stored by an older
/// version, or rewritten by a rescrub) is scanned when the view opens, and all are scanned
/// again when the detectors' version changes.
#[test]
fn replay_text_is_scanned_at_import_and_the_result_kept() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("s-1", "p-1", DAY, "m"), Vec::new());
    import(&fx, session("s-2", "p-2", DAY, "m"), Vec::new());
    let rec = fx.raw(Tier::Recordings);
    let kept = |rec: &rusqlite::Connection| -> Vec<(String, i64)> {
        let mut st = rec
            .prepare("SELECT session_id, matches FROM session_pii ORDER BY session_id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    // Both scanned before anyone opened the anomalies (imports redact, so nothing found).
    let rows = kept(&rec);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|(_, n)| *n == 0), "{rows:?}");
    // Text stored by an older version, which redacted less: no kept result for it.
    let planted = &rows[0].0;
    plant_in_stored_events(&rec, Some(planted), "button#send", "call +1 555 0142");
    rec.execute("DELETE FROM session_pii WHERE session_id = ?1", [planted])
        .unwrap();
    let leaks = |fx: &Fixture| -> Vec<String> {
        let lead = fx.unlock(LEAD);
        let found = lead
            .anomalies()
            .unwrap()
            .into_iter()
            .filter(|a| a.key.starts_with("pii:session:"))
            .map(|a| a.key)
            .collect();
        lead.lock().unwrap();
        found
    };
    assert_eq!(leaks(&fx), vec![format!("pii:session:{planted}")]);
    assert_eq!(kept(&rec).len(), 2, "the view keeps what it scanned");
    // Found again from the kept result, and again after the detectors change.
    assert_eq!(leaks(&fx).len(), 1);
    rec.execute(
        "UPDATE meta SET value = 'old' WHERE key = 'pii_scan_version'",
        [],
    )
    .unwrap();
    rec.execute("UPDATE session_pii SET matches = 0", [])
        .unwrap();
    assert_eq!(leaks(&fx).len(), 1);
}

/// Attack story: someone holding the recordings key leaves a phone number in a replay's text
/// and writes "nothing found" as its kept scan result, so the Compliance view stays quiet. The
/// compliance report scans every replay's text again: it names the leak and the forged
/// result, and the view shows the leak from then on.
#[test]
fn a_forged_kept_scan_result_is_caught_by_the_report() {
    let fx = Fixture::with_all_roles();
    import(&fx, session("s-1", "p-1", DAY, "m"), Vec::new());
    let rec = fx.raw(Tier::Recordings);
    let id: String = rec
        .query_row("SELECT session_id FROM session_pii", [], |r| r.get(0))
        .unwrap();
    plant_in_stored_events(&rec, None, "button#send", "call +1 555 0142");
    rec.execute("UPDATE session_pii SET matches = 0, kind = NULL", [])
        .unwrap();
    let keys = |lead: &sightline::access::Workspace| -> Vec<String> {
        lead.anomalies()
            .unwrap()
            .into_iter()
            .map(|a| a.key)
            .filter(|k| k.contains(":session:"))
            .collect()
    };
    let lead = fx.unlock(LEAD);
    assert!(keys(&lead).is_empty(), "the view reads the kept result");
    let out = fx.tmp.path().join("report.html");
    lead.export_report(&out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains(&format!("pii-kept:session:{id}"))
            || html.contains("changed outside Sightline"),
        "the forged result is named"
    );
    assert!(html.contains(&format!("session {id}")), "the leak is named");
    assert_eq!(keys(&lead), vec![format!("pii:session:{id}")]);
}
