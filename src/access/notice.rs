//! Messages for the person who just unlocked: what happened since their last sign-in, and
//! how loudly to say it.

use serde::Serialize;

/// How loudly a notice should be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    /// Good to know.
    Info,
    /// Something the user should act on.
    Warning,
    /// Tampering, corruption or a rollback.
    Integrity,
}

/// A message for the person who just unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// How loudly.
    pub level: NoticeLevel,
    /// What to say.
    pub text: String,
}

impl Notice {
    /// An informational notice.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
        }
    }
    /// A warning.
    pub fn warning(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Warning,
            text: text.into(),
        }
    }
    /// An integrity alarm.
    pub fn integrity(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Integrity,
            text: text.into(),
        }
    }
}
