use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use sightline::Error;
use sightline::access::{LogFormat, LogQuery, Role};
use sightline::dataset::{Tier, db};
use sightline::ingest::manifest::Manifest;
use sightline::ingest::{ImportOptions, ImportReport};
use sightline::session::{EventKind, MASKED_VALUE};

use super::common::{ANALYST, ENGINEER, Fixture, LEAD, UX, assumed};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rrweb")
        .join(name)
}

const ALL_FIXTURES: &[&str] = &[
    "posthog-localhost-recording_snapshots.jsonl",
    "rrweb-integration-clicks-touch.json",
    "rrweb-integration-form-maskAllInputs.json",
    "rrweb-integration-form-unmasked.json",
    "rrweb-integration-masking-examples.json",
    "rrweb-player-demoit-react.json",
    "rrweb-test-scroll-synthetic.json",
];

fn import(fx: &Fixture, files: &[PathBuf], options: &ImportOptions) -> Result<ImportReport, Error> {
    let mut ws = fx.unlock(ENGINEER);
    let report = ws.import(files, options, &mut |_| {}, &AtomicBool::new(false));
    ws.lock().unwrap();
    report
}

#[test]
fn every_public_fixture_imports_and_every_interaction_survives() {
    let fx = Fixture::with_all_roles();
    let files: Vec<PathBuf> = ALL_FIXTURES.iter().map(|f| fixture(f)).collect();
    let report = import(&fx, &files, &assumed()).unwrap();
    assert!(report.failed_files.is_empty(), "{:?}", report.failed_files);
    assert_eq!(report.recordings, 10, "{report:?}");
    let c = &report.counts;
    assert_eq!(
        c.interactions_kept + c.invalid_dropped + c.masked_dropped,
        c.interactions_read,
        "every interaction is kept or counted with its reason"
    );
    assert_eq!(c.invalid_dropped, 0);
    // The default rules remove only what sits in sensitive fields: at least 95% is kept.
    assert!(
        c.interactions_kept * 100 >= c.interactions_read * 95,
        "{} of {} kept; {:?}",
        c.interactions_kept,
        c.interactions_read,
        c.by_rule
    );
    eprintln!(
        "interactions kept: {} of {}; by rule: {:?}",
        c.interactions_kept, c.interactions_read, c.by_rule
    );
    assert!(report.replays_stored >= 7, "{report:?}");

    let ws = fx.unlock(ANALYST);
    let sessions = ws.sessions(None).unwrap();
    assert_eq!(sessions.len(), report.replays_stored);
    let posthog: Vec<_> = sessions
        .iter()
        .filter(|s| s.pages == ["http://localhost:3000/"])
        .collect();
    assert_eq!(posthog.len(), 2, "two PostHog windows");
    assert!(
        posthog
            .iter()
            .all(|s| s.viewport_width == 2560 && s.device == "desktop")
    );
    // The demoit recording: 87 pointer samples, 14 interactions, 12 element scrolls.
    let demoit = sessions
        .iter()
        .find(|s| s.pages == ["https://demoit.app/e/react"])
        .unwrap();
    let events = ws.session_events(&demoit.id, "import test").unwrap();
    let count = |k: EventKind| events.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EventKind::Move), 87);
    assert_eq!(count(EventKind::Click) + count(EventKind::Pointer), 14);
    assert_eq!(count(EventKind::ElementScroll), 12);
    assert!(
        events.windows(2).all(|w| w[0].t_ms <= w[1].t_ms),
        "events are in time order"
    );
}

#[test]
fn input_values_are_always_masked_even_when_the_recorder_did_not() {
    let fx = Fixture::with_all_roles();
    let report = import(
        &fx,
        &[fixture("rrweb-integration-form-unmasked.json")],
        &assumed(),
    )
    .unwrap();
    assert_eq!(report.counts.values_masked, 21);
    let ws = fx.unlock(ANALYST);
    let id = ws.sessions(None).unwrap()[0].id.clone();
    let inputs: Vec<_> = ws
        .session_events(&id, "masking check")
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Input)
        .collect();
    assert_eq!(inputs.len(), 21);
    assert!(
        inputs
            .iter()
            .all(|e| e.value.as_deref() == Some(MASKED_VALUE))
    );
}

#[test]
fn touch_taps_are_taps_and_clicks_are_clicks() {
    let fx = Fixture::with_all_roles();
    import(
        &fx,
        &[fixture("rrweb-integration-clicks-touch.json")],
        &assumed(),
    )
    .unwrap();
    let ws = fx.unlock(LEAD);
    let id = ws.sessions(None).unwrap()[0].id.clone();
    let events = ws.session_events(&id, "tap check").unwrap();
    assert_eq!(
        events.iter().filter(|e| e.kind == EventKind::Tap).count(),
        1
    );
    assert_eq!(
        events.iter().filter(|e| e.kind == EventKind::Click).count(),
        2
    );
}

const CANARIES: &[&str] = &[
    "canary.person@example.org",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "Winifred Canaryhaus",
    "DE89370400440532013000",
    "203.0.113.77",
];

/// A recording that carries each canary in every place a recorder can put text.
fn canary_recording(dir: &Path) -> PathBuf {
    let [email, phone, card, name, iban, ip] = CANARIES else {
        unreachable!()
    };
    let events = serde_json::json!([
        {"type": 4, "timestamp": 1_700_000_000_000i64, "data": {"href": format!("https://app.test/inbox/{email}?to={email}&ip={ip}#{phone}"), "width": 1440, "height": 900}},
        {"type": 2, "timestamp": 1_700_000_000_001i64, "data": {"initialOffset": {"top": 0, "left": 0}, "node":
            {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 3, "tagName": "p", "attributes": {"title": name}, "childNodes": [{"type": 3, "id": 4, "textContent": format!("Message from {name}: call {phone}")}]},
                    {"type": 2, "id": 5, "tagName": "input", "attributes": {"id": email, "value": card, "placeholder": iban}, "childNodes": []},
                    {"type": 2, "id": 6, "tagName": "button", "attributes": {"class": "send"}, "childNodes": [{"type": 3, "id": 7, "textContent": "Send"}]}
                ]}
            ]}}},
        {"type": 3, "timestamp": 1_700_000_000_500i64, "data": {"source": 1, "positions": [{"x": 100, "y": 200, "id": 5, "timeOffset": -100}, {"x": 110, "y": 210, "id": 5, "timeOffset": 0}]}},
        {"type": 3, "timestamp": 1_700_000_001_000i64, "data": {"source": 2, "type": 2, "id": 5, "x": 110, "y": 210}},
        {"type": 3, "timestamp": 1_700_000_001_100i64, "data": {"source": 5, "id": 5, "text": card, "isChecked": false}},
        {"type": 3, "timestamp": 1_700_000_001_200i64, "data": {"source": 5, "id": 5, "text": format!("{email} {phone} {name}"), "isChecked": false}},
        {"type": 3, "timestamp": 1_700_000_001_300i64, "data": {"source": 0, "texts": [{"id": 4, "value": format!("{name} wrote {iban}")}], "attributes": [], "removes": [], "adds": []}},
        {"type": 3, "timestamp": 1_700_000_001_400i64, "data": {"source": 3, "id": 1, "x": 0, "y": 300}},
        {"type": 3, "timestamp": 1_700_000_001_500i64, "data": {"source": 2, "type": 2, "id": 6, "x": 40, "y": 100, "pointerType": 2}},
        {"type": 5, "timestamp": 1_700_000_001_600i64, "data": {"tag": format!("sent-to-{email}"), "payload": {"body": name}}},
        {"type": 6, "timestamp": 1_700_000_001_700i64, "data": {"plugin": "rrweb/console@1", "payload": {"level": "error", "payload": [format!("failed for {email}")]}}}
    ]);
    let path = dir.join("canary-recording.json");
    std::fs::write(&path, serde_json::to_vec(&events).unwrap()).unwrap();
    path
}

/// Every byte of the decrypted databases: exported to plaintext SQLite with sqlcipher_export.
fn decrypted_bytes(fx: &Fixture) -> Vec<u8> {
    let keys = fx.slot_keys(LEAD);
    let dataset = fx.dataset();
    let mut all = Vec::new();
    for tier in Tier::ALL {
        let conn = db::open(
            &dataset.header().db_path(&fx.path, tier),
            tier,
            keys.get(tier).unwrap(),
            false,
        )
        .unwrap();
        let plain = fx.tmp.path().join(format!("plain-{}.db", tier.as_str()));
        conn.execute(
            &format!("ATTACH DATABASE '{}' AS plain KEY ''", plain.display()),
            [],
        )
        .unwrap();
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("DETACH DATABASE plain").unwrap();
        all.extend(std::fs::read(&plain).unwrap());
    }
    all
}

#[test]
fn canary_pii_appears_nowhere_in_the_dataset_its_files_or_outputs() {
    let fx = Fixture::with_all_roles();
    let file = canary_recording(fx.tmp.path());
    let report = import(&fx, &[file], &assumed()).unwrap();
    assert_eq!(report.replays_stored, 1, "{report:?}");
    assert_eq!(
        report.counts.interactions_kept,
        report.counts.interactions_read
    );
    assert_eq!(report.counts.interactions_read, 7);

    let ws = fx.unlock(LEAD);
    let sessions = ws.sessions(None).unwrap();
    let events = ws.session_events(&sessions[0].id, "privacy test").unwrap();
    let mut log = Vec::new();
    ws.export_log(LogFormat::Jsonl, &mut log).unwrap();
    let pages = ws.pages().unwrap();
    drop(ws);

    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        ("decrypted databases".into(), decrypted_bytes(&fx)),
        (
            "session list".into(),
            serde_json::to_vec(&sessions).unwrap(),
        ),
        ("events".into(), serde_json::to_vec(&events).unwrap()),
        ("page list".into(), serde_json::to_vec(&pages).unwrap()),
        ("access log".into(), log),
        ("import report".into(), serde_json::to_vec(&report).unwrap()),
    ];
    for entry in std::fs::read_dir(&fx.path).unwrap() {
        let entry = entry.unwrap();
        haystacks.push((
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path()).unwrap(),
        ));
    }
    for entry in std::fs::read_dir(fx.tmp.path().join("state"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.path().is_file() {
            haystacks.push((
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
    // The scan reads real plaintext: what was kept is there to be found.
    let plain = String::from_utf8_lossy(&haystacks[0].1).into_owned();
    assert!(plain.contains("https://app.test/inbox/:redacted") && plain.contains(MASKED_VALUE));
    for (what, bytes) in &haystacks {
        let text = String::from_utf8_lossy(bytes);
        for canary in CANARIES {
            let compact = canary.replace(' ', "");
            assert!(
                !text.contains(canary) && !text.contains(&compact),
                "{canary} found in {what}"
            );
        }
        assert!(!text.contains("Canaryhaus"), "a name found in {what}");
    }
    // Content is redacted, interactions are not.
    assert!(events.iter().any(|e| e.kind == EventKind::Tap));
    assert!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::Input)
            .all(|e| e.value.as_deref() == Some(MASKED_VALUE))
    );
    assert!(events.iter().any(|e| e.kind == EventKind::Error));
    assert_eq!(
        events
            .iter()
            .find(|e| e.kind == EventKind::Navigation)
            .unwrap()
            .url
            .as_deref(),
        Some("https://app.test/inbox/:redacted")
    );
}

#[test]
fn without_a_consent_record_nothing_is_stored() {
    let fx = Fixture::with_all_roles();
    let report = import(
        &fx,
        &[fixture("rrweb-player-demoit-react.json")],
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(report.replays_stored + report.heatmap_sessions, 0);
    assert_eq!(report.sessions_dropped.get("no consent record"), Some(&1));
    let ws = fx.unlock(LEAD);
    assert!(ws.sessions(None).unwrap().is_empty());
    assert!(ws.pages().unwrap().is_empty());
}

#[test]
fn the_manifest_decides_per_purpose() {
    let fx = Fixture::with_all_roles();
    let manifest = fx.tmp.path().join("manifest.csv");
    std::fs::write(
        &manifest,
        "session,subject,region,consent_heatmaps,consent_recordings,variant\n\
         0182d1f9-4c5a-7000-8000-000000000001,user-1,EU-DE,yes,no,A\n\
         0182d1f9-4c5a-7000-8000-000000000002,user-2,US-CA,no,no,B\n",
    )
    .unwrap();
    // The PostHog windows are named by the fixture's window ids; use whatever they are.
    let bytes = std::fs::read(fixture("posthog-localhost-recording_snapshots.jsonl")).unwrap();
    let recordings = sightline::ingest::rrweb::split_all("p", &bytes).unwrap();
    let ids: Vec<String> = recordings.iter().map(|r| r.source_id.clone()).collect();
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("0182d1f9-4c5a-7000-8000-000000000001", &ids[0])
        .replace("0182d1f9-4c5a-7000-8000-000000000002", &ids[1]);
    std::fs::write(&manifest, text).unwrap();
    let options = ImportOptions {
        manifest: Some(Manifest::load(&manifest).unwrap()),
        assume_consent: None,
    };
    let report = import(
        &fx,
        &[fixture("posthog-localhost-recording_snapshots.jsonl")],
        &options,
    )
    .unwrap();
    assert_eq!(
        (report.replays_stored, report.heatmap_sessions),
        (0, 1),
        "{report:?}"
    );
    assert_eq!(report.sessions_dropped.get("consent refused"), Some(&1));
    let ws = fx.unlock(UX);
    let pages = ws.pages().unwrap();
    assert_eq!(pages.len(), 1);
    // One person's session: the page list gives no count below the floor.
    assert_eq!(pages[0].sessions, 0);
    assert_eq!(pages[0].sessions_label(), "fewer than 5 people");
}

#[test]
fn hostile_and_broken_files_are_reported_by_name_and_store_nothing() {
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let demoit = std::fs::read(fixture("rrweb-player-demoit-react.json")).unwrap();
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &demoit[..demoit.len() / 2]).unwrap();
    let deep = dir.join("deep.json");
    std::fs::write(
        &deep,
        format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let not_json = dir.join("binary.json");
    std::fs::write(&not_json, [0xff, 0xfe, 0x00, 0x01]).unwrap();
    let object = dir.join("object.json");
    std::fs::write(&object, br#"{"hello": "world"}"#).unwrap();
    let huge = dir.join("huge-numbers.json");
    std::fs::write(
        &huge,
        serde_json::to_vec(&serde_json::json!([
            {"type": 4, "timestamp": -5, "data": {"href": "https://x.test/", "width": 1e300, "height": 800}},
            {"type": 3, "timestamp": -4, "data": {"source": 1, "positions": [{"x": 1e300, "y": 5, "id": 1, "timeOffset": -1e300}, {"x": 5, "y": 5, "id": 1, "timeOffset": -10}]}},
            {"type": 3, "timestamp": 1e300, "data": {"source": 2, "type": 2, "id": 1, "x": 3, "y": 4}},
            {"type": 3, "data": {"source": 3, "id": 1, "x": 0, "y": -1e308}}
        ]))
        .unwrap(),
    )
    .unwrap();
    let report = import(&fx, &[truncated, deep, not_json, object, huge], &assumed()).unwrap();
    let failed: Vec<&str> = report
        .failed_files
        .iter()
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(
        failed,
        ["truncated.json", "deep.json", "binary.json", "object.json"]
    );
    assert!(
        report.failed_files[0].1.contains("truncated"),
        "{:?}",
        report.failed_files[0]
    );
    assert!(
        report.failed_files[0].1.contains("line"),
        "the position is named"
    );
    // The absurd numbers are dropped and counted; the sane ones are kept.
    assert_eq!(report.counts.invalid_dropped, 2, "{report:?}");
    assert_eq!(report.replays_stored, 1);
    let ws = fx.unlock(LEAD);
    assert_eq!(ws.sessions(None).unwrap().len(), 1);
}

#[test]
fn only_data_engineers_import_and_only_replay_roles_read_events() {
    let fx = Fixture::with_all_roles();
    for role in [Role::ComplianceLead, Role::Analyst, Role::UxLiaison] {
        let user = super::common::user_of(role);
        let mut ws = fx.unlock(user);
        let denied = ws.import(
            &[fixture("rrweb-test-scroll-synthetic.json")],
            &assumed(),
            &mut |_| {},
            &AtomicBool::new(false),
        );
        assert!(
            matches!(denied, Err(Error::Denied { .. })),
            "{role} imported"
        );
    }
    import(
        &fx,
        &[fixture("rrweb-test-scroll-synthetic.json")],
        &assumed(),
    )
    .unwrap();
    let id = fx.unlock(LEAD).sessions(None).unwrap()[0].id.clone();
    for user in [ENGINEER, UX] {
        let ws = fx.unlock(user);
        assert!(matches!(
            ws.session_events(&id, "curious"),
            Err(Error::Denied { .. })
        ));
    }
    let ws = fx.unlock(ANALYST);
    assert!(
        matches!(ws.session_events(&id, "  "), Err(Error::Invalid(_))),
        "a purpose is required"
    );
    ws.session_events(&id, "TICKET-42").unwrap();
    let lead = fx.unlock(LEAD);
    let replays = lead
        .access_log(&LogQuery {
            action: Some("replay-session".into()),
            ..LogQuery::default()
        })
        .unwrap();
    assert!(
        replays
            .iter()
            .any(|e| e.user == ANALYST.0 && e.purpose == "TICKET-42" && e.outcome == "allowed")
    );
    assert_eq!(replays.iter().filter(|e| e.outcome == "denied").count(), 2);
}

#[test]
fn kill_9_during_an_import_loses_no_committed_session_and_leaves_no_half_session() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let fx = Fixture::with_all_roles();
    let base: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(fixture("posthog-localhost-two-windows.json")).unwrap(),
    )
    .unwrap();
    let mut files = Vec::new();
    for i in 0..400 {
        // Same events, a new window id per file: 400 distinct sessions, two per file.
        let events: Vec<serde_json::Value> = base
            .iter()
            .map(|e| {
                let mut e = e.clone();
                let window = e["windowId"].as_str().unwrap_or("w").to_owned();
                e["windowId"] = format!("{window}-{i}").into();
                e
            })
            .collect();
        let path = fx.tmp.path().join(format!("rec-{i:03}.json"));
        std::fs::write(&path, serde_json::to_vec(&events).unwrap()).unwrap();
        files.push(path);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["import", fx.path.to_str().unwrap(), "--as", ENGINEER.0])
        .args([
            "--assume-consent",
            "heatmaps,recordings",
            "--reason",
            "kill test",
        ])
        .args(&files)
        .env("SIGHTLINE_PASSWORD", ENGINEER.1)
        .env("SIGHTLINE_STATE_DIR", fx.tmp.path().join("cli-state"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // Progress lines read "[files/total] N sessions stored", N counting committed sessions.
    let mut committed = 0;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(n) = line
            .split("] ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            committed = n;
            if committed >= 60 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        committed >= 60,
        "the import finished or failed before it could be killed"
    );

    // Everything committed is whole: each listed session has its events and its points.
    let ws = fx.unlock(LEAD);
    let sessions = ws.sessions(None).unwrap();
    // Every session reported committed before the kill survived it.
    assert!(
        sessions.len() >= committed && sessions.len() < 800,
        "{} sessions, {committed} committed before the kill",
        sessions.len()
    );
    for s in &sessions {
        assert!(!ws.session_events(&s.id, "kill test").unwrap().is_empty());
    }
    assert!(ws.verify().unwrap().is_intact());
    drop(ws);
    // The next import repairs anything pending, then the counts agree.
    let report = import(
        &fx,
        &[fixture("rrweb-test-scroll-synthetic.json")],
        &assumed(),
    )
    .unwrap();
    assert_eq!(report.replays_stored, 1);
    let ws = fx.unlock(LEAD);
    let replays = ws.sessions(None).unwrap().len() as i64;
    let keys = fx.slot_keys(LEAD);
    let core_path = fx.dataset().header().db_path(&fx.path, Tier::Core);
    drop(ws);
    let core = db::open(&core_path, Tier::Core, keys.get(Tier::Core).unwrap(), false).unwrap();
    let (heatmap, pending): (i64, i64) = core
        .query_row(
            "SELECT count(*), coalesce(sum(pending), 0) FROM heatmap_sessions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(pending, 0);
    assert_eq!(
        heatmap, replays,
        "every replay has its points and no points lack a replay"
    );
}

const NATIVE: &str = r#"{"sightline": 1, "session": "n-1", "subject": "u-7", "started_at": "2026-11-20T09:00:00Z", "region": "EU-DE", "variant": "B", "consent": {"heatmaps": true, "recordings": true}, "url": "https://app.test/c/991?q=call+me", "viewport": {"width": 390, "height": 844}}
{"t": 100, "kind": "move", "x": 10, "y": 20}
{"t": 400, "kind": "tap", "x": 12, "y": 22, "target": "button#send"}
{"t": 1000, "kind": "scroll", "x": 0, "y": 600}
{"t": 1050, "kind": "tap", "x": 50, "y": 700}
{"t": 2000, "kind": "input", "target": "input#search", "value": "my secret"}
{"sightline": 1, "session": "n-2", "subject": "u-8", "url": "https://app.test/pricing", "viewport": {"width": 1440, "height": 900}}
{"t": 100, "kind": "click", "x": 700, "y": 300}
{"t": 300, "kind": "move", "x": 710, "y": 320}
"#;

#[test]
fn native_sessions_consent_and_survey_tables_work_together() {
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let native = dir.join("pipeline.jsonl");
    std::fs::write(&native, NATIVE).unwrap();
    let consent = dir.join("consent.csv");
    std::fs::write(
        &consent,
        "subject,purpose,granted,jurisdiction,recorded_at\n\
         u-8,heatmaps,yes,US-CA,2026-11-01T10:00:00Z\n\
         u-8,recordings,no,US-CA,2026-11-01T10:00:00Z\n\
         u-9,heatmaps,no,EU-FR,2026-11-02T10:00:00Z\n\
         ,heatmaps,yes,EU-FR,2026-11-02T10:00:00Z\n",
    )
    .unwrap();
    let surveys = dir.join("surveys.csv");
    std::fs::write(
        &surveys,
        "subject,session,score,comment\n\
         u-7,n-1,2,\"Slow. Mail me at canary.person@example.org\"\n\
         u-8,,5,great\n\
         u-9,,9,out of range\n",
    )
    .unwrap();
    let report = import(&fx, &[native, consent, surveys], &ImportOptions::default()).unwrap();
    assert!(report.failed_files.is_empty(), "{:?}", report.failed_files);
    assert_eq!(
        (
            report.consent_records,
            report.survey_responses,
            report.rows_invalid
        ),
        (3, 2, 2),
        "{report:?}"
    );
    // n-1 consents in its header; n-2 has no header consent but its subject's records say
    // heatmaps yes, recordings no.
    assert_eq!(
        (report.replays_stored, report.heatmap_sessions),
        (1, 2),
        "{report:?}"
    );
    assert_eq!(
        report.counts.accidental_taps, 1,
        "the tap 50 ms after a scroll"
    );

    let ws = fx.unlock(ANALYST);
    let sessions = ws.sessions(None).unwrap();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(
        (
            s.device.as_str(),
            s.region.as_str(),
            s.variant.as_str(),
            s.survey_score
        ),
        ("mobile", "EU-DE", "B", Some(2))
    );
    assert_eq!(s.pages, ["https://app.test/c/:id"]);
    let events = ws.session_events(&s.id, "native check").unwrap();
    assert!(events.iter().any(|e| e.accidental));
    assert!(!serde_json::to_string(&events).unwrap().contains("secret"));
    drop(ws);

    let text = String::from_utf8_lossy(&decrypted_bytes(&fx)).into_owned();
    assert!(
        !text.contains("canary.person@example.org"),
        "a survey comment kept an email"
    );
    assert!(
        text.contains("Slow. Mail me at [email]"),
        "the redacted comment is kept"
    );
    assert!(
        !text.contains("u-7") && !text.contains("u-8"),
        "subjects are pseudonymised"
    );
    // Consent aggregates for the dashboard: US-CA heatmaps 1/1, recordings 0/1; EU-FR 0/1.
    let core = fx.raw_core();
    let stats: Vec<(String, String, i64, i64)> = core
        .prepare("SELECT jurisdiction, purpose, granted, total FROM consent_stats ORDER BY jurisdiction, purpose")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stats,
        [
            ("EU-FR".into(), "heatmaps".into(), 0, 1),
            ("US-CA".into(), "heatmaps".into(), 1, 1),
            ("US-CA".into(), "recordings".into(), 0, 1)
        ]
    );
    // The accidental tap is not a heatmap point: n-1 has one tap and n-2 one click.
    let clicks: i64 = core
        .query_row(
            "SELECT sum(count) FROM point_blocks WHERE kind = 'click'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(clicks, 2);
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 220, 240, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn screenshots_are_stored_per_page_and_viewport_class() {
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let mobile = dir.join("inbox-390.png");
    std::fs::write(&mobile, png(390, 2000)).unwrap();
    let desktop = dir.join("inbox-1440.jpg");
    let jpeg = {
        let image = image::RgbImage::from_pixel(1440, 3000, image::Rgb([250, 250, 250]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(
                &mut std::io::Cursor::new(&mut out),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        out
    };
    std::fs::write(&desktop, jpeg).unwrap();
    let junk = dir.join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();

    let mut ws = fx.unlock(ENGINEER);
    let info = ws
        .import_screenshot("https://app.test/inbox?tab=2", 390, &mobile)
        .unwrap();
    assert_eq!(
        (info.page.as_str(), info.viewport.as_str(), info.height_px),
        ("https://app.test/inbox", "mobile", 2000)
    );
    let info = ws
        .import_screenshot("https://app.test/inbox", 1440, &desktop)
        .unwrap();
    assert_eq!((info.viewport.as_str(), info.width_px), ("desktop", 1440));
    assert!(matches!(
        ws.import_screenshot("https://app.test/inbox", 1440, &junk),
        Err(Error::Format(_))
    ));
    assert!(matches!(
        ws.import_screenshot("https://app.test/inbox", 5, &mobile),
        Err(Error::Invalid(_))
    ));
    drop(ws);

    let ws = fx.unlock(UX);
    let pages = ws.pages().unwrap();
    assert_eq!(pages.len(), 1);
    let mut viewports = pages[0].viewports.clone();
    viewports.sort();
    assert_eq!(viewports, ["desktop", "mobile"]);
    let mut ux = fx.unlock(UX);
    assert!(matches!(
        ux.import_screenshot("https://app.test/x", 390, &mobile),
        Err(Error::Denied { .. })
    ));
    // Stored as PNG, whatever came in.
    let core = fx.raw_core();
    let stored: Vec<u8> = core
        .query_row(
            "SELECT png FROM screenshots WHERE viewport = 'desktop'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with(b"\x89PNG"));
}

#[test]
fn data_engineers_edit_masking_rules_and_imports_honour_them() {
    use sightline::privacy::masking::{Effect, Marker, MaskingRule};
    let fx = Fixture::with_all_roles();
    let recording = |window: &str| {
        serde_json::json!([
            {"type": 4, "timestamp": 1_700_000_000_000i64, "windowId": window, "data": {"href": "https://app.test/", "width": 1440, "height": 900}},
            {"type": 2, "timestamp": 1_700_000_000_001i64, "windowId": window, "data": {"initialOffset": {"top": 0, "left": 0}, "node":
                {"type": 0, "id": 1, "childNodes": [{"type": 2, "id": 2, "tagName": "div", "attributes": {"id": "ledger", "class": "secret-zone"}, "childNodes": []}]}}},
            {"type": 3, "timestamp": 1_700_000_000_500i64, "windowId": window, "data": {"source": 2, "type": 2, "id": 2, "x": 10, "y": 10}}
        ])
    };
    let dir = fx.tmp.path();
    let before = dir.join("before.json");
    std::fs::write(&before, serde_json::to_vec(&recording("w-before")).unwrap()).unwrap();
    let after = dir.join("after.json");
    std::fs::write(&after, serde_json::to_vec(&recording("w-after")).unwrap()).unwrap();

    for user in [LEAD, ANALYST, UX] {
        let mut ws = fx.unlock(user);
        assert!(
            matches!(ws.masking_rules(), Err(Error::Denied { .. })),
            "{} read the rules",
            user.0
        );
        let rule = MaskingRule {
            marker: Marker::Class("x".into()),
            effect: Effect::Mask,
        };
        assert!(matches!(
            ws.add_masking_rule(&rule),
            Err(Error::Denied { .. })
        ));
    }
    let ws = fx.unlock(ENGINEER);
    let defaults = ws.masking_rules().unwrap();
    assert!(defaults.iter().any(
        |(_, r)| r.marker == Marker::Class("ph-no-capture".into()) && r.effect == Effect::Block
    ));
    ws.lock().unwrap();
    import(&fx, &[before], &assumed()).unwrap();

    let mut ws = fx.unlock(ENGINEER);
    let id = ws
        .add_masking_rule(&MaskingRule {
            marker: Marker::Class("secret-zone".into()),
            effect: Effect::Block,
        })
        .unwrap();
    assert_eq!(ws.masking_rules().unwrap().len(), defaults.len() + 1);
    ws.lock().unwrap();
    let report = import(&fx, &[after], &assumed()).unwrap();
    // Block keeps nothing inside the element: the click is gone, and the report says which
    // rule removed it.
    assert_eq!(report.counts.masked_dropped, 1, "{report:?}");
    let tally = report.counts.by_rule.get("class secret-zone → block");
    assert!(
        tally.is_some_and(|t| t.elements == 1 && t.events_removed == 1),
        "{:?}",
        report.counts.by_rule
    );

    let lead = fx.unlock(LEAD);
    let clicks: Vec<Option<String>> = lead
        .sessions(None)
        .unwrap()
        .iter()
        .flat_map(|s| lead.session_events(&s.id, "rule check").unwrap())
        .filter(|e| e.is_click())
        .map(|e| e.target)
        .collect();
    assert_eq!(
        clicks.len(),
        1,
        "only the click from before the rule: {clicks:?}"
    );
    // Its identifiers are not UI vocabulary: both are hashed.
    let target = clicks[0].clone().unwrap_or_default();
    assert!(
        target.starts_with("div#id:") && target.contains(".class:") && !target.contains("ledger"),
        "{target}"
    );
    drop(lead);
    let mut ws = fx.unlock(ENGINEER);
    ws.remove_masking_rule(id).unwrap();
    assert!(matches!(ws.remove_masking_rule(id), Err(Error::Invalid(_))));
}

#[test]
fn duplicate_events_and_bot_like_sessions_are_dropped_and_counted() {
    let fx = Fixture::with_all_roles();
    let dir = fx.tmp.path();
    let click = |t: i64, x: i64| serde_json::json!({"type": 3, "timestamp": t, "data": {"source": 2, "type": 2, "id": 1, "x": x, "y": 100}});
    let meta = serde_json::json!({"type": 4, "timestamp": 1_700_000_000_000i64, "data": {"href": "https://app.test/", "width": 1440, "height": 900}});
    // A person who clicked twice, with one click event sent twice by the recorder.
    let person = serde_json::json!([
        meta,
        click(1_700_000_001_000, 10),
        click(1_700_000_001_000, 10),
        click(1_700_000_003_000, 400)
    ]);
    // A script: 30 clicks 40 ms apart.
    let mut bot = vec![meta.clone()];
    bot.extend((0..30).map(|i| click(1_700_000_001_000 + i * 40, 10 + i * 50)));
    std::fs::write(
        dir.join("person.json"),
        serde_json::to_vec(&person).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("bot.json"), serde_json::to_vec(&bot).unwrap()).unwrap();
    let report = import(
        &fx,
        &[dir.join("person.json"), dir.join("bot.json")],
        &assumed(),
    )
    .unwrap();
    assert_eq!(report.counts.duplicates_dropped, 1);
    assert_eq!(
        report.sessions_dropped.get("bot-like clicking"),
        Some(&1),
        "{report:?}"
    );
    assert_eq!(report.replays_stored, 1);
    let ws = fx.unlock(LEAD);
    assert_eq!(ws.sessions(None).unwrap()[0].clicks, 2);
}

#[test]
fn a_cancelled_import_keeps_what_it_committed_and_says_so() {
    let fx = Fixture::with_all_roles();
    let files: Vec<PathBuf> = ALL_FIXTURES.iter().map(|f| fixture(f)).collect();
    let cancel = AtomicBool::new(false);
    let mut ws = fx.unlock(ENGINEER);
    let report = ws
        .import(
            &files,
            &assumed(),
            &mut |p| {
                if p.files_done == 2 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            },
            &cancel,
        )
        .unwrap();
    assert!(report.cancelled);
    assert!(report.recordings < 10, "{report:?}");
    drop(ws);
    let stored = fx.unlock(LEAD).sessions(None).unwrap().len();
    assert_eq!(
        stored, report.replays_stored,
        "everything reported as stored was committed"
    );
}

/// Generated sessions stream into an import one at a time: when the import reports a file
/// done, only the few in flight beyond it have been made, so memory follows the largest
/// session, not the number of sessions.
#[test]
fn a_stream_of_recordings_is_made_as_the_import_reaches_them() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let fx = Fixture::with_all_roles();
    let made = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&made);
    let sessions: Vec<_> = sightline::sample::generate::generate(7, 80).collect();
    let count = sessions.len();
    let stream = sightline::ingest::ImportInput::stream(
        count,
        sessions.into_iter().map(move |s| {
            counter.fetch_add(1, Ordering::SeqCst);
            (s.name, serde_json::to_string(&s.events).unwrap())
        }),
    );
    let mut ws = fx.unlock(ENGINEER);
    let mut ahead = 0;
    let report = ws
        .import_inputs(
            &[stream],
            &assumed(),
            &mut |p| {
                assert_eq!(p.files_total, count);
                ahead = ahead.max(made.load(Ordering::SeqCst) - p.files_done);
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    ws.lock().unwrap();
    assert_eq!(report.files, count);
    assert_eq!(report.recordings, count);
    assert_eq!(made.load(Ordering::SeqCst), count);
    // At most 32 converted sessions wait for the writer (fewer when they are large), one is
    // being converted, one being stored.
    assert!(
        ahead <= 34 && ahead < count / 2,
        "{ahead} of {count} recordings were made ahead of the import"
    );
}
