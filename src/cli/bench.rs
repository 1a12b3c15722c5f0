//! `sightline bench …`: the figures of docs/BENCHMARKS.md as `key=value` lines, the headline
//! last.

use std::fs;
use std::process::ExitCode;

use super::args::BenchCommand;
use super::output;
use crate::device::Device;
use crate::error::{Error, Result};

/// Runs one benchmark.
pub fn run(cmd: BenchCommand, device: &Device) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Import { sessions, runs } => bench_import(sessions, runs, device),
        BenchCommand::Heatmap {
            points,
            width,
            height,
            grid: true,
            bin_px,
            days,
            dataset,
            ..
        } => bench_heatmap_grid(
            points.map_or(100_000_000, |n| n as u64),
            (width, height),
            (bin_px, days),
            dataset,
            device,
        ),
        BenchCommand::Heatmap {
            points,
            width,
            height,
            from_store: true,
            dataset,
            ..
        } => bench_heatmap_from_store(
            points.unwrap_or(10_000_000),
            (width, height),
            dataset,
            device,
        ),
        BenchCommand::Heatmap {
            dataset: Some(_), ..
        } => Err(Error::Invalid(
            "--dataset goes with --from-store or --grid.".into(),
        )),
        BenchCommand::Heatmap {
            points,
            width,
            height,
            runs,
            dump_points,
            ..
        } => bench_heatmap(
            points.unwrap_or(10_000_000),
            (width, height),
            runs,
            dump_points.as_deref(),
        ),
        BenchCommand::Overview {
            sessions,
            dataset,
            runs,
        } => bench_overview(sessions, dataset, runs, device),
        BenchCommand::Seek {
            events,
            hours,
            seeks,
            runs,
        } => bench_seek(events, hours, seeks, runs, device),
        BenchCommand::Page { seeks, hours } => bench_page(seeks, hours),
    }
}

/// `sightline bench page`: fidelity, seek and playback over the sample sessions, then the
/// resident memory a long session's page replay adds while it is played through.
fn bench_page(seeks: usize, hours: f64) -> Result<ExitCode> {
    use crate::sample::{bench, fidelity, page_bench};
    let pages = fidelity::sample_fidelity()?;
    for p in &pages {
        output::lines([format!(
            "fidelity page={} width={} tiles={} agreeing={} share={:.3} content_share={:.3}",
            p.page,
            p.width,
            p.tiles,
            p.agreeing,
            p.share(),
            p.content_agreeing as f64 / p.content_tiles.max(1) as f64
        )])?;
    }
    for width in [1440, 768, 390] {
        let at = pages.iter().filter(|p| p.width == width);
        let (agreeing, tiles, content_agreeing, content_tiles, blank) =
            at.fold((0, 0, 0, 0, 0), |(a, t, ca, ct, b), p| {
                (
                    a + p.agreeing,
                    t + p.tiles,
                    ca + p.content_agreeing,
                    ct + p.content_tiles,
                    b + p.blank_agreeing,
                )
            });
        output::lines([format!(
            "fidelity_width={width} tiles={tiles} share={:.3} blank_share={:.3} content_tiles={content_tiles} content_share={:.3}",
            agreeing as f64 / tiles.max(1) as f64,
            blank as f64 / tiles.max(1) as f64,
            content_agreeing as f64 / content_tiles.max(1) as f64
        )])?;
    }
    let min = pages
        .iter()
        .map(|p| p.share())
        .fold(f64::INFINITY, f64::min);
    let t = page_bench::timings(seeks)?;
    output::lines([format!(
        "seeks={} seek_median_ms={:.1} seek_p99_ms={:.1} playback_frames={} playback_fps={:.0}",
        t.seeks_ms.len(),
        t.seek_quantile(0.5),
        t.seek_quantile(0.99),
        t.frames,
        t.fps()
    )])?;
    let before = bench::resident_mb().unwrap_or(0.0);
    let track = page_bench::long_track(hours)?;
    let changes = track.changes.len();
    let replay = crate::dom::seek::DomReplay::new(track);
    let mut doc = None;
    let mut t_ms = 0;
    let end = (hours * 3_600_000.0) as i64;
    let mut frames = 0;
    while t_ms <= end {
        let request = crate::render::worker::FrameRequest {
            t_ms,
            width: 1440,
            height: 900,
            scroll_x: 0.0,
            scroll_y: 0.0,
        };
        if matches!(
            crate::render::worker::draw(&replay, &mut doc, &request),
            Ok(Some(_))
        ) {
            frames += 1;
        }
        t_ms += 60_000;
    }
    let after = bench::resident_mb().unwrap_or(0.0);
    let peak = bench::peak_resident_mb().map_or_else(|| "unknown".into(), |mb| format!("{mb:.0}"));
    output::lines([format!(
        "long_hours={hours} long_changes={changes} long_frames={frames} long_replay_mb={:.0} process_peak_mb={peak} fidelity_min={min:.3}",
        after - before
    )])?;
    Ok(ExitCode::SUCCESS)
}

/// `sightline bench overview`: the path an analyst waits for after sign-in, from the
/// encrypted store: the Overview's figures, then the element table of the busiest page.
fn bench_overview(
    sessions: usize,
    dataset: Option<std::path::PathBuf>,
    runs: usize,
    device: &Device,
) -> Result<ExitCode> {
    use crate::heatmap::segment::Segment;
    use crate::sample::{bench, demo};
    let temporary = dataset.is_none();
    let dir = dataset.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("sightline-bench-overview-{}", std::process::id()))
    });
    let result = (|| {
        if !dir.join("header.json").is_file() {
            let started = std::time::Instant::now();
            demo::build(&dir, sessions, device, &mut |_, _| {})?;
            // Nothing else has run yet in this process: its peak is the build's.
            let peak =
                bench::peak_resident_mb().map_or_else(|| "unknown".into(), |mb| format!("{mb:.0}"));
            output::lines([format!(
                "built sessions={sessions} seconds={:.1} peak_mb={peak}",
                started.elapsed().as_secs_f64()
            )])?;
        }
        let ws =
            crate::dataset::Dataset::open(&dir)?.unlock("analyst", demo::DEMO_PASSWORD, device)?;
        let (mut overview_ms, mut elements_ms, mut stored) = (Vec::new(), Vec::new(), 0);
        for run in 0..=runs {
            let t = std::time::Instant::now();
            let o = ws.overview(&Segment::default())?;
            let overview = t.elapsed().as_secs_f64() * 1000.0;
            let Some(top) = o.pages.first() else {
                return Err(Error::Invalid("The dataset has no page to time.".into()));
            };
            let t = std::time::Instant::now();
            let table = ws.elements(&top.page, &top.viewport, &Segment::default())?;
            let elements = t.elapsed().as_secs_f64() * 1000.0;
            if run == 0 {
                continue;
            }
            output::lines([format!(
                "run={run} sessions_shown={} overview_ms={overview:.1} elements_ms={elements:.1} element_rows={}",
                o.sessions,
                table.rows.len()
            )])?;
            overview_ms.push(overview);
            stored = o.sessions;
            elements_ms.push(elements);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        output::lines([format!(
            "sessions_shown={stored} elements_median_ms={:.1} overview_median_ms={:.1}",
            median(&mut elements_ms),
            median(&mut overview_ms)
        )])?;
        Ok(ExitCode::SUCCESS)
    })();
    if temporary {
        let _removed = fs::remove_dir_all(&dir);
    }
    result
}

/// `sightline bench seek`: one session imported into a fresh dataset, then `runs` timed
/// openings (after a warm-up), each followed by `seeks` random seeks.
fn bench_seek(
    events: usize,
    hours: f64,
    seeks: usize,
    runs: usize,
    device: &Device,
) -> Result<ExitCode> {
    use crate::sample::bench;
    let dir = std::env::temp_dir().join(format!("sightline-bench-seek-{}", std::process::id()));
    let result = (|| {
        let dataset = bench::seek_dataset(&dir, device, events, hours)?;
        let (mut open, mut all_seeks, mut replay_mb) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..=runs {
            let t = bench::timed_seek(&dataset, device, seeks)?;
            if run == 0 {
                continue;
            }
            let p = |q: f64| {
                t.seeks_ms[((t.seeks_ms.len() as f64 * q) as usize)
                    .min(t.seeks_ms.len().saturating_sub(1))]
            };
            output::lines([format!(
                "run={run} events={} open_ms={:.1} seek_median_ms={:.4} seek_p99_ms={:.4} replay_mb={:.0}",
                t.events,
                t.open_ms,
                p(0.5),
                p(0.99),
                t.replay_mb
            )])?;
            open.push(t.open_ms);
            all_seeks.extend(t.seeks_ms);
            replay_mb.push(t.replay_mb);
        }
        all_seeks.sort_by(f64::total_cmp);
        let p99 = all_seeks
            .get(((all_seeks.len() as f64) * 0.99) as usize)
            .copied()
            .unwrap_or(f64::NAN);
        let peak =
            bench::peak_resident_mb().map_or_else(|| "unknown".into(), |mb| format!("{mb:.0}"));
        output::lines([format!(
            "events={events} hours={hours} seeks={} replay_mb={:.0} process_peak_mb={peak} p99_ms={p99:.4} open_ms={:.1}",
            all_seeks.len(),
            median(replay_mb),
            median(open)
        )])
    })();
    let _removed = fs::remove_dir_all(&dir);
    result.map(|()| ExitCode::SUCCESS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `sightline bench heatmap`: one warm-up run, then `runs` timed runs over the same points.
fn bench_heatmap(
    points: usize,
    (width, height): (usize, usize),
    runs: usize,
    dump: Option<&std::path::Path>,
) -> Result<ExitCode> {
    use crate::sample::bench;
    if width == 0 || height == 0 {
        return Err(Error::Invalid(
            "Width and height must be at least 1.".into(),
        ));
    }
    let (xs, ys) = bench::heatmap_points(points, width, height);
    if let Some(path) = dump {
        crate::fsutil::write_atomically(path, |w| {
            for (x, y) in xs.iter().zip(&ys) {
                w.write_all(&x.to_le_bytes())
                    .and_then(|()| w.write_all(&y.to_le_bytes()))
                    .map_err(Error::io("write", path))?;
            }
            Ok(())
        })?;
    }
    let mut runs_done = Vec::new();
    for run in 0..=runs {
        let t = bench::timed_heatmap(&xs, &ys, width, height);
        if run > 0 {
            output::lines([format!(
                "run={run} points={points} width={width} height={height} bin_ms={:.1} blur_ms={:.1} normalise_ms={:.1} colour_ms={:.1} overlay_ms={:.1} recolour_ms={:.2}",
                t.bin_ms, t.blur_ms, t.normalise_ms, t.colour_ms, t.overlay_ms, t.recolour_ms
            )])?;
            runs_done.push(t);
        }
    }
    let step = |f: fn(&bench::HeatmapTiming) -> f64| median(runs_done.iter().map(f).collect());
    let peak = bench::peak_resident_mb().map_or_else(|| "unknown".into(), |mb| format!("{mb:.0}"));
    output::lines([format!(
        "points={points} width={width} height={height} runs={runs} peak_mb={peak} bin_ms={:.1} blur_ms={:.1} normalise_ms={:.1} colour_ms={:.1} recolour_ms={:.2} median_ms={:.1}",
        step(|t| t.bin_ms),
        step(|t| t.blur_ms),
        step(|t| t.normalise_ms),
        step(|t| t.colour_ms),
        step(|t| t.recolour_ms),
        step(|t| t.overlay_ms),
    )])?;
    Ok(ExitCode::SUCCESS)
}

/// `sightline bench heatmap --from-store`: builds the dataset if it is missing (timed on the
/// spot, in the building process: page cache warm), else times a cold open in this fresh
/// process (the operating system's page cache may still hold the files: it cannot be dropped
/// here).
fn bench_heatmap_from_store(
    points: usize,
    (width, height): (usize, usize),
    dataset: Option<std::path::PathBuf>,
    device: &Device,
) -> Result<ExitCode> {
    use crate::sample::store_bench;
    let (w, h) = bench_size(width, height)?;
    if points == 0 {
        return Err(Error::Invalid(
            "--from-store needs at least one point.".into(),
        ));
    }
    let dir = dataset.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("sightline-bench-store-{points}-{w}x{h}"))
    });
    let page_cache = if dir.join("header.json").is_file() {
        "fresh process, files possibly in the OS page cache"
    } else {
        let built = store_bench::build(&dir, points, (w, h), device)?;
        output::lines([format!(
            "built points={points} sessions={} seconds={:.1} dataset={}",
            built.sessions,
            built.seconds,
            dir.display()
        )])?;
        "warm: built by this process (run again for a fresh process)"
    };
    let run = store_bench::cold_run(&dir, w, device)?;
    let core_bytes: u64 = ["core.db", "core.db-wal"]
        .iter()
        .filter_map(|f| fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    output::lines([
        format!("page_cache={page_cache}"),
        format!(
            "points_drawn={} unlock_ms={:.1} heatmap_ms={:.1} colour_ms={:.1}",
            run.points, run.unlock_ms, run.heatmap_ms, run.colour_ms
        ),
        format!(
            "core_db_bytes={core_bytes} bytes_per_point={:.2} first_heatmap_ms={:.1}",
            core_bytes as f64 / run.points.max(1) as f64,
            run.heatmap_ms + run.colour_ms
        ),
    ])?;
    Ok(ExitCode::SUCCESS)
}

/// `sightline bench heatmap --grid`: builds the grid dataset if it is missing (the grid's
/// import timed on the spot), then times a cold open and the first overlay, as
/// `--from-store` does.
fn bench_heatmap_grid(
    points: u64,
    (width, height): (usize, usize),
    (bin_px, days): (u32, u32),
    dataset: Option<std::path::PathBuf>,
    device: &Device,
) -> Result<ExitCode> {
    use crate::sample::{grid_bench, store_bench};
    let (w, h) = bench_size(width, height)?;
    let dir = dataset.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "sightline-bench-grid-{points}-{w}x{h}-{bin_px}px-{days}d"
        ))
    });
    let page_cache = if dir.join("header.json").is_file() {
        "fresh process, files possibly in the OS page cache"
    } else {
        let built = grid_bench::build(&dir, points, (w, h), bin_px, days, device)?;
        output::lines([format!(
            "built grid_rows={} grid_events={} grid_import_ms={:.1} seconds={:.1} dataset={}",
            built.rows,
            built.events,
            built.import_ms,
            built.seconds,
            dir.display()
        )])?;
        "warm: built by this process (run again for a fresh process)"
    };
    let run = store_bench::cold_run(&dir, w, device)?;
    output::lines([
        format!("page_cache={page_cache}"),
        format!(
            "bin_px={bin_px} days={days} unlock_ms={:.1} heatmap_ms={:.1} colour_ms={:.1}",
            run.unlock_ms, run.heatmap_ms, run.colour_ms
        ),
        format!(
            "grid_events_drawn={} first_overlay_ms={:.1}",
            run.grid_events,
            run.heatmap_ms + run.colour_ms
        ),
    ])?;
    Ok(ExitCode::SUCCESS)
}

/// An overlay size the store benches accept.
fn bench_size(width: usize, height: usize) -> Result<(u32, u32)> {
    let (w, h) = (
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    if !(1..=16_384).contains(&w) || !(1..=65_535).contains(&h) {
        return Err(Error::Invalid(
            "The overlay needs a width of 1–16384 and a height of 1–65535.".into(),
        ));
    }
    Ok((w, h))
}

/// `sightline bench import`: one warm-up run, then `runs` timed runs, each into a fresh dataset.
fn bench_import(sessions: usize, runs: usize, device: &Device) -> Result<ExitCode> {
    use crate::sample::bench;
    let (inputs, bytes) = bench::inputs(sessions);
    let mb = bytes as f64 / 1_000_000.0;
    let mut times = Vec::new();
    for run in 0..=runs {
        let dir =
            std::env::temp_dir().join(format!("sightline-bench-{}-{run}", std::process::id()));
        let dataset = bench::fresh_dataset(&dir, device)?;
        let elapsed = bench::timed_import(&dataset, device, &inputs);
        let _removed = fs::remove_dir_all(&dir);
        let elapsed = elapsed?.as_secs_f64();
        if run > 0 {
            output::lines([format!(
                "run={run} sessions={sessions} mb={mb:.2} seconds={elapsed:.3} mb_per_s={:.1}",
                mb / elapsed
            )])?;
            times.push(elapsed);
        }
    }
    let median = median(times);
    // The generated inputs are held in memory for the timing: `mb` of the peak is theirs.
    let peak = bench::peak_resident_mb().map_or_else(|| "unknown".into(), |mb| format!("{mb:.0}"));
    output::lines([format!(
        "sessions={sessions} mb={mb:.2} median_seconds={median:.3} peak_mb={peak} mb_per_s={:.1}",
        mb / median
    )])?;
    Ok(ExitCode::SUCCESS)
}
