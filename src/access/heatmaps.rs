//! Heatmaps through the gate: points and screenshots from the store (`heatmap_store.rs`),
//! segments filtered, the k-anonymity floor enforced, annotations saved, and every
//! computation logged.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::params;

use crate::access::{Action, Workspace};

use crate::dataset::db::sql_error;
use crate::dataset::points::{DEAD, RAGE, Stream};
use crate::error::{Error, Result};
use crate::export::png::{self, ExportFacts};
use crate::heatmap::annotation::Shape;
use crate::heatmap::areas::top_areas;
use crate::heatmap::k_floor;
use crate::heatmap::profile::{self, SessionDepth};
use crate::heatmap::segment::{Segment, SessionAttrs};
use crate::heatmap::{Density, Kind, Normalisation, difference, levels};

use super::heatmap_store::select;
pub use super::heatmap_store::{Cache, PointSet};
pub use crate::heatmap::figure::{ClickMarker, Comparison, Heatmap, HeatmapRequest, Screenshot};

/// What an exported PNG lists under the image.
#[derive(Debug, Clone, PartialEq)]
pub enum PngTable {
    /// Nothing.
    None,
    /// The page's N most clicked elements.
    TopElements(usize),
    /// This segment (B) compared with the heatmap's, signals and the first N elements.
    Comparison(Segment, usize),
}

const CORE: &str = "core.db";

/// CSS width of the plain canvas used when a page has no screenshot at a viewport class.
fn canvas_width(viewport: &str) -> u32 {
    match viewport {
        "mobile" => 390,
        "tablet" => 768,
        _ => 1440,
    }
}

/// Markers closer than this (image px) are drawn once.
const MARKER_CELL: f32 = 8.0;

/// Tallest plain canvas, so a stray coordinate cannot ask for gigabytes.
const MAX_CANVAS_HEIGHT: f32 = 20_000.0;

impl Workspace {
    /// The k-anonymity floor from the policy.
    pub fn k_anonymity(&self) -> usize {
        self.policy().k_anonymity
    }

    /// The values present in the aggregated sessions, for segment pickers: regions, variants,
    /// cohorts and the first and last day.
    pub fn segment_values(&self) -> Result<SegmentValues> {
        self.gate(Action::ListPages, "segment values", "")?;
        let attrs = self.session_attrs()?;
        let mut v = SegmentValues::default();
        for a in attrs.values() {
            v.regions.push(a.region.clone());
            v.variants.push(a.variant.clone());
            v.cohorts.push(a.cohort.clone());
            v.days.push(a.day.clone());
        }
        // Warehouse grids add the segments they were counted by and their days, of bins at the
        // floor: never under a policy changed by hand.
        self.require_policy(crate::access::PolicyKind::Policy)?;
        let grids = crate::grid::store::segment_values(&self.core, self.k_anonymity() as u64)?;
        for (key, value) in grids.segments {
            match key.as_str() {
                "region" => v.regions.push(value),
                "variant" => v.variants.push(value),
                "cohort" => v.cohorts.push(value),
                _ => {}
            }
        }
        v.days.extend(grids.days);
        for list in [&mut v.regions, &mut v.variants, &mut v.cohorts, &mut v.days] {
            list.retain(|s| !s.is_empty());
            list.sort();
            list.dedup();
        }
        Ok(v)
    }

    /// Computes a heatmap (every role). Logged with page, viewport, kind and segment.
    pub fn heatmap(&self, request: &HeatmapRequest) -> Result<Heatmap> {
        // The log names the page by its stored pattern (or what the typed text normalises
        // to), never by a URL as typed, which may carry a query or an identifier.
        let named = HeatmapRequest {
            page: self.stored_pattern(&request.page),
            ..request.clone()
        };
        self.gate(Action::ViewHeatmap, &describe(&named), "")?;
        // The k floor decides what may be shown: never compute under a policy changed by hand.
        self.require_policy(crate::access::PolicyKind::Policy)?;
        self.compute(request)
    }

    /// Two segments side by side and their difference (logged as two views).
    pub fn heatmap_compare(&self, request: &HeatmapRequest, b: &Segment) -> Result<Comparison> {
        let request_b = HeatmapRequest {
            segment: b.clone(),
            ..request.clone()
        };
        let a = self.heatmap(request)?;
        let b = self.heatmap(&request_b)?;
        // Side by side, two segments that differ by a few people show those people: refused,
        // and the refusal is logged. (Local sessions withheld beside a grid are no members.)
        let attrs = self.session_attrs()?;
        let mut refusal = k_floor::compare_refusal(&a.members, &b.members, &attrs, a.k);
        let per_event = a.grid_events > 0 || b.grid_events > 0;
        if refusal.is_none() && per_event && matches!(request.params.kind, Kind::Click | Kind::Move)
        {
            let page_id = self.page_id(&request.page)?;
            refusal = crate::grid::store::compare_refusal(
                &self.core,
                self.grid_side(page_id, request),
                self.grid_side(page_id, &request_b),
            )?;
        }
        if let Some(why) = refusal {
            let object = format!(
                "{} vs [{}]",
                describe(&a.request),
                b.request.segment.describe()
            );
            return self.failed(Action::ViewHeatmap, &object, Error::Invalid(why));
        }
        let difference = match (&a.density, &b.density) {
            (Some(da), Some(db)) => {
                // A grid has no count of its sessions (one person is in many bins): with grid
                // layers, each side is divided by its events instead.
                let (per_a, per_b) = if per_event {
                    (da.points, db.points)
                } else {
                    (a.sessions, b.sessions)
                };
                let grid = difference(&da.grid, per_a, &db.grid, per_b);
                let levels = levels::signed_levels(&grid);
                Some(Arc::new(Density {
                    grid,
                    levels,
                    points: da.points + db.points,
                    outside: da.outside + db.outside,
                }))
            }
            _ => None,
        };
        Ok(Comparison {
            a,
            b,
            difference,
            per_event,
        })
    }

    /// Saves the annotations of a page and viewport (UX liaison, analyst, compliance lead).
    pub fn save_annotations(&self, page: &str, viewport: &str, shapes: &[Shape]) -> Result<()> {
        let object = format!(
            "{} {viewport} ({} annotations)",
            self.stored_pattern(page),
            shapes.len()
        );
        self.gate(Action::Annotate, &object, "")?;
        let page_id = self.page_id(page)?;
        let doc = serde_json::to_string(shapes).unwrap_or_else(|_| "[]".into());
        self.core
            .execute(
                "INSERT OR REPLACE INTO annotations (page_id, viewport, doc, updated_ms, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![page_id, viewport, doc, self.device.now_ms(), self.user],
            )
            .map_err(|e| sql_error(CORE, e))
            .map(drop)
    }

    /// Writes the annotated PNG of a drawn heatmap to `out` (UX liaison, analyst, compliance
    /// lead). Returns the bytes written.
    pub fn export_heatmap(
        &self,
        heatmap: &Heatmap,
        shapes: &[Shape],
        out: &std::path::Path,
    ) -> Result<usize> {
        self.export_heatmap_with(heatmap, shapes, &PngTable::None, out)
    }

    /// [`Workspace::export_heatmap`] with a table under the image: the page's top elements, or
    /// segment B compared with the heatmap's segment. The table is made here, through the
    /// same floored figures as the views, and the export's log entry says what it holds.
    pub fn export_heatmap_with(
        &self,
        heatmap: &Heatmap,
        shapes: &[Shape],
        table: &PngTable,
        out: &std::path::Path,
    ) -> Result<usize> {
        let with = match table {
            PngTable::None => String::new(),
            PngTable::TopElements(n) => format!(" with the top {n} elements"),
            PngTable::Comparison(b, _) => format!(" with [{}] compared", b.describe()),
        };
        let object = format!(
            "{}{with} to {}",
            describe(&heatmap.request),
            Workspace::export_file_label(out)
        );
        self.gate(Action::ExportHeatmap, &object, "")?;
        let r = &heatmap.request;
        let (title, lines) = match table {
            PngTable::None => ("", Vec::new()),
            PngTable::TopElements(n) => (
                "Top elements",
                self.elements(&r.page, &r.viewport, &r.segment)?.lines(*n),
            ),
            PngTable::Comparison(b, n) => (
                "B compared with A",
                self.compare_segments(&r.page, &r.viewport, &r.segment, b)?
                    .lines(*n),
            ),
        };
        // The tables are counted from local sessions; a grid has no elements or signals.
        let title = if heatmap.grid_events > 0 && !lines.is_empty() {
            format!("{title} (local sessions only: warehouse grids count no elements)")
        } else {
            title.to_owned()
        };
        let facts = ExportFacts {
            dataset: self.dataset_name().to_owned(),
            user: self.user.clone(),
            time: crate::clock::rfc3339(self.device.now_ms()),
        };
        let written = png::render(heatmap, shapes, &facts)
            .map(|canvas| png::with_table(canvas, &title, &lines))
            .and_then(|canvas| png::encode(&canvas, &png::text_chunks(heatmap, &facts)))
            .and_then(|bytes| {
                crate::fsutil::write_atomically(out, |w| {
                    w.write_all(&bytes).map_err(Error::io("write", out))
                })?;
                Ok(bytes.len())
            });
        match written {
            Ok(n) => Ok(n),
            Err(e) => self.failed(Action::ExportHeatmap, &object, e),
        }
    }

    fn compute(&self, request: &HeatmapRequest) -> Result<Heatmap> {
        let page_id = self.page_id(&request.page)?;
        let pattern: String = self
            .core
            .query_row("SELECT pattern FROM pages WHERE id = ?1", [page_id], |r| {
                r.get(0)
            })
            .map_err(|e| sql_error(CORE, e))?;
        let mut request = HeatmapRequest {
            page: pattern,
            ..request.clone()
        };
        if request.params.kind == Kind::Scroll {
            // Reach is a share already: its scale always ends at 100%.
            request.params.normalisation = Normalisation::Max;
        }
        let request = &request;
        let viewport = request.viewport.as_str();
        let screenshot = self.screenshot(page_id, viewport)?;
        let attrs = self.session_attrs()?;
        let in_segment = |r: u32| attrs.get(&r).is_some_and(|a| request.segment.matches(a));
        let depths: Vec<(u32, SessionDepth)> = self
            .depths(page_id)?
            .into_iter()
            .filter(|(r, _)| attrs.get(r).is_some_and(|a| a.device == viewport) && in_segment(*r))
            .collect();
        let kind = request.params.kind;
        let points = match kind {
            Kind::Click => Some(self.points(page_id, viewport, Stream::Click)?),
            Kind::Move => Some(self.points(page_id, viewport, Stream::Move)?),
            Kind::Scroll | Kind::Attention => None,
        };
        let (mut xs, mut ys, mut members) = match &points {
            Some(set) => select(set, &in_segment),
            None => (
                Cow::Borrowed(&[][..]),
                Cow::Borrowed(&[][..]),
                depths.iter().map(|(r, _)| *r).collect(),
            ),
        };
        // Warehouse grid layers of the same page, viewport, kind and segment: k-anonymous bin by
        // bin already, drawn beside the local points.
        let drawn = match (kind, grid_segment(&request.segment, viewport)) {
            (Kind::Click | Kind::Move, Some(segment)) => crate::grid::store::cells_for(
                &self.core,
                &self.grid_query(page_id, request),
                segment,
            )?,
            _ => Vec::new(),
        };
        let sessions = members.len();
        let subjects = k_floor::subjects(&members, &attrs);
        members.extend(depths.iter().map(|(r, _)| *r));
        members.sort_unstable();
        members.dedup();
        let (size, image_from_page) = match &screenshot {
            Some(s) => (
                (s.width_px, s.height_px),
                s.width_px as f32 / s.css_width.max(1) as f32,
            ),
            None => {
                // A bin reaches as deep as the deepest point it can hold, as points do.
                let grid_bottom = drawn.iter().flat_map(|d| {
                    d.cells
                        .iter()
                        .map(move |c| (c.1 as f32 + 1.0) * d.bin_px as f32 - 1.0)
                });
                // Local sessions withheld beside a grid do not size the canvas either: its
                // height would tell how far down those few people went.
                let local_hidden = subjects < self.k_anonymity() && !drawn.is_empty();
                let local = (!local_hidden).then_some(()).into_iter().flat_map(|()| {
                    ys.iter()
                        .copied()
                        .chain(depths.iter().map(|(_, d)| d.max_bottom_px))
                });
                let deepest = local
                    .chain(grid_bottom)
                    .filter(|y| y.is_finite())
                    .fold(800.0f32, f32::max);
                let height = (deepest + 200.0).min(MAX_CANVAS_HEIGHT);
                ((canvas_width(viewport) as usize, height as usize), 1.0)
            }
        };
        let k = self.k_anonymity();
        let mut heatmap = Heatmap {
            request: request.clone(),
            screenshot,
            size,
            image_from_page,
            sessions,
            subjects,
            below_floor: false,
            markers_withheld: Vec::new(),
            members: Arc::new(members),
            k,
            density: None,
            withheld: None,
            markers: Vec::new(),
            depth_curve: Vec::new(),
            fold_px: None,
            top_areas: Vec::new(),
            annotations: self.annotations(page_id, viewport)?,
            grid_events: drawn
                .iter()
                .flat_map(|d| d.cells.iter().map(|c| c.2))
                .fold(0u64, u64::saturating_add),
            grid_sources: drawn.iter().map(|d| d.source.describe()).collect(),
        };
        // The local points are too few people to show; the grid is drawn without them, and
        // nothing of them (markers or a note that markers were withheld) is said.
        let local_withheld = subjects < k && !drawn.is_empty();
        if local_withheld {
            (xs, ys) = (Cow::Borrowed(&[][..]), Cow::Borrowed(&[][..]));
            (heatmap.sessions, heatmap.subjects) = (0, 0);
            heatmap.below_floor = true;
            // Not even counted in a compare: a refusal would tell that they exist.
            heatmap.members = Arc::new(Vec::new());
        }
        if subjects < k && drawn.is_empty() {
            // No count at all: "3 sessions" next to "2 sessions" for a neighbouring segment
            // would be a figure from fewer than k people.
            heatmap.sessions = 0;
            heatmap.subjects = 0;
            heatmap.below_floor = true;
            heatmap.withheld = Some(format!(
                "Not drawn: {} are in this segment here, below the policy's floor. Widen the \
                 segment to see it.",
                k_floor::fewer_than(k)
            ));
            return Ok(heatmap);
        }
        let (w, h) = size;
        let depth_list: Vec<SessionDepth> = depths.iter().map(|(_, d)| d.clone()).collect();
        let reach = profile::scroll_reach(&depth_list, image_from_page, h);
        // The depth curve has its own sessions (every visit, clicks or not): its own floor.
        if k_floor::subjects(depths.iter().map(|(r, _)| r), &attrs) >= k {
            heatmap.fold_px = profile::average_fold(&depth_list, image_from_page);
            let step = (h / 200).max(1);
            heatmap.depth_curve = reach
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(y, share)| [y as f64, f64::from(*share) * 100.0])
                .collect();
        }
        let p = &request.params;
        let density = match kind {
            Kind::Click | Kind::Move => {
                let areas = top_areas(
                    &xs,
                    &ys,
                    image_from_page,
                    size,
                    (100.0 * image_from_page) as usize,
                    8,
                );
                if let Some(set) = &points {
                    let kept: Vec<_> = set.sessions().filter(|(r, _, _)| in_segment(*r)).collect();
                    let people = k_floor::area_subjects(&areas, image_from_page, &kept, &attrs);
                    heatmap.top_areas = areas
                        .into_iter()
                        .zip(people)
                        .filter(|(_, n)| *n >= k)
                        .map(|(a, _)| a)
                        .collect();
                }
                let add_grids = |grid: &mut crate::heatmap::Grid| {
                    let (mut events, mut outside) = (0u64, 0u64);
                    for d in &drawn {
                        events = d
                            .cells
                            .iter()
                            .map(|c| c.2)
                            .fold(events, u64::saturating_add);
                        outside += crate::grid::draw::add_cells(
                            grid,
                            d.cells.iter().copied(),
                            d.bin_px,
                            image_from_page,
                        );
                    }
                    (events.saturating_sub(outside) as usize, outside as usize)
                };
                crate::heatmap::point_density_with(
                    &xs,
                    &ys,
                    add_grids,
                    image_from_page,
                    size,
                    p.sigma_px,
                    p.normalisation,
                )
            }
            Kind::Scroll => crate::heatmap::row_density(&reach, w, Normalisation::Max),
            Kind::Attention => {
                let rows = profile::attention(&depth_list, image_from_page, h);
                crate::heatmap::row_density(&rows, w, p.normalisation)
            }
        };
        if density.levels.top <= 0.0 {
            heatmap.withheld = Some("Nothing to draw: no data of this kind in the segment.".into());
            return Ok(heatmap);
        }
        heatmap.density = Some(Arc::new(density));
        if local_withheld {
            return Ok(heatmap);
        }
        let clicks = match (&points, kind) {
            (Some(set), Kind::Click) => set.clone(),
            _ => self.points(page_id, viewport, Stream::Click)?,
        };
        let (markers, withheld) =
            click_markers(&clicks, &in_segment, &attrs, k, image_from_page, size);
        heatmap.markers = markers;
        heatmap.markers_withheld = withheld;
        Ok(heatmap)
    }
}

/// Values present in the data, for segment pickers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentValues {
    /// Regions.
    pub regions: Vec<String>,
    /// A/B variants.
    pub variants: Vec<String>,
    /// Cohorts.
    pub cohorts: Vec<String>,
    /// Days with sessions.
    pub days: Vec<String>,
}

impl Workspace {
    /// What a heatmap of `page_id` draws from grid layers, for a compare: its query and grid
    /// segment, or `None` when grids cannot answer its segment.
    fn grid_side<'a>(
        &self,
        page_id: i64,
        request: &'a HeatmapRequest,
    ) -> Option<(crate::grid::store::Query<'a>, (&'a str, &'a str))> {
        grid_segment(&request.segment, &request.viewport)
            .map(|segment| (self.grid_query(page_id, request), segment))
    }

    /// The grid cells a heatmap of `page_id` asks for: its viewport, kind and days, at the
    /// sealed policy's floor.
    fn grid_query<'a>(
        &self,
        page_id: i64,
        request: &'a HeatmapRequest,
    ) -> crate::grid::store::Query<'a> {
        crate::grid::store::Query {
            page_id,
            viewport: &request.viewport,
            kind: request.params.kind.as_str(),
            days: (
                request.segment.from.as_deref(),
                request.segment.to.as_deref(),
            ),
            k: self.k_anonymity() as u64,
        }
    }
}

/// The grid segment `(key, value)` a request's segment is, when grid layers can answer it:
/// everyone, or exactly one of region, variant or cohort. Survey bands and a device other than
/// the viewport's cannot be told apart inside a grid.
fn grid_segment<'a>(segment: &'a Segment, viewport: &str) -> Option<(&'a str, &'a str)> {
    if segment.score.is_some() || segment.device.as_deref().is_some_and(|d| d != viewport) {
        return None;
    }
    let set: Vec<(&str, &str)> = [
        ("region", &segment.region),
        ("variant", &segment.variant),
        ("cohort", &segment.cohort),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
    .collect();
    match set.as_slice() {
        [] => Some(("", "")),
        [one] => Some(*one),
        _ => None,
    }
}

/// The log's description of a request.
fn describe(r: &HeatmapRequest) -> String {
    format!(
        "{} {} {} [{}]",
        r.page,
        r.viewport,
        r.params.kind.as_str(),
        r.segment.describe()
    )
}

/// Rage and dead click markers of the segment's sessions, in image px, and the kinds withheld
/// because fewer than `k` people made them. Dead first, so rage markers (which are often dead
/// too) are drawn on top; one marker per 8-pixel cell and kind keeps thousands of repeats from
/// hiding the page.
fn click_markers(
    clicks: &PointSet,
    keep: &(dyn Fn(u32) -> bool + Sync),
    attrs: &HashMap<u32, SessionAttrs>,
    k: usize,
    image_from_page: f32,
    (width, height): (usize, usize),
) -> (Vec<ClickMarker>, Vec<&'static str>) {
    let (mut markers, mut withheld) = (Vec::new(), Vec::new());
    if clicks.flags.is_empty() {
        return (markers, withheld);
    }
    let columns = (width as f32 / MARKER_CELL).ceil() as usize;
    let rows = (height as f32 / MARKER_CELL).ceil() as usize;
    let runs: Vec<(u32, std::ops::Range<usize>)> = clicks.ranges().collect();
    for (kind, flag, rage) in [("dead", DEAD, false), ("rage", RAGE, true)] {
        // Each core takes a share of the sessions, with one bit per cell (a set per point was
        // a sixth of a cold heatmap's time); their finds are then merged in order, so the
        // first point in a cell places its marker, as one pass would.
        let parts = crate::heatmap::grid::par_ranges(runs.len(), |share| {
            let mut taken = vec![false; columns * rows];
            let (mut found, mut made_by) = (Vec::new(), Vec::new());
            for (session, range) in &runs[share] {
                let mut made = false;
                for i in range.clone() {
                    if clicks.flags.get(i).is_none_or(|f| f & flag == 0) {
                        continue;
                    }
                    if !made {
                        if !keep(*session) {
                            break;
                        }
                        made = true;
                        made_by.push(*session);
                    }
                    let (Some(&x), Some(&y)) = (clicks.xs.get(i), clicks.ys.get(i)) else {
                        continue;
                    };
                    let (x, y) = (x * image_from_page, y * image_from_page);
                    if !(x >= 0.0 && y >= 0.0) {
                        continue;
                    }
                    let (cx, cy) = ((x / MARKER_CELL) as usize, (y / MARKER_CELL) as usize);
                    let cell = cy * columns + cx;
                    if cx < columns && cy < rows && !std::mem::replace(&mut taken[cell], true) {
                        found.push((cell, ClickMarker { x, y, rage }));
                    }
                }
            }
            (found, made_by)
        });
        let mut taken = vec![false; columns * rows];
        let (mut found, mut made_by) = (Vec::new(), Vec::new());
        for (part, sessions) in parts {
            made_by.extend(sessions);
            for (cell, marker) in part {
                if !std::mem::replace(&mut taken[cell], true) {
                    found.push(marker);
                }
            }
        }
        if found.is_empty() {
            continue;
        }
        if k_floor::subjects(&made_by, attrs) < k {
            withheld.push(kind);
        } else {
            markers.extend(found);
        }
    }
    (markers, withheld)
}
