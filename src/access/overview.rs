//! The Overview through the gate: the figures of `insights::overview` for a period and a
//! segment, read from core.db (so UX liaisons, who hold no replays, see them too), and the
//! import and compliance health of `insights::health`, each logged.

use crate::access::{Action, PolicyKind, Workspace};
use crate::dataset::db::sql_error;
use crate::error::Result;
use crate::heatmap::segment::Segment;
use crate::insights::elements::ElementVisit;
use crate::insights::health::{self, ComplianceHealth, ImportHealth};
use crate::insights::overview::{self, ElementRowIn, Overview, SessionRow, Text};

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
        // Text repeated over many rows (days, viewport classes, pages, selectors) is read
        // once and shared.
        let mut texts = Interner::default();
        // The segment's fields other than its dates filter in SQL; the period is the
        // Overview's own (it also reads the period before).
        let mut sessions = Vec::new();
        {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT ref, day, device, survey_score, coalesce(subject_group, ?1), frustration
                     FROM heatmap_sessions
                     WHERE pending = 0 AND (?2 IS NULL OR device = ?2) AND (?3 IS NULL OR region = ?3)
                       AND (?4 IS NULL OR variant = ?4) AND (?5 IS NULL OR cohort = ?5)
                       AND (?6 IS NULL OR survey_score BETWEEN ?6 AND ?7)",
                )
                .map_err(|e| sql_error(CORE, e))?;
            let (lo, hi) = segment.score.unzip();
            let mut rows = stmt
                .query(rusqlite::params![
                    crate::privacy::pseudonym::SUBJECT_GROUPS,
                    segment.device,
                    segment.region,
                    segment.variant,
                    segment.cohort,
                    lo,
                    hi
                ])
                .map_err(|e| sql_error(CORE, e))?;
            while let Some(r) = rows.next().map_err(|e| sql_error(CORE, e))? {
                let mut read = || -> rusqlite::Result<SessionRow> {
                    Ok(SessionRow {
                        r: r.get(0)?,
                        day: texts.get(r.get_ref(1)?.as_str()?),
                        viewport: texts.get(r.get_ref(2)?.as_str()?),
                        survey: r.get(3)?,
                        subject: r.get(4)?,
                        frustration: r.get(5)?,
                    })
                };
                sessions.push(read().map_err(|e| sql_error(CORE, e))?);
            }
        }
        let last = sessions.iter().map(|s| &*s.day).max().map(str::to_owned);
        let to = segment
            .to
            .clone()
            .or(last)
            .unwrap_or_else(|| crate::clock::day(self.device.now_ms()));
        let from = segment.from.clone().unwrap_or_else(|| {
            overview::days_before(&to, DEFAULT_DAYS - 1).unwrap_or_else(|| to.clone())
        });
        let names = self.page_names()?;
        let pages: Vec<(u32, Text)> = {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT CAST(substr(session_id, 2) AS INTEGER), page_id FROM page_sessions
                     WHERE session_id LIKE 'h%'",
                )
                .map_err(|e| sql_error(CORE, e))?;
            stmt.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?)))
                .and_then(|rows| {
                    rows.filter_map(|row| match row {
                        Ok((r, page)) => names.get(&page).map(|n| Ok((r, n.clone()))),
                        Err(e) => Some(Err(e)),
                    })
                    .collect()
                })
                .map_err(|e| sql_error(CORE, e))?
        };
        let elements: Vec<ElementRowIn> = {
            let mut stmt = self
                .core
                .prepare_cached(
                    "SELECT c.ref, c.page_id, c.viewport, e.selector, c.clicks, c.rage, c.dead,
                            c.error, c.first_click_ms, c.x0, c.y0, c.x1, c.y1
                     FROM element_clicks c JOIN elements e ON e.id = c.element_id
                     WHERE c.rage + c.dead + c.error > 0",
                )
                .map_err(|e| sql_error(CORE, e))?;
            let mut out = Vec::new();
            let mut rows = stmt.query([]).map_err(|e| sql_error(CORE, e))?;
            while let Some(r) = rows.next().map_err(|e| sql_error(CORE, e))? {
                let mut read = || -> rusqlite::Result<Option<ElementRowIn>> {
                    let Some(page) = names.get(&r.get::<_, i64>(1)?) else {
                        return Ok(None);
                    };
                    Ok(Some((
                        r.get(0)?,
                        page.clone(),
                        texts.get(r.get_ref(2)?.as_str()?),
                        texts.get(r.get_ref(3)?.as_str()?),
                        ElementVisit::from_row(r, 4)?,
                    )))
                };
                out.extend(read().map_err(|e| sql_error(CORE, e))?);
            }
            out
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

/// Shares one copy of each distinct text among the rows that hold it.
#[derive(Default)]
struct Interner(std::collections::HashMap<Box<str>, Text>);

impl Interner {
    fn get(&mut self, text: &str) -> Text {
        if let Some(t) = self.0.get(text) {
            return t.clone();
        }
        let t: Text = text.into();
        self.0.insert(text.into(), t.clone());
        t
    }
}

impl Workspace {
    /// Every page's pattern by id, shared.
    fn page_names(&self) -> Result<std::collections::HashMap<i64, Text>> {
        let mut stmt = self
            .core
            .prepare_cached("SELECT id, pattern FROM pages")
            .map_err(|e| sql_error(CORE, e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, Text::from(r.get::<_, String>(1)?))))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(CORE, e))
    }
}
