//! Element analytics: what each (masked) element of a page got — clicks, the sessions and
//! share of the page's sessions clicking it, rage, dead and error clicks, the median time to
//! the first click — per page × viewport class, under the k floor.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::heatmap::segment::SessionAttrs;
use crate::session::{EventKind, SessionEvent, device_class};

/// What one session did to one element on one page at one viewport class.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementVisit {
    /// Clicks and taps on it.
    pub clicks: u32,
    /// Of those, rage clicks.
    pub rage: u32,
    /// Dead clicks.
    pub dead: u32,
    /// Error clicks.
    pub error: u32,
    /// Milliseconds from arriving on the page to the first click on it.
    pub first_click_ms: i64,
    /// Where its clicks fell, in page CSS px: x0, y0, x1, y1.
    pub bounds: [f32; 4],
}

impl ElementVisit {
    /// Reads the columns `clicks, rage, dead, error, first_click_ms, x0, y0, x1, y1` of
    /// `element_clicks`, starting at column `at`.
    pub fn from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<ElementVisit> {
        Ok(ElementVisit {
            clicks: r.get(at)?,
            rage: r.get(at + 1)?,
            dead: r.get(at + 2)?,
            error: r.get(at + 3)?,
            first_click_ms: r.get(at + 4)?,
            bounds: [
                r.get(at + 5)?,
                r.get(at + 6)?,
                r.get(at + 7)?,
                r.get(at + 8)?,
            ],
        })
    }
}

/// Where: (page pattern, viewport class, selector).
pub type ElementKey = (String, &'static str, String);

/// Every element one session clicked, from its events (sorted by time, signals marked).
/// Accidental taps (part of a scroll) are not clicks here either.
pub fn of_session(
    events: &[SessionEvent],
    viewport_width: u32,
) -> BTreeMap<ElementKey, ElementVisit> {
    let errors = crate::insights::signals::error_click_flags(events);
    let mut out: BTreeMap<ElementKey, ElementVisit> = BTreeMap::new();
    let (mut page, mut arrived, mut width) = (None::<&str>, 0i64, viewport_width);
    for (e, &error) in events.iter().zip(&errors) {
        match e.kind {
            EventKind::Navigation => {
                page = e.url.as_deref();
                arrived = e.t_ms;
            }
            EventKind::Viewport => width = e.width.unwrap_or(width),
            _ => {}
        }
        if !e.is_click() || e.accidental {
            continue;
        }
        let (Some(p), Some(target), Some(x), Some(y)) = (page, e.target.as_deref(), e.x, e.y)
        else {
            continue;
        };
        let since = e.t_ms.saturating_sub(arrived).max(0);
        let visit = out
            .entry((p.to_owned(), device_class(width), target.to_owned()))
            .or_insert(ElementVisit {
                clicks: 0,
                rage: 0,
                dead: 0,
                error: 0,
                first_click_ms: since,
                bounds: [x, y, x, y],
            });
        visit.clicks += 1;
        visit.rage += u32::from(e.rage);
        visit.dead += u32::from(e.dead);
        visit.error += u32::from(error);
        visit.first_click_ms = visit.first_click_ms.min(since);
        let b = &mut visit.bounds;
        *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    out
}

/// One row of the element table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementRow {
    /// The masked selector.
    pub selector: String,
    /// Clicks and taps.
    pub clicks: u64,
    /// Distinct sessions that clicked it.
    pub sessions: u64,
    /// Those sessions as a share of the page's sessions (0–1).
    pub share: f64,
    /// Rage clicks (`None`: from fewer than k people).
    pub rage: Option<u64>,
    /// Dead clicks (`None`: from fewer than k people).
    pub dead: Option<u64>,
    /// Error clicks (`None`: from fewer than k people).
    pub error: Option<u64>,
    /// Median time from arriving on the page to the first click on it.
    pub median_first_click_ms: i64,
    /// Where the clicks of at least k of its sessions reach, in page CSS px: x0, y0, x1, y1.
    pub bounds: [f32; 4],
}

/// A floored count in words: the number, or "–" when it comes from fewer than k people.
pub fn count_text(count: Option<u64>) -> String {
    count.map_or_else(|| "–".to_owned(), |n| n.to_string())
}

/// The element table of a page: rows from at least k people, most clicked first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementTable {
    /// The page's sessions in the segment (the share's denominator).
    pub page_sessions: u64,
    /// Elements clicked by at least k people.
    pub rows: Vec<ElementRow>,
    /// Elements left out because fewer than k people clicked them.
    pub below_floor: u64,
    /// The floor.
    pub k: usize,
}

impl ElementTable {
    /// The first `n` rows as lines of text (for the PNG export), and what was left out.
    pub fn lines(&self, n: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .rows
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "{}. {} — {:.1}% of {} sessions, {} clicks, rage {}, dead {}, error {}, first click {:.1} s",
                    i + 1,
                    r.selector,
                    r.share * 100.0,
                    self.page_sessions,
                    r.clicks,
                    count_text(r.rage),
                    count_text(r.dead),
                    count_text(r.error),
                    r.median_first_click_ms as f64 / 1000.0
                )
            })
            .collect();
        if self.below_floor > 0 {
            out.push(format!(
                "{} more elements clicked by {} are not shown.",
                self.below_floor,
                crate::heatmap::k_floor::fewer_than(self.k)
            ));
        }
        out
    }
}

/// Aggregates visits (by session ref) of one page and viewport into the table; `page_refs`
/// are the page's sessions in the segment.
pub fn table(
    visits: &[(u32, String, ElementVisit)],
    page_refs: &HashSet<u32>,
    attrs: &HashMap<u32, SessionAttrs>,
    k: usize,
) -> ElementTable {
    let page = PageSessions::new(
        page_refs
            .iter()
            .filter_map(|&r| attrs.get(&r).map(|a| (r, a.subject))),
    );
    table_of(visits, &page, k)
}

/// The sessions of a page in a segment, by ref: who each is (the k-floor bucket).
pub struct PageSessions {
    /// Subject bucket by session ref; `u32::MAX` for sessions not on the page.
    subject_of: Vec<u32>,
    sessions: u64,
    people: usize,
}

impl PageSessions {
    /// The page's sessions as (ref, subject bucket) pairs.
    pub fn new(sessions: impl Iterator<Item = (u32, u32)>) -> PageSessions {
        let mut subject_of = Vec::new();
        let mut people = Vec::new();
        let mut count = 0;
        for (r, subject) in sessions {
            let i = r as usize;
            if subject_of.len() <= i {
                subject_of.resize(i + 1, u32::MAX);
            }
            subject_of[i] = subject;
            people.push(subject);
            count += 1;
        }
        people.sort_unstable();
        people.dedup();
        PageSessions {
            subject_of,
            sessions: count,
            people: people.len(),
        }
    }

    fn subject(&self, r: u32) -> Option<u32> {
        self.subject_of
            .get(r as usize)
            .copied()
            .filter(|&s| s != u32::MAX)
    }
}

/// [`table`] for page sessions already looked up (the gate has them from its segment filter).
pub fn table_of(
    visits: &[(u32, String, ElementVisit)],
    page: &PageSessions,
    k: usize,
) -> ElementTable {
    // A page whose sessions in the segment come from fewer than k people shows nothing, not
    // even how many sessions or elements it has.
    if page.people < k {
        return ElementTable {
            page_sessions: 0,
            rows: Vec::new(),
            below_floor: 0,
            k,
        };
    }
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut accs: Vec<Acc> = Vec::new();
    // (element, kind, subject) keys, sorted and deduplicated below to count the people behind
    // each element's clicks and each of its rage, dead and error counts.
    let mut who: Vec<u64> = Vec::with_capacity(visits.len());
    for (r, selector, v) in visits {
        let Some(subject) = page.subject(*r) else {
            continue;
        };
        let next = accs.len() as u32;
        let i = *index.entry(selector.as_str()).or_insert(next);
        if i == next {
            accs.push(Acc::new(selector, k));
        }
        accs[i as usize].add(v);
        for (kind, present) in [
            (0, true),
            (1, v.rage > 0),
            (2, v.dead > 0),
            (3, v.error > 0),
        ] {
            if present {
                who.push(person_key(i, kind, subject));
            }
        }
    }
    who.sort_unstable();
    who.dedup();
    let mut people = vec![[0usize; 4]; accs.len()];
    for key in who {
        people[(key >> 20) as usize][((key >> 17) & 3) as usize] += 1;
    }
    let page_sessions = page.sessions;
    let mut below_floor = 0;
    let mut shown: Vec<ElementRow> = accs
        .into_iter()
        .zip(people)
        .filter_map(|(acc, people)| {
            if people[0] < k {
                below_floor += 1;
                return None;
            }
            Some(acc.row(people, page_sessions, k))
        })
        .collect();
    shown.sort_by(|a, b| {
        b.clicks
            .cmp(&a.clicks)
            .then(b.sessions.cmp(&a.sessions))
            .then(a.selector.cmp(&b.selector))
    });
    ElementTable {
        page_sessions,
        rows: shown,
        below_floor,
        k,
    }
}

/// One key per (element, kind of click, person): element index, kind (0 any, 1 rage, 2 dead,
/// 3 error) and the subject bucket (at most 2^17).
fn person_key(element: u32, kind: u64, subject: u32) -> u64 {
    (u64::from(element) << 20) | (kind << 17) | u64::from(subject & 0x1_ffff)
}

/// One element's visits being added up.
struct Acc {
    selector: String,
    clicks: u64,
    sessions: u64,
    counts: [u64; 3],
    firsts: Vec<i64>,
    /// The k smallest x0 and y0 and the k largest x1 and y1 of the visits' boxes, kept as
    /// they come (k is small), so the box spans where k sessions' clicks reach.
    edges: [Vec<f32>; 4],
    k: usize,
}

impl Acc {
    fn new(selector: &str, k: usize) -> Acc {
        Acc {
            selector: selector.to_owned(),
            clicks: 0,
            sessions: 0,
            counts: [0; 3],
            firsts: Vec::new(),
            edges: Default::default(),
            k: k.max(1),
        }
    }

    fn add(&mut self, v: &ElementVisit) {
        self.clicks += u64::from(v.clicks);
        self.sessions += 1;
        self.counts[0] += u64::from(v.rage);
        self.counts[1] += u64::from(v.dead);
        self.counts[2] += u64::from(v.error);
        self.firsts.push(v.first_click_ms);
        for (side, (kept, value)) in self.edges.iter_mut().zip(v.bounds).enumerate() {
            // Sides 0 and 1 keep the smallest values, 2 and 3 the largest; kept sorted with
            // the k-th, the one given, last.
            let outer = |a: f32, b: f32| if side < 2 { a < b } else { a > b };
            if kept.len() < self.k {
                kept.push(value);
            } else if kept.last().is_some_and(|&last| outer(value, last)) {
                kept.pop();
                kept.push(value);
            } else {
                continue;
            }
            let mut i = kept.len() - 1;
            while i > 0 && outer(kept[i], kept[i - 1]) {
                kept.swap(i, i - 1);
                i -= 1;
            }
        }
    }

    /// The row, each count floored by the people behind it, the box spanning where at least
    /// k sessions' clicks reach (one person's stray click does not stretch it).
    fn row(mut self, people: [usize; 4], page_sessions: u64, k: usize) -> ElementRow {
        self.firsts.sort_unstable();
        let floored = |count: u64, n: usize| (n >= k).then_some(count);
        // The k-th value in from each side (a row shown has at least k visits).
        let edge = |kept: &[f32]| kept.last().copied().unwrap_or(0.0);
        let [x0, y0, x1, y1] = &self.edges;
        ElementRow {
            bounds: [edge(x0), edge(y0), edge(x1), edge(y1)],
            selector: self.selector,
            clicks: self.clicks,
            sessions: self.sessions,
            share: self.sessions as f64 / page_sessions.max(1) as f64,
            rage: floored(self.counts[0], people[1]),
            dead: floored(self.counts[1], people[2]),
            error: floored(self.counts[2], people[3]),
            median_first_click_ms: median(&self.firsts),
        }
    }
}

/// The median of sorted values (the lower middle's and upper middle's mean, rounded down).
fn median(sorted: &[i64]) -> i64 {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => ((i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2])) / 2) as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(t: i64, x: f32, target: &str) -> SessionEvent {
        let mut e = SessionEvent::new(t, EventKind::Click);
        (e.x, e.y, e.target) = (Some(x), Some(10.0), Some(target.into()));
        e
    }

    #[test]
    fn a_sessions_clicks_are_counted_per_element_with_the_time_to_the_first() {
        let mut nav = SessionEvent::new(1000, EventKind::Navigation);
        nav.url = Some("/inbox".into());
        let mut dead = click(4000, 50.0, "button#send");
        dead.dead = true;
        let events = [
            nav,
            click(3000, 40.0, "button#send"),
            dead,
            click(3500, 5.0, "a#help"),
        ];
        let visits = of_session(&events, 1440);
        let send = &visits[&("/inbox".into(), "desktop", "button#send".into())];
        assert_eq!((send.clicks, send.dead, send.first_click_ms), (2, 1, 2000));
        assert_eq!(send.bounds, [40.0, 10.0, 50.0, 10.0]);
        assert_eq!(visits.len(), 2);
    }

    #[test]
    fn rows_need_k_people_and_shares_count_the_pages_sessions() {
        let attrs: HashMap<u32, SessionAttrs> = (0..10)
            .map(|r| {
                (
                    r,
                    SessionAttrs {
                        day: "2026-11-01".into(),
                        device: "desktop".into(),
                        region: String::new(),
                        variant: String::new(),
                        cohort: String::new(),
                        survey_score: None,
                        subject: r,
                    },
                )
            })
            .collect();
        let visit = |first: i64| ElementVisit {
            clicks: 2,
            rage: 0,
            dead: 1,
            error: 0,
            first_click_ms: first,
            bounds: [0.0, 0.0, 1.0, 1.0],
        };
        let mut visits: Vec<(u32, String, ElementVisit)> = (0..4)
            .map(|r| (r, "button#send".to_owned(), visit(1000 * i64::from(r))))
            .collect();
        visits.push((5, "a#rare".into(), visit(0)));
        let page: HashSet<u32> = (0..8).collect();
        // Two people on the page are under a floor of 3: nothing, not even the counts.
        let two: HashSet<u32> = (0..2).collect();
        let none = table(&visits, &two, &attrs, 3);
        assert_eq!(
            (none.page_sessions, none.below_floor, none.rows.len()),
            (0, 0, 0)
        );
        let t = table(&visits, &page, &attrs, 3);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.below_floor, 1, "a#rare: one person");
        let send = &t.rows[0];
        assert_eq!((send.clicks, send.sessions, send.dead), (8, 4, Some(4)));
        assert_eq!(send.rage, None, "nobody raged: fewer than k people");
        assert!((send.share - 0.5).abs() < 1e-9, "4 of 8 sessions");
        assert_eq!(send.median_first_click_ms, 1500, "0, 1000, 2000, 3000");
    }
}
