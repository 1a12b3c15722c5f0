//! Element analytics through the gate: a page's element table for a viewport class and a
//! segment, under the k floor, logged like a heatmap view.

use std::collections::HashSet;

use crate::access::{Action, PolicyKind, Workspace};
use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::heatmap::segment::Segment;
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
        let in_segment = |r: u32| attrs.get(&r).is_some_and(|a| segment.matches(a));
        let page_refs: HashSet<u32> = {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT DISTINCT ref FROM point_chunks
                     WHERE page_id = ?1 AND viewport = ?2 AND ref IS NOT NULL",
                )
                .map_err(|e| sql_error(CORE, e))?;
            let refs: Vec<u32> = stmt
                .query_map(rusqlite::params![page_id, viewport], |r| r.get(0))
                .and_then(Iterator::collect)
                .map_err(|e| sql_error(CORE, e))?;
            refs.into_iter().filter(|&r| in_segment(r)).collect()
        };
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
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    ElementVisit {
                        clicks: r.get(2)?,
                        rage: r.get(3)?,
                        dead: r.get(4)?,
                        error: r.get(5)?,
                        first_click_ms: r.get(6)?,
                        bounds: [r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                    },
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(CORE, e))?;
        Ok(elements::table(&visits, &page_refs, &attrs, k))
    }
}
