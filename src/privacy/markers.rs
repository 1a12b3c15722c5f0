//! Vendors' privacy markers on recorded elements, and what each means for us. Blocked elements
//! keep only their box; masked ones lose their text; ignored ones lose their input events. The
//! rules live in the dataset (`masking_rules`) so data engineers can add their own.

use serde::{Deserialize, Serialize};

/// What a marker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Keep nothing of the element but its box.
    Block,
    /// Keep the element, drop its text.
    Mask,
    /// Keep the element, drop its input events' values (values are always masked anyway).
    Ignore,
}

/// Where a marker is found on an element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "on", content = "name")]
pub enum Marker {
    /// A class name, e.g. `rr-block`.
    Class(String),
    /// An attribute name, e.g. `data-private`; a trailing `*` matches a prefix.
    Attribute(String),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskingRule {
    /// What to look for.
    pub marker: Marker,
    /// What it does.
    pub effect: Effect,
}

/// The rules every new dataset starts with: rrweb, PostHog, Microsoft Clarity, Matomo,
/// FullStory, LogRocket-style `data-private`, and OpenReplay.
pub fn default_rules() -> Vec<MaskingRule> {
    let class = |n: &str, effect| MaskingRule {
        marker: Marker::Class(n.into()),
        effect,
    };
    let attr = |n: &str, effect| MaskingRule {
        marker: Marker::Attribute(n.into()),
        effect,
    };
    vec![
        class("rr-block", Effect::Block),
        class("rr-mask", Effect::Mask),
        class("rr-ignore", Effect::Ignore),
        class("ph-no-capture", Effect::Block),
        class("ph-mask", Effect::Mask),
        class("ph-sensitive", Effect::Block),
        class("fs-exclude", Effect::Block),
        class("fs-mask", Effect::Mask),
        attr("data-clarity-mask", Effect::Mask),
        attr("data-matomo-mask", Effect::Mask),
        attr("data-private", Effect::Mask),
        attr("data-openreplay-hidden", Effect::Block),
        attr("data-openreplay-obscured", Effect::Mask),
        attr("data-openreplay-*", Effect::Mask),
    ]
}

impl MaskingRule {
    /// Whether an element with these classes and attribute names carries this marker.
    pub fn matches<'a>(
        &self,
        classes: &[String],
        mut attributes: impl Iterator<Item = &'a str>,
    ) -> bool {
        match &self.marker {
            Marker::Class(name) => classes.iter().any(|c| c == name),
            Marker::Attribute(name) => match name.strip_suffix('*') {
                Some(prefix) => attributes.any(|a| a.starts_with(prefix)),
                None => attributes.any(|a| a == name),
            },
        }
    }
}
