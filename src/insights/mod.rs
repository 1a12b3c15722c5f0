//! Insights computed from masked sessions: frustration signals and scores (no UI, nothing of
//! the gate).

pub mod signals;
pub mod store;
