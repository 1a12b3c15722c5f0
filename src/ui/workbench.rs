//! The frame of an unlocked workbench: top bar with dataset, user, role badge and Lock, and the
//! notices gathered at unlock.

use egui::RichText;

use crate::access::{Notice, Role};
use crate::command::{Command, View};
use crate::ui::access_log::AccessLogState;
use crate::ui::access_log::access_log_ui;
use crate::ui::heatmaps::state::HeatmapViewState;
use crate::ui::import::ImportViewState;
use crate::ui::import::import_ui;
use crate::ui::nav::nav_ui;
use crate::ui::replay::SessionsViewState;
use crate::ui::theme;
use crate::ui::users::UsersState;
use crate::ui::users::users_ui;

/// What the current view holds.
pub enum ViewState {
    /// Notices and what needs attention.
    Overview(Box<crate::ui::overview::OverviewState>),
    /// Heatmaps.
    Heatmaps(Box<HeatmapViewState>),
    /// Sessions and replay.
    Sessions(Box<SessionsViewState>),
    /// The compliance centre.
    Compliance(Box<crate::ui::compliance::ComplianceViewState>),
    /// The access log with its entries.
    AccessLog(Box<AccessLogState>),
    /// The users.
    Users(Box<UsersState>),
    /// The import form, progress and report.
    Import(Box<ImportViewState>),
    /// The gate refused, or the data could not be read: what to say.
    Refused(View, String),
}

impl ViewState {
    /// Which view this is.
    pub fn view(&self) -> View {
        match self {
            ViewState::Overview(_) => View::Overview,
            ViewState::Heatmaps(_) => View::Heatmaps,
            ViewState::Sessions(_) => View::Sessions,
            ViewState::Compliance(_) => View::Compliance,
            ViewState::AccessLog(_) => View::AccessLog,
            ViewState::Users(_) => View::Users,
            ViewState::Import(_) => View::Import,
            ViewState::Refused(page, _) => *page,
        }
    }
}

/// What the frame shows about the signed-in user.
pub struct FrameInfo<'a> {
    /// Dataset display name.
    pub dataset: &'a str,
    /// Signed-in user.
    pub user: &'a str,
    /// Their role.
    pub role: Role,
    /// Seconds until auto-lock.
    pub idle_lock_in_s: u64,
    /// Notices from unlock.
    pub notices: &'a [Notice],
    /// Why this device cannot check for rollbacks, when it cannot (shown for the whole sitting).
    pub rollback_off: Option<&'a str>,
}

/// Draws the top bar, the navigation and the current view.
pub fn workbench_ui(
    ui: &mut egui::Ui,
    info: &FrameInfo<'_>,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    let visuals = ui.visuals().clone();
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.strong("Sightline");
            ui.separator();
            ui.label(info.dataset);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("Lock")
                    .on_hover_text("Lock now: keys and data leave memory (Ctrl+L)")
                    .clicked()
                {
                    out.push(Command::Lock);
                }
                ui.separator();
                theme_ui(ui);
                if !info.notices.is_empty() && view.view() != View::Overview {
                    ui.separator();
                    let n = info.notices.len();
                    if ui
                        .link(format!("{n} notice{}", if n == 1 { "" } else { "s" }))
                        .on_hover_text("Outcomes and warnings, listed in the Overview")
                        .clicked()
                    {
                        out.push(Command::Open(View::Overview));
                    }
                }
                ui.separator();
                let minutes = info.idle_lock_in_s.div_ceil(60);
                ui.label(
                    RichText::new(format!("locks in {minutes} min")).color(theme::weak(&visuals)),
                )
                .on_hover_text("Auto-lock after the policy's idle time");
                badge_ui(ui, info.role);
                ui.label(info.user);
                if let Some(why) = info.rollback_off {
                    ui.separator();
                    ui.label(RichText::new("Rollback check off").color(theme::warning(&visuals)))
                        .on_hover_text(why);
                }
            });
        });
    });
    egui::Panel::left("navigation")
        .resizable(false)
        .default_size(170.0)
        .show(ui, |ui| {
            nav_ui(ui, info.role, view.view(), out);
        });
    egui::CentralPanel::default().show(ui, |ui| match view {
        ViewState::Overview(state) => {
            let heading = format!("Signed in as {} ({})", info.user, info.role.label());
            crate::ui::overview::overview_ui(ui, &heading, info.notices, state, out);
        }
        ViewState::Compliance(state) => {
            crate::ui::compliance::compliance_ui(ui, state, out);
        }
        ViewState::Sessions(state) => {
            crate::ui::replay::sessions_ui(ui, state, out);
        }
        ViewState::Heatmaps(state) => {
            crate::ui::heatmaps::heatmaps_ui(ui, state, out);
        }
        ViewState::AccessLog(state) => {
            access_log_ui(ui, state, out);
        }
        ViewState::Import(state) => {
            import_ui(ui, state, out);
        }
        ViewState::Users(state) => {
            users_ui(ui, state, info.user, out);
        }
        ViewState::Refused(_, text) => {
            ui.heading("Access denied");
            ui.label(RichText::new(text.as_str()).color(theme::error(&visuals)));
        }
    });
}

/// Dark, light, or follow the system; words rather than icons, which the shipped fonts lack.
fn theme_ui(ui: &mut egui::Ui) {
    let mut preference = ui.options(|o| o.theme_preference);
    let name = |p: egui::ThemePreference| match p {
        egui::ThemePreference::Dark => "Dark",
        egui::ThemePreference::Light => "Light",
        egui::ThemePreference::System => "System theme",
    };
    egui::ComboBox::from_id_salt("theme")
        .selected_text(name(preference))
        .width(110.0)
        .show_ui(ui, |ui| {
            for p in [
                egui::ThemePreference::System,
                egui::ThemePreference::Light,
                egui::ThemePreference::Dark,
            ] {
                ui.selectable_value(&mut preference, p, name(p));
            }
        });
    ui.ctx().set_theme(preference);
}

fn badge_ui(ui: &mut egui::Ui, role: Role) {
    egui::Frame::new()
        .fill(theme::badge_fill(ui.visuals()))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| ui.label(role.label()))
        .response
        .on_hover_text("Your role decides which views and keys you have");
}
