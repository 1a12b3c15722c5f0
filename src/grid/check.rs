//! Checking a grid's rows before anything is stored, and grouping them into layers. The first
//! row that breaks a rule refuses the whole file, by its number and the rule; its values are
//! not repeated (a page or a segment value could hold what the rules keep out).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Cell, GridRow, Layer, MAX_BIN_PX, MAX_COORD_PX, SEGMENT_KEYS};
use crate::dataset::points::Stream;
use crate::error::{Error, Result};
use crate::privacy::paths::PathRules;

/// What the dataset asks of every row.
pub struct Rules<'a> {
    /// The dataset's k floor: the fewest sessions a bin may describe.
    pub k: u64,
    /// The dataset's URL cleaning, which a page must already have been through.
    pub paths: &'a PathRules,
}

/// The most events one bin may hold: far beyond any real page, small enough that sums of
/// millions of bins stay within 64 bits.
const MAX_COUNT: i64 = 1_000_000_000_000;

/// Longest segment value.
const MAX_SEGMENT_VALUE: usize = 64;

/// A layer's key while rows come in: page, viewport class, kind, segment key and value.
type LayerKey = (String, &'static str, &'static str, String, String);

/// Checks rows one at a time as they are read and groups them into layers, one per page,
/// viewport class, kind and segment. What it keeps per row is one [`Cell`] and its row number
/// (the day shared between cells), so millions of rows fit in memory.
pub struct Checker<'a> {
    rules: &'a Rules<'a>,
    file: &'a str,
    bin_px: Option<i64>,
    index: HashMap<LayerKey, usize>,
    layers: Vec<(LayerKey, Vec<(Cell, u32)>)>,
    days: HashMap<String, Arc<str>>,
    rows: usize,
}

impl<'a> Checker<'a> {
    /// A checker for the rows of `file` under `rules`.
    pub fn new(rules: &'a Rules<'a>, file: &'a str) -> Checker<'a> {
        Checker {
            rules,
            file,
            bin_px: None,
            index: HashMap::new(),
            layers: Vec::new(),
            days: HashMap::new(),
            rows: 0,
        }
    }

    /// Rows taken so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Checks row `n` (1 is the first) and files it under its layer; the first rule it breaks
    /// refuses the file.
    pub fn push(&mut self, n: usize, row: &GridRow) -> Result<()> {
        let file = self.file;
        let refuse = |why: &str| Error::Format(format!("{file}: grid refused at row {n}: {why}."));
        if !(1..=MAX_BIN_PX).contains(&row.bin_px) {
            return Err(refuse(&format!("`bin_px` must be 1 to {MAX_BIN_PX}")));
        }
        if row.bin_px != *self.bin_px.get_or_insert(row.bin_px) {
            return Err(refuse("`bin_px` differs from the first row's"));
        }
        if !(1..=10_000).contains(&row.viewport_width) {
            return Err(refuse("`viewport_width` must be 1 to 10000"));
        }
        let stream = match row.kind.as_str() {
            "click" => Stream::Click,
            "move" => Stream::Move,
            _ => return Err(refuse("`kind` must be `click` or `move`")),
        };
        if !valid_day(&row.day) {
            return Err(refuse("`day` must be a date, YYYY-MM-DD"));
        }
        for (bin, name) in [(row.x_bin, "x_bin"), (row.y_bin, "y_bin")] {
            if bin < 0 || bin.saturating_mul(row.bin_px) >= MAX_COORD_PX {
                return Err(refuse(&format!(
                    "`{name}` must lie within {MAX_COORD_PX} px of the page's origin"
                )));
            }
        }
        if !(1..=MAX_COUNT).contains(&row.count) {
            return Err(refuse("`count` must be 1 to 10^12"));
        }
        if row.sessions < 1 || row.sessions > row.count {
            return Err(refuse("`sessions` must be 1 to `count`"));
        }
        if (row.sessions as u64) < self.rules.k {
            return Err(refuse(&format!(
                "the bin describes fewer than {} sessions, the dataset's k floor",
                self.rules.k
            )));
        }
        let cleaned = self.rules.paths.page_pattern(&row.page, |_| {});
        if cleaned != row.page {
            return Err(refuse(&format!(
                "the page is not a clean pattern (Sightline would store it as `{cleaned}`)"
            )));
        }
        match row.segment_key.as_str() {
            "" if row.segment_value.is_empty() => {}
            "" => {
                return Err(refuse(
                    "`segment_value` must be empty without a `segment_key`",
                ));
            }
            key if SEGMENT_KEYS.contains(&key) => {
                if row.segment_value.is_empty()
                    || row.segment_value.chars().count() > MAX_SEGMENT_VALUE
                {
                    return Err(refuse(&format!(
                        "`segment_value` must be 1 to {MAX_SEGMENT_VALUE} characters"
                    )));
                }
                if !crate::privacy::pii::find(&row.segment_value).is_empty() {
                    return Err(refuse("`segment_value` looks like personal data"));
                }
            }
            _ => {
                return Err(refuse(&format!(
                    "`segment_key` must be empty or one of {}",
                    SEGMENT_KEYS.join(", ")
                )));
            }
        }
        let viewport = crate::session::device_class(row.viewport_width as u32);
        let key = (
            row.page.clone(),
            viewport,
            stream.as_str(),
            row.segment_key.clone(),
            row.segment_value.clone(),
        );
        let layer = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.layers.push((key.clone(), Vec::new()));
                self.index.insert(key, self.layers.len() - 1);
                self.layers.len() - 1
            }
        };
        let day = match self.days.get(row.day.as_str()) {
            Some(day) => Arc::clone(day),
            None => {
                let day: Arc<str> = Arc::from(row.day.as_str());
                self.days.insert(row.day.clone(), Arc::clone(&day));
                day
            }
        };
        self.layers[layer].1.push((
            Cell {
                day,
                x_bin: row.x_bin as u32,
                y_bin: row.y_bin as u32,
                count: row.count as u64,
                sessions: row.sessions as u64,
            },
            u32::try_from(n).unwrap_or(u32::MAX),
        ));
        self.rows += 1;
        Ok(())
    }

    /// The layers, by page, viewport class, kind and segment, each with its cells sorted; a
    /// bin repeated on one day refuses the file, naming the later row.
    pub fn finish(self) -> Result<Vec<Layer>> {
        if self.rows == 0 {
            return Err(Error::Format(format!(
                "{}: grid refused: it has no rows.",
                self.file
            )));
        }
        let bin_px = self.bin_px.unwrap_or(1) as u32;
        let mut layers = self.layers;
        layers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(layers.len());
        let mut first_repeat: Option<u32> = None;
        for ((page, viewport, kind, segment_key, segment_value), mut cells) in layers {
            cells.sort_unstable_by(|(a, ra), (b, rb)| {
                (&a.day, a.x_bin, a.y_bin, ra).cmp(&(&b.day, b.x_bin, b.y_bin, rb))
            });
            // Each repeat names its later row; the file is refused at the first of those.
            let repeated = cells
                .windows(2)
                .filter(|w| {
                    (&w[0].0.day, w[0].0.x_bin, w[0].0.y_bin)
                        == (&w[1].0.day, w[1].0.x_bin, w[1].0.y_bin)
                })
                .map(|w| w[1].1)
                .min();
            if let Some(row) = repeated {
                first_repeat = Some(first_repeat.map_or(row, |first| first.min(row)));
            }
            out.push(Layer {
                page,
                viewport,
                stream: if kind == "click" {
                    Stream::Click
                } else {
                    Stream::Move
                },
                segment_key,
                segment_value,
                bin_px,
                cells: cells.into_iter().map(|(cell, _)| cell).collect(),
            });
        }
        if let Some(row) = first_repeat {
            return Err(Error::Format(format!(
                "{}: grid refused at row {row}: it repeats the page, viewport class, kind, \
                 segment, day and bin of an earlier row.",
                self.file
            )));
        }
        Ok(out)
    }
}

/// Checks every row of `file` and groups them into layers ([`Checker`] over rows in memory).
pub fn layers(rows: &[GridRow], rules: &Rules<'_>, file: &str) -> Result<Vec<Layer>> {
    let mut checker = Checker::new(rules, file);
    for (i, row) in rows.iter().enumerate() {
        checker.push(i + 1, row)?;
    }
    checker.finish()
}

fn valid_day(day: &str) -> bool {
    day.len() == 10 && crate::clock::parse_ms(day).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> GridRow {
        GridRow {
            page: "https://shop.example/checkout".into(),
            viewport_width: 1440,
            kind: "click".into(),
            segment_key: String::new(),
            segment_value: String::new(),
            day: "2026-11-10".into(),
            x_bin: 3,
            y_bin: 4,
            bin_px: 50,
            count: 9,
            sessions: 6,
        }
    }

    fn check(rows: &[GridRow]) -> Result<Vec<Layer>> {
        let paths = PathRules::new(&[]).unwrap();
        layers(
            rows,
            &Rules {
                k: 5,
                paths: &paths,
            },
            "g.parquet",
        )
    }

    fn refused_at(rows: &[GridRow]) -> String {
        check(rows).unwrap_err().to_string()
    }

    #[test]
    fn good_rows_group_into_layers_by_page_viewport_kind_and_segment() {
        let mut moved = row();
        moved.kind = "move".into();
        let mut mobile = row();
        mobile.viewport_width = 390;
        let mut other_day = row();
        other_day.day = "2026-11-11".into();
        let layers = check(&[row(), moved, mobile, other_day]).unwrap();
        assert_eq!(layers.len(), 3);
        let desktop_clicks = layers
            .iter()
            .find(|l| l.viewport == "desktop" && l.stream == Stream::Click)
            .unwrap();
        assert_eq!(desktop_clicks.events(), 18);
        assert_eq!(desktop_clicks.days(), Some(("2026-11-10", "2026-11-11")));
    }

    #[test]
    fn every_rule_refuses_the_file_at_the_row_that_breaks_it() {
        type Break = Box<dyn Fn(&mut GridRow)>;
        let cases: Vec<(Break, &str)> = vec![
            (Box::new(|r| r.sessions = 4), "fewer than 5 sessions"),
            (
                Box::new(|r| r.sessions = 10),
                "`sessions` must be 1 to `count`",
            ),
            (Box::new(|r| r.count = 0), "`count` must be 1 to 10^12"),
            (Box::new(|r| r.bin_px = 0), "`bin_px` must be 1 to 256"),
            (Box::new(|r| r.bin_px = 40), "differs from the first row's"),
            (Box::new(|r| r.x_bin = -1), "`x_bin` must lie within"),
            (Box::new(|r| r.y_bin = 2000), "`y_bin` must lie within"),
            (Box::new(|r| r.viewport_width = 0), "`viewport_width`"),
            (Box::new(|r| r.kind = "rageclick".into()), "`kind`"),
            (Box::new(|r| r.day = "2026-13-01".into()), "`day`"),
            (
                Box::new(|r| r.page = "https://shop.example/u/12345?t=1".into()),
                "not a clean pattern (Sightline would store it as `https://shop.example/u/:id`)",
            ),
            (
                Box::new(|r| r.segment_key = "email".into()),
                "`segment_key`",
            ),
            (
                Box::new(|r| r.segment_value = "B".into()),
                "without a `segment_key`",
            ),
            (
                Box::new(|r| {
                    r.segment_key = "cohort".into();
                    r.segment_value = "ana@example.org".into();
                }),
                "personal data",
            ),
            (Box::new(|r| r.x_bin = 3), "repeats"),
        ];
        for (break_it, why) in cases {
            let mut bad = row();
            bad.x_bin = 9;
            break_it(&mut bad);
            let message = refused_at(&[row(), bad]);
            assert!(message.contains("row 2: "), "{why}: {message}");
            assert!(message.contains(why), "{why}: {message}");
            assert!(
                !message.contains("ana@example.org") && !message.contains("12345"),
                "{message}"
            );
        }
    }
}
