//! The navigation panel: every view that exists, with the ones this role may not use shown
//! disabled and a tooltip naming the roles that may.

use crate::access::{Capability, Role};
use crate::app::{Command, Page};

/// The views, in order, with the capability each needs.
const PAGES: [(Page, &str, Option<Capability>); 7] = [
    (Page::Overview, "Overview", None),
    (Page::Heatmaps, "Heatmaps", Some(Capability::ViewHeatmaps)),
    (Page::Sessions, "Sessions", Some(Capability::ListSessions)),
    (
        Page::Compliance,
        "Compliance",
        Some(Capability::ViewDashboards),
    ),
    (Page::Import, "Import", Some(Capability::ImportData)),
    (Page::AccessLog, "Access log", Some(Capability::AccessLog)),
    (Page::Users, "Users", Some(Capability::ManageUsers)),
];

fn roles_text(capability: Capability) -> String {
    let roles: Vec<&str> = capability.roles().iter().map(|r| r.label()).collect();
    format!("Only for: {}.", roles.join(", "))
}

/// Draws the navigation list.
pub fn nav_ui(ui: &mut egui::Ui, role: Role, current: Page) -> Option<Command> {
    let mut command = None;
    ui.add_space(4.0);
    for (page, label, capability) in PAGES {
        let allowed = capability.is_none_or(|c| c.allows(role));
        let response = ui.add_enabled(allowed, egui::Button::selectable(current == page, label));
        let response = match capability {
            Some(c) if !allowed => response.on_disabled_hover_text(roles_text(c)),
            _ => response,
        };
        if response.clicked() {
            command = Some(Command::Open(page));
        }
    }
    command
}
