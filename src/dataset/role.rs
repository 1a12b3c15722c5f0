//! The four roles, and the key tiers each one holds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::dataset::Tier;

/// A user's role. The role decides both the permission matrix row and the keys in the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages users, reads and verifies the log, erases subjects, reports.
    ComplianceLead,
    /// Explores heatmaps and replays masked sessions.
    Analyst,
    /// Imports data, tunes masking, runs retention.
    DataEngineer,
    /// Reviews and annotates heatmaps; never sees individual sessions.
    UxLiaison,
}

impl Role {
    /// Every role, in the matrix's column order.
    pub const ALL: [Role; 4] = [
        Role::ComplianceLead,
        Role::Analyst,
        Role::DataEngineer,
        Role::UxLiaison,
    ];

    /// The spelling used on the command line, in the header and in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ComplianceLead => "compliance-lead",
            Role::Analyst => "analyst",
            Role::DataEngineer => "data-engineer",
            Role::UxLiaison => "ux-liaison",
        }
    }

    /// Human wording, sentence case.
    pub fn label(self) -> &'static str {
        match self {
            Role::ComplianceLead => "Compliance lead",
            Role::Analyst => "Analyst",
            Role::DataEngineer => "Data engineer",
            Role::UxLiaison => "UX liaison",
        }
    }

    /// The key tiers a slot of this role holds. UX liaisons never hold the recordings key.
    pub fn tiers(self) -> &'static [Tier] {
        match self {
            Role::UxLiaison => &[Tier::Core],
            _ => &Tier::ALL,
        }
    }

    /// Column of this role in the permission matrix.
    pub(crate) fn index(self) -> usize {
        match self {
            Role::ComplianceLead => 0,
            Role::Analyst => 1,
            Role::DataEngineer => 2,
            Role::UxLiaison => 3,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role '{s}': use compliance-lead, analyst, data-engineer or ux-liaison"
                )
            })
    }
}
