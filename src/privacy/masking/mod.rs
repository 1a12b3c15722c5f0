//! Masking rules with rrweb's meanings, and the compiled set an import applies. A rule names
//! elements by class, attribute or CSS selector; its effect covers the element and everything
//! inside it:
//! - **block**: nothing inside is kept; events on it are dropped and it is named only as
//!   `[blocked element]`;
//! - **mask**: text and values inside are replaced; interactions are kept;
//! - **ignore**: input events on it are dropped; clicks are kept as on `[masked field]`;
//! - **unmask**: the page replay shows its text as written (PII redacted), unless a mask or
//!   block rule, a field or an editable area inside says otherwise; events are unchanged.
//!
//! The rules live in `core.db` (`masking_rules`) and are part of the signed policy.

pub mod selector;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use selector::{Element, Selector};

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Keep nothing of the element but its box: no events inside.
    Block,
    /// Keep the element and its interactions, replace its text and values.
    Mask,
    /// Keep clicks on the element, drop its input events.
    Ignore,
    /// Static UI chrome (navigation, headings, buttons) whose text the page replay may show
    /// as written: never fields, never content a person wrote (a `mask` or `block` rule, a
    /// field or an editable area inside wins), and PII shapes are still redacted.
    Unmask,
}

impl Effect {
    /// The CLI's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Block => "block",
            Effect::Mask => "mask",
            Effect::Ignore => "ignore",
            Effect::Unmask => "unmask",
        }
    }

    /// From the CLI's name.
    pub fn parse(s: &str) -> Option<Effect> {
        [Effect::Block, Effect::Mask, Effect::Ignore, Effect::Unmask]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// How a rule finds elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "on", content = "name")]
pub enum Marker {
    /// A class name, e.g. `rr-block`.
    Class(String),
    /// An attribute name, e.g. `data-private`; a trailing `*` matches a prefix.
    Attribute(String),
    /// A CSS selector list of compound selectors, e.g. `input[type=password]`.
    Selector(String),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskingRule {
    /// What to look for.
    pub marker: Marker,
    /// What it does.
    pub effect: Effect,
}

impl MaskingRule {
    /// How reports and the CLI name the rule: `attribute data-private → ignore`.
    pub fn describe(&self) -> String {
        let (on, name) = self.marker.parts();
        format!("{on} {name} → {}", self.effect.as_str())
    }

    /// Checks that the rule can be applied, in words for the user.
    pub fn validate(&self) -> Result<()> {
        match &self.marker {
            Marker::Selector(s) => Selector::parse(s).map(drop),
            Marker::Class(n) | Marker::Attribute(n) => {
                let plain = n.trim_end_matches('*');
                if plain.is_empty()
                    || !plain
                        .chars()
                        .all(|c| c.is_alphanumeric() || "-_:".contains(c))
                {
                    Err(Error::Invalid(format!(
                        "'{}' is not a class or attribute name.",
                        n.chars().take(80).collect::<String>()
                    )))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl Marker {
    /// The kind of marker and its text.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Marker::Class(n) => ("class", n),
            Marker::Attribute(n) => ("attribute", n),
            Marker::Selector(n) => ("selector", n),
        }
    }
}

/// The rules every new dataset starts with: sensitive form fields by type and autocomplete
/// hint, Sightline's own classes, and the markers of rrweb, PostHog, Microsoft Clarity,
/// Matomo, FullStory, LogRocket and OpenReplay. `docs/PRIVACY.md` explains each.
pub fn default_rules() -> Vec<MaskingRule> {
    let rule = |marker, effect| MaskingRule { marker, effect };
    let class = |n: &str, effect| rule(Marker::Class(n.into()), effect);
    let attr = |n: &str, effect| rule(Marker::Attribute(n.into()), effect);
    let select = |n: &str, effect| rule(Marker::Selector(n.into()), effect);
    vec![
        // Secrets: not even the number of keystrokes is kept.
        select("input[type=password]", Effect::Ignore),
        select("[autocomplete^=cc-]", Effect::Ignore),
        select("[autocomplete=one-time-code]", Effect::Ignore),
        select(
            "[autocomplete^=current-password], [autocomplete^=new-password]",
            Effect::Ignore,
        ),
        // Contact details: typing is kept as masked input.
        select("input[type=email], input[type=tel]", Effect::Mask),
        select("[autocomplete=email], [autocomplete^=tel]", Effect::Mask),
        class("sl-block", Effect::Block),
        class("sl-mask", Effect::Mask),
        class("sl-ignore", Effect::Ignore),
        attr("data-private", Effect::Block),
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
        attr("data-openreplay-hidden", Effect::Block),
        attr("data-openreplay-obscured", Effect::Mask),
        attr("data-openreplay-*", Effect::Mask),
    ]
}

/// A rule ready to test elements.
#[derive(Debug, Clone)]
enum Matcher {
    Class(String),
    Attribute { name: String, prefix: bool },
    Selector(Selector),
}

impl Matcher {
    fn new(marker: &Marker) -> Result<Matcher> {
        Ok(match marker {
            Marker::Class(n) => Matcher::Class(n.clone()),
            Marker::Attribute(n) => match n.strip_suffix('*') {
                Some(prefix) => Matcher::Attribute {
                    name: prefix.to_ascii_lowercase(),
                    prefix: true,
                },
                None => Matcher::Attribute {
                    name: n.to_ascii_lowercase(),
                    prefix: false,
                },
            },
            Marker::Selector(s) => Matcher::Selector(Selector::parse(s)?),
        })
    }

    fn matches(&self, e: &Element<'_>) -> bool {
        match self {
            Matcher::Class(name) => e.classes.iter().any(|c| c == name),
            // Recorded attribute names are lower case already (the importer folds them).
            Matcher::Attribute { name, prefix } => e.attributes.iter().any(|(a, _)| {
                if *prefix {
                    a.starts_with(name.as_str())
                } else {
                    a == name
                }
            }),
            Matcher::Selector(s) => s.matches(e),
        }
    }
}

/// Which rule (by index in the set) puts an element under each effect; inherited by
/// everything inside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    /// The blocking rule.
    pub block: Option<RuleRef>,
    /// The masking rule.
    pub mask: Option<RuleRef>,
    /// The ignoring rule.
    pub ignore: Option<RuleRef>,
    /// The unmasking rule (page replay text only).
    pub unmask: Option<RuleRef>,
}

/// A rule of the set, or the recorder itself (rrweb marks elements it blocked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    /// Rule `i` of the set.
    Rule(usize),
    /// The recorder blocked the element before we saw it.
    Recorder,
    /// The element was never seen (no snapshot holds it, or one of its ancestors), so no rule
    /// can be ruled out: its input is not kept.
    Unseen,
}

impl Effects {
    /// Adds what `other` says (an ancestor's or an earlier attribute state), keeping the
    /// first rule found for each effect.
    pub fn inherit(&mut self, other: &Effects) {
        self.block = self.block.or(other.block);
        self.mask = self.mask.or(other.mask);
        self.ignore = self.ignore.or(other.ignore);
        self.unmask = self.unmask.or(other.unmask);
    }

    /// Whether the page replay may show this element's text as written.
    pub fn shows_text(&self) -> bool {
        self.unmask.is_some() && self.mask.is_none() && self.block.is_none()
    }
}

/// What one rule did during an import, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RuleTally {
    /// Elements the rule named directly (not counting their insides).
    pub elements: u64,
    /// Events the rule removed.
    pub events_removed: u64,
    /// Input values the rule's mask replaced.
    pub values_masked: u64,
    /// Clicks kept but named only as on a masked field.
    pub targets_hidden: u64,
    /// Page URLs a path rule rewrote.
    pub urls_rewritten: u64,
}

impl RuleTally {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &RuleTally) {
        self.elements += other.elements;
        self.events_removed += other.events_removed;
        self.values_masked += other.values_masked;
        self.targets_hidden += other.targets_hidden;
        self.urls_rewritten += other.urls_rewritten;
    }
}

/// Tallies by rule description.
pub type Tallies = BTreeMap<String, RuleTally>;

/// The rules of one import, compiled, with the path rules and the key that hashes
/// identifiers in selectors.
#[derive(Debug)]
pub struct Masking {
    rules: Vec<(MaskingRule, Matcher)>,
    /// Path rules for page URLs.
    pub paths: crate::privacy::paths::PathRules,
    key: zeroize::Zeroizing<[u8; 32]>,
}

/// How the recorder's own blocks are named in reports.
pub const RECORDER_BLOCK: &str = "recorder's own block (rr_width/rr_height)";
/// How input on elements never seen is named in reports.
pub const UNSEEN: &str = "input on an element not in any snapshot";

impl Masking {
    /// Compiles the rules; a rule that cannot be applied stops the import rather than letting
    /// what it should hide through.
    pub fn new(
        rules: &[MaskingRule],
        paths: crate::privacy::paths::PathRules,
        key: [u8; 32],
    ) -> Result<Masking> {
        let rules = rules
            .iter()
            .map(|r| Ok((r.clone(), Matcher::new(&r.marker)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Masking {
            rules,
            paths,
            key: zeroize::Zeroizing::new(key),
        })
    }

    /// The rules every new dataset starts with, no path rules, and `key`.
    pub fn defaults(key: [u8; 32]) -> Masking {
        let rules = default_rules()
            .into_iter()
            .filter_map(|r| Matcher::new(&r.marker).ok().map(|m| (r, m)))
            .collect();
        Masking {
            rules,
            paths: crate::privacy::paths::PathRules::default(),
            key: zeroize::Zeroizing::new(key),
        }
    }

    /// Which rules name this element itself (the first rule found for each effect).
    pub fn effects(&self, e: &Element<'_>) -> Effects {
        let mut out = Effects::default();
        for (i, (rule, matcher)) in self.rules.iter().enumerate() {
            let slot = match rule.effect {
                Effect::Block => &mut out.block,
                Effect::Mask => &mut out.mask,
                Effect::Ignore => &mut out.ignore,
                Effect::Unmask => &mut out.unmask,
            };
            if slot.is_none() && matcher.matches(e) {
                *slot = Some(RuleRef::Rule(i));
            }
        }
        out
    }

    /// Counts, for the report, the elements a rule newly names: each effect that `after` has
    /// and `before` had not.
    pub fn count_elements(&self, before: &Effects, after: &Effects, tallies: &mut Tallies) {
        for (was, now) in [
            (before.block, after.block),
            (before.mask, after.mask),
            (before.ignore, after.ignore),
            (before.unmask, after.unmask),
        ] {
            if let (None, Some(rule)) = (was, now) {
                self.tally(rule, tallies).elements += 1;
            }
        }
    }

    /// The tally of a rule, created on first use.
    pub fn tally<'t>(&self, rule: RuleRef, tallies: &'t mut Tallies) -> &'t mut RuleTally {
        let name = match rule {
            RuleRef::Rule(i) => self
                .rules
                .get(i)
                .map_or_else(|| format!("rule {i}"), |(r, _)| r.describe()),
            RuleRef::Recorder => RECORDER_BLOCK.to_owned(),
            RuleRef::Unseen => UNSEEN.to_owned(),
        };
        tallies.entry(name).or_default()
    }

    /// The key that hashes identifiers in selectors.
    pub fn identifier_key(&self) -> &[u8; 32] {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_rule_compiles_and_describes_itself() {
        for rule in default_rules() {
            assert!(rule.validate().is_ok(), "{rule:?}");
            assert!(rule.describe().contains(rule.effect.as_str()));
        }
    }

    #[test]
    fn defaults_name_password_card_and_private_fields() {
        let m = Masking::defaults([7; 32]);
        let attrs = |pairs: &[(&str, &str)]| -> Vec<(String, Option<String>)> {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), Some((*v).to_owned())))
                .collect()
        };
        let check = |tag: &str, a: Vec<(String, Option<String>)>| {
            m.effects(&Element {
                tag,
                id: None,
                classes: &[],
                attributes: &a,
            })
        };
        let pw = check("input", attrs(&[("type", "password")]));
        assert!(pw.ignore.is_some() && pw.block.is_none());
        let cc = check("input", attrs(&[("autocomplete", "cc-number")]));
        assert!(cc.ignore.is_some());
        let tel = check("input", attrs(&[("type", "tel")]));
        assert!(tel.mask.is_some() && tel.ignore.is_none());
        let private = check("div", attrs(&[("data-private", "")]));
        assert!(private.block.is_some());
        let plain = check("input", attrs(&[("type", "text")]));
        assert_eq!(plain, Effects::default());
        // Elements are counted once per rule that newly names them.
        let mut tallies = Tallies::new();
        m.count_elements(&Effects::default(), &pw, &mut tallies);
        m.count_elements(&pw, &pw, &mut tallies);
        assert_eq!(tallies.values().map(|t| t.elements).sum::<u64>(), 1);
    }
}
