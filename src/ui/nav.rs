//! The navigation panel: every view that exists, with the ones this role may not use shown
//! disabled and a tooltip naming the roles that may.

use crate::access::{Capability, Role};
use crate::command::{Command, View};

/// The views, in order, with the capability each needs.
const PAGES: [(View, &str, Option<Capability>); 7] = [
    (View::Overview, "Overview", None),
    (View::Heatmaps, "Heatmaps", Some(Capability::ViewHeatmaps)),
    (View::Sessions, "Sessions", Some(Capability::ListSessions)),
    (
        View::Compliance,
        "Compliance",
        Some(Capability::ViewDashboards),
    ),
    (View::Import, "Import", Some(Capability::ImportData)),
    (View::AccessLog, "Access log", Some(Capability::AccessLog)),
    (View::Users, "Users", Some(Capability::ManageUsers)),
];

fn roles_text(capability: Capability) -> String {
    let roles: Vec<&str> = capability.roles().iter().map(|r| r.label()).collect();
    format!("Only for: {}.", roles.join(", "))
}

/// Draws the navigation list.
pub fn nav_ui(ui: &mut egui::Ui, role: Role, current: View, out: &mut Vec<Command>) {
    ui.add_space(4.0);
    for (page, label, capability) in PAGES {
        let allowed = capability.is_none_or(|c| c.allows(role));
        let response = ui.add_enabled(allowed, egui::Button::selectable(current == page, label));
        let response = match capability {
            Some(c) if !allowed => response.on_disabled_hover_text(roles_text(c)),
            _ => response,
        };
        if response.clicked() {
            out.push(Command::Open(page));
        }
    }
}
