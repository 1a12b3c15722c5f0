//! Frustration signals: rage clicks (3 or more clicks within 1 s and 30 px) and dead clicks (a
//! click after which nothing happened for a second: no DOM change, navigation, scroll or input).

use crate::session::{EventKind, SessionEvent};

/// Clicks in a burst.
pub const RAGE_CLICKS: usize = 3;
/// Burst window.
pub const RAGE_WINDOW_MS: i64 = 1000;
/// Burst radius.
pub const RAGE_RADIUS_PX: f32 = 30.0;
/// How long a click may go unanswered before it counts as dead.
pub const DEAD_AFTER_MS: i64 = 1000;
/// A tap this close in time to a page scroll was part of the scroll gesture.
pub const ACCIDENTAL_TAP_MS: i64 = 150;

/// Marks `rage`, `dead` and `accidental` on the clicks of `events` (sorted by time).
/// `mutation_times` are the times the page changed on its own.
pub fn mark(events: &mut [SessionEvent], mutation_times: &[i64]) {
    let scrolls: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Scroll)
        .map(|e| e.t_ms)
        .collect();
    for e in events.iter_mut().filter(|e| e.kind == EventKind::Tap) {
        e.accidental = scrolls
            .iter()
            .any(|s| (s - e.t_ms).abs() <= ACCIDENTAL_TAP_MS);
    }
    let clicks: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].is_click() && events[i].x.is_some() && events[i].y.is_some())
        .collect();
    for (n, &i) in clicks.iter().enumerate() {
        let (t0, x0, y0) = (
            events[i].t_ms,
            events[i].x.unwrap_or(0.0),
            events[i].y.unwrap_or(0.0),
        );
        let burst: Vec<usize> = clicks[n..]
            .iter()
            .copied()
            .take_while(|&j| events[j].t_ms - t0 <= RAGE_WINDOW_MS)
            .filter(|&j| {
                let dx = events[j].x.unwrap_or(0.0) - x0;
                let dy = events[j].y.unwrap_or(0.0) - y0;
                dx * dx + dy * dy <= RAGE_RADIUS_PX * RAGE_RADIUS_PX
            })
            .collect();
        if burst.len() >= RAGE_CLICKS {
            for j in burst {
                events[j].rage = true;
            }
        }
    }
    for i in 0..events.len() {
        if !events[i].is_click() {
            continue;
        }
        let t = events[i].t_ms;
        let answered_by_event = events[i + 1..]
            .iter()
            .take_while(|e| e.t_ms - t <= DEAD_AFTER_MS)
            .any(|e| {
                matches!(
                    e.kind,
                    EventKind::Navigation
                        | EventKind::Scroll
                        | EventKind::ElementScroll
                        | EventKind::Input
                )
            });
        let answered_by_page = mutation_times
            .iter()
            .any(|&m| m >= t && m - t <= DEAD_AFTER_MS);
        events[i].dead = !answered_by_event && !answered_by_page;
    }
}

/// The number of rage bursts (not clicks) in `events`.
pub fn rage_bursts(events: &[SessionEvent]) -> usize {
    let mut bursts = 0;
    let mut in_burst = false;
    for e in events.iter().filter(|e| e.is_click()) {
        if e.rage && !in_burst {
            bursts += 1;
        }
        in_burst = e.rage;
    }
    bursts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(t: i64, x: f32) -> SessionEvent {
        let mut e = SessionEvent::new(t, EventKind::Click);
        e.x = Some(x);
        e.y = Some(100.0);
        e
    }

    #[test]
    fn three_quick_close_clicks_are_rage_and_unanswered_clicks_are_dead() {
        let mut events = vec![
            click(0, 10.0),
            click(300, 15.0),
            click(600, 12.0),
            click(5000, 400.0),
            click(9000, 10.0),
        ];
        mark(&mut events, &[5200]);
        assert_eq!(
            events.iter().map(|e| e.rage).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert_eq!(rage_bursts(&events), 1);
        assert!(!events[3].dead, "a mutation 200 ms later answered it");
        assert!(events[4].dead);
    }

    #[test]
    fn a_tap_inside_a_scroll_gesture_is_accidental() {
        let mut tap = click(1000, 10.0);
        tap.kind = EventKind::Tap;
        let mut late = tap.clone();
        late.t_ms = 3000;
        let mut events = vec![SessionEvent::new(950, EventKind::Scroll), tap, late];
        mark(&mut events, &[]);
        assert!(events[1].accidental);
        assert!(!events[2].accidental);
    }

    #[test]
    fn spread_out_clicks_are_not_rage() {
        let mut events = vec![click(0, 10.0), click(300, 200.0), click(600, 400.0)];
        mark(&mut events, &[]);
        assert!(events.iter().all(|e| !e.rage));
    }
}
