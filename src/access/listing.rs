//! The session list and the page list through the gate.

use serde::Serialize;

use crate::access::{Action, Capability, Workspace};
use crate::clock::rfc3339;
use crate::dataset::db;
use crate::error::{Error, Result};

/// One row of the session list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    /// Session id.
    pub id: String,
    /// Subject pseudonym.
    pub subject: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// Length.
    pub duration_ms: i64,
    /// desktop, tablet or mobile.
    pub device: String,
    /// CSS width of the viewport.
    pub viewport_width: i64,
    /// Region or jurisdiction.
    pub region: String,
    /// Page patterns visited.
    pub pages: Vec<String>,
    /// Clicks and taps.
    pub clicks: i64,
    /// Rage clicks.
    pub rage_clicks: i64,
    /// Dead clicks.
    pub dead_clicks: i64,
    /// A/B variant.
    pub variant: String,
    /// Survey score (1–5), if the subject answered.
    pub survey_score: Option<i64>,
    /// Clicks followed within 1 s by an error (unknown before signals were computed).
    pub error_clicks: Option<i64>,
    /// Pages left within 5 s for the previous one.
    pub quick_backs: Option<i64>,
    /// Scroll reversals well above a page's median.
    pub excessive_scroll: Option<bool>,
    /// Frustration score, 0–100 (`docs/SIGNALS.md`).
    pub frustration: Option<u8>,
}

/// One row of the page list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageSummary {
    /// Page pattern.
    pub page: String,
    /// Viewport classes with a screenshot.
    pub viewports: Vec<String>,
    /// Heatmap sessions that visited the page (0 when they come from fewer than k people).
    pub sessions: i64,
    /// The policy's floor, when the page's sessions come from fewer than k people.
    pub below_floor: Option<usize>,
    /// Its warehouse grid layers, as lists show them ("desktop clicks: warehouse grid,
    /// 2026-11-01…30, 12.4M clicks").
    pub grids: Vec<String>,
}

impl PageSummary {
    /// The count as shown: a number of sessions, or "fewer than k people".
    pub fn sessions_label(&self) -> String {
        match self.below_floor {
            Some(k) => crate::heatmap::k_floor::fewer_than(k),
            None => format!("{} sessions", self.sessions),
        }
    }
}

impl Workspace {
    /// The session list, newest first (analyst, compliance lead, data engineer).
    pub fn sessions(&self, limit: Option<usize>) -> Result<Vec<SessionSummary>> {
        self.gate(Action::ListSessions, "sessions", "")?;
        self.session_rows(None, limit)
    }

    /// Session rows, newest first: one session or all (up to `limit`). Not gated: callers are.
    pub(crate) fn session_rows(
        &self,
        id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<SessionSummary>> {
        let conn = self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability: Capability::ListSessions,
        })?;
        let limit = limit.map_or(-1, |l| l as i64);
        let mut stmt = conn
            .prepare(
                "SELECT id, subject, started_at_ms, duration_ms, device, viewport_width, region, pages, clicks, rage_clicks,
                        dead_clicks, variant, survey_score, error_clicks, quick_backs, excessive_scroll,
                        frustration
                 FROM sessions WHERE ?1 IS NULL OR id = ?1 ORDER BY started_at_ms DESC LIMIT ?2",
            )
            .map_err(|e| db::sql_error("recordings.db", e))?;
        let rows = stmt
            .query_map(rusqlite::params![id, limit], |r| {
                let pages: String = r.get(7)?;
                Ok(SessionSummary {
                    id: r.get(0)?,
                    subject: r.get(1)?,
                    started_at: rfc3339(r.get(2)?),
                    duration_ms: r.get(3)?,
                    device: r.get(4)?,
                    viewport_width: r.get(5)?,
                    region: r.get(6)?,
                    pages: serde_json::from_str(&pages).unwrap_or_default(),
                    clicks: r.get(8)?,
                    rage_clicks: r.get(9)?,
                    dead_clicks: r.get(10)?,
                    variant: r.get(11)?,
                    survey_score: r.get(12)?,
                    error_clicks: r.get(13)?,
                    quick_backs: r.get(14)?,
                    excessive_scroll: r.get(15)?,
                    frustration: r.get(16)?,
                })
            })
            .map_err(|e| db::sql_error("recordings.db", e))?;
        rows.map(|r| r.map_err(|e| db::sql_error("recordings.db", e)))
            .collect()
    }

    /// The page list with screenshot viewports and session counts (every role).
    pub fn pages(&self) -> Result<Vec<PageSummary>> {
        self.gate(Action::ListPages, "pages", "")?;
        let k = self.k_anonymity();
        let mut stmt = self
            .core
            .prepare(
                "SELECT p.pattern,
                        (SELECT group_concat(viewport, ',') FROM screenshots s WHERE s.page_id = p.id),
                        (SELECT count(*) FROM heatmap_sessions h WHERE h.pending = 0 AND h.ref IN
                            (SELECT CAST(substr(ps.session_id, 2) AS INTEGER) FROM page_sessions ps
                             WHERE ps.page_id = p.id AND ps.session_id LIKE 'h%')),
                        -- People: subject buckets; sessions whose subject is unknown count
                        -- together as one person.
                        (SELECT count(DISTINCT coalesce(h.subject_group, ?1)) FROM heatmap_sessions h
                         WHERE h.pending = 0 AND h.ref IN
                            (SELECT CAST(substr(ps.session_id, 2) AS INTEGER) FROM page_sessions ps
                             WHERE ps.page_id = p.id AND ps.session_id LIKE 'h%'))
                 FROM pages p ORDER BY p.pattern",
            )
            .map_err(|e| db::sql_error("core.db", e))?;
        let rows = stmt
            .query_map([crate::privacy::pseudonym::SUBJECT_GROUPS], |r| {
                let viewports: Option<String> = r.get(1)?;
                Ok(PageSummary {
                    page: r.get(0)?,
                    viewports: viewports
                        .map(|v| v.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    sessions: r.get(2)?,
                    below_floor: (r.get::<_, i64>(3)? < k as i64).then_some(k),
                    grids: Vec::new(),
                })
                .map(|mut p: PageSummary| {
                    if p.below_floor.is_some() {
                        p.sessions = 0;
                    }
                    p
                })
            })
            .map_err(|e| db::sql_error("core.db", e))?;
        let mut pages: Vec<PageSummary> = rows
            .map(|r| r.map_err(|e| db::sql_error("core.db", e)))
            .collect::<Result<_>>()?;
        for layer in crate::grid::store::list(&self.core)? {
            if let Some(p) = pages.iter_mut().find(|p| p.page == layer.page) {
                let segment = if layer.segment_key.is_empty() {
                    String::new()
                } else {
                    format!(" ({} {})", layer.segment_key, layer.segment_value)
                };
                p.grids.push(format!(
                    "{} {}{segment}: {}",
                    layer.viewport,
                    layer.kind,
                    layer.describe()
                ));
            }
        }
        Ok(pages)
    }
}
