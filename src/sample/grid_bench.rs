//! `sightline bench heatmap --grid`: the first overlay of a page described only by a warehouse
//! grid. A grid of `points` clicks over `days` days at `bin_px` bins (a CSV in the grid format,
//! docs/FORMATS.md) is written, imported through the gate once and kept; each run then opens
//! the dataset in a fresh process and draws the first coloured overlay, as
//! [`super::store_bench::cold_run`] does for local points.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::sample::rng::Rng;
use crate::sample::store_bench::{PAGE, with_screenshot};

/// Sessions each bin claims: above any k floor a dataset may set.
const MIN_SESSIONS: u64 = 100;

/// What building the grid dataset did.
#[derive(Debug, Clone, Copy)]
pub struct GridBuilt {
    /// Rows in the grid file.
    pub rows: usize,
    /// Clicks in all its bins.
    pub events: u64,
    /// Reading, checking and storing the grid through the gate, ms.
    pub import_ms: f64,
    /// The whole build, seconds.
    pub seconds: f64,
}

/// Builds the dataset at `dir` (which must not exist): a white screenshot of [`PAGE`]
/// `width × height` and a grid of exactly `points` clicks over it.
pub fn build(
    dir: &Path,
    points: u64,
    (width, height): (u32, u32),
    bin_px: u32,
    days: u32,
    device: &Device,
) -> Result<GridBuilt> {
    if !(1..=256).contains(&bin_px) || !(1..=30).contains(&days) {
        return Err(Error::Invalid(
            "--bin-px must be 1–256 and --days 1–30.".into(),
        ));
    }
    let started = Instant::now();
    let mut engineer = with_screenshot(dir, (width, height), device)?;
    let (csv, rows) = grid_csv(points, (width, height), bin_px, days)?;
    let file = dir.with_extension("grid.csv");
    std::fs::write(&file, csv).map_err(Error::io("write the bench grid", &file))?;
    let t = Instant::now();
    let imported = engineer.import_grid(&file, Some("sightline bench heatmap --grid"));
    let import_ms = t.elapsed().as_secs_f64() * 1000.0;
    let _removed = std::fs::remove_file(&file);
    let report = imported?;
    engineer.lock()?;
    Ok(GridBuilt {
        rows,
        events: report.events,
        import_ms,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The grid as CSV text and its row count: `points` clicks shared out over every bin of
/// every day, most of them around a few dozen hot spots, every bin at least [`MIN_SESSIONS`]
/// sessions strong.
fn grid_csv(
    points: u64,
    (width, height): (u32, u32),
    bin_px: u32,
    days: u32,
) -> Result<(String, usize)> {
    let (columns, lines) = (width.div_ceil(bin_px), height.div_ceil(bin_px));
    let bins = u64::from(columns) * u64::from(lines) * u64::from(days);
    if points < bins * MIN_SESSIONS {
        return Err(Error::Invalid(format!(
            "--points must be at least {} for {bins} bins of {MIN_SESSIONS} sessions each.",
            bins * MIN_SESSIONS
        )));
    }
    let spots: Vec<(f64, f64, f64)> = (0..40)
        .map(|k| {
            let mut s = Rng::new(7 + k);
            (
                s.range(0.05, 0.95) * f64::from(width),
                s.range(0.02, 0.98) * f64::from(height),
                s.range(40.0, 200.0),
            )
        })
        .collect();
    // One day's weights; every day has the same shape.
    let weights: Vec<f64> = (0..lines)
        .flat_map(|y| (0..columns).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (cx, cy) = (
                (f64::from(x) + 0.5) * f64::from(bin_px),
                (f64::from(y) + 0.5) * f64::from(bin_px),
            );
            0.2 + spots
                .iter()
                .map(|&(sx, sy, sd)| {
                    let d2 = ((cx - sx).powi(2) + (cy - sy).powi(2)) / (2.0 * sd * sd);
                    (-d2).exp()
                })
                .sum::<f64>()
        })
        .collect();
    let total: f64 = weights.iter().sum::<f64>() * f64::from(days);
    // Above the floor every bin takes its share; what rounding leaves goes one by one from
    // the first bin on, so the grid holds exactly `points`.
    let spare = (points - bins * MIN_SESSIONS) as f64;
    let counts: Vec<u64> = weights
        .iter()
        .map(|w| MIN_SESSIONS + (spare * w / total).floor() as u64)
        .collect();
    // Each day's rounding leaves less than one click a bin, so fewer than `bins` in all.
    let left = points - counts.iter().sum::<u64>() * u64::from(days);
    let mut text = String::from(
        "page,viewport_width,kind,segment_key,segment_value,day,x_bin,y_bin,bin_px,count,sessions\n",
    );
    let mut row = 0u64;
    for day in 1..=days {
        for (i, count) in counts.iter().enumerate() {
            let n = count + u64::from(row < left);
            row += 1;
            let (x, y) = (i as u32 % columns, i as u32 / columns);
            let sessions = (n / 20).clamp(MIN_SESSIONS, n);
            let _infallible = writeln!(
                text,
                "{PAGE},{width},click,,,2026-11-{day:02},{x},{y},{bin_px},{n},{sessions}"
            );
        }
    }
    Ok((text, usize::try_from(bins).unwrap_or(usize::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_holds_exactly_the_points_asked_for_and_no_bin_under_its_floor() {
        let (csv, rows) = grid_csv(1_234_567, (1440, 4000), 50, 3).unwrap();
        let counts: Vec<(u64, u64)> = csv
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f[9].parse().unwrap(), f[10].parse().unwrap())
            })
            .collect();
        assert_eq!(rows, 29 * 80 * 3);
        assert_eq!(counts.len(), rows);
        assert_eq!(counts.iter().map(|c| c.0).sum::<u64>(), 1_234_567);
        assert!(counts.iter().all(|&(n, s)| s >= MIN_SESSIONS && s <= n));
        assert!(grid_csv(100, (1440, 4000), 50, 3).is_err());
    }
}
