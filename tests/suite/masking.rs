//! Masking rules with rrweb's meanings, identifiers out of selectors and URLs: canary values in
//! marked fields, ids, classes and URLs are imported under each rule, and no byte of them is
//! found in either database (free pages and WAL included), the log or the import report.

use std::sync::atomic::AtomicBool;

use sightline::ingest::{ImportInput, ImportReport};
use sightline::privacy::masking::{Effect, Marker, MaskingRule};
use sightline::privacy::paths::PathRule;
use sightline::session::{EventKind, SessionEvent};

use super::common::{ENGINEER, Fixture, LEAD, assumed, contains, files};

/// Canary PII: an email, a phone number, a card number, a person's name, a reset token.
const CANARIES: &[&str] = &[
    "ana.canary@example.org",
    "5551234567",
    "4111111111111111",
    "4111 1111",
    "jane",
    "Xk9fPqLmZrTwYb3nVcQa8sDe",
    "diagnosis",
];

/// One rrweb recording: a page at a URL full of identifiers, with a field (node 3) marked by
/// `data-canary-field` inside a form (node 2), an unmarked button (node 5) and a list item
/// whose id names a person (node 6). The person types into the field, clicks it, moves over it.
fn recording() -> serde_json::Value {
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {
            "href": "https://app.test/u/jane.canary/reset/Xk9fPqLmZrTwYb3nVcQa8sDe?email=ana.canary@example.org",
            "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"initialOffset": {"top": 0, "left": 0}, "node":
            {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "form", "attributes": {"id": "diagnosis-form"}, "childNodes": [
                    {"type": 2, "id": 3, "tagName": "input", "attributes": {
                        "id": "phone-5551234567", "data-canary-field": "", "type": "text",
                        "value": "ana.canary@example.org", "placeholder": "4111 1111 1111 1111"},
                     "childNodes": []},
                    {"type": 3, "id": 4, "textContent": "Card 4111111111111111"}
                ]},
                {"type": 2, "id": 5, "tagName": "button", "attributes": {"id": "send", "class": "primary"}, "childNodes": []},
                {"type": 2, "id": 6, "tagName": "li", "attributes": {"id": "user-jane-doe", "class": "diagnosis-hiv"}, "childNodes": []}
            ]}}},
        {"type": 3, "timestamp": t(100), "data": {"source": 1, "positions": [
            {"x": 20, "y": 20, "id": 3, "timeOffset": -50}, {"x": 200, "y": 200, "id": 5, "timeOffset": 0}]}},
        {"type": 3, "timestamp": t(200), "data": {"source": 2, "type": 1, "id": 3, "x": 20, "y": 20}},
        {"type": 3, "timestamp": t(210), "data": {"source": 2, "type": 5, "id": 3}},
        {"type": 3, "timestamp": t(220), "data": {"source": 2, "type": 2, "id": 3, "x": 20, "y": 20}},
        {"type": 3, "timestamp": t(300), "data": {"source": 5, "id": 3, "text": "+1 555 123 4567", "isChecked": false}},
        {"type": 3, "timestamp": t(400), "data": {"source": 2, "type": 2, "id": 5, "x": 200, "y": 200}},
        {"type": 3, "timestamp": t(500), "data": {"source": 2, "type": 2, "id": 6, "x": 300, "y": 300}},
        {"type": 3, "timestamp": t(600), "data": {"source": 3, "id": 1, "x": 0, "y": 400}}
    ])
}

/// Imports the recording under a rule on `data-canary-field` (none for `None`) and returns the
/// report and the stored events.
fn import_under(fx: &Fixture, effect: Option<Effect>) -> (ImportReport, Vec<SessionEvent>) {
    let rule = effect.map(|effect| MaskingRule {
        marker: Marker::Attribute("data-canary-field".into()),
        effect,
    });
    import_as_engineer(fx, rule, "canary.json", recording().to_string())
}

/// Imports `text` as the data engineer under the default rules plus `rule`; returns the report
/// and the stored events of the one session it holds.
fn import_as_engineer(
    fx: &Fixture,
    rule: Option<MaskingRule>,
    name: &str,
    text: String,
) -> (ImportReport, Vec<SessionEvent>) {
    let mut ws = fx.unlock(ENGINEER);
    if let Some(rule) = rule {
        ws.add_masking_rule(&rule).unwrap();
    }
    let input = ImportInput::Memory {
        name: name.into(),
        text,
    };
    let report = ws
        .import_inputs(&[input], &assumed(), &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    ws.lock().unwrap();
    let lead = fx.unlock(LEAD);
    let sessions = lead.sessions(None).unwrap();
    assert_eq!(sessions.len(), 1, "{report:?}");
    let events = lead
        .session_events(&sessions[0].id, "masking test")
        .unwrap();
    lead.lock().unwrap();
    (report, events)
}

/// Events on the marked field: by its target, or by the field's position for moves.
fn on_field(events: &[SessionEvent]) -> Vec<&SessionEvent> {
    events
        .iter()
        .filter(|e| {
            e.x == Some(20.0) && e.y == Some(20.0)
                || e.target.as_deref().is_some_and(|t| t.starts_with("input"))
                || e.target.as_deref() == Some("[masked field]")
        })
        .collect()
}

fn kinds(events: &[&SessionEvent]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

/// No canary anywhere: both databases decrypted (free pages too), their WAL files, the
/// stored events, the import report as the CLI and the GUI print it, the access log and the
/// compliance report.
fn assert_no_canary(fx: &Fixture, report: &ImportReport, events: &[SessionEvent]) {
    let lead = fx.unlock(LEAD);
    let out = fx.tmp.path().join("compliance-report.html");
    lead.export_report(&out).unwrap();
    let log = lead
        .access_log(&sightline::access::log::LogQuery::default())
        .unwrap();
    lead.lock().unwrap();
    let (plain, wal) = files(fx);
    let report_text = report.summary_lines().join("\n")
        + &serde_json::to_string(report).unwrap()
        + &std::fs::read_to_string(&out).unwrap()
        + &serde_json::to_string(&log).unwrap();
    let events_text = serde_json::to_string(events).unwrap();
    for canary in CANARIES {
        assert!(!contains(&plain, canary), "{canary} in a decrypted page");
        assert!(!contains(&wal, canary), "{canary} in a WAL file");
        assert!(!report_text.contains(canary), "{canary} in the report");
        assert!(!events_text.contains(canary), "{canary} in the events");
    }
}

#[test]
fn block_keeps_no_event_inside_the_element() {
    let fx = Fixture::with_all_roles();
    let (report, events) = import_under(&fx, Some(Effect::Block));
    assert!(on_field(&events).is_empty(), "{:?}", on_field(&events));
    let tally = report.counts.by_rule["attribute data-canary-field → block"];
    // A move, mousedown, focus, click and the input.
    assert_eq!((tally.elements, tally.events_removed), (1, 5), "{tally:?}");
    assert_eq!(report.counts.masked_dropped, 5);
    // The rest of the page is untouched: the button click, the list click, the scroll.
    assert_eq!(events.iter().filter(|e| e.is_click()).count(), 2);
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn mask_keeps_interactions_with_values_replaced() {
    let fx = Fixture::with_all_roles();
    let (report, events) = import_under(&fx, Some(Effect::Mask));
    let field = on_field(&events);
    assert_eq!(
        kinds(&field),
        [
            EventKind::Move,
            EventKind::Pointer,
            EventKind::Pointer,
            EventKind::Click,
            EventKind::Input
        ]
    );
    let input = field[4];
    assert_eq!(
        input.value.as_deref(),
        Some(sightline::session::MASKED_VALUE)
    );
    let tally = report.counts.by_rule["attribute data-canary-field → mask"];
    assert_eq!((tally.values_masked, tally.events_removed), (1, 0));
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn ignore_drops_input_and_names_clicks_as_on_a_masked_field() {
    let fx = Fixture::with_all_roles();
    let (report, events) = import_under(&fx, Some(Effect::Ignore));
    let field = on_field(&events);
    assert!(!kinds(&field).contains(&EventKind::Input), "{field:?}");
    let click = field.iter().find(|e| e.kind == EventKind::Click).unwrap();
    assert_eq!(click.target.as_deref(), Some("[masked field]"));
    let tally = report.counts.by_rule["attribute data-canary-field → ignore"];
    assert_eq!((tally.events_removed, tally.targets_hidden), (1, 3));
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn without_a_rule_identifiers_are_still_hashed_and_values_masked() {
    let fx = Fixture::with_all_roles();
    let (report, events) = import_under(&fx, None);
    let targets: Vec<&str> = events.iter().filter_map(|e| e.target.as_deref()).collect();
    assert!(targets.contains(&"button#send.primary"), "{targets:?}");
    assert!(
        targets
            .iter()
            .any(|t| t.starts_with("li#id:") && t.contains(".class:")),
        "{targets:?}"
    );
    let page = events
        .iter()
        .find_map(|e| e.url.clone())
        .unwrap_or_default();
    assert_eq!(page, "https://app.test/u/:id/reset/:id");
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn path_rules_rewrite_pages_for_recordings_and_screenshots_and_are_reported() {
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    let (_, renamed) = ws
        .add_path_rule(&PathRule {
            pattern: "^/u/[^/]+/reset".into(),
            replacement: "/account-reset".into(),
        })
        .unwrap();
    assert_eq!(renamed, Default::default(), "nothing stored yet");
    // A rule that cannot work is refused before it is stored.
    assert!(
        ws.add_path_rule(&PathRule {
            pattern: "(".into(),
            replacement: "x".into(),
        })
        .is_err()
    );
    assert!(
        ws.add_masking_rule(&MaskingRule {
            marker: Marker::Selector("form input".into()),
            effect: Effect::Block,
        })
        .is_err()
    );
    assert_eq!(ws.path_rules().unwrap().len(), 1);
    ws.lock().unwrap();
    let (report, events) = import_under(&fx, None);
    let page = events.iter().find_map(|e| e.url.clone()).unwrap();
    assert_eq!(page, "https://app.test/account-reset/:id");
    let tally = report.counts.by_rule["path ^/u/[^/]+/reset → /account-reset"];
    assert_eq!(tally.urls_rewritten, 1);
    assert!(
        report
            .summary_lines()
            .iter()
            .any(|l| l.starts_with("Rule") && l.contains("1 URLs rewritten")),
        "{:?}",
        report.summary_lines()
    );
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn default_rules_ignore_passwords_and_card_fields_and_block_private_elements() {
    let fx = Fixture::with_all_roles();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let field = |id: i64, attributes: serde_json::Value| serde_json::json!({"type": 2, "id": id, "tagName": "input", "attributes": attributes, "childNodes": []});
    let rec = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/pay", "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [
            field(2, serde_json::json!({"type": "password"})),
            field(3, serde_json::json!({"autocomplete": "cc-number"})),
            field(4, serde_json::json!({"type": "email"})),
            {"type": 2, "id": 5, "tagName": "div", "attributes": {"data-private": "true"}, "childNodes": [field(6, serde_json::json!({}))]},
            {"type": 2, "id": 7, "tagName": "button", "attributes": {}, "childNodes": []}
        ]}}},
        {"type": 3, "timestamp": t(100), "data": {"source": 5, "id": 2, "text": "hunter2", "isChecked": false}},
        {"type": 3, "timestamp": t(110), "data": {"source": 5, "id": 3, "text": "4111111111111111", "isChecked": false}},
        {"type": 3, "timestamp": t(120), "data": {"source": 5, "id": 4, "text": "ana.canary@example.org", "isChecked": false}},
        {"type": 3, "timestamp": t(130), "data": {"source": 5, "id": 6, "text": "x", "isChecked": false}},
        {"type": 3, "timestamp": t(140), "data": {"source": 2, "type": 2, "id": 7, "x": 5, "y": 5}}
    ]);
    let mut ws = fx.unlock(ENGINEER);
    let input = ImportInput::Memory {
        name: "defaults.json".into(),
        text: rec.to_string(),
    };
    let report = ws
        .import_inputs(&[input], &assumed(), &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    ws.lock().unwrap();
    let by_rule = &report.counts.by_rule;
    assert_eq!(
        by_rule["selector input[type=password] → ignore"].events_removed,
        1
    );
    assert_eq!(
        by_rule["selector [autocomplete^=cc-] → ignore"].events_removed,
        1
    );
    assert_eq!(by_rule["attribute data-private → block"].events_removed, 1);
    assert_eq!(
        by_rule["selector input[type=email], input[type=tel] → mask"].values_masked,
        1
    );
    assert_eq!(report.counts.masked_dropped, 3);
    let lead = fx.unlock(LEAD);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let inputs: Vec<_> = lead
        .session_events(&id, "defaults")
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Input)
        .collect();
    assert_eq!(
        inputs.len(),
        1,
        "only the email field's masked input: {inputs:?}"
    );
}

#[test]
fn the_first_import_after_the_upgrade_scrubs_what_older_versions_stored() {
    use sightline::dataset::Tier;
    let fx = Fixture::with_all_roles();
    let (_, events) = import_under(&fx, None);
    // What an older Sightline stored: raw ids in selectors and names in page patterns.
    let old_page = "https://app.test/u/jane.canary/reset/Xk9fPqLmZrTwYb3nVcQa8sDe";
    let mut old_events = events.clone();
    for e in &mut old_events {
        if e.target.as_deref().is_some_and(|t| t.starts_with("li#")) {
            e.target = Some("li#user-jane-doe.diagnosis-hiv".into());
        }
        if e.url.is_some() {
            e.url = Some(old_page.into());
        }
    }
    let rec = fx.raw(Tier::Recordings);
    rec.execute(
        "UPDATE session_events SET events = ?1",
        [serde_json::to_vec(&old_events).unwrap()],
    )
    .unwrap();
    rec.execute(
        "UPDATE sessions SET pages = ?1",
        [serde_json::to_string(&[old_page]).unwrap()],
    )
    .unwrap();
    rec.execute("DELETE FROM meta WHERE key = 'identifiers_scrubbed'", [])
        .unwrap();
    drop(rec);
    let core = fx.raw(Tier::Core);
    // Two old patterns that now collapse into one page: they are merged.
    core.execute("UPDATE pages SET pattern = ?1", [old_page])
        .unwrap();
    core.execute(
        "INSERT INTO pages (pattern) VALUES ('https://app.test/u/jane.doe/reset/:id')",
        [],
    )
    .unwrap();
    drop(core);

    let mut ws = fx.unlock(ENGINEER);
    let report = ws
        .import_inputs(
            &[ImportInput::Memory {
                name: "later.json".into(),
                text: recording().to_string().replace("jane.canary", "someone"),
            }],
            &assumed(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    ws.lock().unwrap();
    assert_eq!(report.rescrubbed.sessions, 1, "{report:?}");
    assert_eq!(
        (
            report.rescrubbed.pages_renamed,
            report.rescrubbed.pages_merged
        ),
        (1, 1)
    );
    assert!(
        report
            .summary_lines()
            .iter()
            .any(|l| l.starts_with("Upgraded")),
        "{:?}",
        report.summary_lines()
    );
    let lead = fx.unlock(LEAD);
    let pages: Vec<String> = lead.pages().unwrap().into_iter().map(|p| p.page).collect();
    assert_eq!(pages, ["https://app.test/u/:id/reset/:id"]);
    lead.lock().unwrap();
    // The stored events hold no canary any more (the log keeps what it recorded; the test
    // reads events, pages and sessions, not the log).
    let rec = fx.raw(Tier::Recordings);
    let mut stored = super::common::stored_events_text(&rec);
    let pages: Vec<String> = rec
        .prepare("SELECT pages FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    stored.extend(pages);
    drop(rec);
    // Nor do the files: rows, free pages and WAL.
    let (plain, wal) = files(&fx);
    for text in &stored {
        for canary in ["jane", "diagnosis", "Xk9fPqLmZrTwYb3nVcQa8sDe"] {
            assert!(!text.contains(canary), "{canary} in {text}");
            assert!(!contains(&plain, canary), "{canary} in a decrypted page");
            assert!(!contains(&wal, canary), "{canary} in a WAL file");
        }
    }
    // It runs once: a second import rewrites nothing.
    let mut ws = fx.unlock(ENGINEER);
    let again = ws
        .import_inputs(&[], &assumed(), &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(again.rescrubbed, Default::default());
}

/// Imports rrweb `events` under the default rules plus `rule`.
fn import_events(
    fx: &Fixture,
    rule: Option<MaskingRule>,
    events: serde_json::Value,
) -> (ImportReport, Vec<SessionEvent>) {
    import_as_engineer(fx, rule, "tricks.json", events.to_string())
}

#[test]
fn markers_added_later_parents_arriving_late_and_unseen_fields_hide_everything_inside() {
    // The attacker's (or a careless page's) ways around a block rule: add the marker to the
    // container after the snapshot, add a child before its marked parent, spell the class
    // attribute in capitals, and type into a field no snapshot ever showed.
    let fx = Fixture::with_all_roles();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let el = |id: i64, tag: &str, attributes: serde_json::Value| serde_json::json!({"type": 2, "id": id, "tagName": tag, "attributes": attributes, "childNodes": []});
    let events = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/chat", "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": [el(3, "input", serde_json::json!({}))]},
            el(9, "button", serde_json::json!({"id": "send"}))
        ]}}},
        // The container is marked after the snapshot.
        {"type": 3, "timestamp": t(10), "data": {"source": 0, "texts": [], "removes": [], "adds": [],
            "attributes": [{"id": 2, "attributes": {"CLASS": "secret-zone"}}]}},
        // A child arrives before its parent, which is marked.
        {"type": 3, "timestamp": t(20), "data": {"source": 0, "texts": [], "removes": [], "attributes": [], "adds": [
            {"parentId": 5, "node": el(6, "input", serde_json::json!({}))},
            {"parentId": 1, "node": el(5, "section", serde_json::json!({"class": "secret-zone"}))}
        ]}},
        {"type": 3, "timestamp": t(100), "data": {"source": 2, "type": 2, "id": 3, "x": 10, "y": 10}},
        {"type": 3, "timestamp": t(110), "data": {"source": 5, "id": 3, "text": "ana.canary@example.org", "isChecked": false}},
        {"type": 3, "timestamp": t(120), "data": {"source": 2, "type": 2, "id": 6, "x": 20, "y": 20}},
        {"type": 3, "timestamp": t(130), "data": {"source": 5, "id": 6, "text": "5551234567", "isChecked": false}},
        // A field no snapshot showed.
        {"type": 3, "timestamp": t(140), "data": {"source": 5, "id": 77, "text": "4111111111111111", "isChecked": false}},
        {"type": 3, "timestamp": t(150), "data": {"source": 2, "type": 2, "id": 9, "x": 300, "y": 300}}
    ]);
    let rule = MaskingRule {
        marker: Marker::Class("secret-zone".into()),
        effect: Effect::Block,
    };
    let (report, events) = import_events(&fx, Some(rule), events);
    let kinds: Vec<(EventKind, Option<&str>)> = events
        .iter()
        .filter(|e| e.is_click() || e.kind == EventKind::Input)
        .map(|e| (e.kind, e.target.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [(EventKind::Click, Some("button#send"))],
        "{report:?}"
    );
    let by_rule = &report.counts.by_rule;
    assert_eq!(by_rule["class secret-zone → block"].events_removed, 4);
    assert_eq!(
        by_rule["input on an element not in any snapshot"].events_removed,
        1
    );
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn a_rule_needing_two_attributes_matches_when_a_mutation_adds_the_second() {
    let fx = Fixture::with_all_roles();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let events = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/form", "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "input", "attributes": {"name": "nhs"}, "childNodes": []},
            {"type": 2, "id": 3, "tagName": "button", "attributes": {}, "childNodes": []}
        ]}}},
        {"type": 3, "timestamp": t(10), "data": {"source": 0, "texts": [], "removes": [], "adds": [],
            "attributes": [{"id": 2, "attributes": {"class": "health"}}]}},
        {"type": 3, "timestamp": t(100), "data": {"source": 5, "id": 2, "text": "943 476 5919", "isChecked": false}},
        {"type": 3, "timestamp": t(150), "data": {"source": 2, "type": 2, "id": 3, "x": 300, "y": 300}}
    ]);
    let rule = MaskingRule {
        marker: Marker::Selector("input.health[name=nhs]".into()),
        effect: Effect::Ignore,
    };
    let (report, events) = import_events(&fx, Some(rule), events);
    assert!(
        events.iter().all(|e| e.kind != EventKind::Input),
        "{events:?}"
    );
    assert_eq!(
        report.counts.by_rule["selector input.health[name=nhs] → ignore"].events_removed,
        1
    );
}

#[test]
fn a_malformed_add_next_to_a_marker_does_not_lose_the_marker() {
    // The trick: one add whose node is not an object, in the same mutation that marks the
    // container. The mutation must still reach the mirror, so the click inside is blocked.
    let fx = Fixture::with_all_roles();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let events = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/chat", "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "button", "attributes": {}, "childNodes": []}
            ]},
            {"type": 2, "id": 4, "tagName": "button", "attributes": {"id": "send"}, "childNodes": []}
        ]}}},
        {"type": 3, "timestamp": t(10), "data": {"source": 0, "texts": [], "removes": [],
            "adds": [{"parentId": 1, "node": 5}],
            "attributes": [{"id": 2, "attributes": {"class": "secret-zone"}}]}},
        {"type": 3, "timestamp": t(100), "data": {"source": 2, "type": 2, "id": 3, "x": 10, "y": 10}},
        {"type": 3, "timestamp": t(900), "data": {"source": 2, "type": 2, "id": 4, "x": 300, "y": 300}}
    ]);
    let rule = MaskingRule {
        marker: Marker::Class("secret-zone".into()),
        effect: Effect::Block,
    };
    let (report, events) = import_events(&fx, Some(rule), events);
    let clicked: Vec<_> = events
        .iter()
        .filter(|e| e.is_click())
        .map(|e| e.target.as_deref())
        .collect();
    assert_eq!(clicked, [Some("button#send")], "{report:?}");
    assert_eq!(
        report.counts.by_rule["class secret-zone → block"].events_removed,
        1
    );
}

#[test]
fn a_page_nested_too_deep_to_read_is_refused_not_imported_unmasked() {
    // A snapshot deeper than the JSON reader follows: the file is refused, rather than
    // imported without the mirror that decides what the rules cover.
    let fx = Fixture::with_all_roles();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let mut node = serde_json::json!({"type": 2, "id": 1000, "tagName": "button",
        "attributes": {"class": "secret-zone"}, "childNodes": []});
    for depth in 0..150 {
        node = serde_json::json!({"type": 2, "id": 2 + depth, "tagName": "div",
            "attributes": {}, "childNodes": [node]});
    }
    let events = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/chat", "width": 1440, "height": 900}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [node]}}},
        {"type": 3, "timestamp": t(100), "data": {"source": 2, "type": 2, "id": 1000, "x": 10, "y": 10}}
    ]);
    let rule = MaskingRule {
        marker: Marker::Class("secret-zone".into()),
        effect: Effect::Block,
    };
    let mut ws = fx.unlock(ENGINEER);
    ws.add_masking_rule(&rule).unwrap();
    let report = ws
        .import_inputs(
            &[ImportInput::Memory {
                name: "deep.json".into(),
                text: events.to_string(),
            }],
            &assumed(),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    ws.lock().unwrap();
    assert_eq!(report.recordings, 0, "{report:?}");
    assert_eq!(report.failed_files.len(), 1, "{report:?}");
    let lead = fx.unlock(LEAD);
    assert!(lead.sessions(None).unwrap().is_empty());
}

#[test]
fn native_targets_with_pseudo_classes_still_meet_their_rules() {
    let fx = Fixture::with_all_roles();
    let text = r#"{"sightline": 1, "session": "n1", "subject": "u-1", "consent": {"heatmaps": true, "recordings": true}, "url": "https://app.test/pay", "viewport": {"width": 1440, "height": 900}}
{"t": 100, "kind": "click", "x": 10, "y": 10, "target": "div.rr-block:nth-child(2) > input#card-4111111111111111"}
{"t": 200, "kind": "input", "target": "div.rr-block:nth-child(2) > input#card-4111111111111111", "value": "4111111111111111"}
{"t": 300, "kind": "input", "target": "form[data-x > input"}
{"t": 400, "kind": "click", "x": 300, "y": 300, "target": "button#send:hover"}"#;
    let (report, events) = import_as_engineer(&fx, None, "native.jsonl", text.into());
    let c = &report.counts;
    assert_eq!(c.by_rule["class rr-block → block"].events_removed, 2);
    assert_eq!(
        c.by_rule["input on an element not in any snapshot"].events_removed,
        1
    );
    assert_eq!(c.interactions_kept + c.masked_dropped, c.interactions_read);
    let targets: Vec<_> = events.iter().filter_map(|e| e.target.as_deref()).collect();
    assert_eq!(targets, ["button#send"]);
    assert_no_canary(&fx, &report, &events);
}

#[test]
fn a_path_rule_added_later_renames_the_pages_already_stored() {
    let fx = Fixture::with_all_roles();
    import_under(&fx, None);
    let mut ws = fx.unlock(ENGINEER);
    let (_, renamed) = ws
        .add_path_rule(&PathRule {
            pattern: "^/u/[^/]+/reset".into(),
            replacement: "/account-reset".into(),
        })
        .unwrap();
    assert_eq!((renamed.pages_renamed, renamed.sessions), (1, 1));
    ws.lock().unwrap();
    let lead = fx.unlock(LEAD);
    let pages: Vec<String> = lead.pages().unwrap().into_iter().map(|p| p.page).collect();
    assert_eq!(pages, ["https://app.test/account-reset/:id"]);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let urls: Vec<String> = lead
        .session_events(&id, "path rule")
        .unwrap()
        .into_iter()
        .filter_map(|e| e.url)
        .collect();
    assert_eq!(urls, ["https://app.test/account-reset/:id"]);
}
