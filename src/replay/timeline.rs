//! What the timeline draws: an activity strip, markers by kind, and the gaps that "skip
//! inactivity" jumps over.

use crate::session::{EventKind, SessionEvent};

/// Idle stretches longer than this are skipped when skipping is on.
pub const IDLE_MS: i64 = 2_000;

/// A marker on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A click or tap.
    Click,
    /// A click that belongs to a rage burst.
    Rage,
    /// A page change.
    Navigation,
    /// A field changed.
    Input,
    /// A custom event or an error.
    Custom,
    /// The page itself changed (an element appeared or went, a new page was drawn).
    PageChange,
}

/// The marker kind of an event, if it gets one.
pub fn mark(e: &SessionEvent) -> Option<MarkKind> {
    match e.kind {
        EventKind::Click | EventKind::Tap if e.rage => Some(MarkKind::Rage),
        EventKind::Click | EventKind::Tap => Some(MarkKind::Click),
        EventKind::Navigation => Some(MarkKind::Navigation),
        EventKind::Input => Some(MarkKind::Input),
        EventKind::Custom | EventKind::Error => Some(MarkKind::Custom),
        _ => None,
    }
}

/// Events per bucket over `buckets` equal slices of `[0, duration_ms]`.
pub fn activity(events: &[SessionEvent], duration_ms: i64, buckets: usize) -> Vec<u32> {
    let mut out = vec![0u32; buckets.max(1)];
    let span = duration_ms.max(1) as f64;
    for e in events {
        let b = ((e.t_ms as f64 / span) * buckets as f64) as usize;
        out[b.min(buckets.max(1) - 1)] += 1;
    }
    out
}

/// Where playback at `t_ms` should continue when skipping idle time: if the next event is
/// more than [`IDLE_MS`] away, shortly before it; otherwise `t_ms`.
pub fn skip_idle(t_ms: i64, next_event: Option<i64>) -> i64 {
    match next_event {
        Some(next) if next - t_ms > IDLE_MS => next - IDLE_MS / 4,
        _ => t_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_gaps_are_skipped_and_activity_is_counted() {
        assert_eq!(skip_idle(1000, Some(10_000)), 9_500);
        assert_eq!(skip_idle(1000, Some(2_000)), 1_000);
        assert_eq!(skip_idle(1000, None), 1_000);
        let events: Vec<SessionEvent> = [0, 10, 990, 1000]
            .iter()
            .map(|&t| SessionEvent::new(t, EventKind::Move))
            .collect();
        assert_eq!(activity(&events, 1000, 2), vec![2, 2]);
        let mut rage = SessionEvent::new(0, EventKind::Click);
        rage.rage = true;
        assert_eq!(mark(&rage), Some(MarkKind::Rage));
    }
}
