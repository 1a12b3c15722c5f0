//! The login screen: which dataset, user name, password, Unlock.

use egui::{Align, Layout, RichText, TextEdit};
use zeroize::Zeroizing;

use crate::command::Command;
use crate::ui::theme;

/// What the login screen holds between frames.
#[derive(Default)]
pub struct LoginState {
    /// The selected dataset's folder, as typed or picked.
    pub dataset_path: String,
    /// Name shown for the selected dataset, once its header was read.
    pub dataset_name: Option<String>,
    /// Why the selected folder cannot be used, if it cannot.
    pub dataset_error: Option<String>,
    /// Recently opened dataset folders, most recent first.
    pub recent: Vec<std::path::PathBuf>,
    /// User name field (kept after a lock).
    pub user: String,
    /// Password field; wiped on drop and after each attempt.
    pub password: Zeroizing<String>,
    /// The last unlock error, in words.
    pub error: Option<String>,
    /// No attempt before this moment of the app's clock, in seconds (back-off).
    pub retry_at: Option<f64>,
    /// The app's clock now, in seconds (set every frame; tests move it without sleeping).
    pub now: f64,
    /// An unlock is running.
    pub busy: bool,
    /// Notices to show before the next login (e.g. "locked after 10 minutes idle").
    pub message: Option<String>,
    /// Initial keyboard focus has been placed.
    pub focused: bool,
    /// The first-run demo is being built: step and fraction done.
    pub preparing: Option<(String, f32)>,
    /// The "New dataset" wizard, while open.
    pub wizard: Option<crate::ui::new_dataset::NewDatasetState>,
}

/// Draws the login screen.
pub fn login_ui(ui: &mut egui::Ui, state: &mut LoginState, out: &mut Vec<Command>) {
    let wait_s = state
        .retry_at
        .map(|t| (t - state.now).max(0.0).ceil() as u64)
        .filter(|s| *s > 0);
    if wait_s.is_some() {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
    }
    let visuals = ui.visuals().clone();
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.15);
            ui.heading(RichText::new("Sightline").size(28.0));
            ui.label(RichText::new("Encrypted behavioural analytics").color(theme::weak(&visuals)));
            ui.add_space(theme::GAP * 2.0);
            ui.allocate_ui_with_layout(
                egui::vec2(theme::LOGIN_WIDTH, 0.0),
                Layout::top_down(Align::Min),
                |ui| {
                    if let Some(wizard) = &mut state.wizard {
                        crate::ui::new_dataset::new_dataset_ui(ui, wizard, out);
                        return;
                    }
                    if let Some((step, fraction)) = &state.preparing {
                        ui.label("Building the demo dataset (first run only)…");
                        ui.add(egui::ProgressBar::new(*fraction).show_percentage());
                        ui.label(RichText::new(step).color(theme::weak(&visuals)));
                        return;
                    }
                    if let Some(message) = &state.message {
                        ui.label(RichText::new(message).color(theme::warning(&visuals)));
                        ui.add_space(theme::GAP);
                    }
                    dataset_ui(ui, state, out);
                    ui.add_space(theme::GAP);
                    let user_label = ui.label("User name");
                    let user = ui
                        .add(
                            TextEdit::singleline(&mut state.user)
                                .desired_width(f32::INFINITY)
                                .hint_text("e.g. analyst"),
                        )
                        .labelled_by(user_label.id);
                    ui.add_space(theme::GAP / 2.0);
                    let password_label = ui.label("Password");
                    let password = ui
                        .add(
                            TextEdit::singleline(&mut *state.password)
                                .password(true)
                                .desired_width(f32::INFINITY),
                        )
                        .labelled_by(password_label.id);
                    // Once per screen: asking every frame would keep egui repainting forever.
                    if !state.focused {
                        state.focused = true;
                        if state.user.is_empty() {
                            user.request_focus();
                        } else {
                            password.request_focus();
                        }
                    }
                    ui.add_space(theme::GAP);
                    let ready = state.dataset_name.is_some()
                        && !state.user.is_empty()
                        && !state.password.is_empty();
                    let enabled = ready && !state.busy && wait_s.is_none();
                    ui.horizontal(|ui| {
                        let unlock = ui
                            .add_enabled(enabled, egui::Button::new("Unlock"))
                            .on_hover_text("Unlock the dataset (Enter)");
                        let enter =
                            password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        if unlock.clicked() || (enter && enabled) {
                            out.push(Command::Unlock);
                        }
                        if state.busy {
                            ui.spinner();
                            ui.label("Unlocking…");
                        }
                    });
                    if let Some(error) = &state.error {
                        ui.add_space(theme::GAP / 2.0);
                        let text = match wait_s {
                            Some(s) => format!(
                                "{} Try again in {s} s.",
                                error.trim_end_matches(&[' ', '.'][..]).to_owned() + "."
                            ),
                            None => error.clone(),
                        };
                        ui.label(RichText::new(text).color(theme::error(&visuals)));
                    }
                },
            );
        });
    });
}

fn dataset_ui(ui: &mut egui::Ui, state: &mut LoginState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    let label = ui.label("Dataset");
    ui.horizontal(|ui| {
        let field = ui
            .add(
                TextEdit::singleline(&mut state.dataset_path)
                    .desired_width(theme::LOGIN_WIDTH - 235.0)
                    .hint_text("folder ending in .sightline"),
            )
            .labelled_by(label.id);
        if field.lost_focus() || (field.changed() && state.dataset_path.ends_with(".sightline")) {
            out.push(Command::SelectDataset(state.dataset_path.clone().into()));
        }
        if ui
            .button("Open dataset…")
            .on_hover_text("Choose a dataset folder")
            .clicked()
        {
            out.push(Command::PickDataset);
        }
        if ui
            .button("New dataset…")
            .on_hover_text("Create an encrypted dataset")
            .clicked()
        {
            out.push(Command::NewDataset);
        }
    });
    match (&state.dataset_name, &state.dataset_error) {
        (_, Some(error)) => {
            ui.label(RichText::new(error).color(theme::error(&visuals)));
        }
        (Some(name), None) => {
            ui.label(RichText::new(format!("“{name}”")).color(theme::weak(&visuals)));
        }
        (None, None) => {
            ui.label(
                RichText::new("Choose a dataset folder, or create one with `sightline create`.")
                    .color(theme::weak(&visuals)),
            );
        }
    }
    let others: Vec<&std::path::PathBuf> = state
        .recent
        .iter()
        .filter(|p| p.display().to_string() != state.dataset_path)
        .take(5)
        .collect();
    if !others.is_empty() {
        ui.label(RichText::new("Recent").color(theme::weak(&visuals)));
        for path in others {
            if ui
                .link(path.display().to_string())
                .on_hover_text("Select this dataset")
                .clicked()
            {
                out.push(Command::SelectDataset(path.clone()));
            }
        }
    }
}
