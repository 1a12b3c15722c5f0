//! Key tiers: each tier is one SQLCipher database with its own random key.

use serde::{Deserialize, Serialize};

/// A group of data protected by one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// `core.db`: pages, screenshots, heatmap points, users, policy, the access log.
    Core,
    /// `recordings.db`: sessions and their masked event streams, subject pseudonyms.
    Recordings,
}

impl Tier {
    /// Every tier, in the order keys are packed into a key box.
    pub const ALL: [Tier; 2] = [Tier::Core, Tier::Recordings];

    /// Stable name used in file names and associated data.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Recordings => "recordings",
        }
    }

    /// The database file name for this tier at a key epoch. Epoch 0 keeps the plain name.
    pub fn file_name(self, epoch: u32) -> String {
        if epoch == 0 {
            format!("{}.db", self.as_str())
        } else {
            format!("{}.{epoch}.db", self.as_str())
        }
    }
}
