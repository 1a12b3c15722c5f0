//! The frame of an unlocked workbench: top bar with dataset, user, role badge and Lock, and the
//! notices gathered at unlock.

use egui::RichText;

use crate::access::{Notice, NoticeLevel, Role};
use crate::app::Command;
use crate::ui::theme;

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
}

/// Draws the top bar and the notices.
pub fn workbench_ui(ui: &mut egui::Ui, info: &FrameInfo<'_>) -> Option<Command> {
    let mut command = None;
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
                    command = Some(Command::Lock);
                }
                let minutes = info.idle_lock_in_s.div_ceil(60);
                ui.label(
                    RichText::new(format!("locks in {minutes} min")).color(theme::weak(&visuals)),
                )
                .on_hover_text("Auto-lock after the policy's idle time");
                badge_ui(ui, info.role);
                ui.label(info.user);
            });
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading(format!(
            "Signed in as {} ({})",
            info.user,
            info.role.label()
        ));
        ui.add_space(theme::GAP);
        for notice in info.notices {
            let color = match notice.level {
                NoticeLevel::Info => theme::weak(&visuals),
                NoticeLevel::Warning => theme::warning(&visuals),
                NoticeLevel::Integrity => theme::error(&visuals),
            };
            ui.label(RichText::new(&notice.text).color(color));
        }
    });
    command
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
