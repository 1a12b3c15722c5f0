//! Warehouse heatmap grids: pre-binned, k-anonymous click and move counts computed where a
//! team's events already are (ClickHouse, Spark, DuckDB), imported as layers instead of raw
//! sessions. `read` takes a Parquet or CSV file apart into rows, `check` refuses a file whole
//! at its first bad row, `store` keeps the layers in core.db (docs/FORMATS.md, "Warehouse
//! grids").

pub mod check;
pub mod draw;
pub mod read;
pub mod store;

use crate::dataset::points::Stream;

/// The largest bin side, in CSS px.
pub const MAX_BIN_PX: i64 = 256;
/// How far from the page's origin a bin may lie, in CSS px.
pub const MAX_COORD_PX: i64 = 100_000;
/// Segment keys a grid may carry besides everyone (`""`).
pub const SEGMENT_KEYS: &[&str] = &["region", "variant", "cohort"];

/// One bin of one day, as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    /// The page pattern.
    pub page: String,
    /// The viewport's CSS width.
    pub viewport_width: i64,
    /// Clicks or moves.
    pub kind: String,
    /// `""` for everyone, or a segment attribute.
    pub segment_key: String,
    /// The segment's value.
    pub segment_value: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Bin column.
    pub x_bin: i64,
    /// Bin row.
    pub y_bin: i64,
    /// Bin side in CSS px.
    pub bin_px: i64,
    /// Events in the bin.
    pub count: i64,
    /// Distinct sessions in the bin.
    pub sessions: i64,
}

/// Where a grid came from, kept with each of its layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The file's name.
    pub file: String,
    /// The recipe that made it (`warehouse/duckdb_grid.sql`), when the file says.
    pub recipe: Option<String>,
    /// The recipe's parameters (`k=5 bin_px=1 …`), when the file says.
    pub params: Option<String>,
}

impl Provenance {
    /// How it reads in a list or a report: the file, then the recipe and its parameters.
    pub fn describe(&self) -> String {
        let mut out = self.file.clone();
        if let Some(recipe) = &self.recipe {
            out.push_str(&format!(", made by {recipe}"));
        }
        if let Some(params) = &self.params {
            out.push_str(&format!(" ({params})"));
        }
        out
    }
}

/// One layer: the rows of a file for one page, viewport class, kind and segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The page pattern.
    pub page: String,
    /// `desktop`, `tablet` or `mobile`.
    pub viewport: &'static str,
    /// Clicks or moves.
    pub stream: Stream,
    /// `""` for everyone, or a segment attribute.
    pub segment_key: String,
    /// The segment's value.
    pub segment_value: String,
    /// Bin side in CSS px.
    pub bin_px: u32,
    /// `(day, x_bin, y_bin, count, sessions)`, sorted.
    pub cells: Vec<Cell>,
}

/// One bin of one day in a layer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    /// `YYYY-MM-DD`, shared by the cells of a day.
    pub day: std::sync::Arc<str>,
    /// Bin column.
    pub x_bin: u32,
    /// Bin row.
    pub y_bin: u32,
    /// Events.
    pub count: u64,
    /// Distinct sessions.
    pub sessions: u64,
}

impl Layer {
    /// Events in all its cells.
    pub fn events(&self) -> u64 {
        self.cells
            .iter()
            .fold(0u64, |sum, c| sum.saturating_add(c.count))
    }

    /// Its first and last day.
    pub fn days(&self) -> Option<(&str, &str)> {
        let first = self.cells.iter().map(|c| &*c.day).min()?;
        let last = self.cells.iter().map(|c| &*c.day).max()?;
        Some((first, last))
    }
}
