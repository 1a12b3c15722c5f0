//! What the heatmap gate reads from the encrypted store: pages, session attributes, depths,
//! points and screenshots, decoded in a few large reads and cached while unlocked (shared with
//! forks), and saved annotations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, params};

use crate::access::Workspace;
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::heatmap::annotation::Shape;
use crate::heatmap::figure::Screenshot;
use crate::heatmap::profile::SessionDepth;
use crate::heatmap::segment::SessionAttrs;

const CORE: &str = "core.db";

/// Points of one page, viewport class and kind, as stored: page CSS px and session refs.
#[derive(Debug, Default)]
pub struct PointSet {
    /// x per point.
    pub xs: Vec<f32>,
    /// y per point.
    pub ys: Vec<f32>,
    /// The aggregated session each point came from.
    pub refs: Vec<u32>,
}

type PointKey = (i64, String, &'static str);
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

    /// The points of a page, viewport class and kind: from the cache, or read in one pass
    /// over their chunks.
    pub(super) fn points(
        &self,
        page_id: i64,
        viewport: &str,
        kind: &'static str,
    ) -> Result<Arc<PointSet>> {
        let key = (page_id, viewport.to_owned(), kind);
        if let Some(set) = self
            .cache
            .points
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(set);
        }
        // Sized first from the chunks' counts (stored before their blobs, so no blob is read):
        // vectors grown by doubling had the kernel zero every new block, a third of a cold
        // heatmap's time.
        let expected: i64 = self
            .core
            .prepare_cached(
                "SELECT COALESCE(SUM(c.count), 0) FROM point_chunks c
                 JOIN heatmap_sessions h ON h.ref = c.ref
                 WHERE c.page_id = ?1 AND c.viewport = ?2 AND c.kind = ?3 AND h.pending = 0",
            )
            .and_then(|mut st| st.query_row(params![page_id, viewport, kind], |r| r.get(0)))
            .map_err(|e| sql_error(CORE, e))?;
        let mut stmt = self
            .core
            .prepare_cached(
                "SELECT c.xs, c.ys, c.refs FROM point_chunks c JOIN heatmap_sessions h ON h.ref = c.ref
                 WHERE c.page_id = ?1 AND c.viewport = ?2 AND c.kind = ?3 AND h.pending = 0",
            )
            .map_err(|e| sql_error(CORE, e))?;
        let mut rows = stmt
            .query(params![page_id, viewport, kind])
            .map_err(|e| sql_error(CORE, e))?;
        let mut set = PointSet::default();
        // A damaged count cannot ask for more than the chunks can hold.
        let capacity = usize::try_from(expected).unwrap_or(0).min(1 << 31);
        set.xs.reserve_exact(capacity);
        set.ys.reserve_exact(capacity);
        set.refs.reserve_exact(capacity);
        let floats = |b: &[u8], out: &mut Vec<f32>| {
            out.extend(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        };
        while let Some(row) = rows.next().map_err(|e| sql_error(CORE, e))? {
            let get = |i| {
                row.get_ref(i)
                    .map_err(|e| sql_error(CORE, e))?
                    .as_blob()
                    .map_err(|_| Error::Integrity("A heatmap point chunk is damaged.".into()))
            };
            let (xs, ys, refs) = (get(0)?, get(1)?, get(2)?);
            // A chunk whose columns disagree is damaged; its points are not guessed at.
            if xs.len() != ys.len() || xs.len() != refs.len() {
                continue;
            }
            floats(xs, &mut set.xs);
            floats(ys, &mut set.ys);
            set.refs.extend(
                refs.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        let set = Arc::new(set);
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

/// The points of `set` whose session is in the segment, copied into plain vectors (the engine
/// takes slices), and the distinct sessions those are.
pub(super) fn select(set: &PointSet, keep: &dyn Fn(u32) -> bool) -> (Vec<f32>, Vec<f32>, Vec<u32>) {
    // Session refs are dense row ids, so a table indexed by ref decides each session once
    // without hashing ten million points: 0 unseen, 1 kept, 2 left out.
    let mut verdict = vec![0u8; set.refs.iter().copied().max().map_or(0, |m| m as usize + 1)];
    let (mut xs, mut ys) = (
        Vec::with_capacity(set.xs.len()),
        Vec::with_capacity(set.ys.len()),
    );
    let mut sessions = Vec::new();
    for ((&x, &y), &r) in set.xs.iter().zip(&set.ys).zip(&set.refs) {
        let v = &mut verdict[r as usize];
        if *v == 0 {
            *v = if keep(r) { 1 } else { 2 };
            if *v == 1 {
                sessions.push(r);
            }
        }
        if *v == 1 {
            xs.push(x);
            ys.push(y);
        }
    }
    (xs, ys, sessions)
}
