//! `sightline demo`: a dataset with one account per role, the sample screenshots, the real
//! sample recordings and any number of generated sessions, all through the normal import (so
//! everything is masked, consented and logged like real data).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::access::Role;
use crate::dataset::Dataset;
use crate::device::Device;
use crate::error::Result;
use crate::ingest::manifest::Manifest;
use crate::ingest::{ImportInput, ImportOptions, ImportReport};
use crate::sample::assets::{self, BASE_URL, PAGES, WIDTHS};
use crate::sample::generate::generate;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "sightline-demo";
/// The demo accounts, one per role.
pub const DEMO_USERS: [(&str, Role); 4] = [
    ("compliance-lead", Role::ComplianceLead),
    ("analyst", Role::Analyst),
    ("data-engineer", Role::DataEngineer),
    ("ux-liaison", Role::UxLiaison),
];
/// Generated sessions in a default demo.
pub const DEFAULT_SESSIONS: usize = 2000;
/// The seed of the demo's generated sessions.
const SEED: u64 = 2026;

/// What the demo builder made.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// The dataset folder.
    pub path: PathBuf,
    /// Screenshots stored.
    pub screenshots: usize,
    /// The import report.
    pub report: ImportReport,
}

/// Builds the demo dataset at `path`. `progress` receives a step description and a fraction.
pub fn build(
    path: &Path,
    sessions: usize,
    device: &Device,
    progress: &mut dyn FnMut(&str, f32),
) -> Result<DemoSummary> {
    progress("Creating the dataset", 0.0);
    let (dataset, _recovery) =
        Dataset::create(path, "Parley demo", DEMO_USERS[0].0, DEMO_PASSWORD, device)?;
    let mut lead = dataset.unlock(DEMO_USERS[0].0, DEMO_PASSWORD, device)?;
    for (user, role) in &DEMO_USERS[1..] {
        lead.add_user(user, *role, DEMO_PASSWORD)?;
    }
    lead.lock()?;
    // The header now has every account.
    let dataset = Dataset::open(path)?;

    let mut engineer = dataset.unlock(DEMO_USERS[2].0, DEMO_PASSWORD, device)?;
    progress("Storing page screenshots", 0.05);
    let mut screenshots = 0;
    for page in PAGES {
        for width in WIDTHS {
            if let Some(png) = assets::screenshot_png(page, width) {
                engineer.import_screenshot_bytes(
                    &format!("{BASE_URL}{page}.html"),
                    width,
                    &format!("{page}-{width}.png"),
                    png,
                )?;
                screenshots += 1;
            }
        }
    }

    progress("Generating sessions", 0.1);
    // The manifest and surveys are needed before the import starts; the recordings are made
    // again, one at a time, as the import reaches them, so memory does not grow with their
    // number.
    let mut manifest_csv = assets::MANIFEST.to_owned();
    let mut surveys_csv = assets::SURVEYS.to_owned();
    let mut count = 0;
    for s in generate(SEED, sessions) {
        manifest_csv.push_str(&format!("\n{}", s.manifest_row));
        if let Some(row) = &s.survey_row {
            surveys_csv.push_str(&format!("\n{row}"));
        }
        count += 1;
    }
    let generated = ImportInput::stream(
        count,
        generate(SEED, sessions)
            .map(|s| (s.name, serde_json::to_string(&s.events).unwrap_or_default())),
    );
    let mut inputs = vec![
        ImportInput::Memory {
            name: "consent.csv".into(),
            text: assets::CONSENT.to_owned(),
        },
        ImportInput::Memory {
            name: "surveys.csv".into(),
            text: surveys_csv,
        },
    ];
    inputs.extend(
        assets::RECORDINGS
            .iter()
            .map(|(name, text)| ImportInput::Memory {
                name: (*name).to_owned(),
                text: (*text).to_owned(),
            }),
    );
    inputs.push(generated);
    let options = ImportOptions {
        manifest: Some(Manifest::parse("manifest.csv", manifest_csv.as_bytes())?),
        assume_consent: None,
    };
    let report = engineer.import_inputs(
        &inputs,
        &options,
        &mut |p| {
            progress(
                "Importing sessions",
                0.1 + 0.9 * p.files_done as f32 / p.files_total.max(1) as f32,
            )
        },
        &AtomicBool::new(false),
    )?;
    engineer.lock()?;
    progress("Done", 1.0);
    Ok(DemoSummary {
        path: path.to_path_buf(),
        screenshots,
        report,
    })
}

/// Where the GUI and `sightline demo` put the demo dataset by default.
pub fn default_path() -> PathBuf {
    crate::device::default_state_dir().join("demo.sightline")
}
