//! Import throughput, measured end to end: generated rrweb JSON in memory, through parsing,
//! masking, consent, and committed storage in a fresh encrypted dataset. Used by
//! `sightline bench import` and the criterion bench.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::access::Role;
use crate::dataset::Dataset;
use crate::device::Device;
use crate::error::Result;
use crate::ingest::{ImportInput, ImportOptions, Purposes};
use crate::sample::generate::generate;

/// The data engineer of a bench dataset.
pub(crate) const USER: &str = "bench-engineer";
const PASSWORD: &str = "bench-password-1";

/// The inputs of one run: generated sessions as JSON text, and their total size in bytes.
pub fn inputs(sessions: usize) -> (Vec<ImportInput>, u64) {
    let inputs: Vec<ImportInput> = generate(42, sessions)
        .map(|s| ImportInput::Memory {
            name: s.name,
            text: serde_json::to_string(&s.events).unwrap_or_default(),
        })
        .collect();
    let bytes = inputs
        .iter()
        .map(|i| match i {
            ImportInput::Memory { text, .. } => text.len() as u64,
            ImportInput::File(_) | ImportInput::Stream(_) => 0,
        })
        .sum();
    (inputs, bytes)
}

/// A fresh dataset in `dir` with a data engineer, ready for an import.
pub fn fresh_dataset(dir: &Path, device: &Device) -> Result<Dataset> {
    let (dataset, _) = Dataset::create(dir, "bench", "bench-lead", PASSWORD, device)?;
    let mut lead = dataset.unlock("bench-lead", PASSWORD, device)?;
    lead.add_user(USER, Role::DataEngineer, PASSWORD)?;
    lead.lock()?;
    Dataset::open(dir)
}

/// Imports `inputs` into `dataset` as the data engineer; returns the time the import took
/// (unlocking is not counted).
pub fn timed_import(
    dataset: &Dataset,
    device: &Device,
    inputs: &[ImportInput],
) -> Result<Duration> {
    let mut ws = dataset.unlock(USER, PASSWORD, device)?;
    let options = ImportOptions {
        manifest: None,
        assume_consent: Some((
            Purposes {
                heatmaps: true,
                recordings: true,
            },
            "benchmark data".into(),
        )),
    };
    let start = Instant::now();
    ws.import_inputs(inputs, &options, &mut |_| {}, &AtomicBool::new(false))?;
    let elapsed = start.elapsed();
    ws.lock()?;
    Ok(elapsed)
}

/// `n` click-like points on a `width × height` page (scale 1): most in a few dozen hot spots
/// (buttons, links, fields) of different sizes and weights, the rest spread over the page.
/// Deterministic, so the Rust and scipy benchmarks can share them.
pub fn heatmap_points(n: usize, width: usize, height: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = crate::sample::rng::Rng::new(42);
    let (w, h) = (width as f64, height as f64);
    let spots: Vec<(f64, f64, f64, f64)> = (0..40)
        .map(|_| {
            (
                rng.range(0.05 * w, 0.95 * w),
                rng.range(0.02 * h, 0.98 * h),
                rng.range(4.0, 40.0),
                rng.range(0.2, 1.0),
            )
        })
        .collect();
    let weights: Vec<f64> = spots.iter().map(|s| s.3).collect();
    let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (x, y) = if rng.chance(0.8) {
            let (cx, cy, sd, _) = spots[rng.weighted(&weights)];
            (cx + rng.normal() * sd, cy + rng.normal() * sd)
        } else {
            (rng.range(0.0, w), rng.range(0.0, h))
        };
        xs.push(x as f32);
        ys.push(y as f32);
    }
    (xs, ys)
}

/// What one heatmap run measured, step by step (ms).
#[derive(Debug, Clone, Copy)]
pub struct HeatmapTiming {
    /// Points counted into the grid.
    pub bin_ms: f64,
    /// The Gaussian blur.
    pub blur_ms: f64,
    /// Densities to colour levels (p99 normalisation).
    pub normalise_ms: f64,
    /// Levels to RGBA through the palette.
    pub colour_ms: f64,
    /// Points → coloured overlay: the four steps.
    pub overlay_ms: f64,
    /// Recolouring a 1440 × 1000 visible region with a new palette.
    pub recolour_ms: f64,
}

/// One timed run of the heatmap pipeline over `xs`/`ys` at `width × height`, each step as
/// [`crate::heatmap::point_density`] runs it.
pub fn timed_heatmap(xs: &[f32], ys: &[f32], width: usize, height: usize) -> HeatmapTiming {
    use crate::heatmap::{ColorMap, Normalisation, Palette, blur, colormap, grid, levels};
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let palette = Palette::new(ColorMap::Viridis, 0.65);
    let t = Instant::now();
    let (mut density, _) = grid::bin(xs, ys, 1.0, width, height);
    let bin_ms = ms(t);
    let t = Instant::now();
    blur::gaussian(&mut density, 12.0);
    let blur_ms = ms(t);
    let t = Instant::now();
    let levels = levels::levels(&density, Normalisation::P99);
    let normalise_ms = ms(t);
    let t = Instant::now();
    let rgba = colormap::colorize(&levels.levels, width, &palette.colors);
    let colour_ms = ms(t);
    std::hint::black_box(&rgba);
    drop(rgba);
    let palette = Palette::new(ColorMap::Inferno, 0.5).premultiplied();
    let mut out = Vec::new();
    let t = Instant::now();
    colormap::colorize_region(
        &levels.levels,
        width,
        (
            0,
            height / 3,
            width.min(1440),
            (height / 3 + 1000).min(height),
        ),
        &palette,
        &mut out,
    );
    let recolour_ms = ms(t);
    std::hint::black_box(&out);
    HeatmapTiming {
        bin_ms,
        blur_ms,
        normalise_ms,
        colour_ms,
        overlay_ms: bin_ms + blur_ms + normalise_ms + colour_ms,
        recolour_ms,
    }
}

/// The process's peak resident memory so far, in MB (Linux; `None` elsewhere).
pub fn peak_resident_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

/// The process's resident memory now, in MB (Linux; `None` elsewhere).
pub fn resident_mb() -> Option<f64> {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One long native-format session: `events` events over `hours` hours on five pages — mostly
/// pointer samples, with clicks, scrolls, inputs and page changes mixed in.
pub fn long_session(events: usize, hours: f64) -> String {
    use std::fmt::Write as _;
    let mut rng = crate::sample::rng::Rng::new(99);
    let span = hours * 3_600_000.0;
    let step = span / events.max(1) as f64;
    let mut out = String::with_capacity(events * 60);
    out.push_str(r#"{"sightline": 1, "session": "long-1", "subject": "bench-subject", "started_at": "2026-11-20T09:00:00Z", "region": "EU", "url": "https://app.parley.example/inbox.html", "viewport": {"width": 1440, "height": 900}}"#);
    let (mut x, mut y) = (700.0f64, 400.0f64);
    for i in 0..events {
        let t = (i as f64 * step) as i64;
        x = (x + rng.normal() * 12.0).clamp(0.0, 1440.0);
        y = (y + rng.normal() * 12.0).clamp(0.0, 3000.0);
        let line = match i % 997 {
            0 if i > 0 => format!(
                r#"{{"t": {t}, "kind": "navigation", "url": "https://app.parley.example/{}.html"}}"#,
                [
                    "inbox",
                    "conversation",
                    "pricing",
                    "signup",
                    "settings-privacy"
                ][rng.int(0, 4) as usize]
            ),
            _ if i % 211 == 0 => format!(
                r#"{{"t": {t}, "kind": "scroll", "x": 0, "y": {:.0}}}"#,
                y / 2.0
            ),
            _ if i % 97 == 0 => {
                format!(r#"{{"t": {t}, "kind": "click", "x": {x:.1}, "y": {y:.1}}}"#)
            }
            _ if i % 401 == 0 => format!(
                r#"{{"t": {t}, "kind": "input", "target": "input#search", "value": "typed text"}}"#
            ),
            _ => format!(r#"{{"t": {t}, "kind": "move", "x": {x:.1}, "y": {y:.1}}}"#),
        };
        out.push('\n');
        let _ = write!(out, "{line}");
    }
    out
}

/// What one seek benchmark measured.
#[derive(Debug, Clone)]
pub struct SeekTiming {
    /// Events in the session.
    pub events: usize,
    /// Reading, decrypting and decoding the session and building its index, in ms.
    pub open_ms: f64,
    /// Seek times, sorted, in ms.
    pub seeks_ms: Vec<f64>,
    /// Heap the opened replay owns (events, strings, checkpoints), in MB.
    pub replay_mb: f64,
}

/// Imports [`long_session`] into a fresh dataset at `dir` and returns the dataset.
pub fn seek_dataset(dir: &Path, device: &Device, events: usize, hours: f64) -> Result<Dataset> {
    let dataset = fresh_dataset(dir, device)?;
    let mut ws = dataset.unlock(USER, PASSWORD, device)?;
    let input = ImportInput::Memory {
        name: "long.jsonl".into(),
        text: long_session(events, hours),
    };
    let options = ImportOptions {
        manifest: None,
        assume_consent: Some((
            Purposes {
                heatmaps: false,
                recordings: true,
            },
            "benchmark data".into(),
        )),
    };
    ws.import_inputs(&[input], &options, &mut |_| {}, &AtomicBool::new(false))?;
    ws.lock()?;
    Ok(dataset)
}

/// Opens the only session of `dataset` as its compliance lead and seeks `seeks` times.
pub fn timed_seek(dataset: &Dataset, device: &Device, seeks: usize) -> Result<SeekTiming> {
    let ws = dataset.unlock("bench-lead", PASSWORD, device)?;
    let id = ws
        .sessions(Some(1))?
        .into_iter()
        .next()
        .map(|s| s.id)
        .ok_or_else(|| crate::error::Error::Invalid("The benchmark session is missing.".into()))?;
    let start = Instant::now();
    let data = ws.replay(&id, "benchmark")?;
    let replay = crate::replay::Replay::new(data.events);
    let open_ms = start.elapsed().as_secs_f64() * 1000.0;
    let replay_mb = replay.heap_bytes() as f64 / 1_048_576.0;
    let mut rng = crate::sample::rng::Rng::new(5);
    let mut seeks_ms: Vec<f64> = (0..seeks)
        .map(|_| {
            let t = rng.int(0, replay.duration_ms());
            let start = Instant::now();
            let state = replay.state_at(t);
            let trail = replay.events_between(t - 1000, t).len();
            std::hint::black_box((&state, trail));
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    seeks_ms.sort_by(f64::total_cmp);
    let events = replay.events().len();
    drop(replay);
    ws.lock()?;
    Ok(SeekTiming {
        events,
        open_ms,
        seeks_ms,
        replay_mb,
    })
}
