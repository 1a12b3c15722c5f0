//! A minimal mirror of the recorded DOM: for each node id, its parent, a selector, whether it
//! is the document, whether it is interactive, and which privacy markers apply to it or an
//! ancestor. No text and no attribute values other than id and classes are kept.

use std::collections::HashMap;

use crate::ingest::rrweb::event;

use crate::privacy::markers::{Effect, MaskingRule};
use crate::privacy::pii;

/// What the importer needs to know about a node.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The node's parent id (0 for none).
    pub parent: i64,
    /// A masked CSS-like selector (`button#send.primary`).
    pub selector: String,
    /// A document node (scrolls on it move the page).
    pub is_document: bool,
    /// The node or an ancestor is a link, button, field or has an interactive role.
    pub interactive: bool,
    /// The node or an ancestor is blocked.
    pub blocked: bool,
    /// The node or an ancestor is masked.
    pub masked: bool,
    /// The node or an ancestor is ignored.
    pub ignored: bool,
}

impl Node {
    /// How kept events name this node: its selector, unless a marker blocks it.
    pub fn target(&self) -> &str {
        if self.blocked {
            "[blocked element]"
        } else {
            &self.selector
        }
    }
}

/// Node ids of the current page.
#[derive(Debug, Default)]
pub struct Mirror {
    nodes: HashMap<i64, Node>,
}

const INTERACTIVE_TAGS: &[&str] = &[
    "a", "button", "input", "select", "textarea", "label", "summary", "option", "details",
];
const INTERACTIVE_ROLES: &[&str] = &[
    "button", "link", "checkbox", "menuitem", "tab", "switch", "radio", "option", "textbox",
];

impl Mirror {
    /// Forgets every node (a new full snapshot).
    pub fn clear(&mut self) {
        self.nodes.clear();
    }

    /// A node by id.
    pub fn get(&self, id: i64) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// Removes a node (its descendants become unreachable and are ignored).
    pub fn remove(&mut self, id: i64) {
        self.nodes.remove(&id);
    }

    /// Adds a serialized node and its subtree under `parent`. Iterative, so deep trees cannot
    /// exhaust the stack; returns how many nodes were added.
    pub fn add_tree(&mut self, root: &event::Node, parent: i64, rules: &[MaskingRule]) -> usize {
        let mut stack = vec![(root, parent)];
        let mut added = 0;
        while let Some((raw, parent)) = stack.pop() {
            let Some(id) = raw.id else { continue };
            let node = self.make_node(raw.kind, raw.tag.as_deref(), &raw.attributes, parent, rules);
            self.nodes.insert(id, node);
            added += 1;
            for child in raw.children.iter().rev() {
                stack.push((child, id));
            }
        }
        added
    }

    /// Updates class-dependent flags after an attribute mutation.
    pub fn set_attributes(
        &mut self,
        id: i64,
        attributes: &event::Attributes,
        rules: &[MaskingRule],
    ) {
        let Some(old) = self.nodes.get(&id).cloned() else {
            return;
        };
        let tag = old
            .selector
            .split(['#', '.'])
            .next()
            .unwrap_or("")
            .to_owned();
        let mut updated = self.make_node(Some(2), Some(&tag), attributes, old.parent, rules);
        // Attribute mutations list only what changed: keep what was already known.
        updated.blocked |= old.blocked;
        updated.masked |= old.masked;
        updated.ignored |= old.ignored;
        updated.interactive |= old.interactive;
        if !attributes.has("class") && !attributes.has("id") {
            updated.selector = old.selector;
        }
        self.nodes.insert(id, updated);
    }

    fn make_node(
        &self,
        node_type: Option<i64>,
        tag: Option<&str>,
        attributes: &event::Attributes,
        parent: i64,
        rules: &[MaskingRule],
    ) -> Node {
        let inherited = self.nodes.get(&parent).cloned().unwrap_or_default();
        let mut node = Node {
            parent,
            selector: String::new(),
            is_document: node_type == Some(0),
            interactive: inherited.interactive,
            blocked: inherited.blocked,
            masked: inherited.masked,
            ignored: inherited.ignored,
        };
        if node_type != Some(2) {
            node.selector = match node_type {
                Some(0) => "document".into(),
                Some(3) => "#text".into(),
                _ => String::new(),
            };
            return node;
        }
        let tag = tag.unwrap_or("element").to_ascii_lowercase();
        let classes: Vec<String> = attributes
            .class
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        for rule in rules {
            if rule.matches(&classes, attributes.names.iter().map(String::as_str)) {
                match rule.effect {
                    Effect::Block => node.blocked = true,
                    Effect::Mask => node.masked = true,
                    Effect::Ignore => node.ignored = true,
                }
            }
        }
        // rrweb marks blocked elements itself by replacing their attributes with a size.
        if attributes.has("rr_width") && attributes.has("rr_height") {
            node.blocked = true;
        }
        let role = attributes.role.as_deref().unwrap_or("");
        node.interactive |= INTERACTIVE_TAGS.contains(&tag.as_str())
            || INTERACTIVE_ROLES.contains(&role)
            || attributes.has("onclick")
            || attributes.has("tabindex");
        let mut selector = tag;
        if let Some(id) = attributes.id.as_deref().filter(|s| !s.is_empty()) {
            selector.push('#');
            selector.push_str(id);
        }
        for class in classes.iter().take(2) {
            selector.push('.');
            selector.push_str(class);
        }
        node.selector = pii::redact(&selector).0.into_owned();
        node
    }
}
