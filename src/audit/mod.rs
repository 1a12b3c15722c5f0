//! The audit trail, below the gate: the hash-chained, signed access log, its anchor in the OS
//! keychain, the login back-off kept on this device, and the vocabulary they record (actions
//! and outcomes). It knows nothing of the gate; `access` writes to it.

mod action;
pub mod anchor;
pub mod log;
pub mod throttle;

pub use action::{Action, Outcome};
