//! Sightline: an offline workbench for privacy-sensitive behavioural analytics.
//!
//! What lives where:
//! - [`dataset`]: the encrypted bundle (header, key slots, SQLCipher databases, rotation).
//! - [`access`]: roles, the permission matrix, the access gate ([`access::Workspace`]) and the
//!   hash-chained access log with its keychain anchor.
//! - [`ingest`], [`privacy`], [`session`]: import with minimisation, PII detectors and
//!   pseudonyms, and the masked session model.
//! - [`cli`]: the command-line interface over the same core.
//! - [`app`] and [`ui`]: the eframe application (state, commands) and its views.
//!
//! Domain modules (`dataset`, `access`) never use egui or eframe; a test keeps that true.
//! Library code returns [`error::Error`]; the binary adds context and maps it to exit codes.
//! Passwords, keys and recorded content never appear in errors or logs.

pub mod access;
pub mod app;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod command;
pub mod compliance;
pub mod dataset;
pub mod device;
pub mod dom;
pub mod error;
pub mod export;
pub mod failpoint;
pub mod fsutil;
pub mod grid;
pub mod heatmap;
pub mod ingest;
pub mod insights;
pub mod pin;
pub mod privacy;
pub mod render;
pub mod replay;
pub mod sample;
pub mod session;
pub mod text;
pub mod ui;
pub mod varint;

pub use error::{Error, Result};
