//! The session list (analyst, compliance lead, data engineer): all sessions in a virtualised
//! table with filters, sorting and search by page, read once through the gate.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::access::SessionSummary;
use crate::command::Command;
use crate::ui::theme;

/// Sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Start time.
    Start,
    /// Length.
    Duration,
    /// Clicks.
    Clicks,
    /// Rage clicks.
    Rage,
    /// Dead clicks.
    Dead,
    /// Survey score.
    Score,
    /// Frustration score.
    Frustration,
}

/// The list's rows and filters.
pub struct ListState {
    /// Every session, newest first.
    pub rows: Vec<SessionSummary>,
    /// Filter: device class.
    pub device: Option<String>,
    /// Filter: region.
    pub region: Option<String>,
    /// Filter: variant.
    pub variant: Option<String>,
    /// Filter: a page pattern containing this text.
    pub page: String,
    /// Filter: only sessions with rage clicks.
    pub rage_only: bool,
    /// Filter: only sessions with a frustration score of at least this (0: all).
    pub min_frustration: u8,
    /// Sort column and direction.
    pub sort: (SortBy, bool),
    /// Whether this role may replay.
    pub may_replay: bool,
    regions: Vec<String>,
    variants: Vec<String>,
    /// Each row's pages, lower-cased and joined once, for the page search.
    haystacks: Vec<String>,
    /// Every row in the current sort order (sorted again only when the sort changes).
    order: Vec<usize>,
    order_by: Option<(SortBy, bool)>,
    shown: Vec<usize>,
    key: Option<Key>,
}

#[derive(Clone, PartialEq)]
struct Key(
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    bool,
    u8,
    (SortBy, bool),
);

impl ListState {
    /// The list of `rows`.
    pub fn new(rows: Vec<SessionSummary>, may_replay: bool) -> ListState {
        let distinct = |f: fn(&SessionSummary) -> &String| {
            let mut v: Vec<String> = rows
                .iter()
                .map(|r| f(r).clone())
                .filter(|s| !s.is_empty())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let haystacks = rows
            .iter()
            .map(|r| r.pages.join("\n").to_lowercase())
            .collect();
        ListState {
            haystacks,
            regions: distinct(|r| &r.region),
            variants: distinct(|r| &r.variant),
            rows,
            device: None,
            region: None,
            variant: None,
            page: String::new(),
            rage_only: false,
            min_frustration: 0,
            sort: (SortBy::Start, false),
            may_replay,
            order: Vec::new(),
            order_by: None,
            shown: Vec::new(),
            key: None,
        }
    }

    /// Filters and sorts again if anything changed.
    pub fn refresh(&mut self) {
        let key = Key(
            self.device.clone(),
            self.region.clone(),
            self.variant.clone(),
            self.page.to_lowercase(),
            self.rage_only,
            self.min_frustration,
            self.sort,
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        if self.order_by != Some(self.sort) {
            let rows = &self.rows;
            let (by, ascending) = self.sort;
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&rows[a], &rows[b]);
                let o = match by {
                    SortBy::Start => a.started_at.cmp(&b.started_at),
                    SortBy::Duration => a.duration_ms.cmp(&b.duration_ms),
                    SortBy::Clicks => a.clicks.cmp(&b.clicks),
                    SortBy::Rage => a.rage_clicks.cmp(&b.rage_clicks),
                    SortBy::Dead => a.dead_clicks.cmp(&b.dead_clicks),
                    SortBy::Score => a.survey_score.cmp(&b.survey_score),
                    SortBy::Frustration => a.frustration.cmp(&b.frustration),
                };
                if ascending { o } else { o.reverse() }
            });
            self.order = order;
            self.order_by = Some(self.sort);
        }
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let shown: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|&i| {
                let r = &self.rows[i];
                eq(&self.device, &r.device)
                    && eq(&self.region, &r.region)
                    && eq(&self.variant, &r.variant)
                    && (!self.rage_only || r.rage_clicks > 0)
                    && (self.min_frustration == 0
                        || r.frustration.is_some_and(|f| f >= self.min_frustration))
                    && (key.3.is_empty() || self.haystacks[i].contains(&key.3))
            })
            .collect();
        self.shown = shown;
        self.key = Some(key);
    }

    /// How many rows pass the filters.
    pub fn shown(&self) -> usize {
        self.shown.len()
    }
}

fn pick(ui: &mut egui::Ui, label: &str, value: &mut Option<String>, options: &[String]) {
    crate::ui::pick::pick(ui, label, value, options, 110.0);
}

/// "m:ss" or "h:mm:ss".
pub fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Draws the list; a Replay click asks for the purpose prompt.
pub fn list_ui(ui: &mut egui::Ui, s: &mut ListState, out: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let devices = ["desktop", "tablet", "mobile"].map(String::from);
        pick(ui, "Device", &mut s.device, &devices);
        let regions = s.regions.clone();
        pick(ui, "Region", &mut s.region, &regions);
        let variants = s.variants.clone();
        pick(ui, "Variant", &mut s.variant, &variants);
        let l = ui.label("Page");
        ui.add(
            egui::TextEdit::singleline(&mut s.page)
                .hint_text("pricing, /inbox…")
                .desired_width(160.0),
        )
        .labelled_by(l.id);
        ui.checkbox(&mut s.rage_only, "With rage clicks");
        let l = ui.label("Frustration ≥");
        ui.add(egui::DragValue::new(&mut s.min_frustration).range(0..=100))
            .labelled_by(l.id)
            .on_hover_text("0–100, from rage, dead and error clicks, quick backs and excessive scrolling (docs/SIGNALS.md)");
    });
    s.refresh();
    ui.label(
        RichText::new(format!("{} of {} sessions", s.shown.len(), s.rows.len()))
            .color(theme::weak(ui.visuals())),
    );
    let row_height = 22.0;
    let why = "Only for: Compliance lead, Analyst.";
    let mut sort = s.sort;
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::auto().at_least(64.0))
        .column(Column::auto().at_least(150.0))
        .columns(Column::auto().at_least(56.0), 12)
        .column(Column::remainder())
        .header(row_height, |mut header| {
            let titles: [(&str, Option<SortBy>); 15] = [
                ("", None),
                ("Start", Some(SortBy::Start)),
                ("Duration", Some(SortBy::Duration)),
                ("Device", None),
                ("Viewport", None),
                ("Region", None),
                ("Pages", None),
                ("Clicks", Some(SortBy::Clicks)),
                ("Rage", Some(SortBy::Rage)),
                ("Dead", Some(SortBy::Dead)),
                ("Errors", None),
                ("Frustration", Some(SortBy::Frustration)),
                ("Survey", Some(SortBy::Score)),
                ("Variant", None),
                ("Visited", None),
            ];
            for (title, by) in titles {
                header.col(|ui| match by {
                    Some(by) => {
                        let arrow = match sort {
                            (b, true) if b == by => " (asc)",
                            (b, false) if b == by => " (desc)",
                            _ => "",
                        };
                        if ui
                            .button(RichText::new(format!("{title}{arrow}")).strong())
                            .clicked()
                        {
                            sort = (by, if sort.0 == by { !sort.1 } else { false });
                        }
                    }
                    None => {
                        ui.strong(title);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, s.shown.len(), |mut row| {
                let Some(r) = s.shown.get(row.index()).and_then(|&i| s.rows.get(i)) else {
                    return;
                };
                row.col(|ui| {
                    let b = ui.add_enabled(s.may_replay, egui::Button::new("Replay").small());
                    if b.clicked() {
                        out.push(Command::AskReplay(r.id.clone()));
                    }
                    b.on_disabled_hover_text(why);
                });
                row.col(|ui| {
                    ui.label(
                        r.started_at
                            .get(..16)
                            .unwrap_or(&r.started_at)
                            .replace('T', " "),
                    );
                });
                row.col(|ui| {
                    ui.label(clock(r.duration_ms));
                });
                for text in [
                    r.device.clone(),
                    r.viewport_width.to_string(),
                    r.region.clone(),
                    r.pages.len().to_string(),
                    r.clicks.to_string(),
                    r.rage_clicks.to_string(),
                    r.dead_clicks.to_string(),
                    r.error_clicks.map_or_else(|| "–".into(), |v| v.to_string()),
                    r.frustration.map_or_else(|| "–".into(), |v| v.to_string()),
                    r.survey_score.map_or_else(|| "–".into(), |v| v.to_string()),
                    r.variant.clone(),
                ] {
                    row.col(|ui| {
                        ui.label(text);
                    });
                }
                row.col(|ui| {
                    let pages: Vec<&str> = r
                        .pages
                        .iter()
                        .map(|p| p.split_once("://").map_or(p.as_str(), |(_, rest)| rest))
                        .collect();
                    ui.add(egui::Label::new(pages.join(" > ")).truncate());
                });
            });
        });
    s.sort = sort;
}
