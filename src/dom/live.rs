//! The page at one moment: a [`DomTrack`](crate::dom::DomTrack)'s changes applied to a tree of
//! nodes by id, written out as HTML for the renderer. Changes naming missing nodes are
//! tolerated as rrweb's own replayer does: an add whose parent has not arrived waits for it,
//! a missing sibling means "at the end", anything else is skipped.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::dom::{DomNode, DomOp};
use crate::text::escape_html_into;

/// Deepest nesting written out (matches what capture keeps, plus room for adds).
const MAX_DEPTH: usize = 512;
/// Most adds kept waiting for a parent that has not arrived.
const MAX_WAITING: usize = 10_000;
/// Most nodes written out as HTML.
const MAX_HTML_NODES: usize = 400_000;

#[derive(Debug, Clone)]
enum Kind {
    Element {
        tag: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
}

#[derive(Debug, Clone)]
struct Node {
    parent: Option<i64>,
    kind: Kind,
    children: Vec<i64>,
}

/// The live tree.
#[derive(Debug, Clone, Default)]
pub struct LiveDom {
    nodes: HashMap<i64, Node>,
    root: Option<i64>,
    /// Adds waiting for their parent, by parent id.
    waiting: HashMap<i64, Vec<(Option<i64>, DomNode)>>,
    /// How many adds wait (bounded by [`MAX_WAITING`]).
    waiting_count: usize,
    /// Scroll offsets of elements inside the page.
    scrolls: HashMap<i64, (f32, f32)>,
}

/// What the renderer needs on top of the HTML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElementScroll {
    /// The `data-sl-scroll` value written on the element.
    pub key: i64,
    /// Offsets.
    pub x: f32,
    /// Offsets.
    pub y: f32,
}

/// The page's own styles for what capture replaced, and stand-ins for what Blitz lays out
/// unlike browsers (measured against the sample screenshots, `docs/BENCHMARKS.md`): a select
/// is inline-block at the normal line height, sized by its hidden options; an input other
/// than a box or a button sits at the top of its line (Blitz puts its baseline at its bottom
/// edge); a legend sits on its fieldset's border. The input rule is in `:where` so any rule
/// of the page wins over it.
pub const REPLACED_STYLE: &str = "\
.sl-media{display:inline-block;background:#d8dadf;min-width:8px;min-height:8px;\
vertical-align:middle}.sl-blocked{background:#c9ccd3!important;color:transparent!important}\
select{line-height:normal!important;display:inline-block;white-space:nowrap}\
:where(input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])\
:not([type=reset]):not([type=image]):not([type=range]):not([type=color]):not([type=file]))\
{vertical-align:top}\
.sl-size{display:block!important;height:0!important;overflow:hidden!important;\
visibility:hidden!important;padding:0!important;margin:0!important;border:0!important}\
fieldset>legend{position:relative;top:-1.1em;margin-bottom:-1.1em}";

/// The class of the hidden options that give a drawn `select` its width.
const SIZER_CLASS: &str = "sl-size";

/// Collapsed table borders as separated borders with no spacing: Blitz lays collapsed borders
/// out as unpainted gaps and each row a pixel taller than browsers do, while separated
/// borders with no spacing draw the cells' borders at the browser's row pitch (a border on
/// both sides of two cells is drawn twice as thick).
fn separate_borders(css: &str) -> std::borrow::Cow<'_, str> {
    const FROM: &str = "border-collapse";
    let lower = css.to_ascii_lowercase();
    if !lower.contains(FROM) {
        return std::borrow::Cow::Borrowed(css);
    }
    let mut out = String::with_capacity(css.len() + 32);
    let mut rest = 0;
    for (at, _) in lower.match_indices(FROM) {
        if at < rest {
            continue;
        }
        let after = &lower[at + FROM.len()..];
        let value = after.trim_start().strip_prefix(':').map(str::trim_start);
        // `collapse` as a whole word (not `collapsed`, not `collapse\9`).
        let whole = |v: &&str| {
            v.strip_prefix("collapse").is_some_and(|rest| {
                !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || "-_\\".contains(c))
            })
        };
        if let Some(v) = value.filter(whole) {
            let end = lower.len() - v.len() + "collapse".len();
            out.push_str(&css[rest..at]);
            out.push_str("border-collapse:separate;border-spacing:0");
            rest = end;
        }
    }
    out.push_str(&css[rest..]);
    std::borrow::Cow::Owned(out)
}

const VOID: &[&str] = &[
    "area", "br", "col", "embed", "hr", "img", "input", "link", "source", "track", "wbr",
];

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl LiveDom {
    /// Whether there is a page.
    pub fn has_page(&self) -> bool {
        self.root.is_some()
    }

    /// Number of nodes (for memory accounting).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Applies one change.
    pub fn apply(&mut self, op: &DomOp) {
        match op {
            DomOp::Snapshot { root } => {
                self.nodes.clear();
                self.waiting.clear();
                self.waiting_count = 0;
                self.scrolls.clear();
                self.root = Some(root.id());
                self.insert(root.clone(), None);
            }
            DomOp::Add { parent, next, node } => self.add(*parent, *next, node.clone()),
            DomOp::Remove { id } => self.remove(*id),
            DomOp::Text { id, s } => {
                if let Some(Node {
                    kind: Kind::Text(t),
                    ..
                }) = self.nodes.get_mut(id)
                {
                    t.clone_from(s);
                }
            }
            DomOp::Attr { id, name, value } => {
                if let Some(Node {
                    kind: Kind::Element { attrs, .. },
                    ..
                }) = self.nodes.get_mut(id)
                {
                    attrs.retain(|(n, _)| n != name);
                    if let Some(v) = value {
                        attrs.push((name.clone(), v.clone()));
                    }
                }
            }
            DomOp::Scroll { id, x, y } => {
                if self.nodes.contains_key(id) {
                    self.scrolls.insert(*id, (*x, *y));
                }
            }
        }
    }

    /// Adds a subtree under `parent` before `next`, then every add that was waiting for one
    /// of its nodes: a work list, not recursion, so a long chain of waiting adds cannot
    /// exhaust the stack.
    fn add(&mut self, parent: i64, next: Option<i64>, node: DomNode) {
        let mut work = vec![(parent, next, node)];
        while let Some((parent, next, node)) = work.pop() {
            if !self.nodes.contains_key(&parent) {
                if self.waiting_count < MAX_WAITING {
                    self.waiting_count += 1;
                    self.waiting.entry(parent).or_default().push((next, node));
                }
                continue;
            }
            let id = node.id();
            if self.nodes.contains_key(&id) {
                // A move: the node leaves its old place (with its subtree) first.
                self.remove(id);
                if !self.nodes.contains_key(&parent) {
                    // The parent was inside what moved: nowhere to put it.
                    continue;
                }
            }
            let inserted = self.insert(node, Some(parent));
            if inserted.is_empty() {
                continue;
            }
            if let Some(p) = self.nodes.get_mut(&parent) {
                let at = next
                    .and_then(|n| p.children.iter().position(|c| *c == n))
                    .unwrap_or(p.children.len());
                p.children.insert(at, id);
            }
            for done in inserted {
                if let Some(adds) = self.waiting.remove(&done) {
                    self.waiting_count = self.waiting_count.saturating_sub(adds.len());
                    work.extend(adds.into_iter().map(|(n, node)| (done, n, node)));
                }
            }
        }
    }

    /// Inserts a subtree whose root the caller links into its parent; returns the ids
    /// inserted. A node whose id is already in the tree is left out with its subtree, so an
    /// id can never be in two places (which would make writing the page explode).
    fn insert(&mut self, node: DomNode, parent: Option<i64>) -> Vec<i64> {
        let mut stack = vec![(node, parent)];
        let mut inserted = Vec::new();
        while let Some((node, parent)) = stack.pop() {
            let id = node.id();
            if self.nodes.contains_key(&id) {
                continue;
            }
            let (kind, children) = match node {
                DomNode::Element { t, a, c, .. } => (Kind::Element { tag: t, attrs: a }, c),
                DomNode::Text { s, .. } => (Kind::Text(s), Vec::new()),
            };
            self.nodes.insert(
                id,
                Node {
                    parent,
                    kind,
                    children: Vec::new(),
                },
            );
            // The subtree's root is linked by the caller; the others by their parent here.
            if !inserted.is_empty()
                && let Some(p) = parent.and_then(|p| self.nodes.get_mut(&p))
            {
                p.children.push(id);
            }
            inserted.push(id);
            for c in children.into_iter().rev() {
                stack.push((c, Some(id)));
            }
        }
        inserted
    }

    fn remove(&mut self, id: i64) {
        let Some(node) = self.nodes.remove(&id) else {
            return;
        };
        if let Some(p) = node.parent.and_then(|p| self.nodes.get_mut(&p)) {
            p.children.retain(|c| *c != id);
        }
        if self.root == Some(id) {
            self.root = None;
        }
        let mut stack = node.children;
        while let Some(c) = stack.pop() {
            self.scrolls.remove(&c);
            if let Some(n) = self.nodes.remove(&c) {
                stack.extend(n.children);
            }
        }
        self.scrolls.remove(&id);
    }

    /// Scroll offsets of elements, keyed as written in the HTML (`data-sl-scroll`).
    pub fn element_scrolls(&self) -> Vec<ElementScroll> {
        let mut out: Vec<ElementScroll> = self
            .scrolls
            .iter()
            .map(|(&key, &(x, y))| ElementScroll { key, x, y })
            .collect();
        out.sort_by_key(|s| s.key);
        out
    }

    /// How an element is written for the renderer, and what replaces its children: a field
    /// showing its placeholder gets it as a grey value, and a `select` shows its chosen option
    /// followed by an arrow, sized by its widest option as browsers size it (Blitz draws
    /// neither a placeholder nor a select's value).
    fn as_drawn<'a>(
        &self,
        tag: &'a str,
        attrs: &'a [(String, String)],
        children: &[i64],
    ) -> (std::borrow::Cow<'a, [(String, String)]>, Option<String>) {
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        match tag {
            "input" if get("value").is_none_or(str::is_empty) && get("placeholder").is_some() => {
                let mut out: Vec<(String, String)> = attrs.to_vec();
                out.push((
                    "value".into(),
                    get("placeholder").unwrap_or_default().to_owned(),
                ));
                match out.iter_mut().find(|(n, _)| n == "style") {
                    Some((_, v)) => v.push_str(";color:#757575"),
                    None => out.push(("style".into(), "color:#757575".into())),
                }
                (std::borrow::Cow::Owned(out), None)
            }
            "select" => {
                // Options, also those one group down.
                let mut options: Vec<(bool, String)> = Vec::new();
                for n in children.iter().filter_map(|c| self.nodes.get(c)) {
                    let Kind::Element { tag, attrs } = &n.kind else {
                        continue;
                    };
                    match tag.as_str() {
                        "option" => options.push((
                            attrs.iter().any(|(a, _)| a == "selected"),
                            self.text_of(&n.children),
                        )),
                        "optgroup" => {
                            for o in n.children.iter().filter_map(|c| self.nodes.get(c)) {
                                if let Kind::Element { tag, attrs } = &o.kind
                                    && tag == "option"
                                {
                                    options.push((
                                        attrs.iter().any(|(a, _)| a == "selected"),
                                        self.text_of(&o.children),
                                    ));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                let chosen = options
                    .iter()
                    .find(|(selected, _)| *selected)
                    .or(options.first())
                    .map(|(_, text)| text.trim())
                    .unwrap_or_default();
                let mut inner = String::new();
                escape_html_into(&mut inner, chosen);
                inner.push_str(" ▾");
                for (_, text) in &options {
                    let _ = write!(inner, "<option class=\"{SIZER_CLASS}\">");
                    escape_html_into(&mut inner, text.trim());
                    inner.push_str(" ▾</option>");
                }
                let kept: Vec<(String, String)> = attrs
                    .iter()
                    .filter(|(n, _)| {
                        matches!(
                            n.as_str(),
                            "id" | "class" | "style" | "disabled" | "hidden" | "dir" | "lang"
                        )
                    })
                    .cloned()
                    .collect();
                (std::borrow::Cow::Owned(kept), Some(inner))
            }
            _ => (std::borrow::Cow::Borrowed(attrs), None),
        }
    }

    /// The text directly under these nodes.
    fn text_of(&self, children: &[i64]) -> String {
        children
            .iter()
            .filter_map(|c| match &self.nodes.get(c)?.kind {
                Kind::Text(t) => Some(t.as_str()),
                Kind::Element { .. } => None,
            })
            .collect()
    }

    /// The page as HTML, with the styles for replaced content, and `data-sl-scroll` on the
    /// elements that scrolled.
    pub fn to_html(&self) -> String {
        let marked: HashSet<i64> = self.scrolls.keys().copied().collect();
        self.to_html_marking(&marked)
    }

    /// The page as HTML, with `data-sl-scroll` on every element of `marked` (the elements
    /// that scroll at any time of the session, so a layout can be reused across scrolls).
    pub fn to_html_marking(&self, marked: &HashSet<i64>) -> String {
        let mut out = String::with_capacity(64 * self.nodes.len() + 256);
        let mut written = HashSet::new();
        out.push_str("<!DOCTYPE html>");
        let Some(root) = self.root else {
            out.push_str("<html><body></body></html>");
            return out;
        };
        // (id, depth, closing) — iterative so a deep tree cannot exhaust the stack.
        let mut stack = vec![(root, 0usize, false)];
        while let Some((id, depth, closing)) = stack.pop() {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            // Each node once, and a bounded page, whatever the tree holds.
            if !closing && (written.len() >= MAX_HTML_NODES || !written.insert(id)) {
                continue;
            }
            match &node.kind {
                Kind::Text(s) => {
                    let parent_tag = node.parent.and_then(|p| match &self.nodes.get(&p)?.kind {
                        Kind::Element { tag, .. } => Some(tag.as_str()),
                        Kind::Text(_) => None,
                    });
                    if parent_tag == Some("style") {
                        out.push_str(&separate_borders(s).replace("</", "<\\/"));
                    } else {
                        escape_html_into(&mut out, s);
                    }
                }
                Kind::Element { tag, attrs } => {
                    if !valid_name(tag) {
                        continue;
                    }
                    if closing {
                        let _ = write!(out, "</{tag}>");
                        continue;
                    }
                    // What Blitz does not draw itself: placeholders and selects.
                    let (attrs, inner) = self.as_drawn(tag, attrs, &node.children);
                    let _ = write!(out, "<{tag}");
                    for (n, v) in attrs.iter() {
                        if !valid_name(n) {
                            continue;
                        }
                        let _ = write!(out, " {n}=\"");
                        if n == "style" {
                            escape_html_into(&mut out, &separate_borders(v));
                        } else {
                            escape_html_into(&mut out, v);
                        }
                        out.push('"');
                    }
                    if marked.contains(&id) {
                        let _ = write!(out, " data-sl-scroll=\"{id}\"");
                    }
                    out.push('>');
                    if tag == "head" {
                        let _ = write!(out, "<style>{REPLACED_STYLE}</style>");
                    }
                    if VOID.contains(&tag.as_str()) || depth >= MAX_DEPTH {
                        continue;
                    }
                    stack.push((id, depth, true));
                    if let Some(inner) = inner {
                        out.push_str(&inner);
                        continue;
                    }
                    for c in node.children.iter().rev() {
                        stack.push((*c, depth + 1, false));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::capture::{BLOCKED_CLASS, MEDIA_CLASS};

    fn el(id: i64, t: &str, c: Vec<DomNode>) -> DomNode {
        DomNode::Element {
            id,
            t: t.into(),
            a: vec![],
            c,
        }
    }

    fn text(id: i64, s: &str) -> DomNode {
        DomNode::Text { id, s: s.into() }
    }

    #[test]
    fn changes_apply_in_rrweb_order_and_write_html() {
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(
                1,
                "html",
                vec![el(2, "head", vec![]), el(3, "body", vec![text(4, "a<b")])],
            ),
        });
        // A child arrives before its parent, and an insert before a sibling.
        dom.apply(&DomOp::Add {
            parent: 10,
            next: None,
            node: text(11, "••"),
        });
        dom.apply(&DomOp::Add {
            parent: 3,
            next: Some(4),
            node: el(10, "p", vec![]),
        });
        dom.apply(&DomOp::Attr {
            id: 10,
            name: "class".into(),
            value: Some("toast \"x\"".into()),
        });
        let html = dom.to_html();
        assert!(
            html.ends_with("<body><p class=\"toast &quot;x&quot;\">••</p>a&lt;b</body></html>"),
            "{html}"
        );
        assert!(html.contains(REPLACED_STYLE));
        dom.apply(&DomOp::Remove { id: 10 });
        assert!(dom.to_html().ends_with("<body>a&lt;b</body></html>"));
        assert_eq!(dom.len(), 4);
    }

    #[test]
    fn style_text_cannot_close_its_element() {
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(
                1,
                "html",
                vec![el(2, "style", vec![text(3, "a{}</style><script>")])],
            ),
        });
        assert!(!dom.to_html().contains("</style><script>"));
    }

    #[test]
    fn a_repeated_id_is_kept_once_so_the_page_stays_linear() {
        // Each level holds the same id twice: written naively, 2^depth nodes.
        let mut inner = text(999, "•");
        for level in 0..40 {
            inner = el(
                1000 + level,
                "div",
                vec![el(5, "b", vec![]), el(5, "i", vec![]), inner],
            );
        }
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(1, "html", vec![inner]),
        });
        let html = dom.to_html();
        assert_eq!(html.matches("<b>").count() + html.matches("<i>").count(), 1);
        assert!(html.len() < 4_000, "{}", html.len());
        // Moving an ancestor under its own descendant is refused, not a cycle.
        dom.apply(&DomOp::Add {
            parent: 1000,
            next: None,
            node: el(1039, "div", vec![]),
        });
        assert!(dom.to_html().len() < 4_000);
    }

    #[test]
    fn a_long_chain_of_waiting_adds_needs_no_deep_stack() {
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(1, "html", vec![]),
        });
        // Node i waits for node i + 1; the last one's parent arrives at the end.
        let n = MAX_WAITING as i64;
        for i in 0..n {
            dom.apply(&DomOp::Add {
                parent: 100 + i + 1,
                next: None,
                node: el(100 + i, "div", vec![]),
            });
        }
        dom.apply(&DomOp::Add {
            parent: 1,
            next: None,
            node: el(100 + n, "div", vec![]),
        });
        // All were placed, one under the other, without recursion.
        assert_eq!(dom.len(), MAX_WAITING + 2);
        // An add whose parent never comes waits, counted against the bound.
        dom.apply(&DomOp::Add {
            parent: -5,
            next: None,
            node: el(-6, "div", vec![]),
        });
        assert_eq!(dom.waiting_count, 1);
    }

    #[test]
    fn unused_classes_are_named() {
        // The styles name the classes capture gives, and the select sizers.
        assert!(REPLACED_STYLE.contains(MEDIA_CLASS) && REPLACED_STYLE.contains(BLOCKED_CLASS));
        assert!(REPLACED_STYLE.contains(&format!(".{SIZER_CLASS}{{")));
    }

    #[test]
    fn a_select_shows_its_chosen_option_over_sizers_of_every_option() {
        let option = |id: i64, label: &str, selected: bool| DomNode::Element {
            id,
            t: "option".into(),
            a: if selected {
                vec![("selected".into(), String::new())]
            } else {
                vec![]
            },
            c: vec![text(id + 100, label)],
        };
        let select = DomNode::Element {
            id: 3,
            t: "select".into(),
            a: vec![("id".into(), "k".into()), ("onchange".into(), "x()".into())],
            c: vec![option(4, "•• ••••", false), option(5, "○○ <•>", true)],
        };
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(1, "html", vec![el(2, "body", vec![select])]),
        });
        let html = dom.to_html();
        let sizer = |label: &str| format!("<option class=\"{SIZER_CLASS}\">{label} ▾</option>");
        let expected = format!(
            "<select id=\"k\">○○ &lt;•&gt; ▾{}{}</select>",
            sizer("•• ••••"),
            sizer("○○ &lt;•&gt;")
        );
        assert!(html.contains(&expected), "{html}");
        // The options are written once, as sizers, never as the page's own.
        assert_eq!(html.matches("<option").count(), 2);

        // Options in a group count too.
        let grouped = DomNode::Element {
            id: 20,
            t: "select".into(),
            a: vec![("hidden".into(), String::new())],
            c: vec![DomNode::Element {
                id: 21,
                t: "optgroup".into(),
                a: vec![],
                c: vec![option(22, "•••", false), option(23, "●●●●●", false)],
            }],
        };
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(1, "html", vec![el(2, "body", vec![grouped])]),
        });
        let html = dom.to_html();
        assert!(
            html.contains(&format!(
                "<select hidden=\"\">••• ▾{}{}</select>",
                sizer("•••"),
                sizer("●●●●●")
            )),
            "{html}"
        );
    }

    #[test]
    fn collapsed_table_borders_are_drawn_separated_with_no_spacing() {
        assert_eq!(
            separate_borders(
                "table{BORDER-COLLAPSE :  collapse;width:1px}td{border-collapse:separate}"
            ),
            "table{border-collapse:separate;border-spacing:0;width:1px}td{border-collapse:separate}"
        );
        assert_eq!(separate_borders("a{color:red}"), "a{color:red}");
        assert_eq!(
            separate_borders("t{border-collapse:collapsed}"),
            "t{border-collapse:collapsed}"
        );
        // Non-ASCII text before the declaration keeps its bytes.
        assert_eq!(
            separate_borders("/*é*/t{border-collapse:collapse}"),
            "/*é*/t{border-collapse:separate;border-spacing:0}"
        );
        let mut dom = LiveDom::default();
        dom.apply(&DomOp::Snapshot {
            root: el(
                1,
                "html",
                vec![DomNode::Element {
                    id: 2,
                    t: "table".into(),
                    a: vec![("style".into(), "border-collapse:collapse".into())],
                    c: vec![],
                }],
            ),
        });
        assert!(
            dom.to_html()
                .contains("<table style=\"border-collapse:separate;border-spacing:0\">")
        );
    }
}
