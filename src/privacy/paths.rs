//! Path rules: a data engineer's regular expression and replacement for page URLs (like
//! PostHog's path cleaning), applied to the path before the built-in identifier collapsing of
//! [`crate::privacy::url::page_pattern`]. Stored with the masking rules, so they are signed.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One rule: every match of `pattern` in a URL's path becomes `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRule {
    /// A regular expression (Rust `regex` syntax; linear time, so no input can stall it).
    pub pattern: String,
    /// What matches become; `$1` and `${name}` refer to groups.
    pub replacement: String,
}

/// How a path rule sits in the `masking_rules` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPathRule {
    /// The rule.
    pub path: PathRule,
}

/// Compiled rules must stay small: a pattern is a rule, not a program.
const MAX_COMPILED: usize = 1 << 20;

impl PathRule {
    /// How reports and the CLI name the rule.
    pub fn describe(&self) -> String {
        format!("path {} → {}", self.pattern, self.replacement)
    }

    fn compile(&self) -> Result<Regex> {
        let bad = |why: String| {
            Error::Invalid(format!(
                "The path rule '{}' cannot be used: {why}.",
                self.pattern.chars().take(80).collect::<String>()
            ))
        };
        if self.pattern.is_empty() {
            return Err(bad("the pattern is empty".into()));
        }
        if self.replacement.contains(['?', '#']) {
            return Err(bad("a replacement cannot add a query or fragment".into()));
        }
        regex::RegexBuilder::new(&self.pattern)
            .size_limit(MAX_COMPILED)
            .build()
            .map_err(|e| bad(e.to_string().lines().last().unwrap_or("").trim().to_owned()))
    }

    /// Checks that the rule can be applied, in words for the user.
    pub fn validate(&self) -> Result<()> {
        self.compile().map(drop)
    }
}

/// The path rules of a dataset, compiled.
#[derive(Debug, Default, Clone)]
pub struct PathRules {
    rules: Vec<(PathRule, Regex)>,
}

impl PathRules {
    /// Compiles `rules`; one that cannot be compiled is an error.
    pub fn new(rules: &[PathRule]) -> Result<PathRules> {
        let rules = rules
            .iter()
            .map(|r| Ok((r.clone(), r.compile()?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(PathRules { rules })
    }

    /// The page pattern of `url` after the rules: each rule that changed the path is passed to
    /// `fired`.
    pub fn page_pattern(&self, url: &str, mut fired: impl FnMut(&PathRule)) -> String {
        let (head, path) = crate::privacy::url::split_path(url);
        let placeholders = self.placeholders();
        let mut path = path.to_owned();
        for (rule, regex) in &self.rules {
            let replaced = regex.replace_all(&path, rule.replacement.as_str());
            if replaced != path {
                fired(rule);
                path = replaced.into_owned();
            }
        }
        crate::privacy::url::page_pattern_keeping(&format!("{head}{path}"), &placeholders)
    }

    /// The `:word` placeholders the rules' replacements write.
    fn placeholders(&self) -> Vec<String> {
        self.rules
            .iter()
            .flat_map(|(r, _)| r.replacement.split('/'))
            .filter(|seg| {
                seg.len() > 1
                    && seg.starts_with(':')
                    && seg[1..].chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_rewrite_paths_before_identifiers_are_collapsed() -> Result<()> {
        let rules = PathRules::new(&[PathRule {
            pattern: "^/patients/[^/]+".into(),
            replacement: "/patients/:name".into(),
        }])?;
        let mut fired = 0;
        let p = rules.page_pattern("https://h.test/patients/jane-doe/notes?x=1", |_| fired += 1);
        assert_eq!(p, "https://h.test/patients/:name/notes");
        assert_eq!(fired, 1);
        let p = rules.page_pattern("https://h.test/inbox", |_| fired += 1);
        assert_eq!((p.as_str(), fired), ("https://h.test/inbox", 1));
        Ok(())
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for (pattern, replacement) in [("(", "x"), ("", "x"), ("/a", "/b?c")] {
            let rule = PathRule {
                pattern: pattern.into(),
                replacement: replacement.into(),
            };
            assert!(
                rule.validate()
                    .is_err_and(|e| e.to_string().contains("cannot be used")),
                "{pattern}"
            );
        }
    }
}
