//! A computed heatmap as the views, the legend and the PNG export see it: what was asked for,
//! the screenshot, the density, the markers, the depth curve and the areas, with the counts
//! the k floor allows. The gate (`access::heatmaps`) assembles it; nothing here reads data.

use std::sync::Arc;

use crate::heatmap::annotation::Shape;
use crate::heatmap::areas::Area;
use crate::heatmap::k_floor;
use crate::heatmap::segment::Segment;
use crate::heatmap::{Density, RenderParams};

/// A page screenshot as stored.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// PNG bytes.
    pub png: Arc<Vec<u8>>,
    /// Pixel width.
    pub width_px: usize,
    /// Pixel height.
    pub height_px: usize,
    /// The CSS width it was taken at.
    pub css_width: u32,
    /// Drawn from a recording's masked page, not uploaded.
    pub reconstructed: bool,
}

/// How views and exports name a background drawn from a recording.
pub const RECONSTRUCTED_LABEL: &str = "reconstructed from a recording, text masked";

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRequest {
    /// Page pattern.
    pub page: String,
    /// desktop, tablet or mobile.
    pub viewport: String,
    /// Kind, kernel, normalisation, colours.
    pub params: RenderParams,
    /// Which sessions.
    pub segment: Segment,
}

/// A rage or dead click, in screenshot pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClickMarker {
    /// x (image px).
    pub x: f32,
    /// y (image px).
    pub y: f32,
    /// Rage (true) or dead (false).
    pub rage: bool,
}

/// A computed heatmap with everything the view, the legend and an export need.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// What was asked for.
    pub request: HeatmapRequest,
    /// The page's screenshot at this viewport class, if there is one.
    pub screenshot: Option<Screenshot>,
    /// Image size the heatmap is drawn at (the screenshot's, or a plain canvas).
    pub size: (usize, usize),
    /// Page CSS px to image px.
    pub image_from_page: f32,
    /// Distinct sessions of the segment on this page and viewport (0 when under the floor).
    pub sessions: usize,
    /// Distinct people (subject buckets) those sessions come from (0 when under the floor).
    pub subjects: usize,
    /// The segment has fewer than k people here: nothing is drawn and no count is given.
    pub below_floor: bool,
    /// Marker kinds left out because fewer than k people made them ("rage", "dead").
    pub markers_withheld: Vec<&'static str>,
    /// The sessions behind the figures (points and depths), for the compare check.
    pub(crate) members: Arc<Vec<u32>>,
    /// The policy's floor.
    pub k: usize,
    /// The density; `None` when withheld.
    pub density: Option<Arc<Density>>,
    /// Why nothing is drawn, in words for the user.
    pub withheld: Option<String>,
    /// Rage and dead clicks (only when drawn).
    pub markers: Vec<ClickMarker>,
    /// Share of sessions (%) reaching each depth (image px), sampled for a chart.
    pub depth_curve: Vec<[f64; 2]>,
    /// The average fold, image px.
    pub fold_px: Option<f32>,
    /// The most clicked areas (click and move kinds).
    pub top_areas: Vec<Area>,
    /// Saved annotations for this page and viewport.
    pub annotations: Vec<Shape>,
    /// Events drawn from warehouse grid layers (0 when none).
    pub grid_events: u64,
    /// Where those layers came from, in words.
    pub grid_sources: Vec<String>,
}

impl Heatmap {
    /// The count as shown: sessions and people, or "fewer than k people" under the floor.
    pub fn count_label(&self) -> String {
        match (self.local_label(), self.grid_events) {
            (Some(local), 0) => local,
            (None, events) => format!("{events} events from a warehouse grid"),
            (Some(local), events) => {
                format!("{local}, plus {events} events from a warehouse grid")
            }
        }
    }

    /// Where the figure's data came from, a line a source: the local sessions, and each
    /// warehouse grid with its file, recipe and parameters. Exports carry these lines.
    pub fn sources(&self) -> Vec<String> {
        self.local_label()
            .map(|local| format!("local sessions ({local})"))
            .into_iter()
            .chain(
                self.grid_sources
                    .iter()
                    .map(|s| format!("warehouse grid ({s})")),
            )
            .collect()
    }

    /// The local sessions' count, unless the figure is a warehouse grid's alone.
    fn local_label(&self) -> Option<String> {
        // Beside a grid, local sessions below the floor are not drawn and not mentioned.
        if self.grid_events > 0 && self.below_floor {
            None
        } else if self.below_floor {
            Some(k_floor::fewer_than(self.k))
        } else {
            Some(format!(
                "{} sessions from {} people",
                self.sessions, self.subjects
            ))
        }
    }
}

/// Two segments and their difference.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Segment A.
    pub a: Heatmap,
    /// Segment B.
    pub b: Heatmap,
    /// A − B per session (per event when warehouse grid layers are drawn), when both are
    /// drawn.
    pub difference: Option<Arc<Density>>,
    /// Whether the difference is per event: grid layers do not count their sessions.
    pub per_event: bool,
}
