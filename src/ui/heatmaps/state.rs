//! What the heatmap view holds: the choices that make a request, the loaded result with its
//! textures, and the annotation editor.

use std::sync::Arc;

use crate::access::PageSummary;
use crate::access::heatmaps::{Heatmap, HeatmapRequest, SegmentValues};
use crate::heatmap::annotation::Annotations;
use crate::heatmap::segment::Segment;
use crate::heatmap::{Density, RenderParams};

use super::canvas::CanvasState;
use super::tiles::Layers;

/// How compare mode shows the two segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareView {
    /// A and B next to each other.
    #[default]
    SideBySide,
    /// A − B on a diverging scale.
    Difference,
}

/// A decoded screenshot (straight RGBA).
#[derive(Debug, Clone)]
pub struct ShotPixels {
    /// Width, height.
    pub size: [usize; 2],
    /// Pixels, row by row.
    pub rgba: Vec<u8>,
}

impl ShotPixels {
    /// Decodes a stored screenshot (PNG); `None` if it does not decode.
    pub fn decode(png: &[u8]) -> Option<ShotPixels> {
        let img = image::load_from_memory(png).ok()?.to_rgba8();
        Some(ShotPixels {
            size: [img.width() as usize, img.height() as usize],
            rgba: img.into_raw(),
        })
    }
}

/// A computed result, as the background job hands it over.
#[derive(Debug, Clone)]
pub struct HeatmapResult {
    /// Segment A (or the only one).
    pub a: Heatmap,
    /// Segment B in compare mode.
    pub b: Option<Heatmap>,
    /// A − B, when both are drawn.
    pub difference: Option<Arc<Density>>,
    /// Whether A − B is per event (with warehouse grid layers) rather than per session.
    pub per_event: bool,
    /// The screenshot, decoded off the UI thread.
    pub shot: Option<Arc<ShotPixels>>,
    /// Segment A's element table, or why it could not be read.
    pub elements: Result<crate::insights::elements::ElementTable, String>,
    /// In compare mode: B against A with statistics, or why not.
    pub comparison: Option<Result<crate::access::SegmentComparison, String>>,
}

/// The loaded result and its textures.
pub struct Loaded {
    /// The result.
    pub result: HeatmapResult,
    /// GPU textures, made on first draw and recoloured lazily.
    pub layers: Layers,
}

/// The heatmap view.
pub struct HeatmapViewState {
    /// Pages with screenshots and session counts.
    pub pages: Vec<PageSummary>,
    /// Values for the segment pickers.
    pub values: SegmentValues,
    /// The page list's search text.
    pub search: String,
    /// The chosen page.
    pub page: Option<String>,
    /// desktop, tablet or mobile.
    pub viewport: String,
    /// Kind, kernel, normalisation, colours.
    pub params: RenderParams,
    /// Segment A.
    pub segment: Segment,
    /// Compare mode.
    pub compare: bool,
    /// Segment B.
    pub segment_b: Segment,
    /// How compare mode shows them.
    pub compare_view: CompareView,
    /// Draw rage and dead click markers.
    pub show_markers: bool,
    /// The current result.
    pub loaded: Option<Loaded>,
    /// The request the result (or the running job) is for.
    pub computed: Option<(HeatmapRequest, Option<Segment>)>,
    /// A computation is running.
    pub computing: bool,
    /// The radius slider is being dragged.
    pub adjusting: bool,
    /// The last error, in words.
    pub error: Option<String>,
    /// Zoom, pan and the annotation tools.
    pub canvas: CanvasState,
    /// This page's annotations.
    pub annotations: Annotations,
    /// Whether this role may annotate and export.
    pub may_annotate: bool,
    /// Where to export when there is no file dialog.
    pub export_path: String,
    /// Show the path field (no file dialog here).
    pub export_path_shown: bool,
    /// The outcome of the last export or save.
    pub message: Option<String>,
    /// The element row under the pointer: where its clicks fall (page CSS px), outlined on
    /// the canvas.
    pub hovered_element: Option<[f32; 4]>,
    /// Put the top elements table under the exported PNG.
    pub elements_in_png: bool,
}

impl HeatmapViewState {
    /// The view for `pages`, starting on the first page with a screenshot.
    pub fn new(pages: Vec<PageSummary>, values: SegmentValues, may_annotate: bool) -> Self {
        let page = pages
            .iter()
            .find(|p| !p.viewports.is_empty())
            .or(pages.first())
            .map(|p| p.page.clone());
        HeatmapViewState {
            pages,
            values,
            search: String::new(),
            page,
            viewport: "desktop".into(),
            params: RenderParams::default(),
            segment: Segment::default(),
            compare: false,
            segment_b: Segment::default(),
            compare_view: CompareView::default(),
            show_markers: true,
            loaded: None,
            computed: None,
            computing: false,
            adjusting: false,
            error: None,
            canvas: CanvasState::default(),
            annotations: Annotations::default(),
            may_annotate,
            export_path: String::new(),
            export_path_shown: false,
            message: None,
            hovered_element: None,
            elements_in_png: true,
        }
    }

    /// What to compute for the current choices (`None` without a page).
    pub fn wanted(&self) -> Option<(HeatmapRequest, Option<Segment>)> {
        let page = self.page.clone()?;
        let mut params = self.params;
        // Opacity and colour map only recolour; they are not part of what is computed.
        params.opacity = crate::heatmap::RenderParams::default().opacity;
        params.colormap = crate::heatmap::ColorMap::default();
        Some((
            HeatmapRequest {
                page,
                viewport: self.viewport.clone(),
                params,
                segment: self.segment.clone(),
            },
            self.compare.then(|| self.segment_b.clone()),
        ))
    }

    /// Whether the choices differ from what is shown or being computed.
    pub fn needs_compute(&self) -> bool {
        self.wanted().is_some() && self.wanted() != self.computed
    }

    /// The shown heatmap A, if any.
    pub fn heatmap(&self) -> Option<&Heatmap> {
        self.loaded.as_ref().map(|l| &l.result.a)
    }
}
