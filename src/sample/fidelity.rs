//! How closely the page replay draws the sample pages: each page's fidelity recording
//! (`sample-data/fidelity/`, recorded with the recorder's masking off) is captured with its
//! text kept (this comparison only; imports always mask), drawn at its width, and compared
//! with the Chromium screenshot of the same page in 16×16 tiles: a tile agrees when its mean
//! colour is within 12 levels in every channel.

use crate::dom::DomOp;
use crate::dom::capture::TextPolicy;
use crate::dom::live::LiveDom;
use crate::error::{Error, Result};
use crate::ingest::rrweb::{self, page};
use crate::privacy::masking::Masking;
use crate::render::PageDoc;
use crate::sample::assets;

/// Tile side in px.
pub const TILE: usize = 16;
/// Largest difference of a channel's mean for a tile to agree.
pub const TOLERANCE: f64 = 12.0;

/// One page at one width.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFidelity {
    /// Sample page name.
    pub page: String,
    /// CSS width.
    pub width: u32,
    /// Tiles compared.
    pub tiles: usize,
    /// Tiles that agree.
    pub agreeing: usize,
    /// Tiles where the screenshot is not plain white (a blank drawing agrees with every other
    /// tile).
    pub content_tiles: usize,
    /// Of those, the tiles that agree.
    pub content_agreeing: usize,
    /// The tiles a blank white drawing would have agreeing: the measure's floor.
    pub blank_agreeing: usize,
}

impl PageFidelity {
    /// The share of tiles that agree (0–1).
    pub fn share(&self) -> f64 {
        self.agreeing as f64 / self.tiles.max(1) as f64
    }
}

/// Tiles of a drawing `a` and a screenshot `b` of the same width compared over their common
/// height: `(agreeing, compared)` over all tiles, then over the tiles where the screenshot is
/// not plain white.
pub fn tile_agreement(
    a: &[u8],
    b: &[u8],
    width: usize,
    height: usize,
) -> ((usize, usize), (usize, usize)) {
    let mean = |img: &[u8], tx: usize, ty: usize| {
        let mut sum = [0f64; 3];
        for y in ty * TILE..(ty + 1) * TILE {
            for x in tx * TILE..(tx + 1) * TILE {
                let i = (y * width + x) * 4;
                for (c, s) in sum.iter_mut().enumerate() {
                    *s += f64::from(img[i + c]);
                }
            }
        }
        sum.map(|s| s / (TILE * TILE) as f64)
    };
    let close = |x: [f64; 3], y: [f64; 3]| (0..3).all(|c| (x[c] - y[c]).abs() <= TOLERANCE);
    let (mut all, mut content) = ((0, 0), (0, 0));
    for ty in 0..height / TILE {
        for tx in 0..width / TILE {
            let (ma, mb) = (mean(a, tx, ty), mean(b, tx, ty));
            let agrees = usize::from(close(ma, mb));
            all = (all.0 + agrees, all.1 + 1);
            if !close(mb, [255.0; 3]) {
                content = (content.0 + agrees, content.1 + 1);
            }
        }
    }
    (all, content)
}

/// The viewport height the screenshots were taken at, by width.
fn viewport_height(width: u32) -> u32 {
    if width <= 400 { 844 } else { 900 }
}

/// Every sample page at every width, captured from its fidelity recording (one page load
/// recorded with the recorder's own text masking and blocking off, so that the text the
/// screenshot shows is in the page) and compared with its screenshot.
pub fn sample_fidelity() -> Result<Vec<PageFidelity>> {
    let masking = Masking::defaults([0; 32]);
    let mut out = Vec::new();
    for width in assets::WIDTHS {
        for page in assets::PAGES {
            let (Some(json), Some(png)) = (
                assets::fidelity_json(page, width),
                assets::screenshot_png(page, width),
            ) else {
                continue;
            };
            let name = format!("fidelity/{page}-{width}.json");
            for recording in rrweb::split_all(&name, json.as_bytes())? {
                let snapshot =
                    page::capture(&recording, &masking, 0, TextPolicy::KeepForFidelityTest)
                        .and_then(|track| {
                            track.changes.into_iter().find_map(|c| match c.op {
                                op @ DomOp::Snapshot { .. } => Some(op),
                                _ => None,
                            })
                        })
                        .ok_or_else(|| Error::Format(format!("{name} holds no page snapshot")))?;
                out.push(compare(page, width, &snapshot, png)?);
            }
        }
    }
    Ok(out)
}

fn compare(page: &str, width: u32, snapshot: &DomOp, png: &[u8]) -> Result<PageFidelity> {
    let mut dom = LiveDom::default();
    dom.apply(snapshot);
    let mut doc = PageDoc::load(&dom.to_html(), width, viewport_height(width))?;
    let drawn = doc.paint_full()?;
    let shot = image::load_from_memory(png)
        .map_err(|_| Error::Format(format!("the screenshot of {page} is unreadable")))?
        .to_rgba8();
    if shot.width() != drawn.width {
        return Err(Error::Format(format!(
            "{page}: the screenshot is {} px wide, the page was drawn at {}",
            shot.width(),
            drawn.width
        )));
    }
    // Compared over the screenshot's whole height: a page drawn too short shows as blank.
    let height = shot.height() as usize;
    let mut rgba = drawn.rgba;
    rgba.resize(width as usize * height * 4, 255);
    let ((agreeing, tiles), (content_agreeing, content_tiles)) =
        tile_agreement(&rgba, shot.as_raw(), width as usize, height);
    let blank = vec![255u8; rgba.len()];
    let ((blank_agreeing, _), _) = tile_agreement(&blank, shot.as_raw(), width as usize, height);
    Ok(PageFidelity {
        page: page.to_owned(),
        width,
        tiles,
        agreeing,
        content_tiles,
        content_agreeing,
        blank_agreeing,
    })
}
