//! Element analytics through the gate: a page's element table for a viewport class and a
//! segment, and two segments compared with statistics, under the k floor, logged.

use std::collections::{HashMap, HashSet};

use crate::access::{Action, PolicyKind, Workspace};
use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::heatmap::segment::{Segment, SessionAttrs};
use crate::insights::compare::{self, ElementShare, SessionSignalRow, SignalShare};
use crate::insights::elements::{self, ElementTable, ElementVisit};

const CORE: &str = "core.db";

impl Workspace {
    /// The elements clicked on `page` at `viewport` by the sessions of `segment` (every role):
    /// clicks, sessions, share of the page's sessions, rage, dead and error clicks, median
    /// time to the first click. Elements clicked by fewer than k people are left out, and
    /// counted.
    pub fn elements(&self, page: &str, viewport: &str, segment: &Segment) -> Result<ElementTable> {
        let object = format!(
            "{} {viewport} elements [{}]",
            self.stored_pattern(page),
            segment.describe()
        );
        self.gate(Action::ViewElements, &object, "")?;
        // The k floor decides what may be shown: never under a policy changed by hand.
        self.require_policy(PolicyKind::Policy)?;
        let k = self.k_anonymity();
        let page_id = self.page_id(page)?;
        let attrs = self.session_attrs()?;
        // Each session's bucket comes with the segment filter's one lookup.
        let sessions = elements::PageSessions::new(
            self.page_refs(page_id, viewport, segment, &attrs)?
                .into_iter(),
        );
        Ok(elements::table_of(
            &self.element_visits(page_id, viewport)?,
            &sessions,
            k,
        ))
    }

    /// Segments A and B of a page compared with statistics (every role): each element shown
    /// in both (two-proportion test of the share of sessions clicking it, Holm-adjusted),
    /// and each page-level signal. Refused, and logged so, when the segments' sessions differ
    /// by fewer than k people, as for heatmaps.
    pub fn compare_segments(
        &self,
        page: &str,
        viewport: &str,
        a: &Segment,
        b: &Segment,
    ) -> Result<SegmentComparison> {
        let object = format!(
            "{} {viewport} compare [{}] vs [{}]",
            self.stored_pattern(page),
            a.describe(),
            b.describe()
        );
        self.gate(Action::ViewElements, &object, "")?;
        self.require_policy(PolicyKind::Policy)?;
        let k = self.k_anonymity();
        let page_id = self.page_id(page)?;
        let attrs = self.session_attrs()?;
        let refs = |segment: &Segment| -> Result<HashSet<u32>> {
            Ok(self
                .page_refs(page_id, viewport, segment, &attrs)?
                .into_iter()
                .map(|(r, _)| r)
                .collect())
        };
        let (refs_a, refs_b) = (refs(a)?, refs(b)?);
        let (va, vb): (Vec<u32>, Vec<u32>) = (
            refs_a.iter().copied().collect(),
            refs_b.iter().copied().collect(),
        );
        if let Some(why) = crate::heatmap::k_floor::compare_refusal(&va, &vb, &attrs, k) {
            return self.failed(
                Action::ViewElements,
                &object,
                crate::error::Error::Invalid(why),
            );
        }
        let visits = self.element_visits(page_id, viewport)?;
        let table_a = elements::table(&visits, &refs_a, &attrs, k);
        let table_b = elements::table(&visits, &refs_b, &attrs, k);
        // Page signals count scored sessions only (those stored before signals have none):
        // their floor and the refusal are counted on those.
        let rows = self.signal_rows()?;
        let scored = |refs: &HashSet<u32>| -> Vec<u32> {
            refs.iter()
                .copied()
                .filter(|r| rows.contains_key(r))
                .collect()
        };
        let (scored_a, scored_b) = (scored(&refs_a), scored(&refs_b));
        let people = |refs: &[u32]| crate::heatmap::k_floor::subjects(refs.iter(), &attrs);
        let comparable = people(&scored_a) >= k
            && people(&scored_b) >= k
            && crate::heatmap::k_floor::compare_refusal(&scored_a, &scored_b, &attrs, k).is_none();
        let signals = if comparable {
            let pick = |refs: &[u32]| -> Vec<SessionSignalRow> {
                refs.iter()
                    .filter_map(|r| {
                        let subject = attrs.get(r)?.subject;
                        rows.get(r).map(|s| SessionSignalRow { subject, ..*s })
                    })
                    .collect()
            };
            compare::signals(&pick(&scored_a), &pick(&scored_b), k)
        } else {
            Vec::new()
        };
        Ok(SegmentComparison {
            elements: compare::elements(&table_a, &table_b),
            table_a,
            signals,
            k,
        })
    }

    /// The heatmap sessions of `segment` that visited the page, on a device of the viewport
    /// class, with their subject buckets. Read from `page_sessions` (small rows), not from
    /// the point blocks, whose points would all have to be decoded.
    fn page_refs(
        &self,
        page_id: i64,
        viewport: &str,
        segment: &Segment,
        attrs: &HashMap<u32, SessionAttrs>,
    ) -> Result<Vec<(u32, u32)>> {
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT CAST(substr(session_id, 2) AS INTEGER) FROM page_sessions
                 WHERE page_id = ?1 AND session_id LIKE 'h%'",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let refs: Vec<u32> = stmt
            .query_map([page_id], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(CORE, e))?;
        Ok(refs
            .into_iter()
            .filter_map(|r| {
                let a = attrs.get(&r)?;
                (a.device == viewport && segment.matches(a)).then_some((r, a.subject))
            })
            .collect())
    }

    /// Each scored heatmap session's signals, by ref.
    fn signal_rows(&self) -> Result<HashMap<u32, SessionSignalRow>> {
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT ref, rage_bursts, dead_clicks, error_clicks, quick_backs,
                        coalesce(excessive_scroll, 0), coalesce(frustration, 0)
                 FROM heatmap_sessions WHERE rage_bursts IS NOT NULL",
            )
            .map_err(|e| sql_error(CORE, e))?;
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                SessionSignalRow {
                    rage: r.get(1)?,
                    dead: r.get(2)?,
                    error: r.get(3)?,
                    quick_backs: r.get(4)?,
                    excessive: r.get(5)?,
                    frustration: r.get(6)?,
                    subject: 0,
                },
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(CORE, e))
    }

    /// Every stored element visit of the page at the viewport class, by session ref.
    fn element_visits(
        &self,
        page_id: i64,
        viewport: &str,
    ) -> Result<Vec<(u32, String, ElementVisit)>> {
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT c.ref, e.selector, c.clicks, c.rage, c.dead, c.error, c.first_click_ms,
                        c.x0, c.y0, c.x1, c.y1
                 FROM element_clicks c JOIN elements e ON e.id = c.element_id
                 WHERE c.page_id = ?1 AND c.viewport = ?2",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let visits: Vec<(u32, String, ElementVisit)> = stmt
            .query_map(rusqlite::params![page_id, viewport], |r| {
                Ok((r.get(0)?, r.get(1)?, ElementVisit::from_row(r, 2)?))
            })
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(CORE, e))?;
        Ok(visits)
    }
}

impl SegmentComparison {
    /// The signals and the first `n` elements as "B: … in 12.1% of sessions vs 8.3% (…)".
    pub fn lines(&self, n: usize) -> Vec<String> {
        self.signals
            .iter()
            .map(|s| format!("B: {} in {}", s.signal, s.test.sentence()))
            .chain(
                self.elements
                    .iter()
                    .take(n)
                    .map(|e| format!("B: {} clicked in {}", e.selector, e.test.sentence())),
            )
            .collect()
    }
}

/// Two segments of a page compared (see [`Workspace::compare_segments`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentComparison {
    /// Elements shown in both segments, most different first.
    pub elements: Vec<ElementShare>,
    /// Segment A's element table (what the view lists as its top elements).
    pub table_a: ElementTable,
    /// Page-level signals (empty when either side has fewer than k people).
    pub signals: Vec<SignalShare>,
    /// The floor.
    pub k: usize,
}
