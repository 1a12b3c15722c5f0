//! Finding the recordings in a file: a JSON array of events (optionally tagged with `windowId`),
//! PostHog's JSON Lines of `{"window_id", "data": [...]}`, PostHog's older
//! `{"snapshot_data_by_window_id": {...}}`, or an object of named event arrays. Events are
//! decoded straight into typed [`Event`]s from borrowed slices of the file; only packed and
//! PostHog-compressed events take the slower detour through `serde_json::Value`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::dom::raw;
use crate::error::{Error, Result};
use crate::ingest::rrweb::decode;
use crate::ingest::rrweb::event::Event;

/// A recording found in a file but not decoded yet: its events are slices of the file's text,
/// so that only one recording at a time is held decoded (memory bounded by the largest session,
/// not the file).
#[derive(Debug)]
pub struct Pending<'a> {
    /// Where it came from: `file`, `file#window`, or `file#name`.
    pub label: String,
    /// The identifier a manifest refers to.
    pub source_id: String,
    raws: Vec<&'a RawValue>,
    decoded: Option<Recording<'a>>,
    /// The file's inflation budget, shared by its recordings.
    budget: decode::Budget,
}

impl<'a> Pending<'a> {
    /// Decodes the events.
    pub fn decode(self, file: &str) -> Result<Recording<'a>> {
        if let Some(recording) = self.decoded {
            return Ok(recording);
        }
        let mut budget = self.budget.recording();
        let (events, fingerprints, content) = decode_all(file, &self.raws, &mut budget)?;
        let text_bytes = self.raws.iter().map(|r| r.get().len()).sum::<usize>()
            + usize::try_from(budget.spent()).unwrap_or(usize::MAX);
        Ok(Recording {
            label: self.label,
            source_id: self.source_id,
            events,
            fingerprints,
            content,
            text_bytes,
        })
    }
}

/// The events of one recording (one browser window).
#[derive(Debug, Default)]
pub struct Recording<'a> {
    /// Where it came from: `file`, `file#window`, or `file#name`.
    pub label: String,
    /// The identifier a manifest refers to: a window id, a session id, a name, or the file name.
    pub source_id: String,
    /// Decoded events, in file order.
    pub events: Vec<Event>,
    /// A hash of each event's JSON text, to recognise exact duplicates.
    pub fingerprints: Vec<u64>,
    /// The events that carry page content (snapshots, mutations, inputs), by index in
    /// `events`, read once with their strings borrowed from the file: the conversion's mirror
    /// and the page replay ([`crate::dom::capture`]) both read them. They hold text and
    /// attribute values as recorded, so they are never stored; what is kept is masked from
    /// them.
    pub content: Vec<(usize, raw::Event<'a>)>,
    /// The bytes of JSON its events took, compressed ones as they expanded: what an import
    /// charges against the memory of sessions in flight.
    pub text_bytes: usize,
}

/// Whether an event carries page content a page replay needs.
pub fn is_page_content(event: &Event) -> bool {
    match event.kind {
        Some(2) => true,
        Some(3) => matches!(event.data.source, Some(0 | 5)),
        _ => false,
    }
}

/// A fast hash of an event's text (foldhash, fixed seed): it only tells repeated events within
/// one recording apart, so it needs speed, not resistance to chosen collisions (a crafted
/// collision could only drop an event of the crafter's own recording).
fn fingerprint(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(text)
}

fn json_error(file: &str, e: &serde_json::Error, line_offset: usize) -> Error {
    Error::Format(format!(
        "{file}: not valid rrweb JSON at line {}, column {}: {}",
        e.line() + line_offset,
        e.column(),
        match e.classify() {
            serde_json::error::Category::Eof => "the file ends too early (truncated?)".to_owned(),
            _ => e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("syntax error")
                .to_owned(),
        }
    ))
}

/// Decodes one event from its JSON text: directly when plain, through `Value` when packed or
/// compressed.
fn decode_one<'a>(
    file: &str,
    raw: &'a RawValue,
    budget: &mut decode::RecordingBudget,
) -> Result<(Event, u64, Option<raw::Event<'a>>)> {
    let text = raw.get();
    let print = fingerprint(text);
    if text.starts_with('"') || text.contains("\"cv\"") {
        let value: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e, 0))?;
        let mut unpacked = decode::unpack_all(file, vec![value], budget)?;
        let value = unpacked.pop().unwrap_or(Value::Null);
        let (event, content) = from_value(file, value)?;
        return Ok((event, print, content));
    }
    let event = serde_json::from_str::<Event>(text).map_err(|e| json_error(file, &e, 0))?;
    // The typed event skips page content; it is read here once, borrowing from the file.
    // Content that cannot be read refuses the file: the mirror that decides what masking
    // rules cover would miss it, and interactions on what it holds would go unmasked.
    let content = if is_page_content(&event) {
        Some(serde_json::from_str::<raw::Event<'a>>(text).map_err(|e| json_error(file, &e, 0))?)
    } else {
        None
    };
    Ok((event, print, content))
}

/// An event and its page content from a parsed value (packed or compressed events, the less
/// common layouts): the content's strings are copied out of the value.
fn from_value<'a>(file: &str, value: Value) -> Result<(Event, Option<raw::Event<'a>>)> {
    let event = Event::deserialize(&value).unwrap_or_default();
    if !is_page_content(&event) {
        return Ok((event, None));
    }
    let content = raw::Event::deserialize(value).map_err(|e| {
        Error::Format(format!(
            "{file}: a page snapshot or change is unreadable: {e}"
        ))
    })?;
    Ok((event, Some(content)))
}

type Decoded<'a> = (Vec<Event>, Vec<u64>, Vec<(usize, raw::Event<'a>)>);

fn decode_all<'a>(
    file: &str,
    raws: &[&'a RawValue],
    budget: &mut decode::RecordingBudget,
) -> Result<Decoded<'a>> {
    let mut events = Vec::with_capacity(raws.len());
    let mut prints = Vec::with_capacity(raws.len());
    let mut content = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        if !raw.get().starts_with(['{', '"']) {
            return Err(Error::Format(format!(
                "{file}: event {} is not a JSON object",
                i + 1
            )));
        }
        let (event, print, raw_content) = decode_one(file, raw, budget)?;
        if let Some(c) = raw_content {
            content.push((events.len(), c));
        }
        events.push(event);
        prints.push(print);
    }
    Ok((events, prints, content))
}

/// Finds the recordings in `text`. Syntax is checked for the whole file first, so a broken
/// file yields an error before anything of it is stored.
pub fn split<'a>(file: &str, text: &'a str) -> Result<Vec<Pending<'a>>> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::Format(format!("{file}: the file is empty")));
    }
    if trimmed.starts_with('[') {
        let raws: Vec<&RawValue> =
            serde_json::from_str(trimmed).map_err(|e| json_error(file, &e, 0))?;
        check_objects(file, &raws)?;
        return Ok(by_window(file, raws));
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => Ok(from_object(file, value)?
            .into_iter()
            .map(Pending::from)
            .collect()),
        Err(e)
            if trimmed.starts_with('{')
                && e.classify() == serde_json::error::Category::Syntax
                && e.line() > 1 =>
        {
            json_lines(file, trimmed)
        }
        Err(e) => Err(json_error(file, &e, 0)),
    }
}

/// Splits and decodes every recording at once (for callers that want them all).
pub fn split_all<'a>(file: &str, bytes: &'a [u8]) -> Result<Vec<Recording<'a>>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::Format(format!("{file}: not UTF-8 text (byte {})", e.valid_up_to())))?;
    split(file, text)?
        .into_iter()
        .map(|p| p.decode(file))
        .collect()
}

impl<'a> From<Recording<'a>> for Pending<'a> {
    fn from(r: Recording<'a>) -> Self {
        Pending {
            label: r.label.clone(),
            source_id: r.source_id.clone(),
            raws: Vec::new(),
            decoded: Some(r),
            budget: decode::Budget::for_file(),
        }
    }
}

fn check_objects(file: &str, raws: &[&RawValue]) -> Result<()> {
    match raws
        .iter()
        .position(|raw| !raw.get().starts_with(['{', '"']))
    {
        Some(i) => Err(Error::Format(format!(
            "{file}: event {} is not a JSON object",
            i + 1
        ))),
        None => Ok(()),
    }
}

/// Events from already parsed values (the less common object layouts).
fn from_values(
    file: &str,
    label: String,
    source_id: String,
    values: Vec<Value>,
    budget: &decode::Budget,
) -> Result<Recording<'static>> {
    let values = decode::unpack_all(file, values, &mut budget.recording())?;
    let mut prints = Vec::with_capacity(values.len());
    let mut events = Vec::with_capacity(values.len());
    let mut content = Vec::new();
    let mut text_bytes = 0;
    for v in values {
        let text = v.to_string();
        text_bytes += text.len();
        prints.push(fingerprint(&text));
        let (event, page) = from_value(file, v)?;
        if let Some(page) = page {
            content.push((events.len(), page));
        }
        events.push(event);
    }
    Ok(Recording {
        label,
        source_id,
        events,
        fingerprints: prints,
        content,
        text_bytes,
    })
}

fn from_object(file: &str, value: Value) -> Result<Vec<Recording<'static>>> {
    // One budget for the whole file, shared by its recordings.
    let budget = decode::Budget::for_file();
    let Value::Object(mut map) = value else {
        return Err(Error::Format(format!(
            "{file}: expected a JSON array of rrweb events"
        )));
    };
    if let Some(Value::Object(windows)) = map.remove("snapshot_data_by_window_id") {
        return windows
            .into_iter()
            .map(|(window, events)| match events {
                Value::Array(values) => {
                    from_values(file, format!("{file}#{window}"), window, values, &budget)
                }
                _ => Err(Error::Format(format!(
                    "{file}: window {window} has no event array"
                ))),
            })
            .collect();
    }
    if let (Some(Value::String(window)), Some(data)) =
        (map.get("window_id").cloned(), map.remove("data"))
    {
        let Value::Array(values) = data else {
            return Err(Error::Format(format!(
                "{file}: window {window} has no event array"
            )));
        };
        return Ok(vec![from_values(
            file,
            format!("{file}#{window}"),
            window,
            values,
            &budget,
        )?]);
    }
    if !map.is_empty() && map.values().all(Value::is_array) {
        return map
            .into_iter()
            .map(|(name, events)| {
                let values = match events {
                    Value::Array(v) => v,
                    _ => Vec::new(),
                };
                from_values(file, format!("{file}#{name}"), name, values, &budget)
            })
            .collect();
    }
    Err(Error::Format(format!(
        "{file}: a JSON object, but not a recording this importer knows (expected an array of rrweb events, or PostHog's window_id/data)"
    )))
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    window_id: Option<Value>,
    #[serde(borrow, default)]
    data: Option<Vec<&'a RawValue>>,
}

/// PostHog's export: one `{"window_id", "data"}` object per line; lines of the same window join.
fn json_lines<'a>(file: &str, text: &'a str) -> Result<Vec<Pending<'a>>> {
    // One budget for the whole file, shared by its recordings.
    let budget = decode::Budget::for_file();
    let mut windows: BTreeMap<String, Vec<&'a RawValue>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line<'a> = serde_json::from_str(line).map_err(|e| json_error(file, &e, i))?;
        match (parsed.window_id, parsed.data) {
            (Some(window), Some(raws)) => {
                check_objects(file, &raws)?;
                let key = window
                    .as_str()
                    .map_or_else(|| window.to_string(), str::to_owned);
                windows.entry(key).or_default().extend(raws);
            }
            _ => {
                // A plain event per line.
                let raw: &'a RawValue =
                    serde_json::from_str(line).map_err(|e| json_error(file, &e, i))?;
                check_objects(file, &[raw])?;
                windows.entry(String::new()).or_default().push(raw);
            }
        }
    }
    Ok(windows
        .into_iter()
        .map(|(window, raws)| Pending {
            label: if window.is_empty() {
                file.to_owned()
            } else {
                format!("{file}#{window}")
            },
            source_id: if window.is_empty() {
                file.to_owned()
            } else {
                window
            },
            raws,
            decoded: None,
            budget: budget.clone(),
        })
        .collect())
}

#[derive(Deserialize)]
struct WindowKey {
    #[serde(rename = "windowId", alias = "window_id", default)]
    window_id: Option<Value>,
    #[serde(rename = "sessionId", default)]
    session_id: Option<Value>,
}

/// Events carrying a `windowId` (or `sessionId`) are grouped by it; others form one recording.
fn by_window<'a>(file: &str, raws: Vec<&'a RawValue>) -> Vec<Pending<'a>> {
    // One budget for the whole file, shared by its recordings.
    let budget = decode::Budget::for_file();
    let mut groups: BTreeMap<String, Vec<&'a RawValue>> = BTreeMap::new();
    for raw in raws {
        let key = if raw.get().starts_with('{') {
            serde_json::from_str::<WindowKey>(raw.get())
                .ok()
                .and_then(|k| k.window_id.or(k.session_id))
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        } else {
            String::new()
        };
        groups.entry(key).or_default().push(raw);
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .map(|(key, raws)| Pending {
            label: if single || key.is_empty() {
                file.to_owned()
            } else {
                format!("{file}#{key}")
            },
            source_id: if key.is_empty() { file.to_owned() } else { key },
            raws,
            decoded: None,
            budget: budget.clone(),
        })
        .collect()
}
