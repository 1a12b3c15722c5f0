//! The users view (compliance lead): who has access, with which role and when they last
//! signed in; add a user, reset a password, revoke (which replaces every key they held).

use egui::{RichText, TextEdit};
use zeroize::Zeroizing;

use crate::access::RotationProgress;
use crate::access::{Role, UserInfo};
use crate::command::{Command, Secret};
use crate::ui::theme;

/// What the view holds while open.
#[derive(Default)]
pub struct UsersState {
    /// The users, as read through the gate.
    pub users: Vec<UserInfo>,
    /// New user: name.
    pub new_name: String,
    /// New user: role.
    pub new_role: Option<Role>,
    /// New user: initial password.
    pub new_password: Zeroizing<String>,
    /// The user whose password is being reset, and the new password.
    pub reset: Option<(String, Zeroizing<String>)>,
    /// The user awaiting revocation confirmation.
    pub confirm_revoke: Option<String>,
    /// The result of the last action.
    pub message: Option<(bool, String)>,
    /// The dataset authority's fingerprint, to compare out of band.
    pub fingerprint: Option<String>,
    /// A key rotation in progress.
    pub rotation: Option<RotationProgress>,
}

/// A rough strength hint: length and variety of character classes.
pub fn strength_hint(password: &str) -> &'static str {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    match (password.chars().count(), classes) {
        (0, _) => "",
        (1..=9, _) => "Too short: at least 10 characters.",
        (10..=13, 0..=2) => "Acceptable. Longer is stronger.",
        (10..=13, _) | (14..=19, _) => "Good.",
        _ => "Strong.",
    }
}

/// Draws the view.
pub fn users_ui(ui: &mut egui::Ui, state: &mut UsersState, me: &str, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    ui.heading("Users");
    match &state.fingerprint {
        Some(f) => {
            ui.label(format!("Dataset authority fingerprint: {f}"))
                .on_hover_text("Every device shows the same fingerprint for this dataset. Compare it with a colleague's (like an SSH host key): a different one means the membership was replaced.");
        }
        None => {
            ui.label(
                RichText::new("This dataset has no signed membership yet: it is upgraded at a compliance lead's sign-in.")
                    .color(theme::warning(&visuals)),
            );
        }
    }
    if let Some(p) = &state.rotation {
        ui.label("Revoking: replacing every key the user held…");
        ui.add(egui::ProgressBar::new(p.done as f32 / p.total.max(1) as f32).show_percentage());
        ui.label(RichText::new(&p.step).color(theme::weak(&visuals)));
        return;
    }
    if let Some((ok, text)) = &state.message {
        ui.label(RichText::new(text).color(if *ok {
            theme::weak(&visuals)
        } else {
            theme::error(&visuals)
        }));
    }
    ui.add_space(theme::GAP / 2.0);
    egui::Grid::new("users")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for title in ["User", "Role", "Last login", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for user in &state.users {
                ui.label(&user.name);
                ui.label(user.role.label());
                ui.label(user.last_login.as_deref().unwrap_or("never"));
                ui.horizontal(|ui| {
                    if ui.button("Reset password…").clicked() {
                        state.reset = Some((user.name.clone(), Zeroizing::new(String::new())));
                        state.confirm_revoke = None;
                    }
                    let own = user.name == me;
                    let revoke = ui.add_enabled(!own, egui::Button::new("Revoke…"));
                    if own {
                        revoke.on_disabled_hover_text("You cannot revoke yourself.");
                    } else if revoke.clicked() {
                        state.confirm_revoke = Some(user.name.clone());
                        state.reset = None;
                    }
                });
                ui.end_row();
            }
        });
    if let Some(name) = state.confirm_revoke.clone() {
        ui.add_space(theme::GAP);
        ui.label(format!(
            "Revoking {name} removes their key slot and replaces every data key they held: the databases are re-encrypted under new keys, and everyone else's slot gets the new keys. Copies of {name}'s old slot will open nothing written afterwards. Close the dataset in every other window first."
        ));
        ui.horizontal(|ui| {
            if ui
                .button(format!("Revoke {name} and rotate keys"))
                .clicked()
            {
                out.push(Command::RevokeUser(name.clone()));
            }
            if ui.button("Cancel").clicked() {
                state.confirm_revoke = None;
            }
        });
    }
    let mut cancel_reset = false;
    if let Some((name, password)) = &mut state.reset {
        ui.add_space(theme::GAP);
        let label = ui.label(format!("New password for {name}"));
        ui.add(TextEdit::singleline(&mut **password).password(true))
            .labelled_by(label.id);
        ui.label(RichText::new(strength_hint(password)).color(theme::weak(&visuals)));
        ui.horizontal(|ui| {
            if ui.button("Set password").clicked() {
                out.push(Command::ResetPassword(
                    name.clone(),
                    Secret(password.clone()),
                ));
            }
            cancel_reset = ui.button("Cancel").clicked();
        });
    }
    if cancel_reset {
        state.reset = None;
    }
    ui.add_space(theme::GAP);
    ui.separator();
    ui.strong("Add a user");
    ui.horizontal(|ui| {
        let l = ui.label("New user name");
        ui.add(TextEdit::singleline(&mut state.new_name).desired_width(160.0))
            .labelled_by(l.id);
        egui::ComboBox::from_label("New user's role")
            .selected_text(state.new_role.map_or("choose…", Role::label))
            .show_ui(ui, |ui| {
                for role in Role::ALL {
                    ui.selectable_value(&mut state.new_role, Some(role), role.label());
                }
            });
        let l = ui.label("Initial password");
        ui.add(
            TextEdit::singleline(&mut *state.new_password)
                .password(true)
                .desired_width(160.0),
        )
        .labelled_by(l.id);
        let ready = !state.new_name.trim().is_empty()
            && state.new_role.is_some()
            && !state.new_password.is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Add user"))
            .clicked()
            && let Some(role) = state.new_role
        {
            out.push(Command::AddUser(
                state.new_name.trim().to_owned(),
                role,
                Secret(state.new_password.clone()),
            ));
        }
    });
    ui.label(RichText::new(strength_hint(&state.new_password)).color(theme::weak(&visuals)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_hints_follow_length_and_variety() {
        assert_eq!(strength_hint("short"), "Too short: at least 10 characters.");
        assert_eq!(
            strength_hint("abcdefghij"),
            "Acceptable. Longer is stronger."
        );
        assert_eq!(strength_hint("Abcdefgh1!"), "Good.");
        assert_eq!(strength_hint("a much longer pass phrase"), "Strong.");
    }
}
