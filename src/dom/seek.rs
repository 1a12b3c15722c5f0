//! Seeking in a page replay: the live tree at any moment is the nearest checkpoint plus the
//! changes after it. Checkpoints are taken at every new page and every [`CHECKPOINT_EVERY`]
//! changes, so a seek applies at most that many.

use std::collections::{HashMap, HashSet};

use crate::dom::live::{ElementScroll, LiveDom};
use crate::dom::{DomOp, DomTrack};

/// Changes between checkpoints.
pub const CHECKPOINT_EVERY: usize = 128;

/// A track ready to seek.
#[derive(Debug, Clone)]
pub struct DomReplay {
    track: DomTrack,
    /// Elements that scroll at some time of the session.
    scrolled: HashSet<i64>,
    /// `(i, dom)`: `dom` is the tree after the first `i` changes.
    checkpoints: Vec<(usize, LiveDom)>,
}

/// The page at a moment.
#[derive(Debug, Clone)]
pub struct PageAt {
    /// Which layout this is: equal values have equal HTML (scrolls aside).
    pub layout_version: usize,
    /// The tree.
    pub dom: LiveDom,
}

impl DomReplay {
    /// Builds the checkpoints.
    pub fn new(track: DomTrack) -> DomReplay {
        let mut checkpoints = vec![(0, LiveDom::default())];
        let mut dom = LiveDom::default();
        let mut since = 0;
        for (i, c) in track.changes.iter().enumerate() {
            dom.apply(&c.op);
            since += 1;
            let next_is_page = track
                .changes
                .get(i + 1)
                .is_some_and(|n| matches!(n.op, DomOp::Snapshot { .. }));
            // A big page is copied less often: the copies cost at most 1/16 node per change.
            let every = CHECKPOINT_EVERY.max(dom.len() / 16);
            if since >= every || (matches!(c.op, DomOp::Snapshot { .. }) && !next_is_page) {
                checkpoints.push((i + 1, dom.clone()));
                since = 0;
            }
        }
        let scrolled = track
            .changes
            .iter()
            .filter_map(|c| match c.op {
                DomOp::Scroll { id, .. } => Some(id),
                _ => None,
            })
            .collect();
        DomReplay {
            track,
            scrolled,
            checkpoints,
        }
    }

    /// The track.
    pub fn track(&self) -> &DomTrack {
        &self.track
    }

    /// Elements that scroll at some time of the session.
    pub fn scrolled(&self) -> &HashSet<i64> {
        &self.scrolled
    }

    /// The offset of every element that scrolls in the session after `applied` changes: its
    /// last scroll since the page loaded, 0 before one (so a reused layout is set back as well
    /// as forward). Read from the track, without rebuilding the tree.
    pub fn scrolls_at(&self, applied: usize) -> Vec<ElementScroll> {
        let mut last: HashMap<i64, (f32, f32)> = HashMap::new();
        for c in self.track.changes[..applied.min(self.track.changes.len())]
            .iter()
            .rev()
        {
            match c.op {
                DomOp::Snapshot { .. } => break,
                DomOp::Scroll { id, x, y } => {
                    last.entry(id).or_insert((x, y));
                }
                _ => {}
            }
        }
        let mut out: Vec<ElementScroll> = self
            .scrolled
            .iter()
            .map(|&key| {
                let (x, y) = last.get(&key).copied().unwrap_or((0.0, 0.0));
                ElementScroll { key, x, y }
            })
            .collect();
        out.sort_by_key(|s| s.key);
        out
    }

    /// How many changes happened at or before `t_ms`.
    pub fn applied_at(&self, t_ms: i64) -> usize {
        self.track.changes.partition_point(|c| c.t <= t_ms)
    }

    /// The layout version after `applied` changes: the index of the last change that altered
    /// the layout, plus one (0 before any).
    pub fn layout_version(&self, applied: usize) -> usize {
        self.track.changes[..applied.min(self.track.changes.len())]
            .iter()
            .rposition(|c| c.op.changes_layout())
            .map_or(0, |i| i + 1)
    }

    /// The page at `t_ms`.
    pub fn at(&self, t_ms: i64) -> PageAt {
        let applied = self.applied_at(t_ms);
        let k = self.checkpoints.partition_point(|(i, _)| *i <= applied) - 1;
        let (from, base) = &self.checkpoints[k];
        let mut dom = base.clone();
        for c in &self.track.changes[*from..applied] {
            dom.apply(&c.op);
        }
        PageAt {
            layout_version: self.layout_version(applied),
            dom,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::{DomChange, DomNode};

    #[test]
    fn seeking_anywhere_equals_playing_from_the_start() {
        let mut changes = vec![DomChange {
            t: 0,
            op: DomOp::Snapshot {
                root: DomNode::Element {
                    id: 1,
                    t: "html".into(),
                    a: vec![],
                    c: vec![DomNode::Element {
                        id: 2,
                        t: "body".into(),
                        a: vec![],
                        c: vec![],
                    }],
                },
            },
        }];
        for i in 0..400 {
            changes.push(DomChange {
                t: 10 + i,
                op: DomOp::Add {
                    parent: 2,
                    next: None,
                    node: DomNode::Text {
                        id: 100 + i,
                        s: "•".into(),
                    },
                },
            });
            if i % 3 == 0 {
                changes.push(DomChange {
                    t: 10 + i,
                    op: DomOp::Scroll {
                        id: 2,
                        x: 0.0,
                        y: i as f32,
                    },
                });
            }
        }
        let replay = DomReplay::new(DomTrack { changes });
        let mut played = LiveDom::default();
        let mut i = 0;
        for t in [0, 5, 50, 200, 333, 409, 5000] {
            while i < replay.track().changes.len() && replay.track().changes[i].t <= t {
                played.apply(&replay.track().changes[i].op);
                i += 1;
            }
            let at = replay.at(t);
            assert_eq!(at.dom.to_html(), played.to_html(), "at {t}");
            assert_eq!(at.dom.element_scrolls(), played.element_scrolls());
            let from_track: Vec<_> = replay
                .scrolls_at(replay.applied_at(t))
                .into_iter()
                .filter(|s| (s.x, s.y) != (0.0, 0.0))
                .collect();
            let played_moved: Vec<_> = played
                .element_scrolls()
                .into_iter()
                .filter(|s| (s.x, s.y) != (0.0, 0.0))
                .collect();
            assert_eq!(from_track, played_moved, "scrolls at {t}");
        }
        // A scroll does not change the layout version.
        assert_eq!(replay.applied_at(10), 3);
        assert_eq!(replay.at(10).layout_version, 2);
    }
}
