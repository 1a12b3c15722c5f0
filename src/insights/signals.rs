//! Frustration signals of one session, from its masked events, and the 0–100 frustration
//! score that combines them (the formula is in `docs/SIGNALS.md`).

use std::collections::{BTreeMap, HashMap};

use crate::session::{EventKind, SessionEvent};

/// A click counts as an error click when an error follows it within this time.
pub const ERROR_AFTER_MS: i64 = 1000;
/// Leaving a page within this time of arriving and returning to the previous one is a quick
/// back.
pub const QUICK_BACK_MS: i64 = 5000;
/// Scroll movements shorter than this do not turn the direction (jitter, momentum).
pub const REVERSAL_MIN_PX: f32 = 50.0;
/// A page's median counts once this many sessions scrolled it; below, [`FEW_SESSIONS_FLOOR`].
pub const MEDIAN_MIN_SESSIONS: usize = 5;
/// Reversals on a page are excessive at this multiple of the page's median…
pub const EXCESSIVE_FACTOR: f64 = 2.0;
/// …and never below this many.
pub const EXCESSIVE_MIN: u32 = 4;
/// The threshold on a page too few sessions scrolled to have a median.
pub const FEW_SESSIONS_FLOOR: u32 = 8;

/// A session counts as frustrated from this score on (the Overview's shares and survey groups).
pub const FRUSTRATED: u8 = 50;

/// Weights of the score: points per signal.
pub const WEIGHT_RAGE_BURST: u32 = 4;
/// Points per dead click.
pub const WEIGHT_DEAD: u32 = 2;
/// Points per error click.
pub const WEIGHT_ERROR: u32 = 4;
/// Points per quick back.
pub const WEIGHT_QUICK_BACK: u32 = 3;
/// Points for excessive scrolling.
pub const WEIGHT_EXCESSIVE: u32 = 3;
/// The points at which the score is 50.
pub const HALF_SCORE_POINTS: u32 = 10;

/// What one session's events show, before comparing its scrolling with other sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSignals {
    /// Bursts of rage clicks (marked at import).
    pub rage_bursts: u32,
    /// Clicks nothing answered (marked at import).
    pub dead_clicks: u32,
    /// Clicks followed within [`ERROR_AFTER_MS`] by an error.
    pub error_clicks: u32,
    /// Pages left within [`QUICK_BACK_MS`] for the previous one.
    pub quick_backs: u32,
    /// Scroll direction changes per page pattern.
    pub reversals: BTreeMap<String, u32>,
}

/// Counts the signals in `events` (sorted by time, rage and dead already marked).
pub fn of_session(events: &[SessionEvent]) -> SessionSignals {
    SessionSignals {
        rage_bursts: crate::ingest::signals::rage_bursts(events) as u32,
        dead_clicks: events.iter().filter(|e| e.is_click() && e.dead).count() as u32,
        error_clicks: error_clicks(events),
        quick_backs: quick_backs(events),
        reversals: reversals(events),
    }
}

/// Whether a custom event reports an error (PostHog's `$exception`, an app's `error` tag).
fn is_error(e: &SessionEvent) -> bool {
    match e.kind {
        EventKind::Error => true,
        EventKind::Custom => e.detail.as_deref().is_some_and(|d| {
            let d = d.to_ascii_lowercase();
            d.contains("error") || d.contains("exception")
        }),
        _ => false,
    }
}

fn error_clicks(events: &[SessionEvent]) -> u32 {
    error_click_flags(events).iter().filter(|&&e| e).count() as u32
}

/// For each event, whether it is a click followed within [`ERROR_AFTER_MS`] by an error.
pub fn error_click_flags(events: &[SessionEvent]) -> Vec<bool> {
    let errors: Vec<i64> = events
        .iter()
        .filter(|e| is_error(e))
        .map(|e| e.t_ms)
        .collect();
    events
        .iter()
        .map(|c| {
            c.is_click()
                && errors
                    .iter()
                    .any(|&t| t >= c.t_ms && t - c.t_ms <= ERROR_AFTER_MS)
        })
        .collect()
}

fn quick_backs(events: &[SessionEvent]) -> u32 {
    // (page, arrived at) of each navigation that changed the page.
    let mut visits: Vec<(&str, i64)> = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Navigation) {
        let Some(url) = e.url.as_deref() else {
            continue;
        };
        if visits.last().is_some_and(|(p, _)| *p == url) {
            continue;
        }
        visits.push((url, e.t_ms));
    }
    visits
        .windows(3)
        .filter(|w| w[0].0 == w[2].0 && w[2].1 - w[1].1 <= QUICK_BACK_MS)
        .count() as u32
}

fn reversals(events: &[SessionEvent]) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let mut page: Option<&str> = None;
    // The farthest point reached in the current direction (+1 down, -1 up, 0 not yet moved).
    let (mut extreme, mut direction) = (0f32, 0f32);
    for e in events {
        match e.kind {
            EventKind::Navigation => {
                page = e.url.as_deref();
                (extreme, direction) = (0.0, 0.0);
                // Every page visited counts in its median, with 0 turns if it had none.
                if let Some(p) = page {
                    out.entry(p.to_owned()).or_insert(0);
                }
            }
            EventKind::Scroll => {
                let (Some(p), Some(y)) = (page, e.y) else {
                    continue;
                };
                let moved = y - extreme;
                if direction == 0.0 {
                    if moved.abs() >= REVERSAL_MIN_PX {
                        (extreme, direction) = (y, moved.signum());
                    }
                } else if moved * direction > 0.0 {
                    extreme = y;
                } else if moved.abs() >= REVERSAL_MIN_PX {
                    // Far enough back the other way: a turn, not jitter.
                    *out.entry(p.to_owned()).or_insert(0) += 1;
                    (extreme, direction) = (y, -direction);
                }
            }
            _ => {}
        }
    }
    out
}

/// The threshold of excessive reversals on each page, from the reversals of every session
/// stored on it.
pub fn thresholds(per_page: &HashMap<String, Vec<u32>>) -> HashMap<String, u32> {
    per_page
        .iter()
        .map(|(page, counts)| {
            let threshold = if counts.len() < MEDIAN_MIN_SESSIONS {
                FEW_SESSIONS_FLOOR
            } else {
                let mut sorted = counts.clone();
                sorted.sort_unstable();
                let mid = sorted.len() / 2;
                let median = if sorted.len() % 2 == 0 {
                    (f64::from(sorted[mid - 1]) + f64::from(sorted[mid])) / 2.0
                } else {
                    f64::from(sorted[mid])
                };
                ((median * EXCESSIVE_FACTOR).ceil() as u32).max(EXCESSIVE_MIN)
            };
            (page.clone(), threshold)
        })
        .collect()
}

/// Whether any page's reversals reach its threshold (pages without one use the floor).
pub fn excessive(reversals: &BTreeMap<String, u32>, thresholds: &HashMap<String, u32>) -> bool {
    reversals
        .iter()
        .any(|(page, &n)| excessive_on(page, n, thresholds))
}

/// Whether `n` reversals on `page` reach its threshold.
pub fn excessive_on(page: &str, n: u32, thresholds: &HashMap<String, u32>) -> bool {
    n > 0 && n >= thresholds.get(page).copied().unwrap_or(FEW_SESSIONS_FLOOR)
}

/// The frustration score, 0–100: weighted points `p` of the signals, scored `100 p / (p + 10)`
/// so one signal never maxes it out and many approach 100.
pub fn frustration(s: &SessionSignals, excessive: bool) -> u8 {
    let points = WEIGHT_RAGE_BURST * s.rage_bursts
        + WEIGHT_DEAD * s.dead_clicks
        + WEIGHT_ERROR * s.error_clicks
        + WEIGHT_QUICK_BACK * s.quick_backs
        + if excessive { WEIGHT_EXCESSIVE } else { 0 };
    let score = (100.0 * f64::from(points) / f64::from(points + HALF_SCORE_POINTS)).round();
    score.clamp(0.0, 100.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64, kind: EventKind) -> SessionEvent {
        SessionEvent::new(t, kind)
    }

    fn nav(t: i64, url: &str) -> SessionEvent {
        let mut e = at(t, EventKind::Navigation);
        e.url = Some(url.into());
        e
    }

    fn scroll(t: i64, y: f32) -> SessionEvent {
        let mut e = at(t, EventKind::Scroll);
        e.y = Some(y);
        e
    }

    fn click(t: i64) -> SessionEvent {
        let mut e = at(t, EventKind::Click);
        (e.x, e.y) = (Some(10.0), Some(10.0));
        e
    }

    #[test]
    fn an_error_within_a_second_makes_a_click_an_error_click() {
        let mut custom = at(1500, EventKind::Custom);
        custom.detail = Some("$exception".into());
        let events = [
            click(0),
            at(900, EventKind::Error),
            click(1000),
            custom,
            click(5000),
            at(6100, EventKind::Error),
        ];
        assert_eq!(
            of_session(&events).error_clicks,
            2,
            "the last error came 1.1 s late"
        );
    }

    #[test]
    fn leaving_within_five_seconds_for_the_previous_page_is_a_quick_back() {
        let events = [
            nav(0, "/inbox"),
            nav(10_000, "/pricing"),
            nav(13_000, "/inbox"),
            nav(20_000, "/settings"),
            nav(30_000, "/inbox"),
        ];
        assert_eq!(
            of_session(&events).quick_backs,
            1,
            "settings was read for 10 s"
        );
    }

    #[test]
    fn reversals_count_turns_and_ignore_jitter() {
        let events = [
            nav(0, "/a"),
            scroll(1, 400.0),
            scroll(2, 380.0), // jitter
            scroll(3, 800.0),
            scroll(4, 100.0), // turn 1
            scroll(5, 700.0), // turn 2
            scroll(6, 0.0),   // turn 3
            nav(7, "/b"),
            scroll(8, 300.0),
        ];
        let r = of_session(&events).reversals;
        assert_eq!(r.get("/a"), Some(&3));
        assert_eq!(
            r.get("/b"),
            Some(&0),
            "visited without a turn: 0 in its median"
        );
    }

    #[test]
    fn excessive_is_twice_the_pages_median_and_the_score_follows_the_formula() {
        let per_page = HashMap::from([
            ("/a".to_owned(), vec![1, 2, 2, 3, 4]),
            ("/rare".to_owned(), vec![9]),
        ]);
        let t = thresholds(&per_page);
        assert_eq!(t["/a"], 4, "median 2 × 2");
        assert_eq!(t["/rare"], FEW_SESSIONS_FLOOR);
        let mine = BTreeMap::from([("/a".to_owned(), 4)]);
        assert!(excessive(&mine, &t));
        assert!(!excessive(&BTreeMap::from([("/a".to_owned(), 3)]), &t));
        let s = SessionSignals {
            rage_bursts: 1,
            dead_clicks: 1,
            error_clicks: 0,
            quick_backs: 1,
            reversals: mine,
        };
        // 4 + 2 + 3 + 3 = 12 points: 100 × 12 / 22 = 54.5 → 55.
        assert_eq!(frustration(&s, true), 55);
        assert_eq!(frustration(&SessionSignals::default(), false), 0);
    }
}
