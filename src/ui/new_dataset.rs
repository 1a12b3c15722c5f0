//! The "New dataset" wizard on the login screen: folder, name, first compliance lead and
//! password; then the recovery key, shown once, which the person must confirm they stored.

use egui::{RichText, TextEdit};
use zeroize::Zeroizing;

use crate::command::Command;
use crate::ui::theme;

/// The wizard's fields and outcome.
#[derive(Default)]
pub struct NewDatasetState {
    /// Where to create the bundle (a new folder).
    pub folder: String,
    /// Display name.
    pub name: String,
    /// The first compliance lead.
    pub admin: String,
    /// Their password.
    pub password: Zeroizing<String>,
    /// The password again.
    pub repeat: Zeroizing<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The recovery key, shown once after creation.
    pub recovery_key: Option<Zeroizing<String>>,
    /// The person confirmed they stored the key.
    pub stored: bool,
}

fn field(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool, hint: &str) {
    let l = ui.label(label);
    ui.add(
        TextEdit::singleline(value)
            .password(password)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id);
}

/// Draws the wizard.
pub fn new_dataset_ui(ui: &mut egui::Ui, state: &mut NewDatasetState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.heading("New dataset");
    if let Some(key) = &state.recovery_key {
        ui.label("The dataset is ready. This is its recovery key. It opens every part of the dataset and is shown only now: write it down or store it offline.");
        ui.add_space(theme::GAP / 2.0);
        ui.label(RichText::new(key.as_str()).monospace().size(14.0));
        ui.add_space(theme::GAP / 2.0);
        ui.checkbox(
            &mut state.stored,
            "I have stored the recovery key somewhere safe",
        );
        if ui
            .add_enabled(state.stored, egui::Button::new("Continue to sign in"))
            .clicked()
        {
            out.push(Command::FinishNewDataset);
        }
        return;
    }
    field(
        ui,
        "Folder for the new dataset",
        &mut state.folder,
        false,
        "/path/to/team.sightline",
    );
    field(
        ui,
        "Dataset name",
        &mut state.name,
        false,
        "e.g. Parley production",
    );
    field(
        ui,
        "First compliance lead",
        &mut state.admin,
        false,
        "user name",
    );
    field(
        ui,
        "Their password",
        &mut state.password,
        true,
        "at least 10 characters",
    );
    field(ui, "Password again", &mut state.repeat, true, "");
    ui.label(
        RichText::new(crate::ui::users::strength_hint(&state.password))
            .color(theme::weak(&visuals)),
    );
    ui.horizontal(|ui| {
        let ready = !state.folder.trim().is_empty()
            && !state.name.trim().is_empty()
            && !state.admin.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Create")).clicked() {
            out.push(Command::CreateDataset);
        }
        if ui.button("Cancel").clicked() {
            out.push(Command::CancelNewDataset);
        }
    });
    if let Some(error) = &state.error {
        ui.label(RichText::new(error).color(theme::error(&visuals)));
    }
}
