//! Import with minimisation: recordings are parsed, masked and filtered in memory, and only
//! what survives is written. One session is committed at a time; a file that does not parse
//! stores nothing. The entry point is [`crate::access::Workspace::import`], which gates and logs.

mod admit;
pub mod counts;
pub mod depth;
pub mod manifest;
pub mod native;
mod pipeline;
mod reconstruct;
pub mod rescrub;
pub mod rrweb;
pub mod screenshot;
pub mod signals;
pub mod store;
pub mod tables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::privacy::pii;
use counts::Counts;
use manifest::Manifest;

/// Purposes a person can consent to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purposes {
    /// Aggregation into heatmaps.
    pub heatmaps: bool,
    /// Keeping a replay.
    pub recordings: bool,
}

impl Purposes {
    /// Parses `heatmaps,recordings`.
    pub fn parse(list: &str) -> Result<Purposes> {
        let mut p = Purposes::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "heatmaps" => p.heatmaps = true,
                "recordings" => p.recordings = true,
                other => {
                    return Err(Error::Invalid(format!(
                        "Unknown purpose '{other}': use heatmaps and/or recordings."
                    )));
                }
            }
        }
        Ok(p)
    }
}

/// One thing to import: a file, text already in memory (bundled sample data), or a stream of
/// recordings made one at a time as the import reaches them (generated sessions).
#[derive(Debug, Clone)]
pub enum ImportInput {
    /// A file on disk.
    File(PathBuf),
    /// Named text; the name decides CSV or recording, as a file name would.
    Memory {
        /// A file-like name (`consent.csv`, `generated-00001.json`).
        name: String,
        /// The content.
        text: String,
    },
    /// Recordings made on demand, in order: only the ones being imported are in memory.
    Stream(std::sync::Arc<RecordingStream>),
}

/// Named recordings (`name`, text) made one at a time, with how many there will be.
pub struct RecordingStream {
    count: usize,
    items: std::sync::Mutex<Box<dyn Iterator<Item = (String, String)> + Send>>,
}

impl ImportInput {
    /// A stream of `count` recordings from `items`.
    pub fn stream(
        count: usize,
        items: impl Iterator<Item = (String, String)> + Send + 'static,
    ) -> ImportInput {
        ImportInput::Stream(std::sync::Arc::new(RecordingStream {
            count,
            items: std::sync::Mutex::new(Box::new(items)),
        }))
    }
}

impl RecordingStream {
    /// The next recording, if any.
    fn next(&self) -> Option<(String, String)> {
        self.items.lock().ok()?.next()
    }
}

impl std::fmt::Debug for RecordingStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordingStream({} recordings)", self.count)
    }
}

impl ImportInput {
    fn name(&self) -> String {
        match self {
            ImportInput::File(path) => display_name(path),
            ImportInput::Memory { name, .. } => pii::redact(name).0.into_owned(),
            ImportInput::Stream(s) => format!("{} generated recordings", s.count),
        }
    }

    /// How many files it counts as: one, or a stream's recordings.
    pub(crate) fn files(&self) -> usize {
        match self {
            ImportInput::File(_) | ImportInput::Memory { .. } => 1,
            ImportInput::Stream(s) => s.count,
        }
    }

    fn text(&self, name: &str) -> Result<std::borrow::Cow<'_, str>> {
        match self {
            ImportInput::File(path) => {
                let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
                String::from_utf8(bytes).map(Into::into).map_err(|e| {
                    Error::Format(format!(
                        "{name}: not UTF-8 text (byte {})",
                        e.utf8_error().valid_up_to()
                    ))
                })
            }
            ImportInput::Memory { text, .. } => Ok(text.as_str().into()),
            ImportInput::Stream(_) => Err(Error::Format(format!(
                "{name}: a stream is read one recording at a time"
            ))),
        }
    }

    fn is_csv(&self) -> bool {
        match self {
            ImportInput::File(path) => path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
            ImportInput::Memory { name, .. } => name.to_ascii_lowercase().ends_with(".csv"),
            ImportInput::Stream(_) => false,
        }
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Per-session attributes and consent.
    pub manifest: Option<Manifest>,
    /// Consent handled upstream: applied to sessions without a consent record, with a reason
    /// that goes into the access log.
    pub assume_consent: Option<(Purposes, String)>,
}

/// Progress for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files finished.
    pub files_done: usize,
    /// Files in all.
    pub files_total: usize,
    /// Sessions stored so far.
    pub sessions_stored: usize,
}

/// What an import did, by reason. Holds no content and no identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files given.
    pub files: usize,
    /// Files that could not be read, with the reason (file names redacted for PII).
    pub failed_files: Vec<(String, String)>,
    /// Recordings found.
    pub recordings: usize,
    /// Sessions whose replay was kept.
    pub replays_stored: usize,
    /// Of those, how many kept the page itself (masked DOM).
    pub pages_stored: usize,
    /// Pages without a screenshot given a background drawn from a replay's masked page.
    pub backgrounds_drawn: usize,
    /// Sessions whose points were aggregated.
    pub heatmap_sessions: usize,
    /// Consent records read from consent CSVs.
    pub consent_records: usize,
    /// Survey responses read from survey CSVs.
    pub survey_responses: usize,
    /// CSV rows skipped because a required value was missing or invalid.
    pub rows_invalid: usize,
    /// Sessions not stored at all, by reason.
    pub sessions_dropped: BTreeMap<String, usize>,
    /// Event counts.
    pub counts: Counts,
    /// Sessions and pages stored before identifiers were scrubbed, rewritten by this import.
    pub rescrubbed: rescrub::Rescrubbed,
    /// Stopped early by the caller.
    pub cancelled: bool,
}

impl ImportReport {
    /// The report as aligned lines of text (CLI and GUI).
    pub fn summary_lines(&self) -> Vec<String> {
        let r = self;
        let mut out = vec![
            format!(
                "Files            {} ({} could not be read)",
                r.files,
                r.failed_files.len()
            ),
            format!("Recordings       {}", r.recordings),
            format!(
                "Replays stored   {} ({} with the masked page)",
                r.replays_stored, r.pages_stored
            ),
            format!("Heatmap sessions {}", r.heatmap_sessions),
            format!(
                "Events           {} read; {} of {} interactions kept; {} removed by masking rules; {} content events not kept; {} duplicates; {} invalid",
                r.counts.events_read,
                r.counts.interactions_kept,
                r.counts.interactions_read,
                r.counts.masked_dropped,
                r.counts.content_dropped,
                r.counts.duplicates_dropped,
                r.counts.invalid_dropped
            ),
            format!(
                "Masked           {} input values; {} PII matches redacted",
                r.counts.values_masked, r.counts.pii_redacted
            ),
        ];
        for (rule, t) in &r.counts.by_rule {
            let mut did = Vec::new();
            for (n, what) in [
                (t.elements, "elements"),
                (t.events_removed, "events removed"),
                (t.values_masked, "values masked"),
                (t.targets_hidden, "clicks named as a masked field"),
                (t.urls_rewritten, "URLs rewritten"),
            ] {
                if n > 0 {
                    did.push(format!("{n} {what}"));
                }
            }
            out.push(format!("Rule             {rule}: {}", did.join(", ")));
        }
        if r.backgrounds_drawn > 0 {
            out.push(format!(
                "Backgrounds      {} pages without a screenshot drawn from a recording, text masked",
                r.backgrounds_drawn
            ));
        }
        let u = &r.rescrubbed;
        if u.sessions + u.pages_renamed + u.pages_merged > 0 {
            out.push(format!(
                "Upgraded         identifiers scrubbed from {} stored sessions; {} pages renamed, {} merged",
                u.sessions, u.pages_renamed, u.pages_merged
            ));
        }
        if r.consent_records + r.survey_responses + r.rows_invalid > 0 {
            out.push(format!(
                "Tables           {} consent records, {} survey responses, {} rows skipped",
                r.consent_records, r.survey_responses, r.rows_invalid
            ));
        }
        if r.counts.accidental_taps > 0 {
            out.push(format!(
                "Noise            {} accidental taps left out of heatmaps",
                r.counts.accidental_taps
            ));
        }
        for (reason, n) in &r.sessions_dropped {
            out.push(format!("Not stored       {n} ({reason})"));
        }
        for (file, why) in &r.failed_files {
            out.push(format!("Failed           {file}: {why}"));
        }
        if r.cancelled {
            out.push("Cancelled before the end; everything listed above was committed.".into());
        }
        out
    }

    fn drop_session(&mut self, reason: &str) {
        *self.sessions_dropped.entry(reason.to_owned()).or_default() += 1;
    }
}

/// Whether a converted recording looks like a bot rather than a person: no interactions at all,
/// or ten or more clicks at a machine's pace (median gap under 100 ms).
pub fn looks_automated(c: &rrweb::Converted) -> Option<&'static str> {
    if c.counts.interactions_kept == 0 {
        return Some("no interactions");
    }
    let times: Vec<i64> = c
        .events
        .iter()
        .filter(|e| e.is_click())
        .map(|e| e.t_ms)
        .collect();
    if times.len() >= 10 {
        let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        if gaps[gaps.len() / 2] < 100 {
            return Some("bot-like clicking");
        }
    }
    None
}

/// Sessions committed together: fewer, larger transactions (and fsyncs) make imports fast,
/// while each session still commits whole or not at all. A batch closes after
/// [`BATCH_SESSIONS`] sessions or [`BATCH_TIME`], whichever comes first.
struct Batch {
    open_since: Option<std::time::Instant>,
    sessions: usize,
    confirm: Vec<i64>,
    committed: usize,
    /// Backgrounds for pages without a screenshot, drawn while the import runs.
    backgrounds: reconstruct::Backgrounds,
    /// The batch's points, written as blocks when it commits.
    points: crate::dataset::points::Writer,
}

/// Most sessions in one batch.
const BATCH_SESSIONS: usize = 128;
/// Longest a batch stays open, so progress (and a crash) never loses much.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(250);

impl Batch {
    fn begin(&mut self, ctx: &Context<'_>) -> Result<()> {
        if self.open_since.is_none() {
            ctx.core
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
            if let Err(e) = ctx.rec.execute_batch("BEGIN IMMEDIATE") {
                let _rolled_back = ctx.core.execute_batch("ROLLBACK");
                return Err(crate::dataset::db::sql_error("recordings.db", e));
            }
            self.open_since = Some(std::time::Instant::now());
        }
        Ok(())
    }

    fn due(&self) -> bool {
        self.open_since
            .is_some_and(|t| self.sessions >= BATCH_SESSIONS || t.elapsed() >= BATCH_TIME)
    }

    /// Commits points, then replays, then marks the points complete.
    fn commit(&mut self, ctx: &Context<'_>) -> Result<()> {
        if self.open_since.is_none() {
            return Ok(());
        }
        // Until core.db has committed, a failure leaves the batch open for `rollback`.
        self.points
            .flush(ctx.core)
            .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
        ctx.core
            .execute_batch("COMMIT")
            .map_err(|e| crate::dataset::db::sql_error("core.db", e))?;
        self.open_since = None;
        if let Err(e) = ctx.rec.execute_batch("COMMIT") {
            // The points stay pending, so `reconcile` removes them at the next import.
            let _rolled_back = ctx.rec.execute_batch("ROLLBACK");
            return Err(crate::dataset::db::sql_error("recordings.db", e));
        }
        store::confirm(ctx.core, &self.confirm)?;
        self.confirm.clear();
        self.committed += self.sessions;
        self.sessions = 0;
        Ok(())
    }

    fn rollback(&mut self, ctx: &Context<'_>) {
        if self.open_since.take().is_some() {
            // Nothing of the batch stays; the import reports the error that caused this.
            let _core = ctx.core.execute_batch("ROLLBACK");
            let _rec = ctx.rec.execute_batch("ROLLBACK");
        }
        self.sessions = 0;
        self.confirm.clear();
        self.points.discard();
    }
}

/// What every session of an import shares.
struct Context<'a> {
    core: &'a Connection,
    rec: &'a Connection,
    masking: crate::privacy::masking::Masking,
    key: zeroize::Zeroizing<[u8; 32]>,
    options: &'a ImportOptions,
    /// When this import stores (the device's clock): survey answers keep it for retention.
    now_ms: i64,
}

/// Runs an import into open connections. Called through the gate only.
pub(crate) fn run(
    core: &Connection,
    rec: &Connection,
    inputs: &[ImportInput],
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
    now_ms: i64,
) -> Result<ImportReport> {
    store::reconcile(core, rec)?;
    let key = store::pseudonym_key(rec)?;
    store::fill_subject_groups(core, rec, &key)?;
    let identifier_key = crate::privacy::identifiers::key_from(&key);
    let rescrubbed = rescrub::run(core, rec, &identifier_key)?;
    if crate::insights::store::needs_backfill(rec)? {
        crate::insights::store::backfill(core, rec)?;
    }
    let masking = crate::privacy::masking::Masking::new(
        &store::masking_rules(core)?,
        crate::privacy::paths::PathRules::new(&store::path_rules(core)?)?,
        identifier_key,
    )?;
    let ctx = Context {
        core,
        rec,
        masking,
        key,
        options,
        now_ms,
    };
    let mut report = ImportReport {
        files: inputs.iter().map(ImportInput::files).sum(),
        rescrubbed,
        ..ImportReport::default()
    };
    let mut batch = Batch {
        open_since: None,
        sessions: 0,
        confirm: Vec::new(),
        committed: 0,
        backgrounds: reconstruct::Backgrounds::new(),
        points: crate::dataset::points::Writer::default(),
    };
    let result = run_inputs(&ctx, inputs, &mut batch, &mut report, progress, cancel)
        .and_then(|()| batch.commit(&ctx));
    if let Err(e) = result {
        batch.rollback(&ctx);
        return Err(e);
    }
    report.backgrounds_drawn = batch.backgrounds.store(core)?;
    // Each batch left a partly filled block per page: merged now, so blocks fill their pages.
    // Only an optimisation, after every batch committed: a failure rolls back, leaving the
    // blocks as they were, and the import's report stands.
    let _compacted = core.unchecked_transaction().and_then(|tx| {
        crate::dataset::points::compact(&tx)?;
        tx.commit()
    });
    // Pages' medians moved with the new sessions: every score is settled against them.
    crate::insights::store::rescore(core, Some(rec))?;
    Ok(report)
}

fn run_inputs(
    ctx: &Context<'_>,
    inputs: &[ImportInput],
    batch: &mut Batch,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<()> {
    // Consent and survey tables first, so that sessions find their consent and scores.
    let (tables, recordings): (Vec<&ImportInput>, Vec<&ImportInput>) =
        inputs.iter().partition(|i| i.is_csv());
    let files_total: usize = inputs.iter().map(ImportInput::files).sum();
    let mut done = 0;
    let mut file_done = |batch: &mut Batch, done: &mut usize| -> Result<()> {
        if batch.due() {
            batch.commit(ctx)?;
        }
        *done += 1;
        progress(ImportProgress {
            files_done: *done,
            // A stream that makes more than it said it would still never passes 100%.
            files_total: files_total.max(*done),
            sessions_stored: batch.committed,
        });
        Ok(())
    };
    for input in tables {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            return Ok(());
        }
        let name = input.name();
        let outcome = input.text(&name).and_then(|text| {
            batch.commit(ctx)?;
            import_table(ctx, &name, &text, report)
        });
        file_failed(name, outcome, report)?;
        file_done(batch, &mut done)?;
    }
    std::thread::scope(|scope| {
        let prepared = pipeline::start(scope, recordings, &ctx.masking, cancel);
        for item in prepared {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            match item {
                pipeline::Item::Session(p) => {
                    report.recordings += 1;
                    let header = p.header.as_ref().map(|(row, consent)| (row, *consent));
                    admit::import_session(ctx, batch, &p.source_id, &p.converted, header, report)?;
                    if batch.due() {
                        batch.commit(ctx)?;
                    }
                }
                pipeline::Item::FileEnd { name, result } => {
                    file_failed(name, result, report)?;
                    file_done(batch, &mut done)?;
                }
            }
        }
        report.cancelled |= cancel.load(Ordering::Relaxed);
        Ok(())
    })
}

/// A file that cannot be read at all stores nothing and the other files go on; any other error
/// ends the import.
fn file_failed(name: String, outcome: Result<()>, report: &mut ImportReport) -> Result<()> {
    match outcome {
        Err(e @ (Error::Format(_) | Error::Io { .. })) => {
            let why = pii::redact(&e.to_string()).0.into_owned();
            report.failed_files.push((name, why));
            Ok(())
        }
        other => other,
    }
}

fn import_table(
    ctx: &Context<'_>,
    name: &str,
    text: &str,
    report: &mut ImportReport,
) -> Result<()> {
    let invalid = match tables::kind_of(name, text)? {
        tables::TableKind::Consent => {
            let (stored, invalid) = tables::import_consent(ctx.core, ctx.rec, &ctx.key, text)?;
            report.consent_records += stored;
            invalid
        }
        tables::TableKind::Survey => {
            let (stored, invalid) = tables::import_surveys(ctx.rec, &ctx.key, text, ctx.now_ms)?;
            report.survey_responses += stored;
            invalid
        }
    };
    report.rows_invalid += invalid;
    Ok(())
}

/// A file's name for reports, with anything that looks like PII redacted.
fn display_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    pii::redact(&name).0.into_owned()
}
