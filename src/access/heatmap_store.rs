//! What the heatmap gate reads from the encrypted store: pages, session attributes, depths,
//! points and screenshots, decoded in a few large reads and cached while unlocked (shared with
//! forks), and saved annotations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, params};

use crate::access::{Notice, Workspace};
use crate::dataset::db::sql_error;
use crate::dataset::points::Stream;
use crate::error::{Error, Result};
use crate::heatmap::annotation::Shape;
use crate::heatmap::figure::Screenshot;
use crate::heatmap::profile::SessionDepth;
use crate::heatmap::segment::SessionAttrs;

const CORE: &str = "core.db";

pub use crate::dataset::points::PointSet;

type PointKey = crate::dataset::points::Key;
/// A screenshot by page id and viewport class; `None` remembers that there is none.
type ShotCache = HashMap<(i64, String), Option<Screenshot>>;

/// Decoded points and screenshots, shared between a workspace and its forks.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    points: Arc<Mutex<HashMap<PointKey, Arc<PointSet>>>>,
    screenshots: Arc<Mutex<ShotCache>>,
}

impl Cache {
    /// Forgets everything (after an import).
    pub fn clear(&self) {
        if let Ok(mut p) = self.points.lock() {
            p.clear();
        }
        if let Ok(mut s) = self.screenshots.lock() {
            s.clear();
        }
    }
}

impl Workspace {
    /// The stored pattern of a page given by pattern or URL, or what the text normalises to.
    pub(super) fn stored_pattern(&self, page: &str) -> String {
        self.page_id(page)
            .ok()
            .and_then(|id| {
                self.core
                    .query_row("SELECT pattern FROM pages WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .ok()
            })
            .unwrap_or_else(|| crate::privacy::url::page_pattern(page))
    }

    /// A page by its pattern, or by any URL that normalises to it.
    pub(crate) fn page_id(&self, page: &str) -> Result<i64> {
        let normalised = crate::privacy::url::page_pattern(page);
        let with_scheme = crate::privacy::url::page_pattern(&format!("https://{page}"));
        let plain = crate::privacy::url::page_pattern(&format!("http://{page}"));
        for candidate in [page, &normalised, &with_scheme, &plain] {
            let found = self
                .core
                .query_row(
                    "SELECT id FROM pages WHERE pattern = ?1",
                    [candidate],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| sql_error(CORE, e))?;
            if let Some(id) = found {
                return Ok(id);
            }
        }
        Err(Error::Invalid(format!(
            "No page '{page}' in this dataset; `sightline pages` lists them."
        )))
    }

    pub(super) fn session_attrs(&self) -> Result<HashMap<u32, SessionAttrs>> {
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT ref, day, device, region, variant, cohort, survey_score,
                        coalesce(subject_group, ?1)
                 FROM heatmap_sessions WHERE pending = 0",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let rows = stmt
            .query_map([crate::privacy::pseudonym::SUBJECT_GROUPS], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    SessionAttrs {
                        day: r.get(1)?,
                        device: r.get(2)?,
                        region: r.get(3)?,
                        variant: r.get(4)?,
                        cohort: r.get(5)?,
                        survey_score: r.get(6)?,
                        subject: r.get(7)?,
                    },
                ))
            })
            .map_err(|e| sql_error(CORE, e))?;
        rows.map(|r| r.map_err(|e| sql_error(CORE, e))).collect()
    }

    pub(super) fn depths(&self, page_id: i64) -> Result<Vec<(u32, SessionDepth)>> {
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT ref, max_bottom_px, viewport_height, attention FROM page_depths WHERE page_id = ?1",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let rows = stmt
            .query_map([page_id], |r| {
                let attention: Option<Vec<u8>> = r.get(3)?;
                Ok((
                    r.get::<_, u32>(0)?,
                    SessionDepth {
                        max_bottom_px: r.get::<_, f64>(1)? as f32,
                        viewport_height: r.get::<_, f64>(2)? as f32,
                        attention_ms: attention
                            .unwrap_or_default()
                            .chunks_exact(4)
                            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect(),
                    },
                ))
            })
            .map_err(|e| sql_error(CORE, e))?;
        rows.map(|r| r.map_err(|e| sql_error(CORE, e))).collect()
    }

    /// The points of a page, viewport class and stream (clicks carry their rage and dead
    /// flags): from the cache, or read in one pass over the page's blocks.
    pub(super) fn points(
        &self,
        page_id: i64,
        viewport: &str,
        stream: Stream,
    ) -> Result<Arc<PointSet>> {
        let key = (page_id, viewport.to_owned(), stream);
        if let Some(set) = self
            .cache
            .points
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(set);
        }
        // A block that does not decode is left out, as a damaged row always was: the rest of
        // the page still draws, and the user is told.
        let read =
            crate::dataset::points::read(&self.core, &key).map_err(|e| sql_error(CORE, e))?;
        if read.damaged > 0 {
            self.add_notice(Notice::warning(format!(
                "{} of this page's stored point blocks could not be read and are left out of its heatmaps: core.db may be damaged. Restore it from a backup, or import the recordings again.",
                read.damaged
            )));
        }
        let set = Arc::new(read.points);
        if let Ok(mut cache) = self.cache.points.lock() {
            cache.insert(key, set.clone());
        }
        Ok(set)
    }

    pub(crate) fn screenshot(&self, page_id: i64, viewport: &str) -> Result<Option<Screenshot>> {
        let key = (page_id, viewport.to_owned());
        if let Some(s) = self
            .cache
            .screenshots
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(s);
        }
        let shot = self
            .core
            .query_row(
                "SELECT png, width_px, height_px, css_width, source FROM screenshots WHERE page_id = ?1 AND viewport = ?2",
                params![page_id, viewport],
                |r| {
                    Ok(Screenshot {
                        png: Arc::new(r.get(0)?),
                        width_px: r.get::<_, i64>(1)?.max(1) as usize,
                        height_px: r.get::<_, i64>(2)?.max(1) as usize,
                        css_width: r.get::<_, i64>(3)?.max(1) as u32,
                        reconstructed: r.get::<_, String>(4)? == "reconstructed",
                    })
                },
            )
            .optional()
            .map_err(|e| sql_error(CORE, e))?;
        if let Ok(mut cache) = self.cache.screenshots.lock() {
            cache.insert(key, shot.clone());
        }
        Ok(shot)
    }

    pub(super) fn annotations(&self, page_id: i64, viewport: &str) -> Result<Vec<Shape>> {
        let doc: Option<String> = self
            .core
            .query_row(
                "SELECT doc FROM annotations WHERE page_id = ?1 AND viewport = ?2",
                params![page_id, viewport],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error(CORE, e))?;
        Ok(doc
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default())
    }
}

/// The points of `set` whose session is in the segment (borrowed when that is all of them:
/// the engine takes slices), and the distinct sessions those are.
pub(super) fn select<'a>(
    set: &'a PointSet,
    keep: &dyn Fn(u32) -> bool,
) -> (Cow<'a, [f32]>, Cow<'a, [f32]>, Vec<u32>) {
    // Session refs are dense row ids, so a table indexed by ref decides each session once
    // without hashing: 0 unseen, 1 kept, 2 left out.
    let top = set.runs.iter().map(|r| r.session).max();
    let mut verdict = vec![0u8; top.map_or(0, |m| m as usize + 1)];
    let mut sessions = Vec::new();
    for run in &set.runs {
        let v = &mut verdict[run.session as usize];
        if *v == 0 {
            *v = if keep(run.session) { 1 } else { 2 };
            if *v == 1 {
                sessions.push(run.session);
            }
        }
    }
    if set.runs.iter().all(|r| verdict[r.session as usize] == 1) {
        return (Cow::Borrowed(&set.xs), Cow::Borrowed(&set.ys), sessions);
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut at = 0usize;
    for run in &set.runs {
        let range = at..at + run.len as usize;
        at = range.end;
        if verdict[run.session as usize] == 1 {
            xs.extend_from_slice(set.xs.get(range.clone()).unwrap_or_default());
            ys.extend_from_slice(set.ys.get(range).unwrap_or_default());
        }
    }
    (Cow::Owned(xs), Cow::Owned(ys), sessions)
}
