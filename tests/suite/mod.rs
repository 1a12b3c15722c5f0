//! The test modules.

/// Shared fixtures: datasets with one user per role, a mock keychain, file snapshots.
mod common;

/// The command-line contract, scripted with environment variables.
mod cli;
/// The compliance centre: erasure, retention, receipts.
mod compliance;
/// Key changes killed between any two writes leave the old or the new dataset, whole.
mod crash;
/// The demo dataset: accounts, screenshots, sample and generated sessions.
mod demo;
/// Warehouse grids: the DuckDB-made fixtures import as layers; bad rows, k and overlaps refused.
mod grid;
/// The login screen and workbench frame, driven headless with egui_kittest.
mod gui;
/// Two commands in one frame: both are run.
mod gui_commands;
/// The compliance view, driven headless.
mod gui_compliance;
/// The heatmap view, driven headless with egui_kittest.
mod gui_heatmaps;
/// The Overview, driven headless.
mod gui_overview;
/// The sessions view and the replay player, driven headless.
mod gui_replay;
/// The heatmap engine against known densities.
mod heatmap_engine;
/// Heatmaps through the gate: k floor, segments, compare, annotations, PNG export.
mod heatmaps;
/// Import with minimisation: fixtures, canary PII, consent, hostile input.
mod import;
/// An insider's attacks on membership, keys, log and policy, each named and fruitless.
mod insider;
/// Frustration signals and scores per session.
mod insights;
/// Database integrity: flipped bytes, header crash states.
mod integrity;
/// Domain modules never import the UI.
mod layering;
/// The access log: each kind of tampering found and pointed at; rollback via the anchor.
mod log_tamper;
/// Login: generic errors, files untouched, back-off, failed attempts logged and announced.
mod login;
/// Masking rules and identifier scrubbing: canaries under each rule leave no byte anywhere.
mod masking;
/// The permission matrix, enforced by the gate and logged, for every role.
mod matrix;
/// The page replay: masked DOM stored, drawn, changing on time; frames; fidelity.
mod page_replay;
/// The replay seek index against a straight replay.
mod replay;
/// Revocation rotates keys; an old header opens nothing written after it.
mod revoke;
/// Key slots: header edits refuse, UX keys cannot open recordings, recovery, password change.
mod slots;
/// Format-1 datasets open and are upgraded at a compliance lead's sign-in.
mod upgrade;
