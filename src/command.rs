//! What views ask the app to do, and the names of the workbench's views. Both `app` and `ui`
//! depend on this module and on nothing of each other's but this: views push commands into a
//! queue (nothing a user did in a frame is lost) and the app runs them in order.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::access::{LogFormat, Role};

/// What a view asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Command {
    /// Read the header of the dataset at this folder and select it.
    SelectDataset(PathBuf),
    /// Show a folder picker for a dataset.
    PickDataset,
    /// Unlock the selected dataset with the typed user name and password.
    Unlock,
    /// Lock now: drop keys, connections and decoded data.
    Lock,
    /// Open a view of the workbench (the gate decides whether it may).
    Open(View),
    /// Verify the access log and the databases.
    VerifyLog,
    /// Ask where to save the access log, then export it.
    ExportLog(LogFormat),
    /// Export the access log to this file.
    ExportLogTo(LogFormat, PathBuf),
    /// Add a user with a role and an initial password.
    AddUser(String, Role, Secret),
    /// Set another user's password.
    ResetPassword(String, Secret),
    /// Revoke a user and rotate the keys they held.
    RevokeUser(String),
    /// Choose files to import.
    PickImportFiles,
    /// Choose a folder whose recordings and tables to import.
    PickImportFolder,
    /// Add these files to the import list (chosen or dropped); folders add the importable
    /// files inside them.
    AddImportFiles(Vec<PathBuf>),
    /// Choose a manifest.
    PickManifest,
    /// Start the import in the background.
    StartImport,
    /// Stop the running import after the current session.
    CancelImport,
    /// Choose a warehouse grid file (Parquet or CSV) to import.
    PickGridFile,
    /// Ask to remove this warehouse grid layer (the view asks to confirm).
    AskRemoveGridLayer(i64),
    /// Remove this warehouse grid layer and its bins.
    RemoveGridLayer(i64),
    /// Open the "New dataset" wizard.
    NewDataset,
    /// Create the dataset the wizard describes.
    CreateDataset,
    /// The recovery key is stored: select the new dataset and sign in.
    FinishNewDataset,
    /// Close the wizard.
    CancelNewDataset,
    /// Compute the heatmap the view's choices describe, in the background.
    ComputeHeatmap,
    /// Save the current page's annotations.
    SaveAnnotations,
    /// Ask where to save the annotated PNG, then export it.
    ExportHeatmap,
    /// Export the annotated PNG to this file.
    ExportHeatmapTo(PathBuf),
    /// Replay this session: asks for the purpose unless one was given in this sitting.
    AskReplay(String),
    /// The purpose prompt was answered: open the replay.
    ConfirmReplay,
    /// Close the purpose prompt.
    CancelReplay,
    /// Leave the player for the list.
    CloseReplay,
    /// Store this retention policy.
    SavePolicy(crate::compliance::retention::Policy),
    /// Run a retention purge now.
    RunPurge,
    /// Erase the subject with this identifier or pseudonym.
    EraseSubject(String),
    /// Store the consent target (%) and the restricted regions.
    SaveComplianceSettings(u32, Vec<String>),
    /// Acknowledge the anomaly with this key.
    AcknowledgeAnomaly(String),
    /// Ask where to save the compliance report, then write it.
    ExportReport,
    /// Write the compliance report to this file.
    ExportReportTo(PathBuf),
    /// Read the Overview's figures again for its period and segment.
    RefreshOverview,
    /// Open the heatmap of this page at this viewport class.
    OpenHeatmapAt(String, String),
    /// Open the sessions of this page with frustration.
    OpenFrustratedSessions(String),
}

/// A password on its way from a view to the gate: wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Zeroizing<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The views of the workbench (not web pages, which are "pages" everywhere else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Notices from unlock.
    Overview,
    /// Heatmaps on screenshots (every role).
    Heatmaps,
    /// The session list and the replay player.
    Sessions,
    /// Consent, retention, receipts and erasure.
    Compliance,
    /// The access log (compliance lead).
    AccessLog,
    /// Users and roles (compliance lead).
    Users,
    /// Import recordings (data engineer).
    Import,
}
