//! The Overview through the gate: the figures of `insights::overview` for a period and a
//! segment, read from core.db (so UX liaisons, who hold no replays, see them too), and the
//! import and compliance health of `insights::health`, each logged.

use crate::access::{Action, PolicyKind, Workspace};
use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::heatmap::segment::Segment;
use crate::insights::elements::ElementVisit;
use crate::insights::health::{self, ComplianceHealth, ImportHealth};
use crate::insights::overview::{self, ElementRowIn, Overview, SessionRow};

const CORE: &str = "core.db";

/// Days in the default period, ending on the last day with data.
pub const DEFAULT_DAYS: i64 = 30;

impl Workspace {
    /// Import health since `since` (`YYYY-MM-DD`): imports by day, sessions dropped by reason,
    /// capture-to-analysis latency (compliance lead, analyst, data engineer).
    pub fn import_health(&self, since: &str) -> Result<ImportHealth> {
        self.gate(
            Action::ViewImportHealth,
            &format!("import health since {since}"),
            "",
        )?;
        health::import_health(&self.core, since)
    }

    /// Denied attempts per week, the last Verify and the time to acknowledge anomalies since
    /// `since` (compliance lead: it reads the access log).
    pub fn compliance_health(&self, since: &str) -> Result<ComplianceHealth> {
        self.gate(
            Action::ViewComplianceHealth,
            &format!("compliance health since {since}"),
            "",
        )?;
        health::compliance_health(&self.core, since)
    }

    /// The Overview for `segment` (every role): its `from`/`to` are the period (default: the
    /// last [`DEFAULT_DAYS`] days with data), its other fields filter the sessions.
    pub fn overview(&self, segment: &Segment) -> Result<Overview> {
        self.gate(
            Action::ViewOverview,
            &format!("overview [{}]", segment.describe()),
            "",
        )?;
        // The k floor decides what may be shown: never under a policy changed by hand.
        self.require_policy(PolicyKind::Policy)?;
        let k = self.k_anonymity();
        let others = Segment {
            from: None,
            to: None,
            ..segment.clone()
        };
        // The same attributes the heatmaps filter on, and each session's score.
        let frustration: std::collections::HashMap<u32, Option<u8>> = self
            .core
            .prepare_cached("SELECT ref, frustration FROM heatmap_sessions WHERE pending = 0")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .and_then(Iterator::collect)
            })
            .map_err(|e| sql_error(CORE, e))?;
        let sessions: Vec<SessionRow> = self
            .session_attrs()?
            .into_iter()
            .filter(|(_, a)| others.matches(a))
            .map(|(r, a)| SessionRow {
                r,
                frustration: frustration.get(&r).copied().flatten(),
                day: a.day,
                viewport: a.device,
                survey: a.survey_score,
                subject: a.subject,
            })
            .collect();
        let last = sessions
            .iter()
            .map(|s| s.day.as_str())
            .max()
            .map(str::to_owned);
        let to = segment
            .to
            .clone()
            .or(last)
            .unwrap_or_else(|| crate::clock::day(self.device.now_ms()));
        let from = segment.from.clone().unwrap_or_else(|| {
            overview::days_before(&to, DEFAULT_DAYS - 1).unwrap_or_else(|| to.clone())
        });
        let pages: Vec<(u32, String)> = {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT CAST(substr(ps.session_id, 2) AS INTEGER), p.pattern
                     FROM page_sessions ps JOIN pages p ON p.id = ps.page_id
                     WHERE ps.session_id LIKE 'h%'",
                )
                .map_err(|e| sql_error(CORE, e))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(|e| sql_error(CORE, e))?
        };
        let elements: Vec<ElementRowIn> = {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT c.ref, p.pattern, c.viewport, e.selector, c.clicks, c.rage, c.dead,
                            c.error, c.first_click_ms, c.x0, c.y0, c.x1, c.y1
                     FROM element_clicks c JOIN pages p ON p.id = c.page_id
                     JOIN elements e ON e.id = c.element_id
                     WHERE c.rage + c.dead + c.error > 0",
                )
                .map_err(|e| sql_error(CORE, e))?;
            stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    ElementVisit::from_row(r, 4)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(CORE, e))?
        };
        Ok(overview::overview(
            &sessions,
            &pages,
            &elements,
            (&from, &to),
            k,
        ))
    }
}
