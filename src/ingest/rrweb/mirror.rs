//! A minimal mirror of the recorded DOM: for each node id, its parent, its tag, a selector
//! with identifiers hashed, whether it is the document, whether it is interactive, and which
//! masking rules cover it or an ancestor. No text and no attribute values are kept.

use std::collections::HashMap;

use crate::ingest::rrweb::event;
use crate::privacy::identifiers;
use crate::privacy::masking::{Effects, Element, Masking, RuleRef, Tallies};

/// What the importer needs to know about a node.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The node's parent id (0 for none).
    pub parent: i64,
    /// Tag name, lower case.
    pub tag: String,
    /// A selector with identifiers hashed (`button#send.primary`, `li#id:3fa1`).
    pub selector: String,
    /// A document node (scrolls on it move the page).
    pub is_document: bool,
    /// The node or an ancestor is a link, button, field or has an interactive role.
    pub interactive: bool,
    /// The rules covering the node, its own or an ancestor's.
    pub effects: Effects,
}

/// How events name a blocked element.
pub const BLOCKED_TARGET: &str = "[blocked element]";
/// How events name an element under an ignore rule.
pub const MASKED_FIELD_TARGET: &str = "[masked field]";

impl Node {
    /// How kept events name this node: its selector, unless a rule hides it.
    pub fn target(&self) -> &str {
        if self.effects.block.is_some() {
            BLOCKED_TARGET
        } else if self.effects.ignore.is_some() {
            MASKED_FIELD_TARGET
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
    pub fn add_tree(
        &mut self,
        root: &event::Node,
        parent: i64,
        masking: &Masking,
        tallies: &mut Tallies,
    ) -> usize {
        let mut stack = vec![(root, parent)];
        let mut added = 0;
        while let Some((raw, parent)) = stack.pop() {
            let Some(id) = raw.id else { continue };
            let node = self.make_node(
                raw.kind,
                raw.tag.as_deref(),
                &raw.attributes,
                parent,
                masking,
                tallies,
            );
            self.nodes.insert(id, node);
            added += 1;
            for child in raw.children.iter().rev() {
                stack.push((child, id));
            }
        }
        added
    }

    /// Updates a node after an attribute mutation. Rules only ever add: an element that was
    /// masked stays masked when its marker is removed later in the recording.
    pub fn set_attributes(
        &mut self,
        id: i64,
        attributes: &event::Attributes,
        masking: &Masking,
        tallies: &mut Tallies,
    ) {
        let Some(old) = self.nodes.get(&id).cloned() else {
            return;
        };
        let mut updated = self.make_node(
            Some(2),
            Some(&old.tag),
            attributes,
            old.parent,
            masking,
            tallies,
        );
        updated.effects.inherit(&old.effects);
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
        masking: &Masking,
        tallies: &mut Tallies,
    ) -> Node {
        let inherited = self.nodes.get(&parent).cloned().unwrap_or_default();
        let mut node = Node {
            parent,
            tag: String::new(),
            selector: String::new(),
            is_document: node_type == Some(0),
            interactive: inherited.interactive,
            effects: inherited.effects,
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
        let element = Element {
            tag: &tag,
            id: attributes.id.as_deref(),
            classes: &classes,
            attributes: &attributes.pairs,
        };
        let own = masking.effects(&element, tallies);
        let mut effects = own;
        effects.inherit(&node.effects);
        // rrweb marks blocked elements itself by replacing their attributes with a size.
        if attributes.has("rr_width") && attributes.has("rr_height") && effects.block.is_none() {
            effects.block = Some(RuleRef::Recorder);
            masking.tally(RuleRef::Recorder, tallies).elements += 1;
        }
        node.effects = effects;
        let role = attributes.role.as_deref().unwrap_or("");
        node.interactive |= INTERACTIVE_TAGS.contains(&tag.as_str())
            || INTERACTIVE_ROLES.contains(&role)
            || attributes.has("onclick")
            || attributes.has("tabindex");
        node.selector = identifiers::selector(
            masking.identifier_key(),
            &tag,
            attributes.id.as_deref(),
            &classes,
            attributes.role.as_deref(),
        );
        node.tag = tag;
        node
    }
}
