//! Finding the recordings in a file: a JSON array of events (optionally tagged with `windowId`),
//! PostHog's JSON Lines of `{"window_id", "data": [...]}`, PostHog's older
//! `{"snapshot_data_by_window_id": {...}}`, or an object of named event arrays. Events are
//! decoded straight into typed [`Event`]s from borrowed slices of the file; only packed and
//! PostHog-compressed events take the slower detour through `serde_json::Value`.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::ingest::rrweb::decode;
use crate::ingest::rrweb::event::Event;

/// The events of one recording (one browser window).
#[derive(Debug, Default)]
pub struct Recording {
    /// Where it came from: `file`, `file#window`, or `file#name`.
    pub label: String,
    /// The identifier a manifest refers to: a window id, a session id, a name, or the file name.
    pub source_id: String,
    /// Decoded events, in file order.
    pub events: Vec<Event>,
    /// A hash of each event's JSON text, to recognise exact duplicates.
    pub fingerprints: Vec<u64>,
}

fn fingerprint(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
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
fn decode_one(file: &str, raw: &RawValue) -> Result<(Event, u64)> {
    let text = raw.get();
    let print = fingerprint(text);
    if text.starts_with('"') || text.contains("\"cv\"") {
        let value: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e, 0))?;
        let mut unpacked = decode::unpack_all(file, vec![value])?;
        let value = unpacked.pop().unwrap_or(Value::Null);
        let event = Event::deserialize(value).unwrap_or_default();
        return Ok((event, print));
    }
    let event = serde_json::from_str::<Event>(text).map_err(|e| json_error(file, &e, 0))?;
    Ok((event, print))
}

fn decode_all(file: &str, raws: &[&RawValue]) -> Result<(Vec<Event>, Vec<u64>)> {
    let mut events = Vec::with_capacity(raws.len());
    let mut prints = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        if !raw.get().starts_with(['{', '"']) {
            return Err(Error::Format(format!(
                "{file}: event {} is not a JSON object",
                i + 1
            )));
        }
        let (event, print) = decode_one(file, raw)?;
        events.push(event);
        prints.push(print);
    }
    Ok((events, prints))
}

/// Splits the bytes of `file` into recordings.
pub fn split(file: &str, bytes: &[u8]) -> Result<Vec<Recording>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::Format(format!("{file}: not UTF-8 text (byte {})", e.valid_up_to())))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::Format(format!("{file}: the file is empty")));
    }
    if trimmed.starts_with('[') {
        let raws: Vec<&RawValue> =
            serde_json::from_str(trimmed).map_err(|e| json_error(file, &e, 0))?;
        let (events, prints) = decode_all(file, &raws)?;
        return Ok(by_window(file, events, prints));
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => from_object(file, value),
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

/// Events from already parsed values (the less common object layouts).
fn from_values(
    file: &str,
    label: String,
    source_id: String,
    values: Vec<Value>,
) -> Result<Recording> {
    let values = decode::unpack_all(file, values)?;
    let prints = values.iter().map(|v| fingerprint(&v.to_string())).collect();
    let events = values
        .into_iter()
        .map(|v| Event::deserialize(v).unwrap_or_default())
        .collect();
    Ok(Recording {
        label,
        source_id,
        events,
        fingerprints: prints,
    })
}

fn from_object(file: &str, value: Value) -> Result<Vec<Recording>> {
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
                    from_values(file, format!("{file}#{window}"), window, values)
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
                from_values(file, format!("{file}#{name}"), name, values)
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
fn json_lines(file: &str, text: &str) -> Result<Vec<Recording>> {
    let mut windows: BTreeMap<String, (Vec<Event>, Vec<u64>)> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line<'_> = serde_json::from_str(line).map_err(|e| json_error(file, &e, i))?;
        match (parsed.window_id, parsed.data) {
            (Some(window), Some(raws)) => {
                let key = window
                    .as_str()
                    .map_or_else(|| window.to_string(), str::to_owned);
                let (events, prints) = decode_all(file, &raws)?;
                let slot = windows.entry(key).or_default();
                slot.0.extend(events);
                slot.1.extend(prints);
            }
            _ => {
                // A plain event per line.
                let raw: &RawValue =
                    serde_json::from_str(line).map_err(|e| json_error(file, &e, i))?;
                let (event, print) = decode_one(file, raw)?;
                let slot = windows.entry(String::new()).or_default();
                slot.0.push(event);
                slot.1.push(print);
            }
        }
    }
    Ok(windows
        .into_iter()
        .map(|(window, (events, fingerprints))| Recording {
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
            events,
            fingerprints,
        })
        .collect())
}

/// Events carrying a `windowId` (or `sessionId`) are grouped by it; others form one recording.
fn by_window(file: &str, events: Vec<Event>, prints: Vec<u64>) -> Vec<Recording> {
    let mut groups: BTreeMap<String, Recording> = BTreeMap::new();
    for (event, print) in events.into_iter().zip(prints) {
        let key = event
            .window_id
            .clone()
            .or_else(|| event.session_id.clone())
            .unwrap_or_default();
        let group = groups.entry(key).or_default();
        group.events.push(event);
        group.fingerprints.push(print);
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .map(|(key, mut r)| {
            r.label = if single || key.is_empty() {
                file.to_owned()
            } else {
                format!("{file}#{key}")
            };
            r.source_id = if key.is_empty() { file.to_owned() } else { key };
            r
        })
        .collect()
}
