//! The seek index against a straight replay, for random sessions and times.

use sightline::replay::{PlayerState, Replay};
use sightline::sample::rng::Rng;
use sightline::session::{EventKind, SessionEvent};

const KINDS: [EventKind; 8] = [
    EventKind::Move,
    EventKind::Click,
    EventKind::Tap,
    EventKind::Scroll,
    EventKind::Navigation,
    EventKind::Viewport,
    EventKind::Input,
    EventKind::Custom,
];

fn random_session(rng: &mut Rng, n: usize) -> Vec<SessionEvent> {
    let mut t = rng.int(0, 5_000);
    (0..n)
        .map(|_| {
            // Many events share a millisecond; some gaps are long.
            let long_gap = rng.chance(0.02);
            t += if rng.chance(0.2) {
                0
            } else {
                rng.int(1, if long_gap { 60_000 } else { 300 })
            };
            let kind = KINDS[rng.weighted(&[8.0, 1.0, 0.5, 2.0, 0.2, 0.2, 0.8, 0.2])];
            let mut e = SessionEvent::new(t, kind);
            e.x = Some(rng.range(0.0, 1400.0) as f32);
            e.y = Some(rng.range(0.0, 5000.0) as f32);
            e.url = Some(format!("https://app.test/p{}", rng.int(0, 4)));
            e.width = Some(rng.int(320, 1920) as u32);
            e.height = Some(rng.int(500, 1200) as u32);
            e.target = Some(format!("input#f{}", rng.int(0, 6)));
            e.value = Some("••••".into());
            e
        })
        .collect()
}

/// The reference: every event up to `t`, from the start.
fn straight(replay: &Replay, t: i64) -> PlayerState {
    let mut s = PlayerState::default();
    for (i, e) in replay
        .events()
        .iter()
        .enumerate()
        .take_while(|(_, e)| e.t_ms <= t)
    {
        s.apply(i, e);
    }
    s.t_ms = t;
    s
}

#[test]
fn state_at_any_time_equals_a_straight_replay() {
    let mut rng = Rng::new(2026);
    for case in 0..150 {
        let n = rng.int(0, 3_000) as usize;
        let mut events = random_session(&mut rng, n);
        // Shuffle a little: the index must sort.
        if n > 2 && case % 3 == 0 {
            events.swap(0, n - 1);
        }
        let replay = Replay::new(events);
        let d = replay.duration_ms();
        let mut times: Vec<i64> = (0..40).map(|_| rng.int(-100, d + 100)).collect();
        times.extend([0, d, -1]);
        times.extend(replay.events().iter().step_by(97).map(|e| e.t_ms));
        for t in times {
            assert_eq!(
                replay.state_at(t),
                straight(&replay, t),
                "case {case}, t {t}, n {n}"
            );
        }
    }
}

#[test]
fn stepping_visits_every_non_pointer_event_in_order() {
    let mut rng = Rng::new(7);
    let replay = Replay::new(random_session(&mut rng, 2_000));
    let mut t = -1;
    let mut seen = Vec::new();
    while let Some(next) = replay.next_event_after(t) {
        assert!(next > t);
        seen.push(next);
        t = next;
    }
    let mut expected: Vec<i64> = replay
        .events()
        .iter()
        .filter(|e| e.kind != EventKind::Move)
        .map(|e| e.t_ms)
        .collect();
    expected.dedup();
    assert_eq!(seen, expected);
    // And back again.
    let mut back = Vec::new();
    let mut t = replay.duration_ms() + 1;
    while let Some(prev) = replay.previous_event_before(t) {
        back.push(prev);
        t = prev;
    }
    back.reverse();
    assert_eq!(back, expected);
}
