//! Measurements of the page replay for `sightline bench page`: seeking with a render (a fresh
//! layout each time, the worst case) and playback (30 frames a second of session time, layout
//! reused while only scrolls change) over the sample sessions, and the memory a two-hour
//! session's page replay holds.

use std::time::Instant;

use crate::dom::capture::TextPolicy;
use crate::dom::seek::DomReplay;
use crate::dom::{DomChange, DomNode, DomOp, DomTrack};
use crate::error::{Error, Result};
use crate::ingest::rrweb::{self, page};
use crate::privacy::masking::Masking;
use crate::render::worker::{FrameRequest, draw};
use crate::replay::Replay;
use crate::sample::assets;
use crate::sample::rng::Rng;

/// Seek and playback timings.
#[derive(Debug, Clone, Default)]
pub struct PageTimings {
    /// Every seek, sorted (ms).
    pub seeks_ms: Vec<f64>,
    /// Frames drawn during playback.
    pub frames: usize,
    /// Their total time (ms).
    pub playback_ms: f64,
}

impl PageTimings {
    /// The `q` quantile of the seeks.
    pub fn seek_quantile(&self, q: f64) -> f64 {
        let i =
            ((self.seeks_ms.len() as f64 * q) as usize).min(self.seeks_ms.len().saturating_sub(1));
        self.seeks_ms.get(i).copied().unwrap_or(f64::NAN)
    }

    /// Frames per second of playback.
    pub fn fps(&self) -> f64 {
        self.frames as f64 / (self.playback_ms / 1000.0).max(1e-9)
    }
}

/// The sample sessions that have a page, masked as an import keeps them, with their events.
fn sample_sessions() -> Result<Vec<(Replay, DomReplay)>> {
    let masking = Masking::defaults([0; 32]);
    let mut out = Vec::new();
    for (name, text) in assets::RECORDINGS {
        for recording in rrweb::split_all(name, text.as_bytes())? {
            let converted = rrweb::convert(&recording, &masking);
            if let Some(track) = page::capture(
                &recording,
                &masking,
                converted.started_at_ms,
                TextPolicy::Mask,
            ) {
                out.push((Replay::new(converted.events), DomReplay::new(track)));
            }
        }
    }
    Ok(out)
}

fn request(events: &Replay, t_ms: i64) -> FrameRequest {
    let state = events.state_at(t_ms);
    let (width, height) = state.viewport.unwrap_or((1440, 900));
    FrameRequest {
        t_ms,
        width,
        height,
        scroll_x: state.scroll.0,
        scroll_y: state.scroll.1,
    }
}

/// `seeks` random seeks per sample session, each drawn from scratch, then each session played
/// at 30 frames per second of session time.
pub fn timings(seeks: usize) -> Result<PageTimings> {
    let mut out = PageTimings::default();
    let mut rng = Rng::new(7);
    let fail = |e: String| Error::Format(e);
    for (events, page) in sample_sessions()? {
        let duration = events.duration_ms().max(1);
        for _ in 0..seeks {
            let t = (rng.unit() * duration as f64) as i64;
            let req = request(&events, t);
            let start = Instant::now();
            let mut doc = None;
            // Before the first page there is nothing to draw: not a seek that renders.
            if matches!(draw(&page, &mut doc, &req), Ok(Some(_))) {
                out.seeks_ms.push(start.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let mut doc = None;
        let start = Instant::now();
        let mut t = 0;
        while t <= duration {
            if matches!(draw(&page, &mut doc, &request(&events, t)), Ok(Some(_))) {
                out.frames += 1;
            }
            t += 33;
        }
        out.playback_ms += start.elapsed().as_secs_f64() * 1000.0;
        if out.frames == 0 {
            return Err(fail("no frame could be drawn".into()));
        }
    }
    out.seeks_ms.sort_by(f64::total_cmp);
    Ok(out)
}

/// A page track of `hours` hours: the sample conversation loaded every five minutes, and
/// every second a toast added, an earlier one removed, a class changed and a list scrolled.
pub fn long_track(hours: f64) -> Result<DomTrack> {
    let masking = Masking::defaults([0; 32]);
    let (name, text) = assets::RECORDINGS[0];
    let recording = rrweb::split_all(name, text.as_bytes())?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Format("no sample recording".into()))?;
    let track = page::capture(&recording, &masking, 0, TextPolicy::Mask)
        .ok_or_else(|| Error::Format("the sample has no page".into()))?;
    let snapshot = track
        .changes
        .iter()
        .find(|c| matches!(c.op, DomOp::Snapshot { .. }))
        .map(|c| c.op.clone())
        .ok_or_else(|| Error::Format("the sample has no page".into()))?;
    let DomOp::Snapshot { root } = &snapshot else {
        return Err(Error::Format("the sample has no page".into()));
    };
    let body = find(root, "body").ok_or_else(|| Error::Format("no body".into()))?;
    let seconds = (hours * 3600.0) as i64;
    let mut changes = Vec::with_capacity(seconds as usize * 4);
    for s in 0..seconds {
        let t = s * 1000;
        if s % 300 == 0 {
            changes.push(DomChange {
                t,
                op: snapshot.clone(),
            });
        }
        let id = 10_000_000 + s;
        changes.push(DomChange {
            t,
            op: DomOp::Add {
                parent: body,
                next: None,
                node: DomNode::Element {
                    id,
                    t: "div".into(),
                    a: vec![("class".into(), "toast".into())],
                    c: vec![DomNode::Text {
                        id: -id,
                        s: "●•••••• ••••: ○○ •••••••• ••••".into(),
                    }],
                },
            },
        });
        if s % 300 >= 5 {
            changes.push(DomChange {
                t,
                op: DomOp::Remove { id: id - 5 },
            });
        }
        changes.push(DomChange {
            t,
            op: DomOp::Attr {
                id: body,
                name: "class".into(),
                value: Some(if s % 2 == 0 { "busy" } else { "idle" }.into()),
            },
        });
        changes.push(DomChange {
            t: t + 500,
            op: DomOp::Scroll {
                id: body,
                x: 0.0,
                y: (s % 40) as f32 * 10.0,
            },
        });
    }
    Ok(DomTrack { changes })
}

fn find(node: &DomNode, tag: &str) -> Option<i64> {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if let DomNode::Element { id, t, c, .. } = n {
            if t == tag {
                return Some(*id);
            }
            stack.extend(c.iter());
        }
    }
    None
}
