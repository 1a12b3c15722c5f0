//! Hostile input for every importer: rrweb arrays, PostHog JSONL and `cv` fields, packed
//! events, native JSONL, CSV manifests, consent and survey files, and screenshots, generated
//! from scratch and mutated from the real fixtures. Properties: no panic, every interaction
//! kept or counted with its reason, no input value but the mask, and memory bounded.
//!
//! `cargo test` runs a short smoke. The long run (recorded in docs/PRIVACY.md):
//! `SIGHTLINE_FUZZ_CASES=1000000 cargo test --release --test fuzz -- --nocapture`.
//! Its own binary, so that the counting allocator measures only these cases.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// Only for the counting allocator below, which forwards every call to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rusqlite::Connection;
use sightline::dataset::{Tier, schema};
use sightline::dom::capture::TextPolicy;
use sightline::dom::seek::DomReplay;
use sightline::ingest::manifest::Manifest;
use sightline::ingest::{native, rrweb, screenshot, tables};
use sightline::privacy::masking::Masking;
use sightline::render;
use sightline::session::{EventKind, MASKED_VALUE};

/// Counts live heap bytes and the peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most one case may hold at once beyond what was live before it. Generated compressed
/// data inflates to at most 8 MiB, so 64 MiB plus 64 bytes per input byte is room for parsing
/// and converting; growth without bound would pass it.
fn memory_bound(input_len: usize) -> usize {
    64 * 1024 * 1024 + 64 * input_len
}

/// Canary identifiers the generators put into ids, classes, URLs, values and tags: none may
/// come out in a kept event or page.
const CANARIES: &[&str] = &[
    "jane.doe",
    "user-jane-doe",
    "diagnosis-hiv",
    "Xk9fPqLmZrTwYb3nVcQa8sDe",
    "ana@example.org",
    "5551234567",
    "555 123 4567",
    "4111111111111111",
];

/// What the runs saw, for the long run's summary.
static CASES: AtomicU64 = AtomicU64::new(0);
/// Cases some importer accepted (sessions converted, rows read or an image stored), so the
/// run is known to reach past the parsers' first checks.
static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static SLOWEST_US: AtomicU64 = AtomicU64::new(0);
/// Cases whose recording had a page to capture, so the page checks are known to run.
static PAGES: AtomicU64 = AtomicU64::new(0);
static MOST_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The importers share two in-memory databases; one case at a time.
struct Stores {
    core: Connection,
    rec: Connection,
}

fn stores() -> &'static Mutex<Stores> {
    static STORES: OnceLock<Mutex<Stores>> = OnceLock::new();
    STORES.get_or_init(|| {
        let core = Connection::open_in_memory().unwrap();
        let rec = Connection::open_in_memory().unwrap();
        schema::migrate(&core, Tier::Core).unwrap();
        schema::migrate(&rec, Tier::Recordings).unwrap();
        Mutex::new(Stores { core, rec })
    })
}

fn masking() -> &'static Masking {
    static MASKING: OnceLock<Masking> = OnceLock::new();
    MASKING.get_or_init(|| Masking::defaults([9; 32]))
}

fn check_converted(c: &rrweb::Converted) -> Result<(), TestCaseError> {
    let n = &c.counts;
    prop_assert_eq!(
        n.interactions_kept + n.invalid_dropped + n.masked_dropped,
        n.interactions_read,
        "every interaction is kept or counted with its reason"
    );
    for e in &c.events {
        if e.kind == EventKind::Input {
            prop_assert_eq!(e.value.as_deref(), Some(MASKED_VALUE));
        }
    }
    let kept = serde_json::to_string(&c.events).unwrap_or_default() + &c.pages.join(" ");
    for canary in CANARIES {
        prop_assert!(!kept.contains(canary), "{} kept: {}", canary, kept);
    }
    Ok(())
}

/// The page replay of a recording: built without panicking, no canary kept, and drawn (a
/// renderer failure is an error, never a crash).
fn check_page(recording: &rrweb::Recording, start_ms: i64) -> Result<(), TestCaseError> {
    let Some(track) = rrweb::page::capture(recording, masking(), start_ms, TextPolicy::Mask) else {
        return Ok(());
    };
    PAGES.fetch_add(1, Ordering::Relaxed);
    let kept = String::from_utf8(track.encode()).unwrap_or_default();
    for canary in CANARIES {
        prop_assert!(
            !kept.contains(canary),
            "{} kept in the page: {}",
            canary,
            kept
        );
    }
    let end = track.changes.last().map_or(0, |c| c.t);
    let page = DomReplay::new(track).at(end);
    let html = page.dom.to_html();
    for canary in CANARIES {
        prop_assert!(!html.contains(canary), "{} in the drawn page", canary);
    }
    let _drawn = render::render_once(&html, 320, 240, &render::View::default());
    Ok(())
}

/// Runs every importer on `bytes`; any panic fails the property.
fn import_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    let stores = stores().lock().unwrap_or_else(|e| e.into_inner());
    let name = "fuzz-input";
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let text = String::from_utf8_lossy(bytes);
    let mut accepted = false;
    if native::is_native(&text)
        && let Ok(sessions) = native::parse(name, &text, masking())
    {
        for s in &sessions {
            check_converted(&s.converted)?;
            accepted = true;
        }
    }
    if let Ok(pending) = rrweb::split(name, &text) {
        for p in pending {
            if let Ok(recording) = p.decode(name) {
                let converted = rrweb::convert(&recording, masking());
                check_converted(&converted)?;
                check_page(&recording, converted.started_at_ms)?;
                accepted = true;
            }
        }
    }
    accepted |= Manifest::parse(name, bytes).is_ok();
    let read = match tables::kind_of(name, &text) {
        Ok(tables::TableKind::Consent) => {
            tables::import_consent(&stores.core, &stores.rec, &[1; 32], &text)
        }
        Ok(tables::TableKind::Survey) => tables::import_surveys(&stores.rec, &[1; 32], &text, 0),
        Err(e) => Err(e),
    };
    accepted |= read.is_ok_and(|(stored, _)| stored > 0);
    accepted |= screenshot::store(&stores.core, name, "https://fuzz.test/p", 1440, bytes).is_ok();
    if accepted {
        ACCEPTED.fetch_add(1, Ordering::Relaxed);
    }
    let elapsed = started.elapsed().as_micros() as u64;
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    stores
        .core
        .execute_batch("DELETE FROM screenshots; DELETE FROM pages; DELETE FROM consent_stats;")
        .unwrap();
    stores
        .rec
        .execute_batch("DELETE FROM consent; DELETE FROM surveys;")
        .unwrap();
    CASES.fetch_add(1, Ordering::Relaxed);
    SLOWEST_US.fetch_max(elapsed, Ordering::Relaxed);
    MOST_BYTES.fetch_max(peak, Ordering::Relaxed);
    prop_assert!(
        peak <= memory_bound(bytes.len()),
        "{peak} bytes held for a {}-byte input",
        bytes.len()
    );
    Ok(())
}

fn fixtures() -> &'static Vec<Vec<u8>> {
    static FIXTURES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rrweb");
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        out.push(NATIVE.as_bytes().to_vec());
        out.push(MANIFEST.as_bytes().to_vec());
        out.push(CONSENT.as_bytes().to_vec());
        out.push(SURVEY.as_bytes().to_vec());
        out.push(small_png());
        out.push(small_jpeg());
        out
    })
}

const NATIVE: &str = r#"{"sightline": 1, "session": "s1", "subject": "u-1", "consent": {"heatmaps": true, "recordings": true}, "url": "https://a.test/c/42?x=ana@example.org", "viewport": {"width": 390, "height": 844}}
{"t": 100, "kind": "move", "x": 10, "y": 20}
{"t": 200, "kind": "tap", "x": 12, "y": 22, "target": "form#f input#phone[type=tel]"}
{"t": 300, "kind": "input", "target": "input[type=password]", "value": "secret text"}
{"t": 400, "kind": "scroll", "x": 0, "y": 500}
{"t": 500, "kind": "custom", "tag": "checkout"}"#;
const MANIFEST: &str = "session,subject,started_at,region,consent_heatmaps,consent_recordings,variant,cohort\nw1,ana@example.org,2026-11-01T10:00:00Z,EU,yes,no,A,c1\n";
const CONSENT: &str = "subject,purpose,granted,jurisdiction,recorded_at\nana@example.org,heatmaps,yes,UK,2026-11-01T10:00:00Z\n";
const SURVEY: &str =
    "subject,session,score,comment\nana@example.org,w1,4,\"call me on +44 7700 900123\"\n";

fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbaImage::from_pixel(8, 8, image::Rgba([10, 20, 30, 255]))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn small_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([10, 20, 30]))
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// One change to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Number(usize, &'static str),
}

const WILD_NUMBERS: &[&str] = &[
    "1e308",
    "-1e308",
    "-1",
    "0",
    "4294967296",
    "18446744073709551616",
    "1e-320",
    "NaN",
    "\"12\"",
    "null",
    "[]",
    "{}",
    "true",
    "9007199254740993",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..16),
                prop::sample::select(vec![
                    b"\x1b[31m".to_vec(),
                    b"\"\\u0000\"".to_vec(),
                    b"{\"type\":2,\"data\":{\"node\":".to_vec(),
                    b"]".to_vec(),
                    b"\n".to_vec(),
                    b",".to_vec(),
                    "\u{202e}\u{fffd}é".as_bytes().to_vec(),
                ]),
            ]
        )
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1..64usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), 1..256usize).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
        (any::<usize>(), prop::sample::select(WILD_NUMBERS))
            .prop_map(|(p, n)| Mutation::Number(p, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(p, b) => {
                if !bytes.is_empty() {
                    bytes[p % len] = *b;
                }
            }
            Mutation::Truncate(p) => bytes.truncate(p % len),
            Mutation::Insert(p, add) => {
                let at = p % (bytes.len() + 1);
                bytes.splice(at..at, add.iter().copied());
            }
            Mutation::Delete(p, n) => {
                let at = p % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Duplicate(p, n) => {
                let at = p % len;
                let end = (at + n).min(bytes.len());
                let copy: Vec<u8> = bytes.get(at..end).unwrap_or_default().to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Number(p, n) => {
                // Replaces the run of digits at or after `p` with a wild value.
                let start = (p % len..bytes.len()).find(|&i| bytes[i].is_ascii_digit());
                if let Some(start) = start {
                    let end = (start..bytes.len())
                        .find(|&i| !bytes[i].is_ascii_digit())
                        .unwrap_or(bytes.len());
                    bytes.splice(start..end, n.bytes());
                }
            }
        }
    }
    bytes
}

fn mutated_fixture() -> impl Strategy<Value = Vec<u8>> {
    (
        0..fixtures().len(),
        proptest::collection::vec(mutation(), 0..6),
    )
        .prop_map(|(i, ms)| apply(fixtures()[i].clone(), &ms))
}

fn number() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        (-5i64..20).prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        Just(serde_json::Value::from("7")),
        Just(serde_json::Value::Null),
    ]
}

/// A DOM node as rrweb serialises it, with markers, canary text and attributes.
fn node() -> impl Strategy<Value = serde_json::Value> {
    let leaf = (
        number(),
        0i64..6,
        prop::sample::select(vec![
            "input", "div", "li", "button", "form", "A", "", "style", "link", "img", "svg", "script",
            "textarea",
        ]),
        prop::sample::select(vec![
            serde_json::json!({}),
            serde_json::json!({"type": "password"}),
            serde_json::json!({"class": "rr-block x", "id": "user-jane-doe"}),
            serde_json::json!({"data-private": true, "autocomplete": "cc-number"}),
            serde_json::json!({"rr_width": "10px", "rr_height": "5px"}),
            serde_json::json!({"class": 5, "id": ["x"], "role": {"a": 1}}),
            serde_json::json!({"value": "ana@example.org", "textContent": "+1 555 123 4567"}),
            serde_json::json!({"style": "background:url(https://x.test/jane.doe) ; color:red", "title": "ana@example.org",
                "data-user": "user-jane-doe", "href": "javascript:alert('5551234567')", "type": "5551234567",
                "placeholder": "4111111111111111", "aria-label": "jane.doe", "width": "5551234567"}),
            serde_json::json!({"_cssText": "/* ana@example.org */ .a::after{content:'555 123 4567'} #user-jane-doe{background:url(jane.doe.png)} @import 'x'; @font-face{src:url(x)} .b{color:red}",
                "rel": "stylesheet"}),
        ]),
    )
        .prop_map(|(id, kind, tag, attributes)| {
            serde_json::json!({"id": id, "type": kind, "tagName": tag, "attributes": attributes, "childNodes": [],
                "textContent": "Jane: ana@example.org 555 123 4567 4111111111111111"})
        });
    leaf.prop_recursive(6, 64, 6, |inner| {
        (number(), proptest::collection::vec(inner, 0..6)).prop_map(|(id, children)| {
            serde_json::json!({"id": id, "type": 2, "tagName": "div", "attributes": {}, "childNodes": children})
        })
    })
}

/// An rrweb event of any type, with plausible and absurd fields.
fn event() -> impl Strategy<Value = serde_json::Value> {
    (
        -1i64..8,
        number(),
        -1i64..16,
        number(),
        number(),
        number(),
        node(),
        proptest::collection::vec((number(), number(), number(), number()), 0..4),
    )
        .prop_map(|(kind, ts, source, id, x, y, node, positions)| {
            let positions: Vec<_> = positions
                .into_iter()
                .map(|(x, y, id, t)| serde_json::json!({"x": x, "y": y, "id": id, "timeOffset": t}))
                .collect();
            serde_json::json!({"type": kind, "timestamp": ts, "data": {
                "source": source, "type": source, "id": id, "x": x, "y": y,
                "href": "https://app.test/u/jane.doe/reset/Xk9fPqLmZrTwYb3nVcQa8sDe?e=ana@example.org",
                "width": x, "height": y, "positions": positions,
                // A snapshot's document, so the page capture reaches the generated nodes.
                "node": {"type": 0, "id": 1, "childNodes": [
                    {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                        {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [node.clone()]}]}]},
                "adds": [{"parentId": id, "node": node}, {"parentId": 3, "node": node}], "removes": [{"id": id}],
                "texts": [{"id": id, "value": "ana@example.org 5551234567"}],
                "attributes": [{"id": id, "attributes": {"class": "rr-mask"}}],
                "text": "ana@example.org", "tag": "t\u{1b}[2J", "plugin": "rrweb/console@1",
                "payload": {"level": "error"}
            }})
        })
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// Events in the forms importers meet: a plain array, PostHog JSONL with `cv` gzip'ed data,
/// and rrweb packer strings (zlib), some of them small bombs.
fn recording_file() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(event(), 0..24),
        0u8..3,
        prop_oneof![9 => Just(0usize), 1 => 0usize..(8 * 1024 * 1024)],
    )
        .prop_map(|(events, form, bomb)| match form {
            0 => serde_json::to_vec(&events).unwrap(),
            1 => {
                let mut out = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    let data = if i == 0 {
                        vec![b' '; bomb]
                    } else {
                        serde_json::to_vec(&e["data"]).unwrap()
                    };
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(&data).unwrap();
                    let compressed = serde_json::json!({"type": e["type"], "timestamp": e["timestamp"],
                        "cv": "2024-10", "data": latin1(&gz.finish().unwrap())});
                    let line = serde_json::json!({"window_id": format!("w{}", i % 2), "data": [compressed]});
                    out.extend(serde_json::to_vec(&line).unwrap());
                    out.push(b'\n');
                }
                out
            }
            _ => {
                let packed: Vec<String> = events
                    .iter()
                    .map(|e| {
                        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                        z.write_all(&serde_json::to_vec(e).unwrap()).unwrap();
                        latin1(&z.finish().unwrap())
                    })
                    .collect();
                serde_json::to_vec(&packed).unwrap()
            }
        })
}

/// Native JSONL: headers and events of every kind with wild values.
fn native_file() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            prop::sample::select(vec![
                "move", "click", "tap", "scroll", "input", "viewport", "navigation", "custom",
                "error", "wiggle", "",
            ]),
            number(),
            number(),
            number(),
            prop::sample::select(vec![
                "input#phone-5551234567",
                "form > input[type=password]",
                "[[[",
                "li#user-jane-doe.diagnosis-hiv",
                "",
                "a b c d e f g h i j k l m n o p",
            ]),
        ),
        0..32,
    )
    .prop_map(|events| {
        let mut out = String::from(
            r#"{"sightline": 1, "session": "s", "subject": "ana@example.org", "consent": {"heatmaps": true}, "url": "https://a.test/u/x", "viewport": {"width": 1e9, "height": -5}}"#,
        );
        for (kind, t, x, y, target) in events {
            out.push('\n');
            out.push_str(
                &serde_json::json!({"t": t, "kind": kind, "x": x, "y": y, "target": target,
                    "value": "4111111111111111", "url": "https://a.test/p?q=1", "width": x, "height": y, "tag": "\u{1b}]0;x\u{7}"})
                    .to_string(),
            );
        }
        out.into_bytes()
    })
}

/// CSV tables (consent, survey, manifest) with wild cells, quotes and line breaks.
fn csv_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![
            "subject,purpose,granted,jurisdiction,recorded_at",
            "subject,session,score,comment",
            "session,subject,started_at,region,consent_heatmaps,consent_recordings,variant,cohort",
        ]),
        proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    "[a-z@.0-9 ]{0,12}",
                    Just("\"a,\nb\"".to_owned()),
                    Just("\"".to_owned()),
                    Just("heatmaps".to_owned()),
                    Just("yes".to_owned()),
                    Just("9999999999999999999999".to_owned()),
                    Just("2026-13-45T99:99:99Z".to_owned()),
                ],
                0..10,
            ),
            0..20,
        ),
    )
        .prop_map(|(header, rows)| {
            let mut out = format!("{header}\n");
            for row in rows {
                out.push_str(&row.join(","));
                out.push('\n');
            }
            out.into_bytes()
        })
}

/// Cases per property: a smoke in `cargo test`, the long run through the environment.
fn config() -> Config {
    let cases = std::env::var("SIGHTLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 24 } else { 200 });
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn run(name: &str, strategy: impl Strategy<Value = Vec<u8>>) {
    let mut runner = TestRunner::new(config());
    let started = Instant::now();
    let before = CASES.load(Ordering::Relaxed);
    let accepted_at_start = ACCEPTED.load(Ordering::Relaxed);
    let result = runner.run(&strategy, |bytes| import_everything(&bytes));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let accepted_before = ACCEPTED.load(Ordering::Relaxed);
    eprintln!(
        "fuzz {name}: {} cases ({} accepted by an importer) in {:.1} s; slowest case so far {} ms; most memory held by one case so far {} MiB",
        CASES.load(Ordering::Relaxed) - before,
        accepted_before - accepted_at_start,
        started.elapsed().as_secs_f64(),
        SLOWEST_US.load(Ordering::Relaxed) / 1000,
        MOST_BYTES.load(Ordering::Relaxed) / (1024 * 1024)
    );
}

#[test]
fn importers_survive_mutated_fixtures() {
    run("mutated fixtures", mutated_fixture());
}

#[test]
fn importers_survive_generated_recordings() {
    let pages_before = PAGES.load(Ordering::Relaxed);
    run("generated recordings", recording_file());
    assert!(
        PAGES.load(Ordering::Relaxed) > pages_before,
        "no generated recording had a page: the page checks never ran"
    );
}

#[test]
fn importers_survive_generated_native_files() {
    run("generated native files", native_file());
}

#[test]
fn importers_survive_generated_tables() {
    run("generated tables", csv_file());
}
