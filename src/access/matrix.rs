//! The permission matrix of PRODUCT.md, as one table. The access gate consults only this.

use crate::audit::Action;
use std::fmt;

use crate::access::Role;

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// View heatmaps (aggregates above the k-anonymity floor) and the page list.
    ViewHeatmaps,
    /// Annotate heatmaps and export annotated PNGs.
    AnnotateHeatmaps,
    /// List sessions (metadata only).
    ListSessions,
    /// Replay a masked session (needs a purpose).
    ReplaySession,
    /// Import data, manage screenshots and masking rules.
    ImportData,
    /// Consent and anomaly dashboards.
    ViewDashboards,
    /// Run a retention purge.
    RetentionPurge,
    /// Erase a data subject.
    EraseSubject,
    /// Read, verify and export the access log.
    AccessLog,
    /// Manage users, roles and recovery.
    ManageUsers,
    /// Produce the compliance report.
    ComplianceReport,
}

const Y: bool = true;
const N: bool = false;

/// Rows of PRODUCT.md's matrix. Columns: compliance lead, analyst, data engineer, UX liaison.
const MATRIX: [(Capability, [bool; 4]); 11] = [
    (Capability::ViewHeatmaps, [Y, Y, Y, Y]),
    (Capability::AnnotateHeatmaps, [Y, Y, N, Y]),
    (Capability::ListSessions, [Y, Y, Y, N]),
    (Capability::ReplaySession, [Y, Y, N, N]),
    (Capability::ImportData, [N, N, Y, N]),
    (Capability::ViewDashboards, [Y, Y, Y, N]),
    (Capability::RetentionPurge, [Y, N, Y, N]),
    (Capability::EraseSubject, [Y, N, N, N]),
    (Capability::AccessLog, [Y, N, N, N]),
    (Capability::ManageUsers, [Y, N, N, N]),
    (Capability::ComplianceReport, [Y, N, N, N]),
];

impl Capability {
    /// Every capability, in matrix order.
    pub fn all() -> impl Iterator<Item = Capability> {
        MATRIX.iter().map(|(c, _)| *c)
    }

    /// Whether `role` may use this capability.
    pub fn allows(self, role: Role) -> bool {
        MATRIX
            .iter()
            .find(|(c, _)| *c == self)
            .is_some_and(|(_, row)| row[role.index()])
    }

    /// The roles that may use this capability (for "only … may" tooltips).
    pub fn roles(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.allows(*r)).collect()
    }

    /// Human wording, used in denials.
    pub fn label(self) -> &'static str {
        match self {
            Capability::ViewHeatmaps => "viewing heatmaps",
            Capability::AnnotateHeatmaps => "annotating and exporting heatmaps",
            Capability::ListSessions => "listing sessions",
            Capability::ReplaySession => "replaying sessions",
            Capability::ImportData => "importing data and managing masking",
            Capability::ViewDashboards => "consent and anomaly dashboards",
            Capability::RetentionPurge => "retention purges",
            Capability::EraseSubject => "data-subject erasure",
            Capability::AccessLog => "the access log",
            Capability::ManageUsers => "managing users",
            Capability::ComplianceReport => "the compliance report",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The capability each logged action needs.
impl Action {
    /// The capability the gate checks, or `None` for actions every signed-in user may take.
    pub fn capability(self) -> Option<Capability> {
        match self {
            Action::CreateDataset
            | Action::Login
            | Action::LoginFailed
            | Action::Lock
            | Action::Recover
            | Action::IntegrityAlert
            | Action::UpgradeDataset
            | Action::ChangeOwnPassword => None,
            Action::ViewAccessLog
            | Action::VerifyAccessLog
            | Action::ExportAccessLog
            | Action::Reanchor => Some(Capability::AccessLog),
            Action::ListUsers | Action::AddUser | Action::RevokeUser | Action::ResetPassword => {
                Some(Capability::ManageUsers)
            }
            Action::ListSessions => Some(Capability::ListSessions),
            Action::ListPages => Some(Capability::ViewHeatmaps),
            Action::Import | Action::RemoveGridLayer => Some(Capability::ImportData),
            Action::ReplaySession | Action::ExportSessionFrame => Some(Capability::ReplaySession),
            Action::ManageMasking => Some(Capability::ImportData),
            Action::ViewHeatmap | Action::ViewElements | Action::ViewOverview => {
                Some(Capability::ViewHeatmaps)
            }
            Action::Annotate | Action::ExportHeatmap => Some(Capability::AnnotateHeatmaps),
            Action::RetentionPurge => Some(Capability::RetentionPurge),
            // Editing the policy is the compliance lead's half of PRODUCT.md's "retention
            // purge, data-subject erasure" row, the same cell as erasure.
            Action::EraseSubject | Action::EditPolicy => Some(Capability::EraseSubject),
            Action::ViewCompliance
            | Action::ViewConsent
            | Action::ViewAnomalies
            | Action::ViewImportHealth => Some(Capability::ViewDashboards),
            // It reads the access log, which only compliance leads see.
            Action::ViewComplianceHealth => Some(Capability::AccessLog),
            // Acknowledging is the compliance lead's call, as the report is.
            Action::AcknowledgeAnomaly | Action::ExportReport => Some(Capability::ComplianceReport),
        }
    }
}
