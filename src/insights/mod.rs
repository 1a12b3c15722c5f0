//! Insights computed from masked sessions: frustration signals and scores, element analytics
//! (no UI, nothing of the gate).

pub mod compare;
pub mod elements;
pub mod health;
pub mod overview;
pub mod signals;
pub mod store;
