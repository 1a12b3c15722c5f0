//! The native JSON Lines format (docs/FORMATS.md): a header line per session, then events
//! already in page coordinates. Masked and minimised exactly like rrweb input.

use serde_json::Value;

use crate::clock::{now_ms, parse_ms};
use crate::error::{Error, Result};
use crate::ingest::Purposes;
use crate::ingest::manifest::ManifestRow;
use crate::ingest::rrweb::Converted;
use crate::ingest::rrweb::mirror::MASKED_FIELD_TARGET;
use crate::privacy::identifiers;
use crate::privacy::masking::{Effects, Masking, RuleRef, Tallies, selector::elements_in};
use crate::session::{EventKind, MASKED_VALUE, SessionEvent};

/// Coordinates beyond this are garbage.
const MAX_COORD: f64 = 1.0e6;
/// Event times beyond this (about 115 days) are garbage.
const MAX_T: f64 = 1.0e10;

/// One native session: its header as a manifest row, its consent if the header gave one, and
/// its converted events.
#[derive(Debug, Clone)]
pub struct NativeSession {
    /// The pipeline's session id.
    pub source_id: String,
    /// Attributes from the header.
    pub header: ManifestRow,
    /// Consent from the header, if it had a `consent` object.
    pub consent: Option<Purposes>,
    /// The masked events.
    pub converted: Converted,
}

/// Whether `text` starts like a native file (its first line is a Sightline header).
pub fn is_native(text: &str) -> bool {
    /// Only the header key is looked at; everything else is skipped without being built,
    /// since the first line of an rrweb array file is the whole file.
    #[derive(serde::Deserialize)]
    struct Probe {
        sightline: Option<serde::de::IgnoredAny>,
    }
    text.lines()
        .next()
        .filter(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str::<Probe>(l).ok())
        .is_some_and(|p| p.sightline.is_some())
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn coord(v: &Value, key: &str) -> Option<f32> {
    v.get(key)
        .and_then(Value::as_f64)
        .filter(|n| n.abs() <= MAX_COORD)
        .map(|n| n as f32)
}

/// Parses every session of a native file.
pub fn parse(file: &str, text_in: &str, masking: &Masking) -> Result<Vec<NativeSession>> {
    let mut sessions: Vec<(NativeSession, Vec<(i64, SessionEvent)>)> = Vec::new();
    for (i, line) in text_in.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| {
            Error::Format(format!(
                "{file}: line {} is not valid JSON (column {})",
                i + 1,
                e.column()
            ))
        })?;
        if v.get("sightline").is_some() {
            sessions.push((header(file, i, &v, masking)?, Vec::new()));
            continue;
        }
        let Some((session, events)) = sessions.last_mut() else {
            return Err(Error::Format(format!(
                "{file}: line {} comes before any header line",
                i + 1
            )));
        };
        event(&v, &mut session.converted, events, masking);
    }
    if sessions.is_empty() {
        return Err(Error::Format(format!("{file}: no session header line")));
    }
    Ok(sessions
        .into_iter()
        .map(|(s, events)| finish(s, events))
        .collect())
}

fn header(file: &str, line: usize, v: &Value, masking: &Masking) -> Result<NativeSession> {
    if v.get("sightline").and_then(Value::as_i64) != Some(1) {
        return Err(Error::Format(format!(
            "{file}: line {} has an unsupported format version",
            line + 1
        )));
    }
    let source_id = text(v, "session")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::Format(format!(
                "{file}: the header on line {} has no session id",
                line + 1
            ))
        })?;
    let consent = v.get("consent").map(|c| Purposes {
        heatmaps: c.get("heatmaps").and_then(Value::as_bool).unwrap_or(false),
        recordings: c
            .get("recordings")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    });
    let row = ManifestRow {
        session: source_id.clone(),
        subject: text(v, "subject"),
        started_at: text(v, "started_at"),
        region: text(v, "region"),
        consent_heatmaps: consent.is_some_and(|c| c.heatmaps),
        consent_recordings: consent.is_some_and(|c| c.recordings),
        variant: text(v, "variant"),
        cohort: text(v, "cohort"),
    };
    let mut converted = Converted {
        started_at_ms: row
            .started_at
            .as_deref()
            .and_then(parse_ms)
            .unwrap_or_else(now_ms),
        ..Converted::default()
    };
    let mut first = Vec::new();
    if let Some(u) = text(v, "url") {
        event(
            &serde_json::json!({"t": 0, "kind": "navigation", "url": u}),
            &mut converted,
            &mut first,
            masking,
        );
    }
    if let Some(vp) = v.get("viewport") {
        // The initial viewport is context, like rrweb's Meta, not an interaction.
        let e = viewport_event(0, vp);
        converted.viewport_width = converted.viewport_width.max(e.width.unwrap_or(0));
        first.push((0, e));
    }
    // Header events are stored like event lines; keep them in the session's list.
    let mut session = NativeSession {
        source_id,
        header: row,
        consent,
        converted,
    };
    session.converted.events = first.into_iter().map(|(_, e)| e).collect();
    Ok(session)
}

fn event(v: &Value, c: &mut Converted, events: &mut Vec<(i64, SessionEvent)>, masking: &Masking) {
    c.counts.events_read += 1;
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let interaction = matches!(
        kind,
        "move" | "click" | "tap" | "scroll" | "input" | "viewport"
    );
    if interaction {
        c.counts.interactions_read += 1;
    }
    let t = v
        .get("t")
        .and_then(Value::as_f64)
        .filter(|t| t.abs() <= MAX_T)
        .map(|t| t as i64);
    // Interactions with absurd numbers are counted as invalid; anything else as not kept.
    let dropped = |c: &mut Converted| {
        if interaction {
            c.counts.invalid_dropped += 1;
        } else {
            c.counts.content_dropped += 1;
        }
    };
    let Some(t) = t else {
        dropped(c);
        return;
    };
    let mut e = SessionEvent::new(t, EventKind::Custom);
    let valid = match kind {
        "navigation" => {
            let tallies = &mut c.counts.by_rule;
            let pattern = masking
                .paths
                .page_pattern(&text(v, "url").unwrap_or_default(), |rule| {
                    tallies.entry(rule.describe()).or_default().urls_rewritten += 1;
                });
            if !c.pages.contains(&pattern) {
                c.pages.push(pattern.clone());
            }
            e.kind = EventKind::Navigation;
            e.url = Some(pattern);
            true
        }
        "viewport" => {
            e = viewport_event(t, v);
            c.viewport_width = c.viewport_width.max(e.width.unwrap_or(0));
            e.width.is_some() && e.height.is_some()
        }
        "move" | "click" | "tap" | "scroll" => {
            e.kind = match kind {
                "move" => EventKind::Move,
                "click" => EventKind::Click,
                "tap" => EventKind::Tap,
                _ => EventKind::Scroll,
            };
            e.x = coord(v, "x");
            e.y = coord(v, "y");
            e.x.is_some() && e.y.is_some()
        }
        "input" => {
            e.kind = EventKind::Input;
            c.counts.values_masked += 1;
            e.value = Some(MASKED_VALUE.into());
            true
        }
        "custom" | "error" => {
            e.kind = if kind == "error" {
                EventKind::Error
            } else {
                EventKind::Custom
            };
            let raw = text(v, "tag").unwrap_or_else(|| kind.to_owned());
            e.detail = Some(identifiers::label(masking.identifier_key(), &raw));
            true
        }
        _ => {
            c.counts.content_dropped += 1;
            return;
        }
    };
    if !valid {
        dropped(c);
        return;
    }
    // Only interactions name an element; a target on anything else is not kept.
    if let Some(target) = text(v, "target").filter(|_| interaction) {
        match element_target(&target, e.kind, masking, &mut c.counts.by_rule) {
            Ok(named) => e.target = named,
            Err(rule) => {
                c.counts.masked_dropped += 1;
                masking.tally(rule, &mut c.counts.by_rule).events_removed += 1;
                return;
            }
        }
    }
    if interaction {
        c.counts.interactions_kept += 1;
    }
    events.push((t, e));
}

/// How an interaction keeps its recorded `target` selector string, or the rule that removes
/// the event. Each element the string names counts as the event's element or an ancestor of
/// it; a string that cannot be read whole hides the name, and removes input (a rule might
/// have named the part that could not be read).
fn element_target(
    target: &str,
    kind: EventKind,
    masking: &Masking,
    tallies: &mut Tallies,
) -> std::result::Result<Option<String>, RuleRef> {
    let (elements, whole) = elements_in(target);
    let mut effects = Effects::default();
    for element in &elements {
        effects.inherit(&masking.effects(&element.view()));
    }
    let removing = match kind {
        EventKind::Input => effects
            .block
            .or(effects.ignore)
            .or((!whole).then_some(RuleRef::Unseen)),
        _ => effects.block,
    };
    if let Some(rule) = removing {
        return Err(rule);
    }
    if kind == EventKind::Input
        && let Some(rule) = effects.mask
    {
        masking.tally(rule, tallies).values_masked += 1;
    }
    if let Some(rule) = effects.ignore {
        masking.tally(rule, tallies).targets_hidden += 1;
        return Ok(Some(MASKED_FIELD_TARGET.to_owned()));
    }
    Ok(whole.then(|| {
        identifiers::scrub_selector(masking.identifier_key(), target)
            .chars()
            .take(200)
            .collect()
    }))
}

fn viewport_event(t: i64, v: &Value) -> SessionEvent {
    let size = |key: &str| {
        v.get(key)
            .and_then(Value::as_u64)
            .map(|n| n.min(100_000) as u32)
    };
    let mut e = SessionEvent::new(t, EventKind::Viewport);
    e.width = size("width");
    e.height = size("height");
    e
}

fn finish(mut session: NativeSession, lines: Vec<(i64, SessionEvent)>) -> NativeSession {
    let c = &mut session.converted;
    c.events.extend(lines.into_iter().map(|(_, e)| e));
    c.events.sort_by_key(|e| e.t_ms);
    let start = c.events.first().map_or(0, |e| e.t_ms.min(0));
    for e in &mut c.events {
        e.t_ms -= start;
    }
    c.duration_ms = c.events.last().map_or(0, |e| e.t_ms);
    crate::ingest::signals::mark(&mut c.events, &[]);
    c.counts.accidental_taps = c.events.iter().filter(|e| e.accidental).count() as u64;
    session
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"sightline": 1, "session": "s1", "subject": "u-1", "consent": {"heatmaps": true, "recordings": false}, "url": "https://a.test/c/42?x=ana@example.org", "viewport": {"width": 390, "height": 844}}
{"t": 100, "kind": "move", "x": 10, "y": 20}
{"t": 200, "kind": "tap", "x": 12, "y": 22, "target": "button#to-ana@example.org"}
{"t": 300, "kind": "input", "target": "input#q", "value": "secret text"}
{"t": 400, "kind": "wiggle"}
{"t": 500, "kind": "click", "x": 1e300, "y": 1}
{"sightline": 1, "session": "s2"}
{"t": 0, "kind": "scroll", "x": 0, "y": 500}
"#;

    #[test]
    fn native_sessions_parse_and_are_masked() -> Result<()> {
        assert!(is_native(SAMPLE));
        let masking = Masking::defaults([1; 32]);
        let sessions = parse("n.jsonl", SAMPLE, &masking)?;
        assert_eq!(sessions.len(), 2);
        let s = &sessions[0];
        assert_eq!(
            s.consent,
            Some(Purposes {
                heatmaps: true,
                recordings: false
            })
        );
        assert_eq!(s.converted.pages, ["https://a.test/c/:id"]);
        let text = serde_json::to_string(&s.converted.events).unwrap_or_default();
        assert!(
            !text.contains("ana@example.org") && !text.contains("secret text"),
            "{text}"
        );
        assert_eq!(s.converted.counts.interactions_read, 4);
        assert_eq!(s.converted.counts.interactions_kept, 3);
        assert_eq!(s.converted.counts.invalid_dropped, 1);
        assert_eq!(s.converted.counts.content_dropped, 1);
        assert_eq!(sessions[1].consent, None);
        assert!(parse("x", "{\"t\": 1}\n", &masking).is_err());
        Ok(())
    }
}
