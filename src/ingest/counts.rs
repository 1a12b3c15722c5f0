//! What an import read, kept and dropped, by reason.

use serde::Serialize;

use crate::privacy::masking::Tallies;

/// Event-level counts of one recording or a whole import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// rrweb events read.
    pub events_read: u64,
    /// Interaction units read (each pointer sample, click, scroll, resize and input).
    pub interactions_read: u64,
    /// Interaction units kept (`interactions_read` minus `invalid_dropped` and
    /// `masked_dropped`).
    pub interactions_kept: u64,
    /// Interactions removed by masking rules (inside blocked elements, inputs on ignored ones).
    pub masked_dropped: u64,
    /// Content events (snapshots, mutations, styles…) whose content is never kept.
    pub content_dropped: u64,
    /// Exact duplicate events dropped.
    pub duplicates_dropped: u64,
    /// Interactions dropped because their numbers were missing or absurd.
    pub invalid_dropped: u64,
    /// Input values replaced by the mask.
    pub values_masked: u64,
    /// PII found and redacted in kept text (tags, selectors, URLs).
    pub pii_redacted: u64,
    /// Taps during a scroll gesture, kept in replays but left out of heatmaps.
    pub accidental_taps: u64,
    /// What each masking or path rule did, by the rule's description.
    pub by_rule: Tallies,
}

impl Counts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counts) {
        self.events_read += other.events_read;
        self.interactions_read += other.interactions_read;
        self.interactions_kept += other.interactions_kept;
        self.content_dropped += other.content_dropped;
        self.duplicates_dropped += other.duplicates_dropped;
        self.invalid_dropped += other.invalid_dropped;
        self.values_masked += other.values_masked;
        self.pii_redacted += other.pii_redacted;
        self.accidental_taps += other.accidental_taps;
        self.masked_dropped += other.masked_dropped;
        for (rule, tally) in &other.by_rule {
            self.by_rule.entry(rule.clone()).or_default().add(tally);
        }
    }
}
