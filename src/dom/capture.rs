//! From rrweb's serialized DOM to the masked [`DomNode`]s an import keeps. What is kept is
//! decided here, node by node, so nothing unmasked is ever built into a stored value:
//! - text: masked ([`mask_text`]); a stylesheet's text: sanitised ([`css`]);
//! - attributes: an allowlist (layout and state words); ids and classes mapped like selectors;
//!   `style` sanitised; values of fields masked; links become `#`; everything else dropped;
//! - media (images, video, canvas, frames, SVG, embeds) and blocked elements: neutral boxes;
//! - scripts, `noscript`, `base`, `meta` and comments: dropped.

use std::collections::HashMap;

use crate::dom::mask::mask_text;
use crate::dom::raw::{self, AttributeValue, Attributes};
use crate::dom::{DomChange, DomNode, DomOp, DomTrack, css};
use crate::privacy::identifiers;
use crate::privacy::masking::{Effects, Element, Masking, RuleRef};
use crate::session::MASKED_VALUE;

/// Class given to media replaced by a box.
pub const MEDIA_CLASS: &str = "sl-media";
/// Class given to blocked elements.
pub const BLOCKED_CLASS: &str = "sl-blocked";

/// Deepest subtree followed; deeper nodes are dropped (a hostile file cannot exhaust memory
/// through nesting alone, and renderers recurse).
const MAX_DEPTH: usize = 256;
/// Most nodes kept per page.
const MAX_NODES: usize = 200_000;

/// What happens to text. Only a test of rendering fidelity may keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextPolicy {
    /// Every character masked (imports always use this).
    Mask,
    /// Text kept as recorded: for comparing renders with screenshots in tests, never stored.
    KeepForFidelityTest,
}

/// What is known of a kept node, to place later changes.
#[derive(Debug)]
struct Known {
    tag: String,
    effects: Effects,
    parent: Option<i64>,
    kids: Vec<i64>,
    /// An element's attributes as recorded (values only while capturing, for re-checking
    /// the masking rules when they change; never stored).
    attrs: Vec<(String, Option<String>)>,
}

impl Known {
    fn new(tag: &str, effects: Effects, parent: Option<i64>) -> Known {
        Known {
            tag: tag.to_owned(),
            effects,
            parent,
            kids: Vec::new(),
            attrs: Vec::new(),
        }
    }
}

/// Builds a session's [`DomTrack`] from its content events, in time order.
pub struct DomCapture<'a> {
    masking: &'a Masking,
    policy: TextPolicy,
    known: HashMap<i64, Known>,
    /// The document node of the current page (scrolls on it move the window).
    document: Option<i64>,
    changes: Vec<DomChange>,
    nodes: usize,
}

fn px(v: Option<&AttributeValue<'_>>) -> Option<f64> {
    let n: f64 = v?.as_str()?.trim().trim_end_matches("px").parse().ok()?;
    (n.is_finite() && (0.0..=100_000.0).contains(&n)).then_some(n)
}

/// Attributes whose value is a size or count.
const NUMERIC: &[&str] = &[
    "width", "height", "colspan", "rowspan", "span", "size", "cols", "rows", "start",
];

/// An attribute value kept as written: a short number for sizes and counts, otherwise empty
/// (a boolean attribute) or UI vocabulary (`email`, `button`, `true`), nothing that could be
/// a name or a number of a person.
fn plain_value(name: &str, value: &str) -> bool {
    let v = value.trim();
    if NUMERIC.contains(&name) {
        let digits = v.trim_end_matches('%').trim_end_matches("px");
        return !digits.is_empty()
            && digits.len() <= 5
            && digits.chars().all(|c| c.is_ascii_digit());
    }
    v.is_empty() || identifiers::is_ui_name(v)
}

const MEDIA: &[&str] = &[
    "img", "video", "audio", "canvas", "iframe", "frame", "svg", "picture", "object", "embed",
];
const DROPPED: &[&str] = &[
    "script", "noscript", "base", "meta", "template", "frameset", "portal",
];
const VOID_INPUTS: &[&str] = &["button", "submit", "reset"];

impl<'a> DomCapture<'a> {
    /// A capture under `masking`'s rules.
    pub fn new(masking: &'a Masking, policy: TextPolicy) -> DomCapture<'a> {
        DomCapture {
            masking,
            policy,
            known: HashMap::new(),
            document: None,
            changes: Vec::new(),
            nodes: 0,
        }
    }

    fn key(&self) -> &[u8; 32] {
        self.masking.identifier_key()
    }

    fn text(&self, s: &str) -> String {
        match self.policy {
            TextPolicy::Mask => mask_text(s),
            TextPolicy::KeepForFidelityTest => s.to_owned(),
        }
    }

    /// A text node's text: as written (PII redacted) under an unmask rule, masked otherwise.
    fn text_under(&self, s: &str, effects: &Effects) -> String {
        if self.policy == TextPolicy::Mask && effects.shows_text() {
            crate::privacy::pii::redact(s).0.into_owned()
        } else {
            self.text(s)
        }
    }

    fn push(&mut self, t: i64, op: DomOp) {
        self.changes.push(DomChange { t, op });
    }

    fn know(&mut self, id: i64, known: Known) {
        if let Some(p) = known.parent.and_then(|p| self.known.get_mut(&p)) {
            p.kids.push(id);
        }
        self.known.insert(id, known);
        self.nodes += 1;
    }

    /// Forgets a node and everything under it.
    fn forget(&mut self, id: i64) {
        let Some(k) = self.known.remove(&id) else {
            return;
        };
        if let Some(p) = k.parent.and_then(|p| self.known.get_mut(&p)) {
            p.kids.retain(|c| *c != id);
        }
        self.nodes = self.nodes.saturating_sub(1);
        let mut stack = k.kids;
        while let Some(c) = stack.pop() {
            if let Some(k) = self.known.remove(&c) {
                self.nodes = self.nodes.saturating_sub(1);
                stack.extend(k.kids);
            }
        }
    }

    /// A full snapshot (`data.node` of a type 2 event).
    pub fn snapshot(&mut self, t: i64, document: &raw::Node<'_>) {
        self.known.clear();
        self.nodes = 0;
        self.document = document.id;
        let html = document
            .children
            .iter()
            .find(|n| n.kind == Some(2) && tag_of(n).as_deref() == Some("html"));
        if let Some(html) = html
            && let Some(root) = self.node(html, Effects::default(), None, 0)
        {
            self.push(t, DomOp::Snapshot { root });
        }
    }

    /// An incremental mutation (`data` of a type 3, source 0 event), in rrweb's replay order:
    /// removes, adds, texts, attributes.
    pub fn mutation(&mut self, t: i64, data: &raw::Data<'_>) {
        for r in &data.removes {
            if let Some(id) = r.id
                && self.known.contains_key(&id)
            {
                self.forget(id);
                self.push(t, DomOp::Remove { id });
            }
        }
        for a in &data.adds {
            let (Some(parent), Some(node)) = (a.parent_id, &a.node) else {
                continue;
            };
            let Some((tag, effects)) = self.known.get(&parent).map(|k| (k.tag.clone(), k.effects))
            else {
                continue;
            };
            if effects.block.is_some() || self.nodes >= MAX_NODES {
                continue;
            }
            // An add of a node already on the page moves it (and its subtree).
            if let Some(id) = node.id
                && self.known.contains_key(&id)
            {
                self.forget(id);
            }
            if let Some(node) = self.node(node, effects, Some((parent, &tag)), 1) {
                let next = a.next_id;
                self.push(t, DomOp::Add { parent, next, node });
            }
        }
        for x in &data.texts {
            let Some(id) = x.id else { continue };
            let Some(k) = self.known.get(&id) else {
                continue;
            };
            let raw = x.value.as_deref().unwrap_or_default();
            let s = match k.tag.as_str() {
                "#style" => css::sanitise_sheet(raw, self.key()),
                "#field" if !raw.is_empty() => MASKED_VALUE.to_owned(),
                "#field" => String::new(),
                _ => {
                    let effects = k.effects;
                    self.text_under(raw, &effects)
                }
            };
            self.push(t, DomOp::Text { id, s });
        }
        for m in &data.attributes {
            let Some(id) = m.id else { continue };
            if self
                .known
                .get(&id)
                .is_none_or(|k| k.effects.block.is_some())
            {
                continue;
            }
            self.recheck(t, id, &m.attributes);
            // The rules again, after the change: a newly blocked element takes nothing more.
            let Some((tag, effects)) = self.known.get(&id).map(|k| (k.tag.clone(), k.effects))
            else {
                continue;
            };
            if effects.block.is_some() {
                continue;
            }
            for (name, value) in &m.attributes.0 {
                let name = name.to_ascii_lowercase();
                if !kept_attribute(&name) {
                    continue;
                }
                let value = match value {
                    AttributeValue::Text(v) | AttributeValue::Scalar(v) => {
                        self.attribute(&tag, &name, v, &effects, None)
                    }
                    AttributeValue::Removed | AttributeValue::False => None,
                    // A style diff object cannot be merged safely here: left as it was.
                    AttributeValue::Other => continue,
                };
                self.push(t, DomOp::Attr { id, name, value });
            }
        }
    }

    /// An input (`data` of a type 3, source 5 event): the field shows the mask, or nothing
    /// when a rule ignores it.
    pub fn input(&mut self, t: i64, data: &raw::Data<'_>) {
        let Some(id) = data.id else { return };
        let Some(k) = self.known.get(&id) else { return };
        if k.effects.block.is_some() || k.effects.ignore.is_some() || k.tag == "select" {
            return;
        }
        let typed = data.text.as_deref().unwrap_or_default();
        let value = (!typed.is_empty()).then(|| MASKED_VALUE.to_owned());
        self.push(
            t,
            DomOp::Attr {
                id,
                name: "value".into(),
                value,
            },
        );
    }

    /// A scroll (`data` of a type 3, source 3 event) of an element inside the page.
    pub fn scroll(&mut self, t: i64, id: i64, x: f64, y: f64) {
        if Some(id) == self.document || !self.known.contains_key(&id) {
            return;
        }
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        self.push(
            t,
            DomOp::Scroll {
                id,
                x: x.clamp(0.0, 1.0e6) as f32,
                y: y.clamp(0.0, 1.0e6) as f32,
            },
        );
    }

    /// The track, times relative to `start_ms`.
    pub fn finish(mut self, start_ms: i64) -> DomTrack {
        for c in &mut self.changes {
            c.t = c.t.saturating_sub(start_ms).max(0);
        }
        self.changes.sort_by_key(|c| c.t);
        DomTrack {
            changes: self.changes,
        }
    }

    /// One serialized node and its subtree, or `None` when it is not kept. Iterative over
    /// children would need an explicit stack of partial nodes; depth is bounded instead.
    fn node(
        &mut self,
        raw: &raw::Node<'_>,
        inherited: Effects,
        parent: Option<(i64, &str)>,
        depth: usize,
    ) -> Option<DomNode> {
        let parent_tag = parent.map(|(_, tag)| tag);
        let parent_id = parent.map(|(id, _)| id);
        if depth > MAX_DEPTH || self.nodes >= MAX_NODES {
            return None;
        }
        let id = raw.id?;
        // An id can be on the page once: a second node with it is left out with its subtree.
        if self.known.contains_key(&id) {
            return None;
        }
        match raw.kind? {
            3 => {
                if inherited.block.is_some() {
                    return None;
                }
                let raw_text = raw.text.as_deref().unwrap_or_default();
                let style = parent_tag == Some("style");
                let s = if style {
                    css::sanitise_sheet(raw_text, self.key())
                } else if parent_tag == Some("textarea") && !raw_text.is_empty() {
                    MASKED_VALUE.to_owned()
                } else {
                    self.text_under(raw_text, &inherited)
                };
                let tag = match parent_tag {
                    Some("style") => "#style",
                    Some("textarea") => "#field",
                    _ => "#text",
                };
                self.know(id, Known::new(tag, inherited, parent_id));
                Some(DomNode::Text { id, s })
            }
            2 => self.element(id, raw, inherited, parent_id, depth),
            _ => None,
        }
    }

    fn element(
        &mut self,
        id: i64,
        raw: &raw::Node<'_>,
        inherited: Effects,
        parent: Option<i64>,
        depth: usize,
    ) -> Option<DomNode> {
        let tag = tag_of(raw)?;
        if DROPPED.contains(&tag.as_str()) {
            return None;
        }
        let attrs = &raw.attributes;
        let class_list: Vec<String> = attrs
            .text("class")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let pairs: Vec<(String, Option<String>)> = attrs
            .0
            .iter()
            .map(|(k, v)| {
                let value = v.as_str().filter(|v| v.len() <= 256).map(str::to_owned);
                (k.to_ascii_lowercase(), value)
            })
            .collect();
        let element = Element {
            tag: &tag,
            id: attrs.text("id"),
            classes: &class_list,
            attributes: &pairs,
        };
        let mut effects = match self.policy {
            TextPolicy::Mask => self.masking.effects(&element),
            TextPolicy::KeepForFidelityTest => Effects::default(),
        };
        effects.inherit(&inherited);
        if attrs.has("rr_width") || attrs.has("rr_height") {
            effects.block = effects.block.or(Some(RuleRef::Recorder));
        }
        // Fields and editable areas hold what people write: an unmask rule never reaches in.
        if matches!(tag.as_str(), "input" | "textarea" | "select" | "option")
            || attrs.has("contenteditable")
        {
            effects.mask = effects.mask.or(Some(RuleRef::Recorder));
        }
        let blocked = effects.block.is_some();

        // A stylesheet link becomes a <style> with its captured text; other links go.
        if tag == "link" {
            let css = attrs.text("_cssText")?;
            return Some(self.style_element(id, css, effects, parent));
        }
        if tag == "style"
            && let Some(css) = attrs.text("_cssText")
        {
            return Some(self.style_element(id, css, effects, parent));
        }

        let media = MEDIA.contains(&tag.as_str());
        let mut out_tag = tag.clone();
        let mut a: Vec<(String, String)> = Vec::new();
        let mut style = String::new();
        let mut classes: Vec<String> = class_list
            .iter()
            .take(32)
            .map(|c| identifiers::css_ident(self.key(), "class", c))
            .collect();
        if media || blocked {
            if media {
                out_tag = "span".into();
                classes.push(MEDIA_CLASS.into());
            }
            if blocked {
                classes.push(BLOCKED_CLASS.into());
            }
            let w = px(attrs.get("rr_width")).or_else(|| px(attrs.get("width")));
            let h = px(attrs.get("rr_height")).or_else(|| px(attrs.get("height")));
            if let Some(w) = w {
                style.push_str(&format!("width:{w:.0}px;"));
            }
            if let Some(h) = h {
                style.push_str(&format!("height:{h:.0}px;"));
            }
        }
        for (name, value) in &attrs.0 {
            let name = name.to_ascii_lowercase();
            if name == "class" || !kept_attribute(&name) {
                continue;
            }
            // A box keeps what shapes it (id, class, type, size), never what it held.
            if media && !matches!(name.as_str(), "id" | "style") {
                continue;
            }
            if blocked && matches!(name.as_str(), "value" | "placeholder" | "href") {
                continue;
            }
            let Some(v) = value.as_str() else { continue };
            if let Some(v) = self.attribute(&tag, &name, v, &effects, Some(attrs)) {
                if name == "style" {
                    style.push_str(&v);
                } else {
                    a.push((name, v));
                }
            }
        }
        if !classes.is_empty() {
            a.push(("class".into(), classes.join(" ")));
        }
        if !style.is_empty() {
            a.push(("style".into(), style));
        }
        let mut known = Known::new(&out_tag, effects, parent);
        known.attrs = pairs;
        self.know(id, known);
        let mut children = Vec::new();
        if !(media || blocked) {
            for child in &raw.children {
                if let Some(c) = self.node(child, effects, Some((id, &tag)), depth + 1) {
                    children.push(c);
                }
            }
        }
        Some(DomNode::Element {
            id,
            t: out_tag,
            a,
            c: children,
        })
    }

    fn style_element(
        &mut self,
        id: i64,
        css: &str,
        effects: Effects,
        parent: Option<i64>,
    ) -> DomNode {
        self.know(id, Known::new("style", effects, parent));
        DomNode::Element {
            id,
            t: "style".into(),
            a: Vec::new(),
            // The text node takes a negative id nobody else uses.
            c: vec![DomNode::Text {
                id: -id - 1,
                s: css::sanitise_sheet(css, self.key()),
            }],
        }
    }

    /// An element's attributes changed: the masking rules are tested again (sticky, as the
    /// importer's mirror does). An element that comes under a block rule loses everything
    /// inside it; one under an ignore rule shows no value from then on.
    fn recheck(&mut self, t: i64, id: i64, changes: &Attributes<'_>) {
        if self.policy == TextPolicy::KeepForFidelityTest {
            return;
        }
        let Some(k) = self.known.get_mut(&id) else {
            return;
        };
        if k.tag.starts_with('#') {
            return;
        }
        for (name, value) in &changes.0 {
            let name = name.to_ascii_lowercase();
            k.attrs.retain(|(n, _)| *n != name);
            if let AttributeValue::Text(v) | AttributeValue::Scalar(v) = value {
                let v = (v.len() <= 256).then(|| v.to_string());
                k.attrs.push((name, v));
            }
        }
        let classes: Vec<String> = k
            .attrs
            .iter()
            .find(|(n, _)| n == "class")
            .and_then(|(_, v)| v.as_deref())
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let element = Element {
            tag: &k.tag,
            id: k
                .attrs
                .iter()
                .find(|(n, _)| n == "id")
                .and_then(|(_, v)| v.as_deref()),
            classes: &classes,
            attributes: &k.attrs,
        };
        let mut now = self.masking.effects(&element);
        now.inherit(&k.effects);
        let (was_blocked, was_ignored) = (k.effects.block.is_some(), k.effects.ignore.is_some());
        k.effects = now;
        let kids = k.kids.clone();
        if now.block.is_some() && !was_blocked {
            for kid in kids {
                self.forget(kid);
                self.push(t, DomOp::Remove { id: kid });
            }
            self.push(
                t,
                DomOp::Attr {
                    id,
                    name: "value".into(),
                    value: None,
                },
            );
        } else if now.ignore.is_some() && !was_ignored {
            self.push(
                t,
                DomOp::Attr {
                    id,
                    name: "value".into(),
                    value: None,
                },
            );
        }
    }

    /// One attribute's kept value, or `None` to leave it out.
    fn attribute(
        &self,
        tag: &str,
        name: &str,
        value: &str,
        effects: &Effects,
        all: Option<&Attributes<'_>>,
    ) -> Option<String> {
        let key = self.key();
        match name {
            "id" => Some(identifiers::css_ident(key, "id", value.trim())),
            "class" => Some(
                value
                    .split_whitespace()
                    .take(32)
                    .map(|c| identifiers::css_ident(key, "class", c))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "style" => Some(css::sanitise_inline(value, key)),
            "href" => (tag == "a" || tag == "area").then(|| "#".to_owned()),
            "placeholder" => Some(self.text(value)),
            "value" => {
                let kind = all
                    .and_then(|a| a.text("type"))
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if tag == "input" && VOID_INPUTS.contains(&kind.as_str()) {
                    Some(self.text(value))
                } else if self.policy == TextPolicy::KeepForFidelityTest {
                    Some(value.to_owned())
                } else if effects.ignore.is_some() || !matches!(tag, "input" | "textarea") {
                    None
                } else {
                    (!value.is_empty()).then(|| MASKED_VALUE.to_owned())
                }
            }
            // Checked and selected states are input values: only the fidelity test keeps them.
            "checked" | "selected" => {
                (self.policy == TextPolicy::KeepForFidelityTest).then(String::new)
            }
            _ => plain_value(name, value).then(|| value.trim().to_owned()),
        }
    }
}

/// Attributes that can shape what is drawn; everything else (handlers, data, sources, titles,
/// labels, names, form targets, checked states) is dropped.
fn kept_attribute(name: &str) -> bool {
    matches!(
        name,
        "id" | "class"
            | "style"
            | "type"
            | "role"
            | "dir"
            | "hidden"
            | "disabled"
            | "readonly"
            | "open"
            | "multiple"
            | "colspan"
            | "rowspan"
            | "span"
            | "size"
            | "cols"
            | "rows"
            | "width"
            | "height"
            | "align"
            | "valign"
            | "start"
            | "reversed"
            | "href"
            | "placeholder"
            | "value"
            | "aria-expanded"
            | "aria-hidden"
            | "aria-selected"
            | "aria-current"
            | "aria-pressed"
            | "aria-checked"
            | "checked"
            | "selected"
    )
}

fn tag_of(raw: &raw::Node<'_>) -> Option<String> {
    let t = raw.tag.as_deref()?.to_ascii_lowercase();
    let valid =
        !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    Some(if valid { t } else { "div".into() })
}
