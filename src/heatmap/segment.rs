//! Segments: which sessions a heatmap aggregates (date range, device class, region, A/B
//! variant, cohort, survey score band).

use serde::{Deserialize, Serialize};

/// The attributes of one aggregated session (no subject, no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAttrs {
    /// Start day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// desktop, tablet or mobile.
    pub device: String,
    /// Region or jurisdiction.
    pub region: String,
    /// A/B variant (may be empty).
    pub variant: String,
    /// Cohort (may be empty).
    pub cohort: String,
    /// Survey score 1–5, if answered.
    pub survey_score: Option<i64>,
    /// Who, as a keyed bucket shared by few people (the k floor counts these).
    pub subject: u32,
}

/// A filter over sessions; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// First day, inclusive (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// Device class.
    pub device: Option<String>,
    /// Region or jurisdiction.
    pub region: Option<String>,
    /// A/B variant.
    pub variant: Option<String>,
    /// Cohort.
    pub cohort: Option<String>,
    /// Survey score band, inclusive (sessions without an answer never match a band).
    pub score: Option<(i64, i64)>,
}

impl Segment {
    /// Whether a session belongs to the segment.
    pub fn matches(&self, s: &SessionAttrs) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        self.from.as_deref().is_none_or(|f| s.day.as_str() >= f)
            && self.to.as_deref().is_none_or(|t| s.day.as_str() <= t)
            && eq(&self.device, &s.device)
            && eq(&self.region, &s.region)
            && eq(&self.variant, &s.variant)
            && eq(&self.cohort, &s.cohort)
            && self
                .score
                .is_none_or(|(lo, hi)| s.survey_score.is_some_and(|v| (lo..=hi).contains(&v)))
    }

    /// Whether it filters nothing.
    pub fn is_all(&self) -> bool {
        *self == Segment::default()
    }

    /// A short description for legends, footers and the access log.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (&self.from, &self.to) {
            (Some(f), Some(t)) => parts.push(format!("{f} to {t}")),
            (Some(f), None) => parts.push(format!("from {f}")),
            (None, Some(t)) => parts.push(format!("until {t}")),
            (None, None) => {}
        }
        for (name, value) in [
            ("device", &self.device),
            ("region", &self.region),
            ("variant", &self.variant),
            ("cohort", &self.cohort),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} {v}"));
            }
        }
        if let Some((lo, hi)) = self.score {
            parts.push(format!("survey score {lo}-{hi}"));
        }
        if parts.is_empty() {
            "all sessions".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(day: &str, region: &str, score: Option<i64>) -> SessionAttrs {
        SessionAttrs {
            subject: 0,
            day: day.into(),
            device: "desktop".into(),
            region: region.into(),
            variant: "A".into(),
            cohort: String::new(),
            survey_score: score,
        }
    }

    #[test]
    fn every_filter_narrows() {
        let s = attrs("2026-11-05", "EU", Some(4));
        assert!(Segment::default().matches(&s));
        let range = Segment {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-05".into()),
            ..Segment::default()
        };
        assert!(range.matches(&s));
        assert!(!range.matches(&attrs("2026-11-06", "EU", None)));
        let region = Segment {
            region: Some("US".into()),
            ..Segment::default()
        };
        assert!(!region.matches(&s));
        let band = Segment {
            score: Some((4, 5)),
            ..Segment::default()
        };
        assert!(band.matches(&s));
        assert!(!band.matches(&attrs("2026-11-05", "EU", None)));
        assert_eq!(band.describe(), "survey score 4-5");
        assert_eq!(Segment::default().describe(), "all sessions");
    }
}
