//! The compliance view: the consent dashboard, retention policy and purges, receipts, and
//! data-subject erasure, each control enabled by the role matrix.

use egui::RichText;
use egui_plot::{HLine, Legend, Line, Plot};

use crate::clock::rfc3339;
use crate::command::Command;
use crate::compliance::Receipt;
use crate::compliance::consent::Dashboard;
use crate::compliance::retention::{MAX_DAYS, Policy};
use crate::ui::theme;

/// What the view holds.
pub struct ComplianceViewState {
    /// Consent figures.
    pub dashboard: Dashboard,
    /// Purge and erasure receipts, newest first.
    pub receipts: Vec<Receipt>,
    /// The policy being edited.
    pub policy: Policy,
    /// The policy as stored.
    pub saved: Policy,
    /// May edit the policy and erase (compliance lead).
    pub may_erase: bool,
    /// May run purges (compliance lead, data engineer).
    pub may_purge: bool,
    /// The subject to erase.
    pub subject: String,
    /// The erasure is awaiting confirmation.
    pub confirm_erase: bool,
    /// The outcome of the last action.
    pub message: Option<String>,
    /// The last error.
    pub error: Option<String>,
    /// Anomalies, most serious first; `None` while the scan runs.
    pub anomalies: Option<Vec<crate::compliance::anomaly::Anomaly>>,
    /// The consent target being edited (%).
    pub target: u32,
    /// The restricted regions being edited, comma-separated.
    pub restricted: String,
    /// The settings as stored.
    pub saved_settings: (u32, String),
    /// May acknowledge anomalies and export the report (compliance lead).
    pub may_report: bool,
    /// Where to write the report when there is no file dialog.
    pub report_path: String,
    /// Show the path field.
    pub report_path_shown: bool,
    /// A purge or erasure is running (the files are being scrubbed).
    pub working: bool,
}

fn days(ui: &mut egui::Ui, label: &str, value: &mut u32, enabled: bool) {
    let l = ui.label(label);
    ui.add_enabled(
        enabled,
        egui::DragValue::new(value)
            .range(0..=MAX_DAYS)
            .suffix(" days"),
    )
    .labelled_by(l.id);
    ui.label(
        RichText::new(if *value == 0 { "kept until erased" } else { "" })
            .small()
            .color(theme::weak(ui.visuals())),
    );
    ui.end_row();
}

/// Draws the view.
pub fn compliance_ui(ui: &mut egui::Ui, s: &mut ComplianceViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(e) = &s.error {
                ui.label(RichText::new(e).color(theme::error(&visuals)));
            }
            if let Some(m) = &s.message {
                ui.label(RichText::new(m).color(theme::weak(&visuals)));
            }
            if s.working {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Working: a purge, erasure or report on its own thread…");
                });
            }
            report_ui(ui, s, out);
            consent_ui(ui, &s.dashboard);
            ui.add_space(theme::GAP);
            anomalies_ui(ui, s, out);
            ui.add_space(theme::GAP);
            retention_ui(ui, s, out);
            ui.add_space(theme::GAP);
            ui.heading("Receipts");
            if s.receipts.is_empty() {
                ui.label(RichText::new("No purge or erasure yet.").color(theme::weak(&visuals)));
            } else {
                receipts_ui(ui, &s.receipts);
            }
            ui.add_space(theme::GAP);
            ui.heading("Erasure (GDPR Art. 17)");
            if s.may_erase {
                erase_ui(ui, s, out);
            } else {
                ui.label(
                    RichText::new("Only the compliance lead erases data subjects.")
                        .color(theme::weak(&visuals)),
                );
            }
        });
}

fn report_ui(ui: &mut egui::Ui, s: &mut ComplianceViewState, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let b = ui.add_enabled(s.may_report, egui::Button::new("Export compliance report…"));
        if b.clicked() {
            out.push(Command::ExportReport);
        }
        b.on_disabled_hover_text("Only for: Compliance lead.");
    });
    if s.report_path_shown {
        ui.horizontal(|ui| {
            let l = ui.label("Save report to");
            ui.add(egui::TextEdit::singleline(&mut s.report_path).desired_width(360.0))
                .labelled_by(l.id);
            if ui.button("Export").clicked() && !s.report_path.trim().is_empty() {
                out.push(Command::ExportReportTo(s.report_path.trim().into()));
            }
        });
    }
}

fn anomalies_ui(ui: &mut egui::Ui, s: &mut ComplianceViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.heading("Anomalies");
    ui.horizontal(|ui| {
        let l = ui.label("Restricted regions");
        ui.add_enabled(
            s.may_erase,
            egui::TextEdit::singleline(&mut s.restricted)
                .hint_text("e.g. RU, CN")
                .desired_width(200.0),
        )
        .labelled_by(l.id);
        let l = ui.label("Consent target");
        ui.add_enabled(
            s.may_erase,
            egui::DragValue::new(&mut s.target)
                .range(0..=100)
                .suffix("%"),
        )
        .labelled_by(l.id);
        let changed = (s.target, s.restricted.clone()) != s.saved_settings;
        if ui
            .add_enabled(s.may_erase && changed, egui::Button::new("Save settings"))
            .clicked()
        {
            let regions = s
                .restricted
                .split(',')
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect();
            out.push(Command::SaveComplianceSettings(s.target, regions));
        }
    });
    let Some(anomalies) = &s.anomalies else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Scanning stored text and the access log…");
        });
        return;
    };
    if anomalies.is_empty() {
        ui.label(RichText::new("Nothing unusual found.").color(theme::weak(&visuals)));
        return;
    }
    egui::Grid::new("anomalies")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for a in anomalies {
                let color = match a.severity {
                    crate::compliance::anomaly::Severity::High => theme::error(&visuals),
                    crate::compliance::anomaly::Severity::Medium => theme::warning(&visuals),
                    crate::compliance::anomaly::Severity::Low => theme::weak(&visuals),
                };
                ui.label(RichText::new(a.severity.label()).color(color));
                ui.label(&a.explanation);
                match &a.acknowledged {
                    Some((user, t)) => {
                        ui.label(
                            RichText::new(format!(
                                "acknowledged by {user}, {}",
                                rfc3339(*t).get(..10).unwrap_or_default()
                            ))
                            .color(theme::weak(&visuals)),
                        );
                    }
                    None => {
                        let b = ui.add_enabled(s.may_report, egui::Button::new("Acknowledge"));
                        if b.clicked() {
                            out.push(Command::AcknowledgeAnomaly(a.key.clone()));
                        }
                        b.on_disabled_hover_text("Only for: Compliance lead.");
                    }
                }
                ui.end_row();
            }
        });
}

fn retention_ui(ui: &mut egui::Ui, s: &mut ComplianceViewState, out: &mut Vec<Command>) {
    ui.heading("Retention");
    let why = "Only the compliance lead edits the policy.";
    egui::Grid::new("retention").num_columns(3).show(ui, |ui| {
        days(
            ui,
            "Session recordings",
            &mut s.policy.recordings_days,
            s.may_erase,
        );
        days(ui, "Heatmap points", &mut s.policy.points_days, s.may_erase);
        days(
            ui,
            "Survey comments",
            &mut s.policy.survey_comments_days,
            s.may_erase,
        );
        days(ui, "Access log", &mut s.policy.access_log_days, s.may_erase);
    });
    ui.label(
        RichText::new(format!(
            "Access-log entries are kept at least {} days (the policy's floor), so no purge can hide recent actions.",
            s.policy.access_log_floor_days
        ))
        .color(theme::weak(ui.visuals())),
    );
    ui.add_enabled(
        s.may_erase,
        egui::Checkbox::new(
            &mut s.policy.purge_on_open,
            "Purge when the dataset is opened",
        ),
    )
    .on_disabled_hover_text(why);
    ui.horizontal(|ui| {
        let save = ui.add_enabled(
            s.may_erase && s.policy != s.saved,
            egui::Button::new("Save policy"),
        );
        if save.clicked() {
            out.push(Command::SavePolicy(s.policy));
        }
        if !s.may_erase {
            save.on_disabled_hover_text(why);
        }
        let purge = ui.add_enabled(
            s.may_purge && !s.working,
            egui::Button::new("Run purge now"),
        );
        if purge.clicked() {
            out.push(Command::RunPurge);
        }
        purge.on_disabled_hover_text("Only for: Compliance lead, Data engineer.");
    });
}

fn receipts_ui(ui: &mut egui::Ui, receipts: &[Receipt]) {
    egui::Grid::new("receipts")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in ["No.", "Kind", "Time", "By", "What"] {
                ui.strong(h);
            }
            ui.end_row();
            for r in receipts {
                ui.label(r.id.to_string());
                ui.label(&r.kind);
                ui.label(
                    rfc3339(r.time_ms)
                        .get(..19)
                        .unwrap_or_default()
                        .replace('T', " "),
                );
                ui.label(&r.user);
                let mut what = if r.detail.total() == 0 {
                    "nothing to remove".to_owned()
                } else {
                    r.detail.summary()
                };
                if let Some(subject) = &r.detail.subject {
                    what = format!("subject {subject}: {what}");
                }
                if !r.detail.trigger.is_empty() {
                    what = format!("{what} ({})", r.detail.trigger);
                }
                ui.label(what);
                ui.end_row();
            }
        });
}

fn erase_ui(ui: &mut egui::Ui, s: &mut ComplianceViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.horizontal(|ui| {
        let l = ui.label("Subject identifier or pseudonym");
        ui.add(egui::TextEdit::singleline(&mut s.subject).desired_width(280.0))
            .labelled_by(l.id);
        if ui
            .add_enabled(!s.subject.trim().is_empty(), egui::Button::new("Erase…"))
            .clicked()
        {
            s.confirm_erase = true;
        }
    });
    if s.confirm_erase {
        ui.label(
            RichText::new(
                "Every session, replay, heatmap point, survey answer and consent record of this \
                 subject will be removed for good. A receipt is kept.",
            )
            .color(theme::warning(&visuals)),
        );
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!s.working, egui::Button::new("Erase permanently"))
                .clicked()
            {
                out.push(Command::EraseSubject(s.subject.trim().to_owned()));
                s.confirm_erase = false;
            }
            if ui.button("Cancel").clicked() {
                s.confirm_erase = false;
            }
        });
    }
}

fn consent_ui(ui: &mut egui::Ui, d: &Dashboard) {
    let visuals = ui.visuals().clone();
    ui.heading("Consent");
    if d.series.is_empty() {
        ui.label(
            RichText::new(
                "No consent decisions yet: import consent records, or recordings with each session's consent.",
            )
            .color(theme::weak(&visuals)),
        );
    }
    for purpose in ["heatmaps", "recordings"] {
        let series: Vec<_> = d.series.iter().filter(|s| s.purpose == purpose).collect();
        if series.is_empty() {
            continue;
        }
        ui.label(
            RichText::new(format!(
                "Opt-in rate for {purpose} (%) by jurisdiction: every decision up to each day, consent records and sessions' own decisions at import (refused ones too)"
            ))
            .strong(),
        );
        let days = d.days.clone();
        Plot::new(format!("consent_{purpose}"))
            .height(170.0)
            .legend(Legend::default())
            .include_y(0.0)
            .include_y(100.0)
            .allow_scroll(false)
            .x_axis_formatter(move |mark, _| {
                days.get(mark.value.max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            })
            .show(ui, |plot| {
                for s in &series {
                    let points: Vec<[f64; 2]> =
                        s.points.iter().map(|&(i, r)| [i as f64, r]).collect();
                    plot.line(Line::new(s.jurisdiction.clone(), points));
                }
                plot.hline(HLine::new(format!("target {:.0}%", d.target), d.target));
            });
        for s in &series {
            ui.label(
                RichText::new(format!(
                    "{} {:.0}%: {}",
                    s.jurisdiction,
                    s.rate(),
                    s.counted()
                ))
                .small()
                .color(theme::weak(&visuals)),
            );
        }
    }
    let flagged = d.flagged();
    if !flagged.is_empty() {
        ui.label(
            RichText::new(format!("Below the {:.0}% target:", d.target))
                .color(theme::warning(&visuals)),
        );
        for s in flagged {
            ui.label(
                RichText::new(format!(
                    "{} {}: {:.0}%, {}",
                    s.jurisdiction,
                    s.purpose,
                    s.rate(),
                    s.counted()
                ))
                .color(theme::warning(&visuals)),
            );
        }
    }
    if !d.dropped.is_empty() {
        ui.label(RichText::new("Sessions not stored at import").strong());
        for (reason, n) in &d.dropped {
            ui.label(format!("{n}  {reason}"));
        }
    }
}
