//! Roles, the permission matrix, the access gate ([`Workspace`]) and the hash-chained log.

mod action;
mod anchor;
mod compliance;
mod data;
pub mod heatmaps;
pub mod log;
mod matrix;
pub mod replay;
mod role;
mod rotate;
pub(crate) mod sealed_policy;
pub mod throttle;
mod upgrade;
mod users;
mod workspace;

pub use action::{Action, Outcome};
pub use anchor::Keychain;
pub use log::{ChainProblem, ChainReport, Head, LogEntry, LogQuery};
pub use matrix::Capability;
pub use role::Role;
pub use rotate::RotationProgress;
pub use sealed_policy::PolicyKind;
pub(crate) use sealed_policy::seal_all;
pub use users::{UserInfo, check_new_password, check_user_name};
pub(crate) use workspace::Identity;
pub use workspace::{
    LogFormat, Notice, NoticeLevel, PageSummary, SessionSummary, VerifyReport, Workspace,
};
