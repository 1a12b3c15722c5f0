//! Gated warehouse grids: importing one (data engineer; logged like any import) and listing
//! the layers (every role that sees heatmaps).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::access::{Action, Outcome, PolicyKind, Workspace};
use crate::error::{Error, Result};
use crate::grid::store::LayerInfo;
use crate::grid::{self, check};
use crate::ingest;
use crate::privacy::paths::PathRules;

/// What a grid import stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GridReport {
    /// Rows read.
    pub rows: usize,
    /// Events in all its bins.
    pub events: u64,
    /// The layers stored, as lists show them.
    pub layers: Vec<LayerInfo>,
}

impl GridReport {
    /// What the CLI prints and the import view shows: the counts, then a line a layer.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "Stored {} layer(s) from {} rows ({} events).",
            self.layers.len(),
            self.rows,
            self.events
        )];
        lines.extend(
            self.layers
                .iter()
                .map(|layer| format!("  {}", layer.line())),
        );
        lines
    }
}

impl Workspace {
    /// Imports a warehouse grid (Parquet or CSV, docs/FORMATS.md) as heatmap layers; `recipe`
    /// names how it was made when the file does not say. Nothing is stored unless every row
    /// passes and none overlaps what the dataset holds.
    pub fn import_grid(&mut self, path: &Path, recipe: Option<&str>) -> Result<GridReport> {
        self.import_grid_watched(path, recipe, &|_| {}, &AtomicBool::new(false))
    }

    /// [`Workspace::import_grid`], telling `rows_read` how many rows have been read and
    /// checked, every 65,536 rows and at the end (a grid may hold millions). Once `stop` is
    /// set (Lock) it ends before storing anything, and says so.
    pub fn import_grid_watched(
        &mut self,
        path: &Path,
        recipe: Option<&str>,
        rows_read: &dyn Fn(usize),
        stop: &AtomicBool,
    ) -> Result<GridReport> {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let file = crate::privacy::pii::redact(&name).0.into_owned();
        let object = format!("warehouse grid {file}");
        self.gate(Action::Import, &object, "")?;
        // The path rules decide which pages a grid may name: never under rules changed by hand.
        // So do the path rules and the k floor: never under a policy changed by hand.
        self.require_policy(PolicyKind::Masking)
            .and_then(|()| self.require_policy(PolicyKind::Policy))
            .or_else(|e| self.failed(Action::Import, &object, e))?;
        let k = self.k_anonymity() as u64;
        let now = self.device.now_ms();
        let core = &self.core;
        let result = (|| {
            let paths = PathRules::new(&ingest::store::path_rules(core)?)?;
            let rules = check::Rules { k, paths: &paths };
            // Each row is checked as it is read: a grid of millions of rows is never held whole.
            let mut checker = check::Checker::new(&rules, &file);
            let stopped = || Error::Busy("The grid import was stopped; nothing was stored.".into());
            let mut source = grid::read::for_each_row(path, &file, &mut |n, row| {
                if n % 65_536 == 0 {
                    rows_read(n);
                    if stop.load(Ordering::Relaxed) {
                        return Err(stopped());
                    }
                }
                checker.push(n, &row)
            })?;
            rows_read(checker.rows());
            if let Some(recipe) = recipe {
                source.recipe = Some(
                    recipe
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect(),
                );
            }
            // Shown in lists and exports: whatever the recipe's text holds is redacted first.
            for text in [&mut source.recipe, &mut source.params]
                .into_iter()
                .flatten()
            {
                *text = redact_params(text);
            }
            let rows = checker.rows();
            let layers = checker.finish()?;
            if stop.load(Ordering::Relaxed) {
                return Err(stopped());
            }
            let ids = grid::store::insert(core, &layers, &source, &file, now)?;
            let stored: Vec<LayerInfo> = grid::store::list(core)?
                .into_iter()
                .filter(|l| ids.contains(&l.id))
                .collect();
            Ok(GridReport {
                rows,
                events: layers.iter().map(grid::Layer::events).sum(),
                layers: stored,
            })
        })();
        // Whatever was stored changes what heatmaps show.
        self.cache.clear();
        let report = result.or_else(|e| self.failed(Action::Import, &object, e))?;
        let summary = format!(
            "{object}: {} layers, {} events",
            report.layers.len(),
            report.events
        );
        self.log(
            Action::Import,
            &summary,
            "grid import finished",
            Outcome::Allowed,
        )?;
        Ok(report)
    }

    /// The warehouse grid layers, by page.
    pub fn grid_layers(&self) -> Result<Vec<LayerInfo>> {
        self.gate(Action::ListPages, "grid layers", "")?;
        grid::store::list(&self.core)
    }

    /// Removes the warehouse grid layer `id` and its bins (data engineer; logged). Returns
    /// the layer as it was.
    pub fn remove_grid_layer(&mut self, id: i64) -> Result<LayerInfo> {
        let object = format!("warehouse grid layer {id}");
        self.gate(Action::RemoveGridLayer, &object, "")?;
        let removed = grid::store::remove(&self.core, id);
        self.cache.clear();
        let layer = removed.or_else(|e| self.failed(Action::RemoveGridLayer, &object, e))?;
        let summary = format!(
            "{object}: {} {} {} ({}), {} events",
            layer.page, layer.viewport, layer.kind, layer.source.file, layer.events
        );
        self.log(
            Action::RemoveGridLayer,
            &summary,
            "grid layer removed",
            Outcome::Allowed,
        )?;
        Ok(layer)
    }
}

/// `text` with personal data redacted, word by word; a `name=value` word whose value is a
/// date or a number is kept as it is (the phone detector would take a date for a number).
fn redact_params(text: &str) -> String {
    // Kept as they are: `name=YYYY-MM-DD` and `name=` an integer of at most six digits (a
    // longer one could be a phone number). Everything else is redacted as one text, so a
    // number written with spaces is still found.
    let kept = |word: &str| {
        word.split_once('=').is_some_and(|(name, value)| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && ((value.len() == 10 && crate::clock::parse_ms(value).is_some())
                    || (!value.is_empty()
                        && value.len() <= 6
                        && value.chars().all(|c| c.is_ascii_digit())))
        })
    };
    let words: Vec<&str> = text.split(' ').collect();
    let masked: Vec<&str> = words
        .iter()
        .map(|&w| if kept(w) { "\u{1}" } else { w })
        .collect();
    let redacted = crate::privacy::pii::redact(&masked.join(" "))
        .0
        .into_owned();
    let mut originals = words.into_iter().filter(|w| kept(w));
    redacted
        .split('\u{1}')
        .enumerate()
        .fold(String::new(), |mut out, (i, part)| {
            if i > 0 {
                out.push_str(originals.next().unwrap_or(""));
            }
            out.push_str(part);
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_parameters_keep_dates_and_lose_personal_data() {
        assert_eq!(
            redact_params("k=5 bin_px=50 from=2026-11-10 to=2026-11-12"),
            "k=5 bin_px=50 from=2026-11-10 to=2026-11-12"
        );
        let redacted = redact_params("k=5 by=ana@example.org note=+1-555-0142-9988");
        assert!(!redacted.contains("ana@example.org"), "{redacted}");
        assert!(!redacted.contains("555-0142"), "{redacted}");
        assert!(redacted.starts_with("k=5 "), "{redacted}");
        // A long number is no parameter; one written with spaces is still found.
        for text in ["tel=5550142998", "call +1 555 014 2998 k=5"] {
            let redacted = redact_params(text);
            assert!(
                !redacted.contains("0142") && !redacted.contains("014 2998"),
                "{redacted}"
            );
        }
    }
}
