//! Replay (plain Rust, no UI): a session's masked events sorted once, with a seek index of
//! checkpoints so that the player's state at any time is a binary search plus a few events.

pub mod frame;
pub mod state;
pub mod timeline;

use crate::session::{EventKind, SessionEvent};
pub use state::PlayerState;

/// Events between checkpoints.
pub const CHECKPOINT_EVERY: usize = 256;

/// A session ready to play.
#[derive(Debug, Clone)]
pub struct Replay {
    events: Vec<SessionEvent>,
    /// `checkpoints[i]` is the state after the first `i * CHECKPOINT_EVERY` events.
    checkpoints: Vec<PlayerState>,
    duration_ms: i64,
}

impl Replay {
    /// Sorts `events` by time (stable, so events at the same millisecond keep their order) and
    /// builds the seek index.
    pub fn new(mut events: Vec<SessionEvent>) -> Replay {
        events.sort_by_key(|e| e.t_ms);
        let start = events.first().map_or(0, |e| e.t_ms);
        if start != 0 {
            for e in &mut events {
                e.t_ms -= start;
            }
        }
        let mut checkpoints = Vec::with_capacity(events.len() / CHECKPOINT_EVERY + 1);
        let mut state = PlayerState::default();
        for (i, e) in events.iter().enumerate() {
            if i % CHECKPOINT_EVERY == 0 {
                checkpoints.push(state.clone());
            }
            state.apply(i, e);
        }
        if checkpoints.is_empty() {
            checkpoints.push(state);
        }
        let duration_ms = events.last().map_or(0, |e| e.t_ms);
        Replay {
            events,
            checkpoints,
            duration_ms,
        }
    }

    /// All events, by time (times from 0).
    pub fn events(&self) -> &[SessionEvent] {
        &self.events
    }

    /// From the first to the last event.
    pub fn duration_ms(&self) -> i64 {
        self.duration_ms
    }

    /// Bytes this replay owns on the heap: the event array, their strings, the checkpoints.
    pub fn heap_bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let events: usize = self
            .events
            .iter()
            .map(|e| text(&e.target) + text(&e.value) + text(&e.url) + text(&e.detail))
            .sum();
        let checkpoints: usize = self
            .checkpoints
            .iter()
            .map(|c| {
                text(&c.page)
                    + text(&c.last_input)
                    + c.inputs
                        .iter()
                        .map(|(k, v)| k.capacity() + v.capacity() + 64)
                        .sum::<usize>()
            })
            .sum();
        self.events.capacity() * std::mem::size_of::<SessionEvent>()
            + events
            + self.checkpoints.capacity() * std::mem::size_of::<PlayerState>()
            + checkpoints
    }

    /// How many events happened at or before `t_ms`.
    pub fn count_until(&self, t_ms: i64) -> usize {
        self.events.partition_point(|e| e.t_ms <= t_ms)
    }

    /// The state once every event at or before `t_ms` has happened: a binary search for the
    /// events, then at most [`CHECKPOINT_EVERY`] events from the nearest checkpoint.
    pub fn state_at(&self, t_ms: i64) -> PlayerState {
        let n = self.count_until(t_ms);
        let cp = (n / CHECKPOINT_EVERY).min(self.checkpoints.len() - 1);
        let mut state = self.checkpoints[cp].clone();
        for i in cp * CHECKPOINT_EVERY..n {
            state.apply(i, &self.events[i]);
        }
        state.t_ms = t_ms;
        state
    }

    /// The events with `a < t <= b`.
    pub fn events_between(&self, a_ms: i64, b_ms: i64) -> &[SessionEvent] {
        let from = self.count_until(a_ms);
        let to = self.count_until(b_ms).max(from);
        &self.events[from..to]
    }

    /// The time of the first event after `t_ms` that a person did or saw (not a pointer
    /// sample), for "next event".
    pub fn next_event_after(&self, t_ms: i64) -> Option<i64> {
        self.events[self.count_until(t_ms)..]
            .iter()
            .find(|e| e.kind != EventKind::Move)
            .map(|e| e.t_ms)
    }

    /// The time of the last such event before `t_ms`, for "previous event".
    pub fn previous_event_before(&self, t_ms: i64) -> Option<i64> {
        let before = self.events.partition_point(|e| e.t_ms < t_ms);
        self.events[..before]
            .iter()
            .rev()
            .find(|e| e.kind != EventKind::Move)
            .map(|e| e.t_ms)
    }

    /// The time of the next event of any kind after `t_ms`.
    pub fn next_any_after(&self, t_ms: i64) -> Option<i64> {
        self.events.get(self.count_until(t_ms)).map(|e| e.t_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, kind: EventKind) -> SessionEvent {
        let mut e = SessionEvent::new(t, kind);
        e.x = Some(t as f32);
        e.y = Some(1.0);
        e
    }

    #[test]
    fn events_are_sorted_and_times_start_at_zero() {
        let r = Replay::new(vec![ev(1500, EventKind::Click), ev(1000, EventKind::Move)]);
        assert_eq!(r.events()[0].t_ms, 0);
        assert_eq!(r.duration_ms(), 500);
        assert_eq!(r.state_at(0).pointer, Some((1000.0, 1.0)));
        assert_eq!(r.state_at(499).pointer, Some((1000.0, 1.0)));
        assert_eq!(r.state_at(500).pointer, Some((1500.0, 1.0)));
        assert_eq!(r.next_event_after(0), Some(500));
        assert_eq!(r.previous_event_before(500), None);
        assert_eq!(r.events_between(0, 500).len(), 1);
    }

    #[test]
    fn an_empty_session_has_a_state() {
        let r = Replay::new(Vec::new());
        assert_eq!(
            r.state_at(1000),
            PlayerState {
                t_ms: 1000,
                ..PlayerState::default()
            }
        );
    }
}
