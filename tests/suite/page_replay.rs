//! The page replay: what an import keeps of the page (canaries in text, attributes, inputs,
//! stylesheets and mutations reach no stored byte), a sample session's page changing when it
//! did, frames from the command line for the roles that replay, and how close the drawn sample
//! pages come to their screenshots.

use std::sync::atomic::AtomicBool;

use sightline::dom::DomOp;
use sightline::dom::seek::DomReplay;
use sightline::ingest::ImportInput;
use sightline::render::worker::{FrameRequest, draw};
use sightline::sample::assets;
use sightline::session::EventKind;

use super::common::{
    ANALYST, ENGINEER, Fixture, LEAD, UX, assumed, contains, files, sightline, stderr,
};

/// Canary PII: email, phone, card number, a name, a token, a message.
const CANARIES: &[&str] = &[
    "ana.canary@example.org",
    "5551234567",
    "555 123 4567",
    "4111111111111111",
    "Jane Canary",
    "canarytoken",
    "meet me at the clinic",
];

/// A page full of canaries: text, every kind of attribute, a field with a value and a
/// placeholder, a stylesheet with strings, urls, comments and selectors, an image and a
/// script; then a mutation adding text and attributes, a text change and typing.
fn canary_recording() -> serde_json::Value {
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let css = "/* ana.canary@example.org */ @import url(https://x.test/canarytoken.css); \
               .note::after{content:\"Jane Canary 5551234567\"} \
               #user-canarytoken{background:url(https://x.test/?u=ana.canary@example.org)} \
               @font-face{font-family:Canary;src:url(https://x.test/canarytoken.woff)}";
    serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/inbox", "width": 1024, "height": 700}},
        {"type": 2, "timestamp": t(1), "data": {"initialOffset": {"top": 0, "left": 0}, "node":
            {"type": 0, "id": 1, "childNodes": [
                {"type": 1, "id": 2, "name": "html", "publicId": "", "systemId": ""},
                {"type": 2, "id": 3, "tagName": "html", "attributes": {"lang": "en"}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "head", "attributes": {}, "childNodes": [
                        {"type": 2, "id": 5, "tagName": "style", "attributes": {"_cssText": css}, "childNodes": []},
                        {"type": 2, "id": 6, "tagName": "link", "attributes": {"rel": "stylesheet", "_cssText": ".x{content:'meet me at the clinic'}"}, "childNodes": []},
                        {"type": 2, "id": 7, "tagName": "script", "attributes": {}, "childNodes": [
                            {"type": 3, "id": 8, "textContent": "var t='canarytoken'"}]}
                    ]},
                    {"type": 2, "id": 9, "tagName": "body", "attributes": {"onload": "steal('canarytoken')"}, "childNodes": [
                        {"type": 2, "id": 10, "tagName": "p", "attributes": {
                            "id": "user-canarytoken", "class": "note jane-canary",
                            "title": "Jane Canary", "data-email": "ana.canary@example.org",
                            "aria-label": "call 5551234567", "style": "background:url(https://x.test/canarytoken.png)"},
                         "childNodes": [{"type": 3, "id": 11, "textContent": "Hi Jane Canary, meet me at the clinic: 5551234567"}]},
                        {"type": 2, "id": 12, "tagName": "input", "attributes": {
                            "type": "text", "value": "ana.canary@example.org", "placeholder": "4111111111111111",
                            "name": "canarytoken"}, "childNodes": []},
                        {"type": 2, "id": 13, "tagName": "img", "attributes": {
                            "src": "https://x.test/ana.canary@example.org.png", "alt": "Jane Canary", "width": "40", "height": "40"}, "childNodes": []},
                        {"type": 2, "id": 14, "tagName": "a", "attributes": {"href": "javascript:steal('canarytoken')"}, "childNodes": [
                            {"type": 3, "id": 15, "textContent": "4111111111111111"}]},
                        {"type": 2, "id": 16, "tagName": "ul", "attributes": {"class": "messages"}, "childNodes": []}
                    ]}
                ]}
            ]}}},
        {"type": 3, "timestamp": t(100), "data": {"source": 2, "type": 2, "id": 12, "x": 20, "y": 20}},
        {"type": 3, "timestamp": t(200), "data": {"source": 5, "id": 12, "text": "+1 555 123 4567", "isChecked": false}},
        {"type": 3, "timestamp": t(300), "data": {"source": 0,
            "adds": [
                {"parentId": 16, "nextId": null, "node": {"type": 2, "id": 20, "tagName": "li",
                    "attributes": {"class": "toast", "data-user": "ana.canary@example.org", "title": "5551234567"}, "childNodes": []}},
                {"parentId": 20, "nextId": null, "node": {"type": 3, "id": 21, "textContent": "Jane Canary says meet me at the clinic"}}
            ],
            "texts": [{"id": 15, "value": "card 4111111111111111"}],
            "attributes": [{"id": 10, "attributes": {"data-phone": "5551234567", "title": "canarytoken", "class": "note canarytoken"}}],
            "removes": []}},
        {"type": 3, "timestamp": t(400), "data": {"source": 3, "id": 16, "x": 0, "y": 30}}
    ])
}

fn import(fx: &Fixture, name: &str, text: String) {
    let mut ws = fx.unlock(ENGINEER);
    let input = ImportInput::Memory {
        name: name.into(),
        text,
    };
    ws.import_inputs(&[input], &assumed(), &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    ws.lock().unwrap();
}

#[test]
fn canaries_reach_no_byte_of_the_stored_page() {
    let fx = Fixture::with_all_roles();
    import(&fx, "canary.json", canary_recording().to_string());
    let lead = fx.unlock(LEAD);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let data = lead.replay(&id, "privacy test").unwrap();
    lead.lock().unwrap();
    let track = data.page.expect("the page was kept");
    let json = String::from_utf8(track.encode()).unwrap();
    // The page is there: the masked paragraph, the added item, the scroll of the list.
    let replay = DomReplay::new(track);
    let end = replay.at(1_000);
    let html = end.dom.to_html();
    assert!(html.contains("●• ●••• ●•••••, ••••"), "{html}");
    assert!(html.contains("class=\"toast\""), "{html}");
    assert!(html.contains("value=\"••••\""), "{html}");
    assert!(html.contains("class=\"sl-media\""), "{html}");
    assert_eq!(end.dom.element_scrolls().len(), 1);
    assert!(
        !html.contains("<script") && !html.contains("onload"),
        "{html}"
    );
    let (plain, wal) = files(&fx);
    for canary in CANARIES {
        assert!(
            !json.contains(canary),
            "{canary} in the stored track: {json}"
        );
        assert!(!html.contains(canary), "{canary} in the drawn page");
        assert!(!contains(&plain, canary), "{canary} in a decrypted page");
        assert!(!contains(&wal, canary), "{canary} in a WAL file");
    }
    for gone in ["x.test", "javascript:", "url(", "@import", "@font-face"] {
        assert!(!json.contains(gone), "{gone} kept: {json}");
    }
    // The frame renders from what was kept.
    let mut doc = None;
    let request = FrameRequest {
        t_ms: 1_000,
        width: 1024,
        height: 700,
        scroll_x: 0.0,
        scroll_y: 0.0,
    };
    let frame = draw(&replay, &mut doc, &request).unwrap().unwrap();
    assert_eq!((frame.width, frame.height), (1024, 700));
}

/// The sample conversation: the person sends a message, and the page shows it from then on.
#[test]
fn the_sent_message_appears_when_it_was_sent() {
    let fx = Fixture::with_all_roles();
    let (name, text) = assets::RECORDINGS[0];
    assert_eq!(name, "desktop-inbox-conversation.json");
    import(&fx, name, text.to_owned());
    let ana = fx.unlock(ANALYST);
    let id = ana.sessions(None).unwrap()[0].id.clone();
    let data = ana.replay(&id, "support ticket 42").unwrap();
    ana.lock().unwrap();
    let send = data
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Click)
        .filter(|e| {
            e.target
                .as_deref()
                .is_some_and(|t| t.starts_with("button#send"))
        })
        .map(|e| e.t_ms)
        .next_back()
        .expect("a click on send");
    let replay = DomReplay::new(data.page.expect("a page"));
    let added = replay
        .track()
        .changes
        .iter()
        .find(|c| matches!(c.op, DomOp::Add { .. }))
        .map(|c| c.t)
        .expect("the message was added");
    assert!(
        (send..send + 1_000).contains(&added),
        "send at {send} ms, added at {added} ms"
    );
    let items = |t: i64| replay.at(t).dom.to_html().matches("<li").count();
    assert_eq!(items(added), items(added - 1) + 1);
    // And it is drawn: where the person was looking, the frame changes at that moment.
    let events = sightline::replay::Replay::new(data.events.clone());
    let mut doc = None;
    let mut at = |t: i64| {
        let state = events.state_at(t);
        let (width, height) = state.viewport.unwrap_or((1440, 900));
        let request = FrameRequest {
            t_ms: t,
            width,
            height,
            scroll_x: state.scroll.0,
            scroll_y: state.scroll.1,
        };
        draw(&replay, &mut doc, &request).unwrap().unwrap()
    };
    let (before, after) = (at(added - 1), at(added));
    let changed = before
        .rgba
        .chunks_exact(4)
        .zip(after.rgba.chunks_exact(4))
        .filter(|(a, b)| a != b)
        .count();
    assert!(changed > 1_000, "{changed} pixels changed");
}

#[test]
fn frames_from_the_cli_for_the_roles_that_replay() {
    let fx = Fixture::with_all_roles();
    let (name, text) = assets::RECORDINGS[0];
    import(&fx, name, text.to_owned());
    // The screenshot mode shows an uploaded screenshot (never a page drawn from a replay).
    let mut engineer = fx.unlock(ENGINEER);
    for page in ["inbox", "conversation"] {
        engineer
            .import_screenshot_bytes(
                &format!("http://app.parley.example/{page}.html"),
                1440,
                "shot.png",
                assets::screenshot_png(page, 1440).unwrap(),
            )
            .unwrap();
    }
    engineer.lock().unwrap();
    let id = fx.unlock(LEAD).sessions(None).unwrap()[0].id.clone();
    let state = fx.tmp.path().join("cli-state");
    let path = fx.path.to_str().unwrap();
    let out = fx.tmp.path().join("frame.png");
    let run = |user: (&str, &str), mode: &str| {
        let args = [
            "sessions",
            "frame",
            path,
            "--as",
            user.0,
            "--session",
            &id,
            "--at",
            "15000",
            "--purpose",
            "ticket 42",
            "--out",
            out.to_str().unwrap(),
            "--mode",
            mode,
        ];
        sightline(&state, &args, &[("SIGHTLINE_PASSWORD", user.1)])
    };
    for denied in [UX, ENGINEER] {
        let o = run(denied, "page");
        assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
        assert!(!out.exists());
    }
    for (user, mode) in [(ANALYST, "page"), (LEAD, "screenshot")] {
        let o = run(user, mode);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let png = image::open(&out).unwrap();
        assert_eq!((png.width(), png.height()), (1440, 900), "{mode}");
        std::fs::remove_file(&out).unwrap();
    }
    let lead = fx.unlock(LEAD);
    let log = lead
        .access_log(&sightline::access::log::LogQuery::default())
        .unwrap();
    let opened: Vec<_> = log
        .iter()
        .filter(|e| e.action == "replay-session" && e.purpose == "ticket 42")
        .filter(|e| e.outcome == "allowed")
        .collect();
    assert_eq!(opened.len(), 2, "one logged opening per frame");
    let exported: Vec<_> = log
        .iter()
        .filter(|e| e.action == "export-session-frame" && e.outcome == "allowed")
        .collect();
    assert_eq!(exported.len(), 2, "each file written is logged");
    assert!(exported.iter().all(|e| e.object.ends_with("to frame.png")));
    assert!(
        log.iter()
            .any(|e| e.user == UX.0 && e.action == "replay-session" && e.outcome == "denied")
    );
}

/// The sample pages drawn from their own recordings (recorded with the recorder's masking
/// off, text kept for this comparison only) against the Chromium screenshots, in 16×16 tiles
/// within 12 levels of mean colour: all five pages at every width, 90% of the tiles at each
/// width, and no page under 80%. A blank drawing would score 86.8%, 78.9% and 72.0%, so the
/// tiles where the screenshot is not (near) white are held too: 80% per width, a guard at the
/// level reached (82–87%; docs/BENCHMARKS.md).
#[test]
fn sample_pages_are_drawn_close_to_their_screenshots() {
    let results = sightline::sample::fidelity::sample_fidelity().unwrap();
    for width in [1440, 768, 390] {
        let at: Vec<_> = results.iter().filter(|r| r.width == width).collect();
        assert_eq!(at.len(), 5, "pages at {width} px: {at:?}");
        let (agreeing, tiles) = at
            .iter()
            .fold((0, 0), |(a, t), r| (a + r.agreeing, t + r.tiles));
        let share = agreeing as f64 / tiles as f64;
        for r in &at {
            eprintln!("{} at {} px: {:.1}%", r.page, r.width, r.share() * 100.0);
            assert!(
                r.share() >= 0.80,
                "{} at {width} px: {:.1}%",
                r.page,
                r.share() * 100.0
            );
        }
        let (content_agreeing, content_tiles) = at.iter().fold((0, 0), |(a, t), r| {
            (a + r.content_agreeing, t + r.content_tiles)
        });
        let content = content_agreeing as f64 / content_tiles as f64;
        assert!(
            content >= 0.80,
            "{width} px: {:.1}% of the tiles with content agree",
            content * 100.0
        );
        assert!(
            share >= 0.90,
            "{width} px: {:.1}% of tiles agree",
            share * 100.0
        );
    }
}

/// A page with no screenshot at a width gets one drawn from the first replay of it: masked,
/// labelled as reconstructed in the figure, the PNG footer and its text chunks, and replaced
/// by an uploaded screenshot.
#[test]
fn a_page_without_a_screenshot_gets_a_background_drawn_from_a_replay() {
    use sightline::access::heatmaps::HeatmapRequest;
    use sightline::export::png::{ExportFacts, footer_lines, text_chunks};
    use sightline::heatmap::RenderParams;
    use sightline::heatmap::segment::Segment;
    let fx = Fixture::with_all_roles();
    import(&fx, "canary.json", canary_recording().to_string());
    let ux = fx.unlock(UX);
    let page = ux.pages().unwrap()[0].page.clone();
    let request = HeatmapRequest {
        page: page.clone(),
        viewport: "desktop".into(),
        params: RenderParams::default(),
        segment: Segment::default(),
    };
    let heatmap = ux.heatmap(&request).unwrap();
    let shot = heatmap.screenshot.clone().expect("a background was drawn");
    assert!(shot.reconstructed);
    assert_eq!(shot.css_width, 1024);
    let image = image::load_from_memory(&shot.png).unwrap().to_rgba8();
    assert_eq!(image.width(), 1024);
    assert!(
        image.pixels().any(|p| p.0 != [255, 255, 255, 255]),
        "the page is drawn, not blank"
    );
    let facts = ExportFacts {
        dataset: "test".into(),
        user: "uma".into(),
        time: "2026-11-30T00:00:00Z".into(),
    };
    let label = "reconstructed from a recording, text masked";
    assert!(footer_lines(&heatmap, &facts)[1].contains(label));
    assert!(
        text_chunks(&heatmap, &facts)
            .iter()
            .any(|(k, v)| k == "Background" && v.contains(label))
    );
    ux.lock().unwrap();
    // An uploaded screenshot takes its place.
    let png = sightline::sample::assets::screenshot_png("inbox", 1440).unwrap();
    let mut engineer = fx.unlock(ENGINEER);
    engineer
        .import_screenshot_bytes("https://app.test/inbox", 1024, "inbox.png", png)
        .unwrap();
    engineer.lock().unwrap();
    let ux = fx.unlock(UX);
    let heatmap = ux.heatmap(&request).unwrap();
    assert!(!heatmap.screenshot.unwrap().reconstructed);
}

fn import_with_manifest(fx: &Fixture, recordings: &str) {
    let manifest = sightline::ingest::manifest::Manifest::parse(
        "manifest.csv",
        format!(
            "session,subject,started_at,region,consent_heatmaps,consent_recordings,variant,cohort\n\
             canary.json,ana.canary@example.org,2026-11-20T10:00:00Z,EU-DE,yes,{recordings},A,paid\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let options = sightline::ingest::ImportOptions {
        manifest: Some(manifest),
        assume_consent: None,
    };
    let mut ws = fx.unlock(ENGINEER);
    let input = ImportInput::Memory {
        name: "canary.json".into(),
        text: canary_recording().to_string(),
    };
    let report = ws
        .import_inputs(&[input], &options, &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(report.heatmap_sessions, 1, "{report:?}");
    ws.lock().unwrap();
}

fn background(fx: &Fixture) -> Option<sightline::access::heatmaps::Screenshot> {
    use sightline::access::heatmaps::HeatmapRequest;
    let ux = fx.unlock(UX);
    let page = ux.pages().unwrap()[0].page.clone();
    let request = HeatmapRequest {
        page,
        viewport: "desktop".into(),
        params: sightline::heatmap::RenderParams::default(),
        segment: sightline::heatmap::segment::Segment::default(),
    };
    let shot = ux.heatmap(&request).unwrap().screenshot;
    ux.lock().unwrap();
    shot
}

/// A person who kept heatmaps but not recordings gives no page image; one who kept both
/// does, and erasing them erases it; another session's replay never shows it as its
/// screenshot.
#[test]
fn backgrounds_follow_consent_and_erasure() {
    let without = Fixture::with_all_roles();
    import_with_manifest(&without, "no");
    assert!(background(&without).is_none());

    let fx = Fixture::with_all_roles();
    import_with_manifest(&fx, "yes");
    assert!(background(&fx).is_some_and(|s| s.reconstructed));
    let lead = fx.unlock(LEAD);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let data = lead.replay(&id, "check").unwrap();
    assert!(
        data.screenshots.values().all(|s| !s.reconstructed),
        "a drawn page is not offered as the session's screenshot"
    );
    lead.erase_subject("ana.canary@example.org").unwrap();
    lead.lock().unwrap();
    assert!(background(&fx).is_none(), "erased with the session");
}

/// rrweb's own blocks and blocks that start later: nothing added under a recorder-blocked
/// element is kept, an element that comes under a block rule loses its content, and typing
/// into a textarea shows the fixed mask.
#[test]
fn blocks_hold_for_later_changes_and_textareas_stay_masked() {
    use sightline::dom::capture::{DomCapture, TextPolicy};
    use sightline::dom::raw;
    let masking = sightline::privacy::masking::Masking::defaults([3; 32]);
    let mut capture = DomCapture::new(&masking, TextPolicy::Mask);
    let snapshot: raw::Event<'_> = serde_json::from_str(
        r#"{"data": {"node": {"type": 0, "id": 1, "childNodes": [{"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 2, "id": 4, "tagName": "div", "attributes": {"class": "x", "rr_width": "100px", "rr_height": "20px"}, "childNodes": []},
                {"type": 2, "id": 5, "tagName": "div", "attributes": {"class": "card"}, "childNodes": [
                    {"type": 3, "id": 6, "textContent": "Jane Canary"}]},
                {"type": 2, "id": 7, "tagName": "textarea", "attributes": {}, "childNodes": [
                    {"type": 3, "id": 8, "textContent": ""}]}
            ]}]}]}}}"#,
    )
    .unwrap();
    capture.snapshot(0, snapshot.data.node.as_ref().unwrap());
    let mutation: raw::Event<'_> = serde_json::from_str(
        r#"{"data": {"adds": [{"parentId": 4, "node": {"type": 3, "id": 9, "textContent": "under a recorder block"}}],
            "texts": [{"id": 8, "value": "call 5551234567"}],
            "attributes": [{"id": 5, "attributes": {"class": "card rr-block"}}]}}"#,
    )
    .unwrap();
    capture.mutation(10, &mutation.data);
    let track = capture.finish(0);
    let replay = DomReplay::new(track);
    let html = replay.at(100).dom.to_html();
    assert!(
        !html.contains("under") && !html.contains("••••• • ••••• •••••"),
        "{html}"
    );
    assert!(
        !html.contains("●••• ●•••••"),
        "the newly blocked card is empty: {html}"
    );
    assert!(html.contains("<textarea>••••</textarea>"), "{html}");
    assert!(!html.contains("○○○○○○○○○○"), "{html}");
}

/// An unmask rule shows static chrome as written, and nothing a person wrote: fields,
/// editable areas and masked regions inside it stay masked, and PII in its text is redacted.
#[test]
fn unmask_rules_show_chrome_and_nothing_people_wrote() {
    use sightline::privacy::masking::{Effect, Marker, MaskingRule};
    let fx = Fixture::with_all_roles();
    let mut ws = fx.unlock(ENGINEER);
    ws.add_masking_rule(&MaskingRule {
        marker: Marker::Selector("nav".into()),
        effect: Effect::Unmask,
    })
    .unwrap();
    ws.lock().unwrap();
    let t = |ms: i64| 1_700_000_000_000i64 + ms;
    let recording = serde_json::json!([
        {"type": 4, "timestamp": t(0), "data": {"href": "https://app.test/inbox", "width": 1024, "height": 700}},
        {"type": 2, "timestamp": t(1), "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "nav", "attributes": {}, "childNodes": [
                        {"type": 3, "id": 5, "textContent": "Inbox Pricing, mail ana.canary@example.org"},
                        {"type": 2, "id": 6, "tagName": "span", "attributes": {"class": "rr-mask"}, "childNodes": [
                            {"type": 3, "id": 7, "textContent": "meet me at the clinic"}]},
                        {"type": 2, "id": 8, "tagName": "div", "attributes": {"contenteditable": "true"}, "childNodes": [
                            {"type": 3, "id": 9, "textContent": "Jane Canary typed this"}]},
                        {"type": 2, "id": 10, "tagName": "textarea", "attributes": {}, "childNodes": [
                            {"type": 3, "id": 11, "textContent": "canarytoken draft"}]}
                    ]},
                    {"type": 2, "id": 12, "tagName": "p", "attributes": {}, "childNodes": [
                        {"type": 3, "id": 13, "textContent": "Outside the chrome"}]}
                ]}]}]}}},
        {"type": 3, "timestamp": t(50), "data": {"source": 2, "type": 2, "id": 12, "x": 5, "y": 5}}
    ]);
    import(&fx, "unmask.json", recording.to_string());
    let lead = fx.unlock(LEAD);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let track = lead.replay(&id, "check").unwrap().page.unwrap();
    lead.lock().unwrap();
    let html = DomReplay::new(track).at(100).dom.to_html();
    assert!(html.contains("Inbox Pricing, mail "), "{html}");
    for hidden in [
        "ana.canary@example.org",
        "clinic",
        "Jane Canary",
        "canarytoken",
        "Outside",
    ] {
        assert!(!html.contains(hidden), "{hidden} shown: {html}");
    }
    let (plain, wal) = files(&fx);
    for canary in CANARIES {
        assert!(
            !contains(&plain, canary) && !contains(&wal, canary),
            "{canary}"
        );
    }
}

/// Someone who can write recordings.db garbles a stored page: the replay still opens, on the
/// screenshot, and says the page cannot be read.
#[test]
fn a_garbled_page_track_leaves_the_replay_open() {
    let fx = Fixture::with_all_roles();
    import(&fx, "canary.json", canary_recording().to_string());
    let rec = fx.raw(sightline::dataset::Tier::Recordings);
    let changed = rec
        .execute("UPDATE session_pages SET track = x'7b22636861'", [])
        .unwrap();
    assert_eq!(changed, 1);
    drop(rec);
    let lead = fx.unlock(LEAD);
    let id = lead.sessions(None).unwrap()[0].id.clone();
    let data = lead.replay(&id, "check").unwrap();
    assert!(data.page.is_none() && data.page_unreadable);
    assert!(!data.events.is_empty());
}
