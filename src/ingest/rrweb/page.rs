//! A recording's page replay: its content events (snapshots, mutations, inputs, element
//! scrolls) fed in time order to [`DomCapture`], which masks as it builds. Runs on the
//! preparing thread of an import, after [`super::convert`], from the same decoded content.

use crate::dom::DomTrack;
use crate::dom::capture::{DomCapture, TextPolicy};
use crate::dom::raw;
use crate::ingest::rrweb::split::Recording;
use crate::privacy::masking::Masking;

/// The masked page track of `recording`, times from `start_ms` (the converted session's
/// start); `None` when it holds no full snapshot.
pub fn capture(
    recording: &Recording<'_>,
    masking: &Masking,
    start_ms: i64,
    policy: TextPolicy,
) -> Option<DomTrack> {
    if recording.content.is_empty() {
        return None;
    }
    // Same clock as the conversion: events without a usable time take the one before.
    let mut last_ts = 0i64;
    let mut times = Vec::with_capacity(recording.events.len());
    for event in &recording.events {
        let ts = event
            .timestamp
            .filter(|t| t.abs() <= 1.0e13)
            .map_or(last_ts, |t| t as i64);
        last_ts = ts;
        times.push(ts);
    }
    let mut order: Vec<usize> = (0..recording.events.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let mut by_index: Vec<Option<&raw::Event<'_>>> = vec![None; recording.events.len()];
    for (i, content) in &recording.content {
        if let Some(slot) = by_index.get_mut(*i) {
            *slot = Some(content);
        }
    }
    let mut dom = DomCapture::new(masking, policy);
    for i in order {
        let event = &recording.events[i];
        let t = times[i];
        let (event_kind, source) = (event.kind, event.data.source);
        match (event_kind, source) {
            (Some(3), Some(3)) => {
                if let (Some(id), Some(x), Some(y)) = (event.data.id, event.data.x, event.data.y) {
                    dom.scroll(t, id, x, y);
                }
            }
            _ => {
                let Some(content) = by_index[i] else { continue };
                let data = &content.data;
                match (event_kind, source) {
                    (Some(2), _) => {
                        if let Some(node) = &data.node {
                            dom.snapshot(t, node);
                        }
                    }
                    (Some(3), Some(0)) => dom.mutation(t, data),
                    (Some(3), Some(5)) => dom.input(t, data),
                    _ => {}
                }
            }
        }
    }
    let track = dom.finish(start_ms);
    track.has_page().then_some(track)
}
