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

const USER: &str = "bench-engineer";
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
            ImportInput::File(_) => 0,
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
