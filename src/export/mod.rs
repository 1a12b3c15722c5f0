//! Exports rendered without a GPU: the annotated heatmap PNG.

pub mod draw;
pub mod png;
