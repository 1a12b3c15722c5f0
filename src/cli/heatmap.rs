//! `sightline heatmap`: a heatmap rendered to an annotated PNG, through the gate.

use std::process::ExitCode;

use super::args::{ElementsArgs, HeatmapArgs, SegmentArgs};
use super::commands::with_workspace;
use super::output;
use crate::access::heatmaps::{HeatmapRequest, PngTable};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::heatmap::segment::Segment;
use crate::heatmap::{ColorMap, Kind, Normalisation, RenderParams};

/// Builds the request from the arguments.
fn request(args: &HeatmapArgs) -> Result<HeatmapRequest> {
    let kind = Kind::parse(&args.kind)
        .ok_or_else(|| Error::Invalid(format!("Unknown kind '{}'.", args.kind)))?;
    let colormap = ColorMap::SEQUENTIAL
        .into_iter()
        .find(|c| c.label() == args.colormap)
        .unwrap_or_default();
    let normalisation = Normalisation::ALL
        .into_iter()
        .find(|n| n.label() == args.normalise)
        .unwrap_or_default();
    if !(0.0..=200.0).contains(&args.sigma) || !(0.0..=1.0).contains(&args.opacity) {
        return Err(Error::Invalid(
            "--sigma must be 0–200 pixels and --opacity 0–1.".into(),
        ));
    }
    Ok(HeatmapRequest {
        page: args.page.clone(),
        viewport: args.viewport.clone(),
        params: RenderParams {
            kind,
            sigma_px: args.sigma,
            normalisation,
            colormap,
            opacity: args.opacity,
        },
        segment: segment(&args.segment)?,
    })
}

/// The segment the flags describe.
pub fn segment(args: &SegmentArgs) -> Result<Segment> {
    let score = match &args.score {
        None => None,
        Some(band) => {
            let parsed = band
                .split_once('-')
                .and_then(|(lo, hi)| Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)));
            Some(parsed.ok_or_else(|| {
                Error::Invalid(format!("--score takes a band like 4-5, not '{band}'."))
            })?)
        }
    };
    for day in [&args.from, &args.to].into_iter().flatten() {
        if time::Date::parse(
            day,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
        {
            return Err(Error::Invalid(format!(
                "'{day}' is not a date; use YYYY-MM-DD."
            )));
        }
    }
    Ok(Segment {
        from: args.from.clone(),
        to: args.to.clone(),
        device: args.device.clone(),
        region: args.region.clone(),
        variant: args.variant.clone(),
        cohort: args.cohort.clone(),
        score,
    })
}

/// `sightline elements`: a page's element table, through the gate.
pub fn elements(args: &ElementsArgs, device: &Device) -> Result<ExitCode> {
    let segment = segment(&args.segment)?;
    with_workspace(&args.path, &args.auth, device, |ws| {
        let mut table = ws.elements(&args.page, &args.viewport, &segment)?;
        table.rows.truncate(args.limit.unwrap_or(usize::MAX));
        if args.json {
            output::json(&table.rows)
        } else {
            output::lines(output::elements_text(&table))
        }
    })
}

/// Runs the command.
pub fn run(args: &HeatmapArgs, device: &Device) -> Result<ExitCode> {
    let request = request(args)?;
    with_workspace(&args.path, &args.auth, device, |ws| {
        let heatmap = ws.heatmap(&request)?;
        if let Some(why) = &heatmap.withheld {
            return Err(Error::Invalid(why.clone()));
        }
        let table = match args.top_elements {
            0 => PngTable::None,
            n => PngTable::TopElements(n),
        };
        let bytes = ws.export_heatmap_with(&heatmap, &heatmap.annotations, &table, &args.out)?;
        output::lines([format!(
            "Wrote {} ({} × {} px, {}, {} KB).",
            args.out.display(),
            heatmap.size.0,
            heatmap.size.1,
            heatmap.count_label(),
            bytes / 1024
        )])
    })
}
