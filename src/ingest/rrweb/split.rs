//! Finding the recordings in a file: a JSON array of events (optionally tagged with `windowId`),
//! PostHog's JSON Lines of `{"window_id", "data": [...]}`, PostHog's older
//! `{"snapshot_data_by_window_id": {...}}`, or an object of named event arrays.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::ingest::rrweb::decode;

/// The events of one recording (one browser window), still raw.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Where it came from: `file`, `file#window`, or `file#name`.
    pub label: String,
    /// The identifier a manifest refers to: a window id, a session id, a name, or the file name.
    pub source_id: String,
    /// Raw rrweb events, unpacked and decompressed.
    pub events: Vec<Value>,
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

/// Splits the bytes of `file` into recordings.
pub fn split(file: &str, bytes: &[u8]) -> Result<Vec<Recording>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::Format(format!("{file}: not UTF-8 text (byte {})", e.valid_up_to())))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::Format(format!("{file}: the file is empty")));
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => from_value(file, value),
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

fn from_value(file: &str, value: Value) -> Result<Vec<Recording>> {
    match value {
        Value::Array(events) => Ok(by_window(file, decode::unpack_all(file, events)?)),
        Value::Object(mut map) => {
            if let Some(Value::Object(windows)) = map.remove("snapshot_data_by_window_id") {
                return windows
                    .into_iter()
                    .map(|(window, events)| window_recording(file, &window, events))
                    .collect();
            }
            if let (Some(Value::String(window)), Some(data)) =
                (map.get("window_id").cloned(), map.remove("data"))
            {
                return Ok(vec![window_recording(file, &window, data)?]);
            }
            if !map.is_empty() && map.values().all(Value::is_array) {
                return map
                    .into_iter()
                    .map(|(name, events)| {
                        let Value::Array(events) = events else {
                            unreachable_array()
                        };
                        Ok(Recording {
                            label: format!("{file}#{name}"),
                            source_id: name,
                            events: decode::unpack_all(file, events)?,
                        })
                    })
                    .collect();
            }
            Err(Error::Format(format!(
                "{file}: a JSON object, but not a recording this importer knows (expected an array of rrweb events, or PostHog's window_id/data)"
            )))
        }
        _ => Err(Error::Format(format!(
            "{file}: expected a JSON array of rrweb events"
        ))),
    }
}

// Only reached after `all(Value::is_array)`.
fn unreachable_array() -> ! {
    unreachable!("checked to be an array")
}

fn window_recording(file: &str, window: &str, data: Value) -> Result<Recording> {
    let Value::Array(events) = data else {
        return Err(Error::Format(format!(
            "{file}: window {window} has no event array"
        )));
    };
    Ok(Recording {
        label: format!("{file}#{window}"),
        source_id: window.to_owned(),
        events: decode::unpack_all(file, events)?,
    })
}

/// PostHog's export: one `{"window_id", "data"}` object per line; lines of the same window join.
fn json_lines(file: &str, text: &str) -> Result<Vec<Recording>> {
    let mut windows: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| json_error(file, &e, i))?;
        let Value::Object(mut map) = value else {
            return Err(Error::Format(format!(
                "{file}: line {} is not a JSON object",
                i + 1
            )));
        };
        match (map.remove("window_id"), map.remove("data")) {
            (Some(window), Some(Value::Array(events))) => {
                let window = window
                    .as_str()
                    .map_or_else(|| window.to_string(), str::to_owned);
                windows.entry(window).or_default().extend(events);
            }
            _ => {
                // A plain event per line.
                windows
                    .entry(String::new())
                    .or_default()
                    .push(Value::Object(map));
            }
        }
    }
    windows
        .into_iter()
        .map(|(window, events)| {
            Ok(Recording {
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
                events: decode::unpack_all(file, events)?,
            })
        })
        .collect()
}

/// Events carrying a `windowId` (or `sessionId`) are grouped by it; others form one recording.
fn by_window(file: &str, events: Vec<Value>) -> Vec<Recording> {
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in events {
        let key = ["windowId", "window_id", "sessionId"]
            .iter()
            .find_map(|k| event.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_owned();
        groups.entry(key).or_default().push(event);
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .map(|(key, events)| Recording {
            label: if single || key.is_empty() {
                file.to_owned()
            } else {
                format!("{file}#{key}")
            },
            source_id: if key.is_empty() { file.to_owned() } else { key },
            events,
        })
        .collect()
}
