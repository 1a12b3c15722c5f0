//! Sample data and the demo: the shipped Parley pages, layouts and recordings, a deterministic
//! session generator, and the builder of the demo dataset.

pub mod assets;
pub mod bench;
pub mod demo;
pub mod fidelity;
pub mod generate;
pub mod grid_bench;
pub mod page_bench;
pub mod rng;
pub mod store_bench;
