//! Sightline's integration tests: one binary, one module per concern (see `suite/mod.rs`).

// Test code may panic on unexpected results: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The page-replay fixtures are deep `json!` literals.
#![recursion_limit = "256"]

mod suite;
