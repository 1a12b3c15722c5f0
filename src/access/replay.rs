//! Replays through the gate: a session's masked events (with the purpose logged), its pages'
//! screenshots and its survey answer, in one logged opening.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use crate::access::heatmaps::Screenshot;
use crate::access::{Action, Capability, SessionSummary, Workspace};
use crate::dataset::db::sql_error;
use crate::dom::DomTrack;
use crate::error::{Error, Result};
use crate::replay::frame::FrameMode;
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
    /// The masked page replay, when the import kept one.
    pub page: Option<DomTrack>,
    /// A page was kept but cannot be read (damaged, or written by another build).
    pub page_unreadable: bool,
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
            // A page drawn from another session's replay is not this session's page.
            if let Some(shot) = self.screenshot(page_id, &viewport)?
                && !shot.reconstructed
            {
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
        let (page, page_unreadable) = match self.page_track(session_id)? {
            Some(Ok(track)) => (Some(track), false),
            Some(Err(_)) => (None, true),
            None => (None, false),
        };
        Ok(ReplayData {
            session,
            events,
            screenshots,
            survey,
            page,
            page_unreadable,
        })
    }
}

impl Workspace {
    /// The stored page track of a session. Private: callers reach it through a logged
    /// opening ([`Workspace::replay`]). A damaged track is an inner error, so the replay still
    /// opens (on the screenshot) and says why.
    fn page_track(&self, session_id: &str) -> Result<Option<Result<DomTrack>>> {
        let Some(rec) = self.recordings.as_ref() else {
            return Ok(None);
        };
        let blob: Option<Vec<u8>> = rec
            .query_row(
                "SELECT track FROM session_pages WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error("recordings.db", e))?;
        Ok(blob.map(|b| DomTrack::decode(&b)))
    }
}

/// A frame written by [`Workspace::export_session_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameWritten {
    /// Pixels.
    pub width: usize,
    /// Pixels.
    pub height: usize,
    /// File size.
    pub bytes: usize,
}

impl Workspace {
    /// Writes one frame of a session as a PNG (compliance lead, analyst): opened through
    /// [`Workspace::replay`], so the purpose is required and logged.
    pub fn export_session_frame(
        &self,
        session_id: &str,
        purpose: &str,
        at_ms: i64,
        mode: FrameMode,
        out: &std::path::Path,
    ) -> Result<FrameWritten> {
        let data = self.replay(session_id, purpose)?;
        let object = format!(
            "frame of session {session_id} at {at_ms} ms to {}",
            Workspace::export_file_label(out)
        );
        self.gate(Action::ExportSessionFrame, &object, purpose)?;
        let written = self.write_frame(&data, at_ms, mode, out);
        match written {
            Ok(w) => Ok(w),
            Err(e) => self.failed(Action::ExportSessionFrame, &object, e),
        }
    }

    fn write_frame(
        &self,
        data: &ReplayData,
        at_ms: i64,
        mode: FrameMode,
        out: &std::path::Path,
    ) -> Result<FrameWritten> {
        let source = crate::replay::frame::FrameSource {
            events: &data.events,
            page: data.page.as_ref(),
            screenshots: &data.screenshots,
            viewport_width: data.session.viewport_width as u32,
        };
        let canvas = crate::replay::frame::compose(&source, at_ms, mode)?;
        let source = match mode {
            FrameMode::Page => "page reconstructed from the recording, text masked",
            FrameMode::Screenshot => "page screenshot, pointer from the recording",
        };
        let chunks = vec![
            ("Software".to_owned(), "Sightline".to_owned()),
            (
                "Description".to_owned(),
                format!("Masked replay frame at {at_ms} ms: {source}"),
            ),
        ];
        let png = crate::export::png::encode(&canvas, &chunks)?;
        crate::fsutil::write_atomically(out, |w| {
            w.write_all(&png)
                .map_err(crate::error::Error::io("write", out))
        })?;
        Ok(FrameWritten {
            width: canvas.width,
            height: canvas.height,
            bytes: png.len(),
        })
    }
}
