//! The access log view (compliance lead): the whole log in a virtualised table, filters, Verify
//! and export. The entries are read once through the gate when the view opens; filtering happens
//! in memory, so typing in a filter does not write a log entry per keystroke.

use egui::{RichText, TextEdit};
use egui_extras::{Column, TableBuilder};

use crate::access::{LogEntry, LogFormat};
use crate::clock::rfc3339;
use crate::command::Command;
use crate::ui::theme;

/// What the view holds while open.
#[derive(Default)]
pub struct AccessLogState {
    /// All entries, oldest first.
    pub entries: Vec<LogEntry>,
    /// Filter: user (substring).
    pub user: String,
    /// Filter: action (substring).
    pub action: String,
    /// Filter: outcome (exact, empty for any).
    pub outcome: String,
    /// Filter: role (exact, empty for any).
    pub role: String,
    /// Filter: text in object or purpose.
    pub text: String,
    /// Filter: from this date (YYYY-MM-DD or RFC 3339), inclusive.
    pub from: String,
    /// Filter: to this date, inclusive of the whole day.
    pub to: String,
    /// The last verification: intact or not, and what it said.
    pub verify: Option<(bool, String)>,
    /// Verify is running.
    pub verifying: bool,
    /// The last export's result.
    pub export: Option<String>,
    filtered: Vec<usize>,
    filter_key: Option<FilterKey>,
}

/// The filters as last applied, to know when to filter again.
#[derive(Clone, PartialEq)]
struct FilterKey {
    user: String,
    action: String,
    outcome: String,
    text: String,
    from: Option<i64>,
    to: Option<i64>,
    role: String,
    entries: usize,
}

/// A date field: midnight UTC of a `YYYY-MM-DD` date, or an RFC 3339 instant.
fn date_ms(text: &str) -> Option<i64> {
    crate::clock::parse_ms(text.trim())
}

const DAY_MS: i64 = 86_400_000;

impl AccessLogState {
    /// A view over `entries`.
    pub fn new(entries: Vec<LogEntry>) -> AccessLogState {
        AccessLogState {
            entries,
            ..AccessLogState::default()
        }
    }

    fn refilter(&mut self) {
        let to = date_ms(&self.to).map(|t| {
            if self.to.trim().len() == 10 {
                t + DAY_MS
            } else {
                t
            }
        });
        let key = FilterKey {
            user: self.user.clone(),
            action: self.action.clone(),
            outcome: self.outcome.clone(),
            text: self.text.to_lowercase(),
            from: date_ms(&self.from),
            to,
            role: self.role.clone(),
            entries: self.entries.len(),
        };
        if self.filter_key.as_ref() == Some(&key) {
            return;
        }
        self.filtered = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.user.contains(&key.user)
                    && e.action.contains(&key.action)
                    && (key.outcome.is_empty() || e.outcome == key.outcome)
                    && (key.role.is_empty() || e.role == key.role)
                    && key.from.is_none_or(|from| e.time_ms >= from)
                    && key.to.is_none_or(|to| e.time_ms < to)
                    && (key.text.is_empty()
                        || e.object.to_lowercase().contains(&key.text)
                        || e.purpose.to_lowercase().contains(&key.text))
            })
            .map(|(i, _)| i)
            .collect();
        self.filter_key = Some(key);
    }

    /// How many entries pass the filters.
    pub fn shown(&mut self) -> usize {
        self.refilter();
        self.filtered.len()
    }
}

fn filter_field(ui: &mut egui::Ui, label: &str, value: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add(TextEdit::singleline(value).desired_width(width))
        .labelled_by(l.id);
}

/// Draws the view.
pub fn access_log_ui(ui: &mut egui::Ui, state: &mut AccessLogState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    state.refilter();
    ui.horizontal(|ui| {
        ui.heading("Access log");
        ui.label(
            RichText::new(format!(
                "{} of {} entries",
                state.filtered.len(),
                state.entries.len()
            ))
            .color(theme::weak(&visuals)),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Export JSONL…")
                .on_hover_text("Save the log with its chain head")
                .clicked()
            {
                out.push(Command::ExportLog(LogFormat::Jsonl));
            }
            if ui
                .button("Export CSV…")
                .on_hover_text("Save the log as a spreadsheet")
                .clicked()
            {
                out.push(Command::ExportLog(LogFormat::Csv));
            }
            if state.verifying {
                ui.spinner();
                ui.label("Verifying…");
            } else if ui
                .button("Verify")
                .on_hover_text("Check the hash chain, this device's anchor and every database page")
                .clicked()
            {
                out.push(Command::VerifyLog);
            }
        });
    });
    if let Some((intact, text)) = &state.verify {
        let color = if *intact {
            theme::weak(&visuals)
        } else {
            theme::error(&visuals)
        };
        ui.label(RichText::new(text).color(color));
    }
    if let Some(text) = &state.export {
        ui.label(RichText::new(text).color(theme::weak(&visuals)));
    }
    ui.horizontal(|ui| {
        filter_field(ui, "User", &mut state.user, 120.0);
        filter_field(ui, "Action", &mut state.action, 140.0);
        // Labels stand before their control, like the text filters'.
        let label = ui.label("Outcome");
        egui::ComboBox::from_id_salt("outcome_filter")
            .selected_text(if state.outcome.is_empty() {
                "any"
            } else {
                state.outcome.as_str()
            })
            .show_ui(ui, |ui| {
                for value in ["", "allowed", "denied", "failed"] {
                    ui.selectable_value(
                        &mut state.outcome,
                        value.to_owned(),
                        if value.is_empty() { "any" } else { value },
                    );
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Role");
        egui::ComboBox::from_id_salt("role_filter")
            .selected_text(if state.role.is_empty() {
                "any"
            } else {
                state.role.as_str()
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.role, String::new(), "any");
                for role in crate::access::Role::ALL {
                    ui.selectable_value(&mut state.role, role.as_str().to_owned(), role.as_str());
                }
            })
            .response
            .labelled_by(label.id);
        filter_field(ui, "Text", &mut state.text, 180.0);
        filter_field(ui, "From", &mut state.from, 90.0);
        filter_field(ui, "To", &mut state.to, 90.0);
    });
    let bad_date = [&state.from, &state.to]
        .iter()
        .any(|d| !d.trim().is_empty() && date_ms(d).is_none());
    if bad_date {
        ui.label(
            RichText::new("Dates are YYYY-MM-DD; that one is not used until it is complete.")
                .color(theme::warning(&visuals)),
        );
    }
    state.refilter();
    ui.separator();
    if state.filtered.is_empty() {
        ui.label(RichText::new("No entries match these filters.").color(theme::weak(&visuals)));
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(190.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::remainder())
        .header(row_height, |mut header| {
            for title in [
                "Seq",
                "Time",
                "User",
                "Role",
                "Action",
                "Outcome",
                "Object · purpose",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, state.filtered.len(), |mut row| {
                let Some(e) = state
                    .filtered
                    .get(row.index())
                    .and_then(|&i| state.entries.get(i))
                else {
                    return;
                };
                let outcome_color = if e.outcome == "allowed" {
                    visuals.text_color()
                } else {
                    theme::error(&visuals)
                };
                let cells = [
                    e.seq.to_string(),
                    rfc3339(e.time_ms),
                    // The signer shows only where it is not the user: failed sign-ins entered
                    // at the next sign-in, recoveries signed by the authority, entries from
                    // before a dataset's upgrade.
                    if e.signer.is_empty() {
                        format!("{} (unsigned)", e.user)
                    } else if e.signer != e.user {
                        format!("{} (signed by {})", e.user, e.signer)
                    } else {
                        e.user.clone()
                    },
                    e.role.clone(),
                    e.action.clone(),
                ];
                for text in cells {
                    row.col(|ui| {
                        ui.label(text);
                    });
                }
                row.col(|ui| {
                    ui.label(RichText::new(&e.outcome).color(outcome_color));
                });
                row.col(|ui| {
                    let text = if e.purpose.is_empty() {
                        e.object.clone()
                    } else {
                        format!("{} · {}", e.object, e.purpose)
                    };
                    ui.label(text);
                });
            });
        });
}
