//! The Overview of analysts and UX liaisons: sessions over time, pages ranked by frustration
//! with the trend against the previous period, the elements with the most frustrated clicks,
//! and the survey score with and without frustration. Every figure needs k people.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use time::Date;

use crate::insights::elements::ElementVisit;
use crate::insights::signals::FRUSTRATED;

/// Text shared by many rows (a day, a viewport class, a page, a selector), read once.
pub type Text = std::sync::Arc<str>;

/// One heatmap session as the Overview reads it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Its heatmap ref.
    pub r: u32,
    /// Start day, `YYYY-MM-DD`.
    pub day: Text,
    /// Viewport class.
    pub viewport: Text,
    /// Frustration score, when known.
    pub frustration: Option<u8>,
    /// Survey score, when answered.
    pub survey: Option<i64>,
    /// The k-floor subject bucket.
    pub subject: u32,
}

/// Sessions of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Sessions that day; `None` when they come from fewer than k people.
    pub sessions: Option<u64>,
}

/// One page × viewport, ranked by frustration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageRow {
    /// Page pattern.
    pub page: String,
    /// Viewport class.
    pub viewport: String,
    /// Sessions in the period.
    pub sessions: u64,
    /// Share (0–1) of its scored sessions with a frustration score of [`FRUSTRATED`] or more.
    pub frustrated_share: f64,
    /// Mean frustration score.
    pub mean_frustration: f64,
    /// The mean in the previous period of the same length, when k people were there too.
    pub previous_mean: Option<f64>,
}

/// An element whose clicks went wrong most often.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrustratedElement {
    /// Page pattern.
    pub page: String,
    /// Viewport class.
    pub viewport: String,
    /// Masked selector.
    pub selector: String,
    /// Rage, dead and error clicks together.
    pub frustrated_clicks: u64,
    /// Rage clicks (`None`: from fewer than k people).
    pub rage: Option<u64>,
    /// Dead clicks (`None`: from fewer than k people).
    pub dead: Option<u64>,
    /// Error clicks (`None`: from fewer than k people).
    pub error: Option<u64>,
    /// Sessions with any of them.
    pub sessions: u64,
}

/// Mean survey score of one group of sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyGroup {
    /// Mean score (1–5).
    pub mean: f64,
    /// Answers counted.
    pub answers: u64,
}

/// The Overview's figures for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// First day, inclusive.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// Sessions on the days shown (each day from at least k people), else 0.
    pub sessions: u64,
    /// Each day of the period.
    pub days: Vec<Day>,
    /// Pages ranked by frustrated share, then mean.
    pub pages: Vec<PageRow>,
    /// Page rows left out: fewer than k people.
    pub pages_below_floor: u64,
    /// Elements with the most rage, dead and error clicks (k people each).
    pub elements: Vec<FrustratedElement>,
    /// Survey answers of sessions with frustration ([`FRUSTRATED`] or more).
    pub survey_frustrated: Option<SurveyGroup>,
    /// Survey answers of sessions without.
    pub survey_calm: Option<SurveyGroup>,
    /// The floor.
    pub k: usize,
}

/// One element visit as the Overview reads it: (session ref, page, viewport, selector, visit).
pub type ElementRowIn = (u32, Text, Text, Text, ElementVisit);

/// How many frustrated elements the Overview lists.
pub const TOP_ELEMENTS: usize = 10;

fn date(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The day `n` days before `day` (`YYYY-MM-DD`).
pub fn days_before(day: &str, n: i64) -> Option<String> {
    Some(text(date(day)?.checked_sub(time::Duration::days(n))?))
}

/// The most days the day series lists (the latest ones of a longer period).
pub const MAX_DAYS: i64 = 366;

/// The period before `from..=to` of the same length.
pub fn previous_period(from: &str, to: &str) -> Option<(String, String)> {
    let (f, t) = (date(from)?, date(to)?);
    let days = (t - f).whole_days() + 1;
    let prev_to = f.previous_day()?;
    let prev_from = prev_to.checked_sub(time::Duration::days(days - 1))?;
    Some((text(prev_from), text(prev_to)))
}

/// The Overview of `sessions` (already filtered by the segment's other fields) in
/// `from..=to`. `pages` says which pages each session visited; `elements` are the element
/// visits of the sessions.
pub fn overview(
    sessions: &[SessionRow],
    pages: &[(u32, Text)],
    elements: &[ElementRowIn],
    (from, to): (&str, &str),
    k: usize,
) -> Overview {
    let in_period = |d: &str| d >= from && d <= to;
    let current = ByRef::new(sessions.iter().filter(|s| in_period(&s.day)));
    let people = |rows: &mut dyn Iterator<Item = &SessionRow>| {
        rows.map(|s| s.subject).collect::<HashSet<u32>>().len()
    };
    let total_people = people(&mut current.values());
    let mut by_day: BTreeMap<&str, (u64, HashSet<u32>)> = BTreeMap::new();
    for s in current.values() {
        let e = by_day.entry(&s.day).or_default();
        e.0 += 1;
        e.1.insert(s.subject);
    }
    let mut days = Vec::new();
    if let (Some(f), Some(t)) = (date(from), date(to)) {
        // A typed period of centuries lists its latest days only.
        let mut d = t
            .checked_sub(time::Duration::days(MAX_DAYS - 1))
            .map_or(f, |earliest| f.max(earliest));
        while d <= t {
            let key = text(d);
            let sessions = by_day
                .get(key.as_str())
                .and_then(|(n, who)| (who.len() >= k).then_some(*n));
            days.push(Day { day: key, sessions });
            match d.next_day() {
                Some(next) => d = next,
                None => break,
            }
        }
    }
    let previous = previous_period(from, to);
    let (pages, pages_below_floor) = page_rows(sessions, pages, (from, to), previous, k);
    Overview {
        from: from.to_owned(),
        to: to.to_owned(),
        // The sum of the days shown: a total that also held the hidden days would give away
        // their count (total minus the bars).
        sessions: if total_people >= k {
            days.iter().filter_map(|d| d.sessions).sum()
        } else {
            0
        },
        days,
        pages,
        pages_below_floor,
        elements: frustrated_elements(&current, elements, k),
        survey_frustrated: survey(current.values(), |f| f >= FRUSTRATED, k),
        survey_calm: survey(current.values(), |f| f < FRUSTRATED, k),
        k,
    }
}

/// Sessions by their ref: refs are dense row ids, so a table indexed by ref finds a session
/// without hashing for each of hundreds of thousands of page and element rows.
struct ByRef<'a>(Vec<Option<&'a SessionRow>>);

impl<'a> ByRef<'a> {
    fn new(rows: impl Iterator<Item = &'a SessionRow>) -> ByRef<'a> {
        let mut table = Vec::new();
        for s in rows {
            let i = s.r as usize;
            if table.len() <= i {
                table.resize(i + 1, None);
            }
            table[i] = Some(s);
        }
        ByRef(table)
    }

    fn get(&self, r: &u32) -> Option<&'a SessionRow> {
        self.0.get(*r as usize).copied().flatten()
    }

    fn values(&self) -> impl Iterator<Item = &'a SessionRow> + '_ {
        self.0.iter().flatten().copied()
    }
}

#[derive(Default)]
struct PageAcc {
    sessions: u64,
    people: HashSet<u32>,
    scores: Vec<u8>,
    /// The people behind `scores`: the score figures are floored on them, not on everyone
    /// (sessions stored before signals have no score).
    scored_people: HashSet<u32>,
    previous: Vec<u8>,
    previous_people: HashSet<u32>,
}

fn page_rows(
    sessions: &[SessionRow],
    pages: &[(u32, Text)],
    (from, to): (&str, &str),
    previous: Option<(String, String)>,
    k: usize,
) -> (Vec<PageRow>, u64) {
    let by_ref = ByRef::new(sessions.iter());
    let mut acc: HashMap<(&str, &str), PageAcc> = HashMap::new();
    for (r, page) in pages {
        let Some(s) = by_ref.get(r) else { continue };
        let day: &str = &s.day;
        let in_current = day >= from && day <= to;
        let in_previous = previous
            .as_ref()
            .is_some_and(|(f, t)| day >= f.as_str() && day <= t.as_str());
        if !in_current && !in_previous {
            continue;
        }
        let a = acc.entry((&**page, &*s.viewport)).or_default();
        match (in_current, s.frustration) {
            (true, score) => {
                a.sessions += 1;
                a.people.insert(s.subject);
                if let Some(f) = score {
                    a.scores.push(f);
                    a.scored_people.insert(s.subject);
                }
            }
            (false, Some(f)) => {
                a.previous.push(f);
                a.previous_people.insert(s.subject);
            }
            (false, None) => {}
        }
    }
    let mean = |v: &[u8]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
    let mut below = 0;
    let mut rows: Vec<PageRow> = acc
        .into_iter()
        .filter_map(|((page, viewport), a)| {
            if a.sessions == 0 {
                return None;
            }
            if a.people.len() < k || a.scored_people.len() < k {
                below += 1;
                return None;
            }
            let frustrated = a.scores.iter().filter(|&&f| f >= FRUSTRATED).count();
            Some(PageRow {
                page: page.to_owned(),
                viewport: viewport.to_owned(),
                sessions: a.sessions,
                frustrated_share: frustrated as f64 / a.scores.len() as f64,
                mean_frustration: mean(&a.scores),
                previous_mean: (a.previous_people.len() >= k && !a.previous.is_empty())
                    .then(|| mean(&a.previous)),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.frustrated_share
            .total_cmp(&a.frustrated_share)
            .then(b.mean_frustration.total_cmp(&a.mean_frustration))
            .then(a.page.cmp(&b.page))
            .then(a.viewport.cmp(&b.viewport))
    });
    (rows, below)
}

fn frustrated_elements(
    current: &ByRef<'_>,
    elements: &[ElementRowIn],
    k: usize,
) -> Vec<FrustratedElement> {
    /// Counts of rage, dead and error clicks, and the people behind any of them and each.
    #[derive(Default)]
    struct Acc {
        sessions: u64,
        counts: [u64; 3],
        who: [HashSet<u32>; 4],
    }
    let mut acc: HashMap<(&str, &str, &str), Acc> = HashMap::new();
    for (r, page, viewport, selector, v) in elements {
        let Some(s) = current.get(r) else { continue };
        let kinds = [v.rage, v.dead, v.error];
        if kinds.iter().all(|&n| n == 0) {
            continue;
        }
        let a = acc.entry((&**page, &**viewport, &**selector)).or_default();
        a.sessions += 1;
        a.who[0].insert(s.subject);
        for (i, &n) in kinds.iter().enumerate() {
            a.counts[i] += u64::from(n);
            if n > 0 {
                a.who[i + 1].insert(s.subject);
            }
        }
    }
    let mut out: Vec<FrustratedElement> = acc
        .into_iter()
        .filter(|(_, a)| a.who[0].len() >= k)
        .map(|((page, viewport, selector), a)| {
            // Each kind's count needs k people of its own, as the heatmap's markers do.
            let floored = |i: usize| (a.who[i + 1].len() >= k).then_some(a.counts[i]);
            FrustratedElement {
                page: page.to_owned(),
                viewport: viewport.to_owned(),
                selector: selector.to_owned(),
                frustrated_clicks: a.counts.iter().sum(),
                rage: floored(0),
                dead: floored(1),
                error: floored(2),
                sessions: a.sessions,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.frustrated_clicks
            .cmp(&a.frustrated_clicks)
            .then(a.selector.cmp(&b.selector))
    });
    out.truncate(TOP_ELEMENTS);
    out
}

fn survey<'a>(
    sessions: impl Iterator<Item = &'a SessionRow>,
    keep: impl Fn(u8) -> bool,
    k: usize,
) -> Option<SurveyGroup> {
    let (mut sum, mut n, mut who) = (0i64, 0u64, HashSet::new());
    for s in sessions {
        if let (Some(score), Some(f)) = (s.survey, s.frustration)
            && keep(f)
        {
            sum += score;
            n += 1;
            who.insert(s.subject);
        }
    }
    (who.len() >= k).then(|| SurveyGroup {
        mean: sum as f64 / n as f64,
        answers: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(r: u32, day: &str, frustration: u8, survey: Option<i64>) -> SessionRow {
        SessionRow {
            r,
            day: day.into(),
            viewport: "desktop".into(),
            frustration: Some(frustration),
            survey,
            subject: r,
        }
    }

    fn visit(dead: u32) -> ElementVisit {
        ElementVisit {
            clicks: dead + 1,
            rage: 0,
            dead,
            error: 0,
            first_click_ms: 0,
            bounds: [0.0; 4],
        }
    }

    #[test]
    fn pages_rank_by_frustration_with_the_trend_and_the_floor() {
        // /inbox: 6 people this week, 4 of them frustrated; 5 people the week before, calm.
        // /help: 2 people, under the floor.
        let mut sessions = Vec::new();
        let mut pages = Vec::new();
        for r in 0..6 {
            let f = if r < 4 { 70 } else { 0 };
            sessions.push(session(r, "2026-11-10", f, Some(if r < 4 { 2 } else { 5 })));
            pages.push((r, Text::from("/inbox")));
        }
        for r in 10..15 {
            sessions.push(session(r, "2026-11-05", 10, None));
            pages.push((r, Text::from("/inbox")));
        }
        for r in 20..22 {
            sessions.push(session(r, "2026-11-09", 90, None));
            pages.push((r, Text::from("/help")));
        }
        let elements: Vec<ElementRowIn> = (0..6)
            .map(|r| {
                (
                    r,
                    "/inbox".into(),
                    "desktop".into(),
                    "button#attach".into(),
                    visit(2),
                )
            })
            .chain((0..2).map(|r| (r, "/inbox".into(), "desktop".into(), "a#x".into(), visit(9))))
            .collect();
        let o = overview(
            &sessions,
            &pages,
            &elements,
            ("2026-11-08", "2026-11-14"),
            5,
        );
        assert_eq!(
            o.sessions, 6,
            "the 2 sessions of 2026-11-09 are on a hidden day"
        );
        assert_eq!(o.pages.len(), 1);
        assert_eq!(o.pages_below_floor, 1, "/help");
        let inbox = &o.pages[0];
        assert!((inbox.frustrated_share - 4.0 / 6.0).abs() < 1e-9);
        assert!((inbox.mean_frustration - 280.0 / 6.0).abs() < 1e-9);
        assert_eq!(inbox.previous_mean, Some(10.0), "2026-11-01…07");
        assert_eq!(o.elements.len(), 1, "a#x: 2 people");
        assert_eq!(o.elements[0].frustrated_clicks, 12);
        assert_eq!(o.days.len(), 7);
        assert_eq!(o.days[2].sessions, Some(6), "2026-11-10");
        assert_eq!(o.days[1].sessions, None, "2026-11-09: 2 people");
        assert_eq!(o.survey_calm, None, "2 answers, under the floor");
        assert_eq!(o.survey_frustrated, None, "4 answers, under the floor");
    }

    #[test]
    fn a_period_of_centuries_neither_panics_nor_lists_millions_of_days() {
        let o = overview(&[], &[], &[], ("0001-01-01", "9999-12-31"), 5);
        assert_eq!(o.days.len() as i64, MAX_DAYS);
        // Out of the calendar's range: no previous period, rather than a panic.
        assert_eq!(previous_period("-9998-01-01", "9999-12-31"), None);
    }

    #[test]
    fn the_previous_period_has_the_same_length() {
        assert_eq!(
            previous_period("2026-11-01", "2026-11-30"),
            Some(("2026-10-02".into(), "2026-10-31".into()))
        );
    }
}
