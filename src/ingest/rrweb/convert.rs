//! Turning one raw rrweb recording into the masked session model. Every interaction (pointer
//! samples, clicks and taps, scrolls, viewport changes, inputs) becomes a [`SessionEvent`]; DOM
//! content (snapshots, mutations, styles, canvas, fonts) only updates the private mirror and is
//! never kept. Input values are always replaced by the mask, whatever the recorder did.

use std::collections::HashSet;

use serde_json::Value;

use crate::dom::raw;
use crate::ingest::counts::Counts;
use crate::ingest::rrweb::event::{Data, Event};
use crate::ingest::rrweb::mirror::Mirror;
use crate::ingest::rrweb::split::Recording;
use crate::privacy::identifiers;
use crate::privacy::masking::{Masking, RuleRef};
use crate::session::{EventKind, MASKED_VALUE, SessionEvent};

/// Coordinates beyond this are treated as garbage.
const MAX_COORD: f64 = 1.0e6;

/// A converted recording, before consent and storage.
#[derive(Debug, Clone, Default)]
pub struct Converted {
    /// Absolute start (ms since the Unix epoch), from the earliest event.
    pub started_at_ms: i64,
    /// From the first to the last kept event.
    pub duration_ms: i64,
    /// Kept events, sorted by time.
    pub events: Vec<SessionEvent>,
    /// Times (ms from start) at which the page changed on its own (DOM mutations), for
    /// dead-click detection. Not stored.
    pub mutation_times: Vec<i64>,
    /// The largest viewport width seen.
    pub viewport_width: u32,
    /// Page patterns visited, in order of first visit.
    pub pages: Vec<String>,
    /// What was read, kept and dropped.
    pub counts: Counts,
    /// The masked page replay, when the recording had a page snapshot.
    pub page: Option<crate::dom::DomTrack>,
}

struct State<'a> {
    masking: &'a Masking,
    mirror: Mirror,
    scroll: (f64, f64),
    page: Option<String>,
    out: Vec<(i64, SessionEvent)>,
    mutations: Vec<i64>,
    counts: Counts,
    viewport_width: u32,
    pages: Vec<String>,
}

fn valid(n: Option<f64>) -> Option<f64> {
    n.filter(|n| n.is_finite() && n.abs() <= MAX_COORD)
}

/// Snapshots, mutations and other DOM content: they feed the mirror and are never kept.
fn is_content(event: &Event) -> bool {
    match event.kind {
        Some(2) => true,
        Some(3) => !matches!(event.data.source, Some(1..=6 | 12)),
        _ => false,
    }
}

/// Converts the events of one recording.
pub fn convert(recording: &Recording<'_>, masking: &Masking) -> Converted {
    let mut state = State {
        masking,
        mirror: Mirror::default(),
        scroll: (0.0, 0.0),
        page: None,
        out: Vec::new(),
        mutations: Vec::new(),
        counts: Counts::default(),
        viewport_width: 0,
        pages: Vec::new(),
    };
    // Stable sort by timestamp; events without one keep the time of the one before.
    let mut last_ts = 0i64;
    let mut timed: Vec<(i64, usize)> = Vec::with_capacity(recording.events.len());
    let mut seen = HashSet::new();
    for (i, (event, print)) in recording
        .events
        .iter()
        .zip(&recording.fingerprints)
        .enumerate()
    {
        state.counts.events_read += 1;
        // Anything beyond ±10^13 ms (about the year 2286) is not a clock reading.
        let ts = event
            .timestamp
            .filter(|t| t.abs() <= 1.0e13)
            .map(|t| t as i64);
        let ts = ts.unwrap_or(last_ts);
        last_ts = ts;
        // Exact duplicates of kept events (a batch sent twice) are dropped once, and counted.
        if !is_content(event) && !seen.insert(*print) {
            state.counts.duplicates_dropped += 1;
            continue;
        }
        timed.push((ts, i));
    }
    timed.sort_by_key(|(ts, _)| *ts);
    let mut content: Vec<Option<&raw::Data<'_>>> = vec![None; recording.events.len()];
    for (i, page) in &recording.content {
        if let Some(slot) = content.get_mut(*i) {
            *slot = Some(&page.data);
        }
    }
    for (ts, i) in timed {
        state.event(ts, &recording.events[i], content[i]);
    }
    state.finish()
}

impl State<'_> {
    fn push(&mut self, abs_ms: i64, event: SessionEvent) {
        self.out.push((abs_ms, event));
    }

    fn push_interaction(&mut self, abs_ms: i64, event: SessionEvent) {
        self.counts.interactions_kept += 1;
        self.out.push((abs_ms, event));
    }

    /// `page` is the event's page content, for snapshots and mutations.
    fn event(&mut self, ts: i64, event: &Event, page: Option<&raw::Data<'_>>) {
        let data = &event.data;
        match event.kind {
            Some(2) => {
                self.mirror.clear();
                if let Some(node) = page.and_then(|p| p.node.as_ref()) {
                    self.mirror
                        .add_tree(node, 0, self.masking, &mut self.counts.by_rule);
                }
                if let Some(offset) = &data.initial_offset {
                    self.scroll = (
                        valid(offset.left).unwrap_or(0.0),
                        valid(offset.top).unwrap_or(0.0),
                    );
                }
                self.counts.content_dropped += 1;
            }
            Some(3) => self.incremental(ts, data, page),
            Some(4) => self.meta(ts, data),
            Some(5) => {
                let tag = data.tag.as_deref().unwrap_or("custom");
                let mut e = SessionEvent::new(0, EventKind::Custom);
                e.detail = Some(identifiers::label(self.masking.identifier_key(), tag));
                self.push(ts, e);
            }
            Some(6) => {
                let is_error = data
                    .plugin
                    .as_deref()
                    .is_some_and(|p| p.starts_with("rrweb/console"))
                    && data
                        .payload
                        .as_ref()
                        .and_then(|p| p.get("level"))
                        .and_then(Value::as_str)
                        == Some("error");
                if is_error {
                    let mut e = SessionEvent::new(0, EventKind::Error);
                    e.detail = Some("console error".into());
                    self.push(ts, e);
                } else {
                    self.counts.content_dropped += 1;
                }
            }
            _ => self.counts.content_dropped += 1,
        }
    }

    fn meta(&mut self, ts: i64, data: &Data) {
        if let Some(href) = &data.href {
            let tallies = &mut self.counts.by_rule;
            let pattern = self.masking.paths.page_pattern(href, |rule| {
                tallies.entry(rule.describe()).or_default().urls_rewritten += 1;
            });
            if self.page.as_deref() != Some(&pattern) {
                let mut e = SessionEvent::new(0, EventKind::Navigation);
                e.url = Some(pattern.clone());
                if !self.pages.contains(&pattern) {
                    self.pages.push(pattern.clone());
                }
                self.page = Some(pattern);
                self.scroll = (0.0, 0.0);
                self.push(ts, e);
            }
        }
        self.viewport(ts, data);
    }

    fn viewport(&mut self, ts: i64, data: &Data) -> bool {
        let (Some(w), Some(h)) = (valid(data.width), valid(data.height)) else {
            return false;
        };
        let mut e = SessionEvent::new(0, EventKind::Viewport);
        e.width = Some(w.max(0.0) as u32);
        e.height = Some(h.max(0.0) as u32);
        self.viewport_width = self.viewport_width.max(w.max(0.0) as u32);
        self.push(ts, e);
        true
    }

    fn incremental(&mut self, ts: i64, data: &Data, page: Option<&raw::Data<'_>>) {
        match data.source {
            Some(0) => self.mutation(ts, page),
            Some(1 | 6 | 12) => self.positions(ts, data),
            Some(2) => self.interaction(ts, data),
            Some(3) => self.scroll(ts, data),
            Some(4) => {
                self.counts.interactions_read += 1;
                if self.viewport(ts, data) {
                    self.counts.interactions_kept += 1;
                } else {
                    self.counts.invalid_dropped += 1;
                }
            }
            Some(5) => self.input(ts, data),
            _ => self.counts.content_dropped += 1,
        }
    }

    fn mutation(&mut self, ts: i64, data: Option<&raw::Data<'_>>) {
        self.counts.content_dropped += 1;
        self.mutations.push(ts);
        let Some(data) = data else { return };
        for id in data.removes.iter().filter_map(|r| r.id) {
            self.mirror.remove(id);
        }
        for add in &data.adds {
            if let (Some(parent), Some(node)) = (add.parent_id, &add.node) {
                self.mirror
                    .add_tree(node, parent, self.masking, &mut self.counts.by_rule);
            }
        }
        for change in &data.attributes {
            if let Some(id) = change.id {
                self.mirror.set_attributes(
                    id,
                    &change.attributes,
                    self.masking,
                    &mut self.counts.by_rule,
                );
            }
        }
    }

    fn positions(&mut self, ts: i64, data: &Data) {
        let Some(positions) = &data.positions else {
            // A pointer event without samples: one unreadable interaction.
            self.counts.interactions_read += 1;
            self.counts.invalid_dropped += 1;
            return;
        };
        for p in positions {
            self.counts.interactions_read += 1;
            let (Some(x), Some(y)) = (valid(p.x), valid(p.y)) else {
                self.counts.invalid_dropped += 1;
                continue;
            };
            let cover = p.id.and_then(|id| self.mirror.cover(id));
            if let Some(rule) = cover.and_then(|c| c.effects.block) {
                self.removed(rule);
                continue;
            }
            let offset = p.time_offset.filter(|o| o.is_finite()).unwrap_or(0.0);
            let offset = offset.clamp(-3_600_000.0, 3_600_000.0) as i64;
            let mut e = SessionEvent::new(0, EventKind::Move);
            e.x = Some((x + self.scroll.0) as f32);
            e.y = Some((y + self.scroll.1) as f32);
            self.push_interaction(ts.saturating_add(offset), e);
        }
    }

    fn interaction(&mut self, ts: i64, data: &Data) {
        self.counts.interactions_read += 1;
        let kind = data.kind.unwrap_or(-1);
        let touch = data.pointer_type == Some(2);
        let name = match kind {
            0 => "mouseup",
            1 => "mousedown",
            2 => "click",
            3 => "contextmenu",
            4 => "dblclick",
            5 => "focus",
            6 => "blur",
            7 => "touchstart",
            9 => "touchend",
            10 => "touchcancel",
            _ => "pointer",
        };
        let mut e = SessionEvent::new(
            0,
            match (kind, touch) {
                (2, true) => EventKind::Tap,
                (2, false) => EventKind::Click,
                _ => EventKind::Pointer,
            },
        );
        if e.kind == EventKind::Pointer {
            e.detail = Some(name.into());
        }
        if let (Some(x), Some(y)) = (valid(data.x), valid(data.y)) {
            e.x = Some((x + self.scroll.0) as f32);
            e.y = Some((y + self.scroll.1) as f32);
        }
        if let Some((id, cover)) = data.id.and_then(|id| Some((id, self.mirror.cover(id)?))) {
            if let Some(rule) = cover.effects.block {
                self.removed(rule);
                return;
            }
            if let Some(rule) = cover.effects.ignore {
                self.masking
                    .tally(rule, &mut self.counts.by_rule)
                    .targets_hidden += 1;
            }
            // With an ancestor unseen, a rule may cover the element: its name is not kept.
            if cover.complete {
                e.target = Some(self.mirror.target(id, &cover, self.masking));
            }
        }
        self.push_interaction(ts, e);
    }

    fn scroll(&mut self, ts: i64, data: &Data) {
        self.counts.interactions_read += 1;
        let (Some(x), Some(y)) = (valid(data.x), valid(data.y)) else {
            self.counts.invalid_dropped += 1;
            return;
        };
        let cover = data.id.and_then(|id| self.mirror.cover(id));
        if let Some(rule) = cover.and_then(|c| c.effects.block) {
            self.removed(rule);
            return;
        }
        // Scrolls on the document move the page; on the top page its id is 1 even when the
        // snapshot is missing.
        let is_document = match cover {
            Some(c) => c.is_document,
            None => data.id == Some(1),
        };
        let mut e = SessionEvent::new(
            0,
            if is_document {
                EventKind::Scroll
            } else {
                EventKind::ElementScroll
            },
        );
        e.x = Some(x as f32);
        e.y = Some(y as f32);
        if is_document {
            self.scroll = (x, y);
        } else if let (Some(id), Some(c)) = (data.id, cover.filter(|c| c.complete)) {
            e.target = Some(self.mirror.target(id, &c, self.masking));
        }
        self.push_interaction(ts, e);
    }

    fn input(&mut self, ts: i64, data: &Data) {
        self.counts.interactions_read += 1;
        let seen = data
            .id
            .and_then(|id| Some((id, self.mirror.cover(id)?)))
            .filter(|(_, c)| c.complete);
        // Input on an element the recording never showed could be a password field: without
        // its rules, nothing of it is kept.
        let Some((id, cover)) = seen else {
            self.removed(RuleRef::Unseen);
            return;
        };
        if let Some(rule) = cover.effects.block.or(cover.effects.ignore) {
            self.removed(rule);
            return;
        }
        if let Some(rule) = cover.effects.mask {
            self.masking
                .tally(rule, &mut self.counts.by_rule)
                .values_masked += 1;
        }
        let mut e = SessionEvent::new(0, EventKind::Input);
        e.target = Some(self.mirror.target(id, &cover, self.masking));
        e.value = Some(MASKED_VALUE.into());
        self.counts.values_masked += 1;
        self.push_interaction(ts, e);
    }

    /// An interaction a masking rule removes: counted for the report, never kept.
    fn removed(&mut self, rule: RuleRef) {
        self.counts.masked_dropped += 1;
        self.masking
            .tally(rule, &mut self.counts.by_rule)
            .events_removed += 1;
    }

    fn finish(mut self) -> Converted {
        self.out.sort_by_key(|(t, _)| *t);
        let start = self.out.first().map_or(0, |(t, _)| *t);
        let end = self.out.last().map_or(start, |(t, _)| *t);
        let mut events: Vec<SessionEvent> = self
            .out
            .into_iter()
            .map(|(t, mut e)| {
                e.t_ms = t.saturating_sub(start);
                e
            })
            .collect();
        let mutation_times: Vec<i64> = self
            .mutations
            .iter()
            .map(|t| t.saturating_sub(start))
            .collect();
        crate::ingest::signals::mark(&mut events, &mutation_times);
        self.counts.accidental_taps = events.iter().filter(|e| e.accidental).count() as u64;
        Converted {
            started_at_ms: start,
            duration_ms: end.saturating_sub(start),
            events,
            mutation_times,
            viewport_width: self.viewport_width,
            pages: self.pages,
            counts: self.counts,
            page: None,
        }
    }
}
