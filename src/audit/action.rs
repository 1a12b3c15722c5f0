//! The actions written to the access log and how each attempt ended. The capability each
//! action needs is the gate's business (`access::matrix`).

/// One kind of access-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A dataset was created.
    CreateDataset,
    /// A successful unlock.
    Login,
    /// A failed unlock, recorded on this device and entered at the next successful unlock.
    LoginFailed,
    /// The workspace was locked (or closed).
    Lock,
    /// Recovery key used to set a password.
    Recover,
    /// The log does not hold this device's stored head, or another integrity alarm.
    IntegrityAlert,
    /// The compliance lead accepted the current log head as this device's anchor.
    Reanchor,
    /// The access log was viewed.
    ViewAccessLog,
    /// The access log and databases were verified.
    VerifyAccessLog,
    /// The access log was exported.
    ExportAccessLog,
    /// The user list was viewed.
    ListUsers,
    /// A user was added.
    AddUser,
    /// A user was revoked (keys rotated).
    RevokeUser,
    /// A user's password was set by someone else.
    ResetPassword,
    /// A user changed their own password.
    ChangeOwnPassword,
    /// The session list was viewed.
    ListSessions,
    /// The page list was viewed.
    ListPages,
    /// Recordings were imported.
    Import,
    /// A session's masked events were opened.
    ReplaySession,
    /// Masking rules were read or changed.
    ManageMasking,
    /// A heatmap was computed for the screen.
    ViewHeatmap,
    /// A page's element table was read.
    ViewElements,
    /// The Overview's figures were read.
    ViewOverview,
    /// Import health (imports, drops, latency) was read.
    ViewImportHealth,
    /// The compliance lead's watch figures (denials, verification, acknowledgements) were read.
    ViewComplianceHealth,
    /// A page's annotations were saved.
    Annotate,
    /// An annotated heatmap PNG was exported.
    ExportHeatmap,
    /// A retention purge ran.
    RetentionPurge,
    /// A data subject was erased.
    EraseSubject,
    /// The retention policy was changed.
    EditPolicy,
    /// The compliance view's receipts and policy were read.
    ViewCompliance,
    /// The consent dashboard was read.
    ViewConsent,
    /// The anomaly list was computed.
    ViewAnomalies,
    /// An anomaly was acknowledged.
    AcknowledgeAnomaly,
    /// The compliance report was exported.
    ExportReport,
    /// A frame of a replay was written to a file.
    ExportSessionFrame,
    /// A format-1 dataset was upgraded to signed membership, policy and log.
    UpgradeDataset,
    /// A warehouse grid layer was removed.
    RemoveGridLayer,
}

impl Action {
    /// Stable name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateDataset => "create-dataset",
            Action::Login => "login",
            Action::LoginFailed => "login-failed",
            Action::Lock => "lock",
            Action::Recover => "recover",
            Action::IntegrityAlert => "integrity-alert",
            Action::Reanchor => "reanchor",
            Action::ViewAccessLog => "view-access-log",
            Action::VerifyAccessLog => "verify-access-log",
            Action::ExportAccessLog => "export-access-log",
            Action::ListUsers => "list-users",
            Action::AddUser => "add-user",
            Action::RevokeUser => "revoke-user",
            Action::ResetPassword => "reset-password",
            Action::ChangeOwnPassword => "change-own-password",
            Action::ListSessions => "list-sessions",
            Action::ListPages => "list-pages",
            Action::Import => "import",
            Action::ReplaySession => "replay-session",
            Action::ManageMasking => "manage-masking",
            Action::ViewHeatmap => "view-heatmap",
            Action::ViewElements => "view-elements",
            Action::ViewOverview => "view-overview",
            Action::ViewImportHealth => "view-import-health",
            Action::ViewComplianceHealth => "view-compliance-health",
            Action::Annotate => "annotate",
            Action::ExportHeatmap => "export-heatmap",
            Action::RetentionPurge => "retention-purge",
            Action::EraseSubject => "erase-subject",
            Action::EditPolicy => "edit-policy",
            Action::ViewCompliance => "view-compliance",
            Action::ViewConsent => "view-consent-dashboard",
            Action::ViewAnomalies => "view-anomalies",
            Action::AcknowledgeAnomaly => "acknowledge-anomaly",
            Action::ExportReport => "export-compliance-report",
            Action::ExportSessionFrame => "export-session-frame",
            Action::RemoveGridLayer => "remove-grid-layer",
            Action::UpgradeDataset => "upgrade-dataset",
        }
    }
}

/// How an attempt ended, as written in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The gate allowed it.
    Allowed,
    /// The gate refused it.
    Denied,
    /// It was allowed but did not complete (or a login failed).
    Failed,
}

impl Outcome {
    /// Stable name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}
