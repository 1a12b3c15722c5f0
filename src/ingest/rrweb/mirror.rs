//! A minimal mirror of the recorded DOM, in memory only: for each node id, its parent, its tag,
//! its attributes (merged across mutations) and the masking rules naming it. What covers a
//! node (its own rules and its ancestors') is looked up when an event arrives, so a marker
//! added to a container later, or a parent that arrives after its child, still covers
//! everything inside. Nothing here is stored: events name nodes through [`Mirror::target`].

use std::collections::HashMap;

use crate::dom::raw::{self, AttributeValue};
use crate::privacy::identifiers;
use crate::privacy::masking::{Effects, Element, Masking, RuleRef, Tallies};

/// How events name a blocked element.
pub const BLOCKED_TARGET: &str = "[blocked element]";
/// How events name an element under an ignore rule.
pub const MASKED_FIELD_TARGET: &str = "[masked field]";

/// Longest ancestor chain followed; deeper (or cyclic) chains count as unknown.
const MAX_DEPTH: usize = 4096;
/// Longest attribute value kept for matching; longer ones (styles, data URLs) count as
/// present without a value. An `id` is matched in full whatever its length.
const MAX_ATTRIBUTE_VALUE: usize = 256;

/// One node as the mirror keeps it.
#[derive(Debug, Clone, Default)]
struct Node {
    parent: i64,
    kind: Option<i64>,
    tag: String,
    classes: Vec<String>,
    attributes: Vec<(String, Option<String>)>,
    /// Rules naming this node itself. They only ever grow: a marker removed later does not
    /// unmask what it covered.
    own: Effects,
}

/// What covers a node at the moment of an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cover {
    /// The rules of the node and all its ancestors.
    pub effects: Effects,
    /// A document node (scrolls on it move the page).
    pub is_document: bool,
    /// The whole ancestor chain is known, up to a root. When it is not, an ancestor the
    /// mirror has not seen might carry a rule.
    pub complete: bool,
}

/// Node ids of the current page.
#[derive(Debug, Default)]
pub struct Mirror {
    nodes: HashMap<i64, Node>,
}

impl Mirror {
    /// Forgets every node (a new full snapshot).
    pub fn clear(&mut self) {
        self.nodes.clear();
    }

    /// Removes a node (its descendants become unreachable: their chain is incomplete).
    pub fn remove(&mut self, id: i64) {
        self.nodes.remove(&id);
    }

    /// Adds a serialized node and its subtree under `parent`. Iterative, so deep trees cannot
    /// exhaust the stack; returns how many nodes were added.
    pub fn add_tree(
        &mut self,
        root: &raw::Node<'_>,
        parent: i64,
        masking: &Masking,
        tallies: &mut Tallies,
    ) -> usize {
        let mut stack = vec![(root, parent)];
        let mut added = 0;
        while let Some((serialized, parent)) = stack.pop() {
            let Some(id) = serialized.id else { continue };
            let mut node = Node {
                parent,
                kind: serialized.kind,
                tag: serialized
                    .tag
                    .as_deref()
                    .unwrap_or("element")
                    .to_ascii_lowercase(),
                ..Node::default()
            };
            if serialized.kind == Some(2) {
                node.update(&serialized.attributes, masking, tallies);
            }
            self.nodes.insert(id, node);
            added += 1;
            for child in serialized.children.iter().rev() {
                stack.push((child, id));
            }
        }
        added
    }

    /// Merges an attribute mutation into a node and applies the rules to the result.
    pub fn set_attributes(
        &mut self,
        id: i64,
        attributes: &raw::Attributes<'_>,
        masking: &Masking,
        tallies: &mut Tallies,
    ) {
        if let Some(node) = self.nodes.get_mut(&id) {
            node.update(attributes, masking, tallies);
        }
    }

    /// What covers node `id` now; `None` for a node the mirror does not know.
    pub fn cover(&self, id: i64) -> Option<Cover> {
        let node = self.nodes.get(&id)?;
        let mut cover = Cover {
            effects: node.own,
            is_document: node.kind == Some(0),
            complete: false,
        };
        let mut parent = node.parent;
        for _ in 0..MAX_DEPTH {
            if parent == 0 {
                cover.complete = true;
                break;
            }
            let Some(up) = self.nodes.get(&parent) else {
                break;
            };
            cover.effects.inherit(&up.own);
            parent = up.parent;
        }
        Some(cover)
    }

    /// How a kept event names node `id`: its selector (identifiers hashed), unless a rule
    /// hides it.
    pub fn target(&self, id: i64, cover: &Cover, masking: &Masking) -> String {
        if cover.effects.block.is_some() {
            return BLOCKED_TARGET.to_owned();
        }
        if cover.effects.ignore.is_some() {
            return MASKED_FIELD_TARGET.to_owned();
        }
        match self.nodes.get(&id) {
            Some(n) if n.kind == Some(2) => {
                let value = |name: &str| {
                    n.attributes
                        .iter()
                        .find(|(a, _)| a == name)
                        .and_then(|(_, v)| v.as_deref())
                };
                identifiers::selector(
                    masking.identifier_key(),
                    &n.tag,
                    value("id"),
                    &n.classes,
                    value("role"),
                )
            }
            Some(n) if n.kind == Some(0) => "document".to_owned(),
            Some(n) if n.kind == Some(3) => "#text".to_owned(),
            _ => "element".to_owned(),
        }
    }
}

impl Node {
    /// Merges `changes` (`null` or `false` removes an attribute) and adds the rules that name
    /// the node now.
    fn update(&mut self, changes: &raw::Attributes<'_>, masking: &Masking, tallies: &mut Tallies) {
        // The id is matched in full even when it is too long to keep as a value.
        let mut full_id = None;
        for (name, value) in &changes.0 {
            // HTML attribute names are case-insensitive: `CLASS` is the class.
            let name = name.to_ascii_lowercase();
            self.attributes.retain(|(n, _)| *n != name);
            // Only strings are kept as values: a number or `true` counts as present with no
            // value, so that value tests match it, to be safe.
            let text = match value {
                AttributeValue::Text(t) => Some(t.as_ref()),
                _ => None,
            };
            if name == "class" {
                self.classes = text
                    .unwrap_or("")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
            }
            if name == "id" {
                full_id = text.map(str::to_owned);
            }
            if *value != AttributeValue::Removed {
                let kept = text
                    .filter(|t| t.len() <= MAX_ATTRIBUTE_VALUE)
                    .map(str::to_owned);
                self.attributes.push((name, kept));
            }
        }
        let id = full_id.or_else(|| self.value("id").map(str::to_owned));
        let element = Element {
            tag: &self.tag,
            id: id.as_deref(),
            classes: &self.classes,
            attributes: &self.attributes,
        };
        let mut now = masking.effects(&element);
        // rrweb marks elements it blocked itself by replacing their attributes with a size.
        if self.value_present("rr_width") && self.value_present("rr_height") {
            now.block = now.block.or(Some(RuleRef::Recorder));
        }
        now.inherit(&self.own);
        masking.count_elements(&self.own, &now, tallies);
        self.own = now;
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn value_present(&self, name: &str) -> bool {
        self.attributes.iter().any(|(n, _)| n == name)
    }
}
