//! Typed errors of the Sightline core, and the exit code each one maps to.
//!
//! Messages name files, users and roles, never passwords, keys or recorded content.

use std::path::PathBuf;
use std::time::Duration;

use crate::access::{Capability, Role};

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Unknown user or wrong password: deliberately one message for both.
    #[error("Wrong user name or password.")]
    BadCredentials,

    /// Too many failed attempts on this device; wait before the next one.
    #[error("Too many failed attempts. Try again in {} s.", retry_after.as_secs().max(1))]
    LockedOut {
        /// How long until the next attempt is accepted.
        retry_after: Duration,
    },

    /// The role may not do this. The denial has been written to the access log.
    #[error("Access denied: {capability} is not permitted for the {role} role.")]
    Denied {
        /// The acting user's role.
        role: Role,
        /// What was attempted.
        capability: Capability,
    },

    /// Tampered or corrupted data, a broken log chain or a rolled-back dataset.
    #[error("Integrity problem: {0}")]
    Integrity(String),

    /// The request itself is not acceptable (a user that exists already, a weak password, …).
    #[error("{0}")]
    Invalid(String),

    /// Another process holds the dataset in a way that prevents this operation.
    #[error("{0}")]
    Busy(String),

    /// Reading or writing a file failed.
    #[error("Could not {action} {}: {source}", path.display())]
    Io {
        /// What we were doing ("read", "write", "create", …).
        action: &'static str,
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// The database refused an operation for a reason other than integrity.
    #[error("Database error in {file}: {message}")]
    Database {
        /// Which database file.
        file: &'static str,
        /// SQLite's message (never contains row values).
        message: String,
    },

    /// The folder is not a Sightline dataset, or one of an unsupported format.
    #[error("{0}")]
    Format(String),

    /// The operating system's random number generator failed.
    #[error("The system random number generator failed.")]
    Random,
}

impl Error {
    /// The CLI exit code for this error (see docs/CLI.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadCredentials | Self::LockedOut { .. } => 3,
            Self::Denied { .. } => 4,
            Self::Integrity(_) => 5,
            _ => 1,
        }
    }

    /// Wraps an I/O error with the file it concerns.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
