//! The Overview, the first view after sign-in: the notices, then what needs attention — pages
//! ranked by frustration with their trend, the elements whose clicks go wrong, sessions over
//! time, and the survey score with and without frustration. Rows open the heatmap (and, for
//! roles that replay, the frustrated sessions of the page).

use egui::RichText;
use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};

use crate::access::heatmaps::SegmentValues;
use crate::access::{Notice, NoticeLevel};
use crate::command::Command;
use crate::heatmap::segment::Segment;
use crate::insights::elements::count_text;
use crate::insights::health::{ComplianceHealth, ImportHealth, LATENCY_TARGET_MS};
use crate::insights::overview::Overview;
use crate::insights::signals::FRUSTRATED;
use crate::ui::theme;

/// What the Overview holds.
#[derive(Default)]
pub struct OverviewState {
    /// The period and segment asked for (empty dates: the last 30 days with data).
    pub segment: Segment,
    /// The segment the figures are for.
    pub computed: Option<Segment>,
    /// The figures, or why they could not be read.
    pub figures: Option<Result<Overview, String>>,
    /// Values for the segment pickers.
    pub values: SegmentValues,
    /// Whether this role replays (rows then also open the page's frustrated sessions).
    pub may_replay: bool,
    /// Import health, for roles that see the dashboards (data engineers first of all).
    pub import_health: Option<Result<ImportHealth, String>>,
    /// The compliance lead's figures.
    pub lead: Option<LeadFigures>,
    /// Unacknowledged anomalies, once the background scan has finished (compliance leads).
    pub open_anomalies: Option<Result<usize, String>>,
}

/// What a compliance lead watches.
pub struct LeadFigures {
    /// Denied attempts, the last Verify, the time to acknowledge.
    pub health: Result<ComplianceHealth, String>,
    /// Opt-in rates below the policy's target, in words.
    pub consent_below: Result<Vec<String>, String>,
    /// Whether a retention purge is due.
    pub retention_due: Result<bool, String>,
}

fn notices_ui(ui: &mut egui::Ui, notices: &[Notice]) {
    let visuals = ui.visuals().clone();
    for notice in notices {
        let color = match notice.level {
            NoticeLevel::Info => theme::weak(&visuals),
            NoticeLevel::Warning => theme::warning(&visuals),
            NoticeLevel::Integrity => theme::error(&visuals),
        };
        ui.label(RichText::new(&notice.text).color(color));
    }
}

/// Draws the Overview.
pub fn overview_ui(
    ui: &mut egui::Ui,
    heading: &str,
    notices: &[Notice],
    s: &mut OverviewState,
    out: &mut Vec<Command>,
) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading(heading);
        notices_ui(ui, notices);
        ui.add_space(theme::GAP);
        egui::CollapsingHeader::new("Period and segment")
            .default_open(false)
            .show(ui, |ui| {
                crate::ui::heatmaps::side::segment_ui(ui, "overview_segment", &mut s.segment, &s.values);
            });
        if s.computed.as_ref() != Some(&s.segment) {
            out.push(Command::RefreshOverview);
        }
        if let Some(lead) = &s.lead {
            let alarms = notices
                .iter()
                .filter(|n| n.level == NoticeLevel::Integrity)
                .count();
            lead_ui(ui, lead, &s.open_anomalies, alarms, out);
            ui.add_space(theme::GAP);
        }
        if let Some(health) = &s.import_health {
            // Data engineers: import health comes first.
            import_health_ui(ui, health);
            ui.add_space(theme::GAP);
        }
        let figures = match &s.figures {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the figures…");
                });
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                return;
            }
            Some(Ok(o)) => o,
        };
        let weak = theme::weak(ui.visuals());
        ui.label(
            RichText::new(format!(
                "{} to {}: {} sessions on the days shown. Every figure comes from at least {} people.",
                figures.from, figures.to, figures.sessions, figures.k
            ))
            .color(weak),
        );
        let nothing = figures.pages.is_empty()
            && figures.elements.is_empty()
            && figures.days.iter().all(|d| d.sessions.is_none());
        if nothing {
            ui.add_space(theme::GAP);
            ui.label(format!(
                "No sessions from at least {} people in this period. A data engineer imports recordings in the Import view (or with `sightline import`); then pages, elements and trends appear here.",
                figures.k
            ));
            return;
        }
        ui.add_space(theme::GAP);
        pages_ui(ui, figures, s.may_replay, out);
        ui.add_space(theme::GAP);
        elements_ui(ui, figures, out);
        ui.add_space(theme::GAP);
        ui.columns(2, |cols| {
            days_ui(&mut cols[0], figures);
            survey_ui(&mut cols[1], figures);
        });
    });
}

fn pages_ui(ui: &mut egui::Ui, o: &Overview, may_replay: bool, out: &mut Vec<Command>) {
    ui.heading("Pages by frustration");
    let weak = theme::weak(ui.visuals());
    ui.label(
        RichText::new(format!(
            "Share of each page's sessions with a frustration score of {FRUSTRATED} or more (rage, dead and error clicks, quick backs, excessive scrolling), and the mean score against the previous period of the same length"
        ))
        .small()
        .color(weak),
    );
    if o.pages.is_empty() {
        ui.label(format!(
            "No page had sessions from at least {} people in this period.",
            o.k
        ));
        return;
    }
    let rows = o.pages.len().min(12);
    TableBuilder::new(ui)
        .id_salt("overview_pages")
        .striped(true)
        .column(Column::remainder().at_least(200.0).clip(true))
        .columns(Column::auto().at_least(70.0), 5)
        .column(Column::auto().at_least(150.0))
        .header(20.0, |mut h| {
            for title in ["Page", "Viewport", "Sessions", "Frustrated", "Mean", "Trend", ""] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for row in o.pages.iter().take(rows) {
                body.row(22.0, |mut r| {
                    r.col(|ui| {
                        ui.add(egui::Label::new(&row.page).truncate());
                    });
                    r.col(|ui| {
                        ui.label(&row.viewport);
                    });
                    r.col(|ui| {
                        ui.label(row.sessions.to_string());
                    });
                    r.col(|ui| {
                        ui.label(format!("{:.0}%", row.frustrated_share * 100.0));
                    });
                    r.col(|ui| {
                        ui.label(format!("{:.0}", row.mean_frustration));
                    });
                    r.col(|ui| {
                        let (text, color) = match row.previous_mean {
                            None => ("new".to_owned(), weak),
                            Some(p) => {
                                let d = row.mean_frustration - p;
                                let color = if d > 2.0 {
                                    theme::warning(ui.visuals())
                                } else {
                                    weak
                                };
                                (format!("{d:+.0}"), color)
                            }
                        };
                        ui.label(RichText::new(text).color(color))
                            .on_hover_text("Mean score now minus the previous period's (\"new\": fewer than k people then)");
                    });
                    r.col(|ui| {
                        ui.horizontal(|ui| {
                        let target = format!("{} {}", row.page, row.viewport);
                        if ui
                            .small_button("Heatmap")
                            .on_hover_text(format!("Open the heatmap of {target}"))
                            .clicked()
                        {
                            out.push(Command::OpenHeatmapAt(row.page.clone(), row.viewport.clone()));
                        }
                        if may_replay
                            && ui
                                .small_button("Replays")
                                .on_hover_text("Sessions of this page with frustration, to replay")
                                .clicked()
                        {
                            out.push(Command::OpenFrustratedSessions(row.page.clone()));
                        }
                        });
                    });
                });
            }
        });
    if o.pages_below_floor > 0 {
        ui.label(
            RichText::new(format!(
                "{} more page views had sessions from fewer than {} people.",
                o.pages_below_floor, o.k
            ))
            .small()
            .color(weak),
        );
    }
}

fn elements_ui(ui: &mut egui::Ui, o: &Overview, out: &mut Vec<Command>) {
    ui.heading("Elements with frustrated clicks");
    let weak = theme::weak(ui.visuals());
    if o.elements.is_empty() {
        ui.label(
            RichText::new(format!(
                "No element had rage, dead or error clicks from at least {} people.",
                o.k
            ))
            .color(weak),
        );
        return;
    }
    for e in &o.elements {
        ui.horizontal(|ui| {
            if ui
                .link(RichText::new(&e.selector).monospace())
                .on_hover_text("Open the page's heatmap")
                .clicked()
            {
                out.push(Command::OpenHeatmapAt(e.page.clone(), e.viewport.clone()));
            }
            ui.label(
                RichText::new(format!(
                    "{} {} · {} frustrated clicks in {} sessions (rage {}, dead {}, error {})",
                    e.page,
                    e.viewport,
                    e.frustrated_clicks,
                    e.sessions,
                    count_text(e.rage),
                    count_text(e.dead),
                    count_text(e.error)
                ))
                .color(weak),
            );
        });
    }
}

fn days_ui(ui: &mut egui::Ui, o: &Overview) {
    ui.heading("Sessions over time");
    let bars: Vec<Bar> = o
        .days
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some(Bar::new(i as f64, d.sessions? as f64).name(&d.day)))
        .collect();
    Plot::new("overview_days")
        .height(140.0)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .include_y(0.0)
        .x_axis_label(format!("days from {}", o.from))
        .show(ui, |plot| plot.bar_chart(BarChart::new("sessions", bars)));
    let hidden = o.days.iter().filter(|d| d.sessions.is_none()).count();
    if hidden > 0 {
        ui.label(
            RichText::new(format!(
                "{hidden} days with sessions from fewer than {} people (or none) show no bar.",
                o.k
            ))
            .small()
            .color(theme::weak(ui.visuals())),
        );
    }
}

fn survey_ui(ui: &mut egui::Ui, o: &Overview) {
    ui.heading("Survey score");
    let line = |g: &Option<crate::insights::overview::SurveyGroup>| match g {
        Some(g) => format!("{:.1} of 5 ({} answers)", g.mean, g.answers),
        None => format!("answers from fewer than {} people", o.k),
    };
    egui::Grid::new("overview_survey").show(ui, |ui| {
        ui.label(format!("With frustration ({FRUSTRATED}+)"));
        ui.strong(line(&o.survey_frustrated));
        ui.end_row();
        ui.label("Without");
        ui.strong(line(&o.survey_calm));
        ui.end_row();
    });
}

fn hours(ms: i64) -> String {
    format!("{:.1} h", ms as f64 / 3_600_000.0)
}

fn import_health_ui(ui: &mut egui::Ui, health: &Result<ImportHealth, String>) {
    ui.heading("Import health");
    let h = match health {
        Ok(h) => h,
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
    };
    let weak = theme::weak(ui.visuals());
    if h.days.is_empty() {
        ui.label(
            RichText::new("No imports in this period. Import recordings in the Import view or with `sightline import`.")
                .color(weak),
        );
        return;
    }
    let imports: u64 = h.days.iter().map(|d| d.imports).sum();
    let stored: u64 = h.days.iter().map(|d| d.sessions).sum();
    let plural = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    ui.label(format!(
        "{} on {} stored {}.",
        plural(imports, "import"),
        plural(h.days.len() as u64, "day"),
        plural(stored, "session")
    ));
    for d in h.days.iter().rev().take(7) {
        ui.label(
            RichText::new(format!(
                "  {}: {}, {}",
                d.day,
                plural(d.imports, "import"),
                plural(d.sessions, "session")
            ))
            .color(weak),
        );
    }
    match &h.latency {
        Some(l) => {
            let text = format!(
                "Capture to analysis: median {}, 95th percentile {} ({:.0}% within the {} target, {} sessions)",
                hours(l.median_ms),
                hours(l.p95_ms),
                l.within_target * 100.0,
                hours(LATENCY_TARGET_MS),
                l.sessions
            );
            let color = if l.p95_ms > LATENCY_TARGET_MS {
                theme::warning(ui.visuals())
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(text).color(color));
        }
        None => {
            ui.label(RichText::new("No session stored in this period to time.").color(weak));
        }
    }
    if !h.dropped.is_empty() {
        ui.label(RichText::new("Sessions not stored, by reason:").color(weak));
        for (reason, n) in &h.dropped {
            ui.label(format!("  {reason}: {n}"));
        }
    }
}

fn lead_ui(
    ui: &mut egui::Ui,
    lead: &LeadFigures,
    open_anomalies: &Option<Result<usize, String>>,
    alarms: usize,
    out: &mut Vec<Command>,
) {
    ui.heading("Compliance watch");
    let visuals = ui.visuals().clone();
    let warn = theme::warning(&visuals);
    let weak = theme::weak(&visuals);
    let shown = |ui: &mut egui::Ui, r: Result<String, &String>| match r {
        Ok(text) => {
            ui.label(text);
        }
        Err(e) => {
            ui.colored_label(visuals.error_fg_color, e.as_str());
        }
    };
    match open_anomalies {
        None => {
            ui.label(RichText::new("Open anomalies: scanning…").color(weak));
        }
        Some(Ok(0)) => {
            ui.label("Open anomalies: none.");
        }
        Some(Ok(n)) => {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("Open anomalies: {n}")).color(warn));
                if ui.link("Review in Compliance").clicked() {
                    out.push(Command::Open(crate::command::View::Compliance));
                }
            });
        }
        Some(Err(e)) => shown(ui, Err(e)),
    }
    match &lead.consent_below {
        Ok(below) if below.is_empty() => {
            ui.label("Consent: every opt-in rate meets the target.");
        }
        Ok(below) => {
            ui.label(RichText::new("Consent below target:").color(warn));
            for line in below {
                ui.label(RichText::new(format!("  {line}")).color(warn));
            }
        }
        Err(e) => shown(ui, Err(e)),
    }
    match &lead.retention_due {
        Ok(true) => {
            ui.label(RichText::new("Retention: a purge is due.").color(warn));
        }
        Ok(false) => {
            ui.label("Retention: nothing is due.");
        }
        Err(e) => shown(ui, Err(e)),
    }
    match &lead.health {
        Ok(h) => {
            // Sign-in checks the chain's end against this device's anchor and every signature
            // of the membership and policy; a full Verify walks every entry and page.
            if alarms == 0 {
                ui.label("Access log: no integrity alarm at sign-in.");
            } else {
                ui.label(
                    RichText::new(format!(
                        "Access log: {alarms} integrity alarm{} at sign-in (listed above).",
                        if alarms == 1 { "" } else { "s" }
                    ))
                    .color(visuals.error_fg_color),
                );
            }
            match &h.last_verify {
                Some((time, _)) => {
                    ui.horizontal(|ui| {
                        ui.label(format!("Last full Verify: {time}."));
                        if ui.link("Verify again").clicked() {
                            out.push(Command::Open(crate::command::View::AccessLog));
                        }
                    });
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new("The access log was never verified.").color(warn));
                        if ui.link("Verify in the access log").clicked() {
                            out.push(Command::Open(crate::command::View::AccessLog));
                        }
                    });
                }
            }
            let weeks: Vec<String> = h
                .denied_by_week
                .iter()
                .map(|w| format!("week of {}: {}", w.week, w.denied))
                .collect();
            ui.label(if weeks.is_empty() {
                "Denied attempts: none in this period.".to_owned()
            } else {
                format!("Denied attempts: {}.", weeks.join(", "))
            });
            ui.label(match h.median_ack_ms {
                Some(ms) => format!(
                    "Median time to acknowledge an anomaly: {} ({} acknowledged).",
                    hours(ms),
                    h.acks
                ),
                None => "No anomaly acknowledged yet.".to_owned(),
            });
        }
        Err(e) => shown(ui, Err(e)),
    }
}
