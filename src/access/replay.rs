//! Replays through the gate: a session's masked events (with the purpose logged), its pages'
//! screenshots and its survey answer, in one logged opening.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use crate::access::heatmaps::Screenshot;
use crate::access::{Capability, SessionSummary, Workspace};
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::session::{EventKind, SessionEvent, device_class};

/// A survey answer linked to a session or its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswer {
    /// 1–5.
    pub score: i64,
    /// The comment, redacted at import.
    pub comment: String,
}

/// Everything the player needs for one session.
#[derive(Debug, Clone)]
pub struct ReplayData {
    /// The list row.
    pub session: SessionSummary,
    /// The masked events.
    pub events: Vec<SessionEvent>,
    /// Screenshots by (page pattern, viewport class), for the pages and viewports it visited.
    pub screenshots: HashMap<(String, String), Screenshot>,
    /// The survey answer, if any.
    pub survey: Option<SurveyAnswer>,
}

impl Workspace {
    /// Opens a session for replay (compliance lead, analyst). The purpose is required and
    /// goes into the access-log entry.
    pub fn replay(&self, session_id: &str, purpose: &str) -> Result<ReplayData> {
        let events = self.session_events(session_id, purpose)?;
        let rec = self.recordings.as_ref().ok_or(Error::Denied {
            role: self.role,
            capability: Capability::ReplaySession,
        })?;
        let session = self
            .session_rows(Some(session_id), None)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Invalid(format!("There is no session '{session_id}'.")))?;
        let mut wanted: Vec<(String, String)> = Vec::new();
        let (mut page, mut width) = (None::<String>, session.viewport_width as u32);
        for e in &events {
            match e.kind {
                EventKind::Navigation => page.clone_from(&e.url),
                EventKind::Viewport => width = e.width.unwrap_or(width),
                _ => continue,
            }
            if let Some(p) = &page {
                let key = (p.clone(), device_class(width).to_owned());
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
        }
        let mut screenshots = HashMap::new();
        for (page, viewport) in wanted {
            let Ok(page_id) = self.page_id(&page) else {
                continue;
            };
            if let Some(shot) = self.screenshot(page_id, &viewport)? {
                screenshots.insert((page, viewport), shot);
            }
        }
        let survey = rec
            .query_row(
                "SELECT v.score, v.comment FROM surveys v JOIN sessions s ON s.id = ?1
                 WHERE v.session_key = s.source_key OR (v.session_key = '' AND v.subject = s.subject)
                 ORDER BY v.session_key = s.source_key DESC, v.id DESC LIMIT 1",
                [session_id],
                |r| {
                    Ok(SurveyAnswer {
                        score: r.get(0)?,
                        comment: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| sql_error("recordings.db", e))?;
        Ok(ReplayData {
            session,
            events,
            screenshots,
            survey,
        })
    }
}
