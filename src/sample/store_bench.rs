//! `sightline bench heatmap --from-store`: the path a user waits for, from the encrypted store.
//! A dataset holding `points` clicks on one page (from generated native sessions of 1,000
//! clicks each, heatmap consent only) is built once and kept; each run then opens it in a fresh
//! process, unlocks it and draws the first coloured overlay through the gate.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::access::{Role, Workspace};
use crate::dataset::Dataset;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::heatmap::figure::HeatmapRequest;
use crate::heatmap::segment::Segment;
use crate::heatmap::{ColorMap, Palette, RenderParams};
use crate::ingest::{ImportInput, ImportOptions};
use crate::sample::rng::Rng;

/// The page every point is on.
pub const PAGE: &str = "https://app.bench.example/long-page";
/// Clicks per generated session.
const CLICKS_PER_SESSION: usize = 1_000;
const ANALYST: &str = "bench-analyst";
const PASSWORD: &str = "bench-password-1";

/// What building the dataset did.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    /// Sessions imported.
    pub sessions: usize,
    /// Seconds it took.
    pub seconds: f64,
}

/// Builds the dataset at `dir` (which must not exist) with `points` clicks on [`PAGE`], over a
/// white screenshot of `width × height`.
pub fn build(
    dir: &Path,
    points: usize,
    (width, height): (u32, u32),
    device: &Device,
) -> Result<Built> {
    let started = Instant::now();
    let mut engineer = with_screenshot(dir, (width, height), device)?;
    let sessions = points.div_ceil(CLICKS_PER_SESSION);
    let (w, h) = (f64::from(width), f64::from(height));
    let stream = ImportInput::stream(
        sessions,
        (0..sessions).map(move |i| {
            let clicks = CLICKS_PER_SESSION.min(points - i * CLICKS_PER_SESSION);
            (format!("bench-{i:07}.jsonl"), session(i, clicks, (w, h)))
        }),
    );
    engineer.import_inputs(
        &[stream],
        &ImportOptions::default(),
        &mut |_| {},
        &AtomicBool::new(false),
    )?;
    engineer.lock()?;
    Ok(Built {
        sessions,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A fresh dataset at `dir` with an analyst and a white screenshot of [`PAGE`] `width × height`,
/// unlocked as its data engineer.
pub(crate) fn with_screenshot(
    dir: &Path,
    (width, height): (u32, u32),
    device: &Device,
) -> Result<Workspace> {
    let dataset = super::bench::fresh_dataset(dir, device)?;
    let mut lead = dataset.unlock("bench-lead", PASSWORD, device)?;
    lead.add_user(ANALYST, Role::Analyst, PASSWORD)?;
    lead.lock()?;
    let dataset = Dataset::open(dir)?;
    let mut engineer = dataset.unlock(super::bench::USER, PASSWORD, device)?;
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(width, height, image::Rgba([255, 255, 255, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::Format(format!("the bench screenshot: {e}")))?;
    engineer.import_screenshot_bytes(PAGE, width, "bench.png", &png)?;
    Ok(engineer)
}

/// One native session of `clicks` clicks, most in a few dozen hot spots, two seconds apart
/// (never a rage burst), consenting to heatmaps only.
fn session(index: usize, clicks: usize, (w, h): (f64, f64)) -> String {
    let mut rng = Rng::new(42 + index as u64);
    let spots: Vec<(f64, f64, f64)> = (0..40)
        .map(|k| {
            let mut s = Rng::new(7 + k);
            (
                s.range(0.05 * w, 0.95 * w),
                s.range(0.02 * h, 0.98 * h),
                s.range(4.0, 40.0),
            )
        })
        .collect();
    let mut out = format!(
        r#"{{"sightline": 1, "session": "bench-{index}", "subject": "bench-person-{index}", "started_at": "2026-11-02T10:00:00Z", "region": "EU", "consent": {{"heatmaps": true, "recordings": false}}, "url": "{PAGE}", "viewport": {{"width": {w}, "height": 900}}}}"#
    );
    for c in 0..clicks {
        let (x, y) = if rng.chance(0.8) {
            let (cx, cy, sd) = spots[rng.int(0, spots.len() as i64 - 1) as usize];
            (cx + rng.normal() * sd, cy + rng.normal() * sd)
        } else {
            (rng.range(0.0, w), rng.range(0.0, h))
        };
        let (x, y) = (x.clamp(0.0, w - 1.0).round(), y.clamp(0.0, h - 1.0).round());
        out.push_str(&format!(
            "\n{{\"t\": {}, \"kind\": \"click\", \"x\": {x}, \"y\": {y}}}",
            100 + c * 2_000
        ));
    }
    out
}

/// One cold run: unlock, then the first coloured overlay of [`PAGE`] through the gate.
#[derive(Debug, Clone, Copy)]
pub struct ColdRun {
    /// Opening and unlocking the dataset (key derivation included), ms.
    pub unlock_ms: f64,
    /// The heatmap through the gate (points read, decoded, binned, blurred, levelled), ms.
    pub heatmap_ms: f64,
    /// Colouring the whole overlay, ms.
    pub colour_ms: f64,
    /// Points drawn.
    pub points: usize,
    /// Events drawn from warehouse grid layers.
    pub grid_events: u64,
}

/// Times [`ColdRun`] on the dataset at `dir`, built for screenshots `width` wide.
pub fn cold_run(dir: &Path, width: u32, device: &Device) -> Result<ColdRun> {
    let t = Instant::now();
    let ws = unlock(dir, device)?;
    let unlock_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(ColdRun {
        unlock_ms,
        ..first_overlay(&ws, width)?
    })
}

/// The bench dataset at `dir`, unlocked as its analyst.
pub fn unlock(dir: &Path, device: &Device) -> Result<Workspace> {
    Dataset::open(dir)?.unlock(ANALYST, PASSWORD, device)
}

/// The coloured overlay of [`PAGE`] at the viewport class of `width`, through the gate, timed
/// (`unlock_ms` is 0).
pub fn first_overlay(ws: &Workspace, width: u32) -> Result<ColdRun> {
    let request = HeatmapRequest {
        page: PAGE.into(),
        viewport: crate::session::device_class(width).into(),
        params: RenderParams::default(),
        segment: Segment::default(),
    };
    let t = Instant::now();
    let heatmap = ws.heatmap(&request)?;
    let heatmap_ms = t.elapsed().as_secs_f64() * 1000.0;
    let density = heatmap.density.as_ref().ok_or_else(|| {
        Error::Invalid(
            "The bench page drew no heatmap: it is below the privacy floor (from the store, use \
             at least 5,000 points, 1,000 a person)."
                .into(),
        )
    })?;
    let t = Instant::now();
    let rgba = density.colorize(&Palette::new(ColorMap::Viridis, 0.65));
    let colour_ms = t.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(&rgba);
    Ok(ColdRun {
        unlock_ms: 0.0,
        heatmap_ms,
        colour_ms,
        points: density.points,
        grid_events: heatmap.grid_events,
    })
}
