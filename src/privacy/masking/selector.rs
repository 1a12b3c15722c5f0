//! The CSS selectors masking rules may use: compound selectors (`tag`, `#id`, `.class`,
//! `[attr]`, `[attr=v]`, `^=`, `$=`, `*=`, `~=`, `|=`) in comma lists. Combinators are refused:
//! a rule covers the matched element's whole subtree, so naming the element itself is enough,
//! and a matcher that only looks at one element cannot be fooled by the order nodes arrive in.

use crate::error::{Error, Result};

/// What a selector looks at on one element. Attribute values are only read in memory, while
/// matching; none of them is ever stored.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    /// Tag name, lower case.
    pub tag: &'a str,
    /// The `id` attribute.
    pub id: Option<&'a str>,
    /// Class names.
    pub classes: &'a [String],
    /// Every attribute: name (lower case) and value (`None` when the value was not kept;
    /// value tests then match, to be safe).
    pub attributes: &'a [(String, Option<String>)],
}

impl Element<'_> {
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Exists,
    Equals,
    Prefix,
    Suffix,
    Contains,
    Word,
    DashPrefix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Id(String),
    Class(String),
    Attribute { name: String, op: Op, value: String },
}

/// One compound selector: an optional tag and parts that must all match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compound {
    tag: Option<String>,
    parts: Vec<Part>,
}

/// A parsed selector list; matches when any of its compounds does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    compounds: Vec<Compound>,
}

impl Selector {
    /// Parses a selector list, naming what is wrong in plain words.
    pub fn parse(text: &str) -> Result<Selector> {
        let compounds = text
            .split(',')
            .map(|c| {
                let c = c.trim();
                if c.is_empty() {
                    return Err(invalid(text, "an empty selector in the list"));
                }
                if c.contains(|ch: char| ch.is_whitespace() || matches!(ch, '>' | '+' | '~'))
                    && !inside_brackets_only(c)
                {
                    return Err(invalid(
                        text,
                        "combinators (space, >, +, ~) are not supported; a rule already covers \
                         everything inside the element it names, so name that element",
                    ));
                }
                Compound::parse(c).map_err(|why| invalid(text, why))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Selector { compounds })
    }

    /// Whether the element matches any compound of the list.
    pub fn matches(&self, element: &Element<'_>) -> bool {
        self.compounds.iter().any(|c| c.matches(element))
    }
}

fn invalid(text: &str, why: &str) -> Error {
    let shown: String = text.chars().take(80).collect();
    Error::Invalid(format!("The selector '{shown}' cannot be used: {why}."))
}

/// Whether every whitespace or combinator character sits inside `[…]` (a quoted value).
fn inside_brackets_only(c: &str) -> bool {
    let mut depth = 0i32;
    for ch in c.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            ch if (ch.is_whitespace() || matches!(ch, '>' | '+' | '~')) && depth <= 0 => {
                return false;
            }
            _ => {}
        }
    }
    true
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_')
}

impl Compound {
    fn parse(text: &str) -> std::result::Result<Compound, &'static str> {
        let mut rest = text;
        let name_end = |s: &str| s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        let mut compound = Compound {
            tag: None,
            parts: Vec::new(),
        };
        if let Some(r) = rest.strip_prefix('*') {
            rest = r;
        } else {
            let end = name_end(rest);
            if end > 0 {
                compound.tag = Some(rest[..end].to_ascii_lowercase());
                rest = &rest[end..];
            }
        }
        while let Some(first) = rest.chars().next() {
            rest = &rest[first.len_utf8()..];
            match first {
                '#' | '.' => {
                    let end = name_end(rest);
                    if end == 0 {
                        return Err("a # or . must be followed by a name");
                    }
                    let name = rest[..end].to_owned();
                    rest = &rest[end..];
                    compound.parts.push(if first == '#' {
                        Part::Id(name)
                    } else {
                        Part::Class(name)
                    });
                }
                '[' => {
                    let close = rest.find(']').ok_or("a [ is not closed")?;
                    compound.parts.push(parse_attribute(&rest[..close])?);
                    rest = &rest[close + 1..];
                }
                _ => return Err("only tags, #id, .class and [attribute] are supported"),
            }
        }
        if compound.tag.is_none() && compound.parts.is_empty() && !text.starts_with('*') {
            return Err("nothing to match");
        }
        Ok(compound)
    }

    fn matches(&self, e: &Element<'_>) -> bool {
        if self.tag.as_deref().is_some_and(|t| t != e.tag) {
            return false;
        }
        self.parts.iter().all(|part| match part {
            Part::Id(id) => e.id == Some(id.as_str()),
            Part::Class(class) => e.classes.iter().any(|c| c == class),
            Part::Attribute { name, op, value } => match e.attribute(name) {
                None => false,
                Some(found) => op_matches(*op, found, value),
            },
        })
    }
}

fn parse_attribute(inner: &str) -> std::result::Result<Part, &'static str> {
    let inner = inner.trim();
    let ops = [
        ("^=", Op::Prefix),
        ("$=", Op::Suffix),
        ("*=", Op::Contains),
        ("~=", Op::Word),
        ("|=", Op::DashPrefix),
        ("=", Op::Equals),
    ];
    let found = ops
        .iter()
        .filter_map(|(s, op)| inner.find(s).map(|i| (i, *s, *op)))
        .min_by_key(|(i, _, _)| *i);
    let (name, op, value) = match found {
        Some((i, s, op)) => (&inner[..i], op, &inner[i + s.len()..]),
        None => (inner, Op::Exists, ""),
    };
    let name = name.trim();
    if name.is_empty() || !name.chars().all(is_name_char) {
        return Err("an attribute selector needs a plain attribute name");
    }
    let mut value = value.trim();
    // A trailing ` i` asks for case-insensitive matching, which is what we always do.
    if let Some(v) = value
        .strip_suffix(" i")
        .or_else(|| value.strip_suffix(" I"))
    {
        value = v.trim_end();
    }
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
        .unwrap_or(value);
    if op != Op::Exists && unquoted.is_empty() {
        return Err("an attribute test needs a value");
    }
    Ok(Part::Attribute {
        name: name.to_ascii_lowercase(),
        op,
        value: unquoted.to_ascii_lowercase(),
    })
}

/// Values compare without regard to ASCII case: HTML treats `type` and `autocomplete` that
/// way, and a rule that matches more is the safe side of privacy.
fn op_matches(op: Op, found: Option<&str>, wanted: &str) -> bool {
    if op == Op::Exists {
        return true;
    }
    // A value that was not kept (too long, or not a string) cannot be ruled out: a rule that
    // matches more is the safe side.
    let Some(found) = found else { return true };
    let found = found.trim().as_bytes();
    let wanted = wanted.as_bytes();
    let starts = found.len() >= wanted.len() && found[..wanted.len()].eq_ignore_ascii_case(wanted);
    match op {
        Op::Exists => true,
        Op::Equals => found.eq_ignore_ascii_case(wanted),
        Op::Prefix => starts,
        Op::Suffix => {
            found.len() >= wanted.len()
                && found[found.len() - wanted.len()..].eq_ignore_ascii_case(wanted)
        }
        Op::Contains => found
            .windows(wanted.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(wanted)),
        Op::Word => found
            .split(u8::is_ascii_whitespace)
            .any(|w| w.eq_ignore_ascii_case(wanted)),
        Op::DashPrefix => {
            found.eq_ignore_ascii_case(wanted) || (starts && found.get(wanted.len()) == Some(&b'-'))
        }
    }
}

/// Reads the elements named in a recorded selector string (`form#f > input.x[type=tel]`).
/// Pseudo-classes and pseudo-elements (`:nth-child(2)`, `::before`) are set aside; the flag
/// says whether every part could be read.
pub fn elements_in(selector: &str) -> (Vec<OwnedElement>, bool) {
    let mut out = Vec::new();
    let mut whole = true;
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let part = strip_pseudo(current.trim());
        if !part.is_empty() {
            match Compound::parse(&part) {
                Ok(c) => out.push(OwnedElement::from(c)),
                Err(_) => whole = false,
            }
        }
        current.clear();
    };
    let (mut brackets, mut parens) = (0i32, 0i32);
    for ch in selector.chars() {
        match ch {
            '[' => brackets += 1,
            ']' => brackets -= 1,
            '(' => parens += 1,
            ')' => parens -= 1,
            _ => {}
        }
        let outside = brackets <= 0 && parens <= 0;
        if outside && (ch.is_whitespace() || matches!(ch, '>' | '+' | '~' | ',')) {
            flush(&mut current);
        } else {
            current.push(ch);
        }
    }
    flush(&mut current);
    if brackets != 0 || parens != 0 {
        whole = false;
    }
    (out, whole)
}

/// A compound without its pseudo-classes and pseudo-elements (`a.x:hover::after` → `a.x`).
fn strip_pseudo(compound: &str) -> String {
    let mut out = String::with_capacity(compound.len());
    let (mut in_pseudo, mut brackets, mut parens) = (false, 0i32, 0i32);
    for ch in compound.chars() {
        match ch {
            '[' if parens == 0 => {
                brackets += 1;
                in_pseudo = false;
            }
            ']' if parens == 0 => brackets -= 1,
            '(' if in_pseudo => parens += 1,
            ')' if in_pseudo => parens -= 1,
            ':' if brackets == 0 && parens == 0 => in_pseudo = true,
            '.' | '#' if brackets == 0 && parens == 0 => in_pseudo = false,
            _ => {}
        }
        if !in_pseudo {
            out.push(ch);
        }
    }
    out
}

/// An element described by a selector string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedElement {
    /// Tag name, lower case (`element` when none was given).
    pub tag: String,
    /// `#id`.
    pub id: Option<String>,
    /// `.class` names.
    pub classes: Vec<String>,
    /// `[attr]` and `[attr=value]` parts.
    pub attributes: Vec<(String, Option<String>)>,
}

impl OwnedElement {
    /// The element as selectors see it.
    pub fn view(&self) -> Element<'_> {
        Element {
            tag: &self.tag,
            id: self.id.as_deref(),
            classes: &self.classes,
            attributes: &self.attributes,
        }
    }
}

impl From<Compound> for OwnedElement {
    fn from(c: Compound) -> Self {
        let mut e = OwnedElement {
            tag: c.tag.unwrap_or_else(|| "element".into()),
            ..OwnedElement::default()
        };
        for part in c.parts {
            match part {
                Part::Id(id) => e.id = Some(id),
                Part::Class(class) => e.classes.push(class),
                Part::Attribute { name, op, value } => e
                    .attributes
                    .push((name, (op == Op::Equals).then_some(value))),
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el<'a>(
        tag: &'a str,
        classes: &'a [String],
        attributes: &'a [(String, Option<String>)],
    ) -> Element<'a> {
        Element {
            tag,
            id: None,
            classes,
            attributes,
        }
    }

    #[test]
    fn compound_selectors_match_tags_classes_and_attribute_tests() -> Result<()> {
        let attrs = vec![
            ("type".to_owned(), Some("Password".to_owned())),
            ("autocomplete".to_owned(), Some("cc-number".to_owned())),
        ];
        let classes = vec!["field".to_owned()];
        let e = el("input", &classes, &attrs);
        assert!(Selector::parse("input[type=password]")?.matches(&e));
        assert!(Selector::parse("[autocomplete^=\"cc-\"]")?.matches(&e));
        assert!(Selector::parse("input.field")?.matches(&e));
        assert!(Selector::parse("textarea, .field")?.matches(&e));
        assert!(!Selector::parse("input[type=email]")?.matches(&e));
        assert!(!Selector::parse("input.other")?.matches(&e));
        assert!(!Selector::parse("[data-private]")?.matches(&e));
        Ok(())
    }

    #[test]
    fn combinators_and_garbage_are_refused_with_a_reason() {
        for bad in ["form input", "div > p", "", "#", "[=x]", "a:hover", "[a"] {
            let err = Selector::parse(bad).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("cannot be used")),
                "{bad:?}: {err:?}"
            );
        }
        assert!(Selector::parse("[aria-label='first name']").is_ok());
    }

    #[test]
    fn recorded_selector_strings_read_as_elements() {
        let (found, whole) = elements_in("form#signup > input#phone.big[type=tel]");
        assert!(whole);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].tag, "input");
        assert_eq!(found[1].id.as_deref(), Some("phone"));
        assert_eq!(found[1].attributes[0].1.as_deref(), Some("tel"));
        // Pseudo-classes are set aside, so the marker before them still counts.
        let (found, whole) = elements_in("div.rr-block:nth-child(2) > input:focus");
        assert!(whole);
        assert_eq!(found[0].classes, ["rr-block"]);
        assert_eq!(found[1].tag, "input");
        let (_, whole) = elements_in("div[data-x > input");
        assert!(!whole);
    }
}
