//! Grid layers in core.db: each layer's cells as rows, its provenance beside it. A new grid
//! may not overlap what the dataset holds (local sessions on a page, viewport class and day,
//! or a grid layer of the same segment), so no event is counted twice when layers and local
//! points are drawn together.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Layer, Provenance};
use crate::dataset::db::sql_error;
use crate::error::{Error, Result};

const CORE: &str = "core.db";

/// A stored layer, as lists show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    /// Its id.
    pub id: i64,
    /// The page pattern.
    pub page: String,
    /// `desktop`, `tablet` or `mobile`.
    pub viewport: String,
    /// `click` or `move`.
    pub kind: String,
    /// `""` for everyone.
    pub segment_key: String,
    /// The segment's value.
    pub segment_value: String,
    /// Bin side in CSS px.
    pub bin_px: u32,
    /// First day.
    pub day_from: String,
    /// Last day.
    pub day_to: String,
    /// Events in all its cells.
    pub events: u64,
    /// Where it came from.
    pub source: Provenance,
    /// When it was imported (ms since the epoch).
    pub imported_at_ms: i64,
}

impl LayerInfo {
    /// "layer 3: https://… (desktop, 50 px bins, everyone): warehouse grid, …; source …".
    pub fn line(&self) -> String {
        let segment = if self.segment_key.is_empty() {
            String::from("everyone")
        } else {
            format!("{} = {}", self.segment_key, self.segment_value)
        };
        format!(
            "layer {}: {} ({}, {} px bins, {segment}): {}; source {}",
            self.id,
            self.page,
            self.viewport,
            self.bin_px,
            self.describe(),
            self.source.describe()
        )
    }

    /// "warehouse grid, 2026-11-01…30, 12.4M clicks".
    pub fn describe(&self) -> String {
        let days = if self.day_from == self.day_to {
            self.day_from.clone()
        } else if self.day_from.get(..8) == self.day_to.get(..8) {
            format!("{}…{}", self.day_from, self.day_to.get(8..).unwrap_or(""))
        } else {
            format!("{}…{}", self.day_from, self.day_to)
        };
        let noun = if self.kind == "click" {
            "clicks"
        } else {
            "moves"
        };
        format!(
            "warehouse grid, {days}, {} {noun}",
            short_count(self.events)
        )
    }
}

fn short_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Refuses `layers` when any of their days is already described: by local sessions on the
/// same page and viewport class, or by a stored layer of the same page, viewport class, kind
/// and segment.
pub fn check_overlaps(core: &Connection, layers: &[Layer], file: &str) -> Result<()> {
    let failed = |e| sql_error(CORE, e);
    for layer in layers {
        let Some(page_id) = core
            .query_row(
                "SELECT id FROM pages WHERE pattern = ?1",
                [&layer.page],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(failed)?
        else {
            continue;
        };
        let mut days: Vec<&str> = layer.cells.iter().map(|c| &*c.day).collect();
        days.dedup();
        for day in days {
            // A session is filed under the day it started and the viewport it began with, but
            // its points may fall on the next day or, once resized, in another class: any local
            // session on the page that day or the day before counts as an overlap.
            let local: bool = core
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM page_sessions ps
                       JOIN heatmap_sessions h ON ps.session_id = 'h' || h.ref
                      WHERE ps.page_id = ?1 AND h.day IN (?2, date(?2, '-1 day')))",
                    params![page_id, day],
                    |r| r.get(0),
                )
                .map_err(failed)?;
            let grid: bool = core
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM grid_cells c
                       JOIN grid_layers l ON l.id = c.layer_id
                      WHERE l.page_id = ?1 AND l.viewport = ?2 AND l.kind = ?3
                        AND l.segment_key = ?4 AND l.segment_value = ?5 AND c.day = ?6)",
                    params![
                        page_id,
                        layer.viewport,
                        layer.stream.as_str(),
                        layer.segment_key,
                        layer.segment_value,
                        day
                    ],
                    |r| r.get(0),
                )
                .map_err(failed)?;
            let held_by = match (local, grid) {
                (true, _) => "local sessions",
                (_, true) => "a grid imported before",
                _ => continue,
            };
            return Err(Error::Invalid(format!(
                "{file}: grid refused: {} ({}, {}) on {day} is already described by {held_by}; \
                 counting it again would double its events.",
                layer.page,
                layer.viewport,
                layer.stream.as_str()
            )));
        }
    }
    Ok(())
}

/// Whether the dataset holds any grid layer.
pub fn any(core: &Connection) -> Result<bool> {
    core.prepare_cached("SELECT EXISTS (SELECT 1 FROM grid_layers)")
        .and_then(|mut st| st.query_row([], |r| r.get(0)))
        .map_err(|e| sql_error(CORE, e))
}

/// Whether a grid layer already describes one of `pages` on `day` or the day after (a
/// session's points may fall after midnight): that session's points would be counted twice.
pub fn covers(core: &Connection, pages: &[String], day: &str) -> Result<bool> {
    for page in pages {
        let covered: bool = core
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM grid_cells c
                   JOIN grid_layers l ON l.id = c.layer_id
                   JOIN pages p ON p.id = l.page_id
                  WHERE p.pattern = ?1 AND c.day IN (?2, date(?2, '+1 day')))",
            )
            .and_then(|mut st| st.query_row(params![page, day], |r| r.get(0)))
            .map_err(|e| sql_error(CORE, e))?;
        if covered {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks `layers` against what the dataset holds and stores them, in one write transaction
/// (taken before the check, so two imports cannot both pass it); returns their ids.
pub fn insert(
    core: &Connection,
    layers: &[Layer],
    source: &Provenance,
    file: &str,
    now_ms: i64,
) -> Result<Vec<i64>> {
    let failed = |e| sql_error(CORE, e);
    let tx = rusqlite::Transaction::new_unchecked(core, rusqlite::TransactionBehavior::Immediate)
        .map_err(failed)?;
    check_overlaps(&tx, layers, file)?;
    let source_json = serde_json::to_string(source).unwrap_or_default();
    let mut ids = Vec::with_capacity(layers.len());
    for layer in layers {
        let page_id = crate::ingest::store::page_id(&tx, &layer.page).map_err(failed)?;
        let (from, to) = layer.days().unwrap_or_default();
        tx.execute(
            "INSERT INTO grid_layers (page_id, viewport, kind, segment_key, segment_value, bin_px,
                                      day_from, day_to, events, source, imported_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                page_id,
                layer.viewport,
                layer.stream.as_str(),
                layer.segment_key,
                layer.segment_value,
                layer.bin_px,
                from,
                to,
                i64::try_from(layer.events()).unwrap_or(i64::MAX),
                source_json,
                now_ms
            ],
        )
        .map_err(failed)?;
        let id = tx.last_insert_rowid();
        let mut cell = tx
            .prepare_cached(
                "INSERT INTO grid_cells (layer_id, day, x_bin, y_bin, count, sessions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(failed)?;
        for c in &layer.cells {
            cell.execute(params![
                id,
                c.day,
                c.x_bin,
                c.y_bin,
                i64::try_from(c.count).unwrap_or(i64::MAX),
                i64::try_from(c.sessions).unwrap_or(i64::MAX)
            ])
            .map_err(failed)?;
        }
        ids.push(id);
    }
    tx.commit().map_err(failed)?;
    Ok(ids)
}

/// What a heatmap draws from grid layers: each layer's bin side, its cells within the days
/// asked for, and where it came from.
pub struct Drawn {
    /// Bin side in CSS px.
    pub bin_px: u32,
    /// `(x_bin, y_bin, count)`.
    pub cells: Vec<(u32, u32, u64)>,
    /// Where the layer came from.
    pub source: Provenance,
}

/// Which layers and cells a heatmap asks for: a page, viewport class and kind, the days
/// (inclusive; `None` is open) and the sealed policy's k floor.
pub struct Query<'a> {
    /// The page's id.
    pub page_id: i64,
    /// `desktop`, `tablet` or `mobile`.
    pub viewport: &'a str,
    /// `click` or `move`.
    pub kind: &'a str,
    /// First and last day.
    pub days: (Option<&'a str>, Option<&'a str>),
    /// Bins of fewer sessions are not drawn.
    pub k: u64,
}

impl Query<'_> {
    /// The ids and bin sides of the layers of segment `(key, value)`, and their provenance.
    fn layers(
        &self,
        core: &Connection,
        (key, value): (&str, &str),
    ) -> Result<Vec<(i64, u32, String)>> {
        core.prepare_cached(
            "SELECT id, bin_px, source FROM grid_layers
              WHERE page_id = ?1 AND viewport = ?2 AND kind = ?3
                AND segment_key = ?4 AND segment_value = ?5 ORDER BY id",
        )
        .and_then(|mut st| {
            st.query_map(
                params![self.page_id, self.viewport, self.kind, key, value],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect()
        })
        .map_err(|e| sql_error(CORE, e))
    }

    /// Calls `each(day, x_bin, y_bin, count, sessions)` for the cells of `layer` within the
    /// days that describe at least k sessions.
    fn cells(
        &self,
        core: &Connection,
        layer: i64,
        mut each: impl FnMut(&str, u32, u32, u64, u64),
    ) -> Result<()> {
        core.prepare_cached(
            "SELECT day, x_bin, y_bin, count, sessions FROM grid_cells
              WHERE layer_id = ?1 AND day >= ?2 AND day <= ?3 AND sessions >= ?4",
        )
        .and_then(|mut st| {
            let mut rows = st.query(params![
                layer,
                self.days.0.unwrap_or(""),
                self.days.1.unwrap_or("9999-12-31"),
                i64::try_from(self.k).unwrap_or(i64::MAX)
            ])?;
            while let Some(r) = rows.next()? {
                let day = r.get_ref(0)?.as_str().unwrap_or_default();
                each(
                    day,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, i64>(3)?.max(0) as u64,
                    r.get::<_, i64>(4)?.max(0) as u64,
                );
            }
            Ok(())
        })
        .map_err(|e| sql_error(CORE, e))
    }
}

/// The layers of segment `(key, value)` the query asks for, each with its cells summed over
/// the days. The import refused bins under the floor already; the floor is applied again
/// here because core.db is writable by anyone holding its key, and only the sealed policy's
/// `k` is trusted.
pub fn cells_for(core: &Connection, query: &Query, segment: (&str, &str)) -> Result<Vec<Drawn>> {
    let mut out = Vec::new();
    for (id, bin_px, source) in query.layers(core, segment)? {
        // Summed here rather than with GROUP BY, which sorts every row first.
        let mut sums: HashMap<(u32, u32), u64> = HashMap::new();
        query.cells(core, id, |_, x, y, count, _| {
            let sum = sums.entry((x, y)).or_default();
            *sum = sum.saturating_add(count);
        })?;
        let mut cells: Vec<(u32, u32, u64)> =
            sums.into_iter().map(|((x, y), n)| (x, y, n)).collect();
        // In row order, so the drawing walks the grid's memory forwards.
        cells.sort_unstable_by_key(|&(x, y, _)| (y, x));
        if !cells.is_empty() {
            out.push(Drawn {
                bin_px,
                cells,
                source: serde_json::from_str(&source).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// Sessions per bin, by `(day, x_bin, y_bin)`, with the bin side: `(bin_px, sessions)`.
type BinSessions = HashMap<(String, u32, u32), (u32, u64)>;

/// Why the grid layers of two segments may not be compared, if they may not. Each side is
/// its query (its own days) and segment `(key, value)`, or `None` when grid layers cannot
/// answer it (nothing of it is drawn from a grid).
///
/// The difference draws the sessions in one segment and not the other, which a grid cannot
/// count unless one segment holds the other. So only these compare: the same segment, two
/// values of one attribute (no session in both), and everyone against one value, where in
/// every bin both draw on a day they share the two must hold the same sessions or differ by at
/// least k (the sessions outside the value), at the same bin size. Two attributes (a region
/// against a variant) overlap in ways no bin records: refused.
pub fn compare_refusal(
    core: &Connection,
    a: Option<(Query, (&str, &str))>,
    b: Option<(Query, (&str, &str))>,
) -> Result<Option<String>> {
    let (Some((qa, sa)), Some((qb, sb))) = (a, b) else {
        return Ok(None);
    };
    if sa.0 == sb.0 {
        // The same segment, or two values of one attribute.
        return Ok(None);
    }
    // Sessions by (day, x, y), with the bin side.
    let sessions = |query: &Query, segment| -> Result<BinSessions> {
        let mut bins = HashMap::new();
        for (id, bin_px, _) in query.layers(core, segment)? {
            query.cells(core, id, |day, x, y, _, sessions| {
                bins.insert((day.to_owned(), x, y), (bin_px, sessions));
            })?;
        }
        Ok(bins)
    };
    let (in_a, in_b) = (sessions(&qa, sa)?, sessions(&qb, sb)?);
    if in_a.is_empty() || in_b.is_empty() {
        // One side draws no grid bin: the other's are drawn whole, each of k sessions or more.
        return Ok(None);
    }
    if !sa.0.is_empty() && !sb.0.is_empty() {
        return Ok(Some(
            "Not compared: warehouse grids of two different attributes overlap in ways no bin \
             records, so their difference could show a few sessions. Compare two values of one \
             attribute, or everyone against one value."
                .into(),
        ));
    }
    // Everyone against one value.
    let bin_side = |bins: &BinSessions| -> HashMap<String, u32> {
        bins.iter()
            .map(|((day, _, _), &(px, _))| (day.clone(), px))
            .collect()
    };
    let (side_a, side_b) = (bin_side(&in_a), bin_side(&in_b));
    if side_a
        .iter()
        .any(|(day, px)| side_b.get(day).is_some_and(|other| other != px))
    {
        return Ok(Some(
            "Not compared: on a day both draw, the two segments' warehouse grids have bins of \
             different sizes, which cannot be matched bin by bin."
                .into(),
        ));
    }
    let k = qa.k;
    let few = in_a.iter().any(|(bin, &(_, n))| {
        in_b.get(bin)
            .is_some_and(|&(_, m)| n != m && n.abs_diff(m) < k)
    });
    Ok(few.then(|| {
        format!(
            "Not compared: in some bins of the warehouse grid the two segments differ by \
             fewer than {k} sessions, so their difference would show those few. Compare two \
             values of one attribute, or everyone against a value that leaves out at least \
             {k} sessions in every bin."
        )
    }))
}

/// Deletes layer `id` and its cells in one transaction; returns it as it was.
pub fn remove(core: &Connection, id: i64) -> Result<LayerInfo> {
    let failed = |e| sql_error(CORE, e);
    let layer = list(core)?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "No warehouse grid layer {id}: `sightline grids` lists them."
            ))
        })?;
    let tx = core.unchecked_transaction().map_err(failed)?;
    tx.execute("DELETE FROM grid_cells WHERE layer_id = ?1", [id])
        .map_err(failed)?;
    tx.execute("DELETE FROM grid_layers WHERE id = ?1", [id])
        .map_err(failed)?;
    tx.commit().map_err(failed)?;
    Ok(layer)
}

/// The segments the layers were counted by, `(key, value)`, and the days their bins hold,
/// of bins that describe at least `k` sessions (only those are drawn).
pub fn segment_values(core: &Connection, k: u64) -> Result<GridValues> {
    let failed = |e| sql_error(CORE, e);
    let k = i64::try_from(k).unwrap_or(i64::MAX);
    let segments = core
        .prepare_cached(
            "SELECT DISTINCT segment_key, segment_value FROM grid_layers l
              WHERE segment_key != ''
                AND EXISTS (SELECT 1 FROM grid_cells c WHERE c.layer_id = l.id AND c.sessions >= ?1)",
        )
        .and_then(|mut st| st.query_map([k], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(failed)?;
    let days = core
        .prepare_cached("SELECT DISTINCT day FROM grid_cells WHERE sessions >= ?1")
        .and_then(|mut st| st.query_map([k], |r| r.get(0))?.collect())
        .map_err(failed)?;
    Ok(GridValues { segments, days })
}

/// What the segment pickers take from grid layers.
pub struct GridValues {
    /// `(key, value)` of the segments the layers were counted by.
    pub segments: Vec<(String, String)>,
    /// Days with bins.
    pub days: Vec<String>,
}

/// Every stored layer, by page.
pub fn list(core: &Connection) -> Result<Vec<LayerInfo>> {
    let mut stmt = core
        .prepare(
            "SELECT l.id, p.pattern, l.viewport, l.kind, l.segment_key, l.segment_value, l.bin_px,
                    l.day_from, l.day_to, l.events, l.source, l.imported_at_ms
               FROM grid_layers l JOIN pages p ON p.id = l.page_id
              ORDER BY p.pattern, l.viewport, l.kind, l.segment_key, l.segment_value, l.id",
        )
        .map_err(|e| sql_error(CORE, e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(LayerInfo {
                id: r.get(0)?,
                page: r.get(1)?,
                viewport: r.get(2)?,
                kind: r.get(3)?,
                segment_key: r.get(4)?,
                segment_value: r.get(5)?,
                bin_px: r.get(6)?,
                day_from: r.get(7)?,
                day_to: r.get(8)?,
                events: r.get::<_, i64>(9)?.max(0) as u64,
                source: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
                imported_at_ms: r.get(11)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(CORE, e))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_describes_its_source_days_and_size() {
        let info = LayerInfo {
            id: 1,
            page: "https://shop.example/checkout".into(),
            viewport: "desktop".into(),
            kind: "click".into(),
            segment_key: String::new(),
            segment_value: String::new(),
            bin_px: 50,
            day_from: "2026-11-01".into(),
            day_to: "2026-11-30".into(),
            events: 12_400_000,
            source: Provenance::default(),
            imported_at_ms: 0,
        };
        assert_eq!(
            info.describe(),
            "warehouse grid, 2026-11-01…30, 12.4M clicks"
        );
    }
}
