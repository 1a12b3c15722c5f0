//! Roles, the permission matrix and the access gate ([`Workspace`]). The log it writes lives
//! below it, in [`crate::audit`]; the paths here are kept for callers.

mod compliance;
mod data;
mod elements;
mod grid;
mod heatmap_store;
pub mod heatmaps;
mod listing;
mod log_view;
mod matrix;
mod notice;
mod open;
mod overview;
pub mod replay;
mod rotate;
pub(crate) mod sealed_policy;
mod sign_in;
mod upgrade;
mod users;
mod workspace;

pub use crate::audit::anchor::Keychain;
pub use crate::audit::log::{ChainProblem, ChainReport, Head, LogEntry, LogQuery};
pub use crate::audit::{Action, Outcome, log, throttle};
pub use crate::dataset::Role;
pub use elements::SegmentComparison;
pub use grid::GridReport;
pub use listing::{PageSummary, SessionSummary};
pub use log_view::{LogFormat, VerifyReport};
pub use matrix::Capability;
pub use notice::{Notice, NoticeLevel};
pub use rotate::RotationProgress;
pub use sealed_policy::PolicyKind;
pub(crate) use sealed_policy::seal_all;
pub use users::{UserInfo, check_new_password, check_user_name};
pub(crate) use workspace::Identity;
pub use workspace::{KeyHolders, Workspace};
