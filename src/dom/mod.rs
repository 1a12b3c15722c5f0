//! The masked DOM of a recording (plain Rust, no UI): what an import keeps of the page itself
//! so that a replay can draw it. Text is masked by construction ([`mask`]), stylesheets are
//! sanitised ([`css`]), media become neutral boxes and scripts, handlers and links are dropped
//! ([`capture`]). A [`DomTrack`] is a session's snapshots and changes in time order; [`live`]
//! applies them and writes the HTML a renderer reads; [`seek`] finds the page at any moment.

pub mod capture;
pub mod css;
pub mod live;
pub mod mask;
pub mod raw;
pub mod seek;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One kept node. Ids are the recorder's, so later changes can name them.
///
/// Stored externally tagged (`{"e": {…}}`): serde reads that in one pass, where an internal tag
/// buffers every nested node first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DomNode {
    /// An element: lower-case tag, kept attributes (already sanitised) and children.
    #[serde(rename = "e")]
    Element {
        /// Recorder id.
        id: i64,
        /// Tag name.
        t: String,
        /// Kept attributes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        a: Vec<(String, String)>,
        /// Children.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        c: Vec<DomNode>,
    },
    /// A text node (masked unless it is a stylesheet's text, which is sanitised CSS).
    #[serde(rename = "x")]
    Text {
        /// Recorder id.
        id: i64,
        /// Its text.
        s: String,
    },
}

impl DomNode {
    /// The recorder's id.
    pub fn id(&self) -> i64 {
        match self {
            DomNode::Element { id, .. } | DomNode::Text { id, .. } => *id,
        }
    }
}

/// One change to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DomOp {
    /// A new page: the `<html>` element (and everything in it).
    #[serde(rename = "snap")]
    Snapshot {
        /// The root element.
        root: DomNode,
    },
    /// A subtree inserted under `parent`, before `next` (at the end when absent).
    #[serde(rename = "add")]
    Add {
        /// Parent id.
        parent: i64,
        /// The sibling it goes before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<i64>,
        /// The subtree.
        node: DomNode,
    },
    /// A node (and its subtree) removed.
    #[serde(rename = "rm")]
    Remove {
        /// Its id.
        id: i64,
    },
    /// A text node's new (masked) text.
    #[serde(rename = "text")]
    Text {
        /// Its id.
        id: i64,
        /// The text.
        s: String,
    },
    /// An attribute set (`Some`) or removed (`None`), already sanitised.
    #[serde(rename = "attr")]
    Attr {
        /// The element.
        id: i64,
        /// Attribute name.
        name: String,
        /// Its value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// An element inside the page scrolled.
    #[serde(rename = "scroll")]
    Scroll {
        /// The element.
        id: i64,
        /// Left offset.
        x: f32,
        /// Top offset.
        y: f32,
    },
}

impl DomOp {
    /// Whether the change alters what is laid out (scrolls only move what is painted).
    pub fn changes_layout(&self) -> bool {
        !matches!(self, DomOp::Scroll { .. })
    }
}

/// A change at a time (ms from the session's start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomChange {
    /// When.
    pub t: i64,
    /// What.
    pub op: DomOp,
}

/// Every kept DOM change of a session, by time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomTrack {
    /// The changes, sorted by time.
    pub changes: Vec<DomChange>,
}

/// Stored tracks larger than this are refused (a hostile row cannot make a replay allocate
/// without bound).
const MAX_STORED: usize = 512 << 20;

impl DomTrack {
    /// Whether the track has a page to draw.
    pub fn has_page(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c.op, DomOp::Snapshot { .. }))
    }

    /// The stored form: plain JSON. Not compressed, so that what is stored can be checked
    /// byte for byte (the privacy tests search the decrypted files for canaries); SQLCipher
    /// encrypts it like every other row.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads the stored form back.
    pub fn decode(bytes: &[u8]) -> Result<DomTrack> {
        if bytes.len() > MAX_STORED {
            return Err(Error::Format("a stored page replay is too large".into()));
        }
        serde_json::from_slice(bytes)
            .map_err(|_| Error::Format("a stored page replay is damaged".into()))
    }

    /// Times of the changes a viewer would notice (new pages and inserted or removed
    /// elements), for the timeline.
    pub fn marks(&self) -> Vec<(i64, &'static str)> {
        let mut out: Vec<(i64, &'static str)> = Vec::new();
        for c in &self.changes {
            let label = match &c.op {
                DomOp::Snapshot { .. } => "page loaded",
                DomOp::Add { .. } | DomOp::Remove { .. } => "page changed",
                DomOp::Attr { .. } | DomOp::Text { .. } => "page updated",
                DomOp::Scroll { .. } => continue,
            };
            // One mark per burst of changes.
            if out
                .last()
                .is_some_and(|(t, l)| c.t - *t < 250 && *l == label)
            {
                continue;
            }
            out.push((c.t, label));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_survives_its_stored_form_and_damage_is_an_error() {
        let track = DomTrack {
            changes: vec![
                DomChange {
                    t: 0,
                    op: DomOp::Snapshot {
                        root: DomNode::Element {
                            id: 1,
                            t: "html".into(),
                            a: vec![],
                            c: vec![DomNode::Text {
                                id: 2,
                                s: "•••".into(),
                            }],
                        },
                    },
                },
                DomChange {
                    t: 40,
                    op: DomOp::Remove { id: 2 },
                },
            ],
        };
        let bytes = track.encode();
        assert_eq!(DomTrack::decode(&bytes).ok(), Some(track.clone()));
        assert!(DomTrack::decode(&bytes[..bytes.len() / 2]).is_err());
        assert_eq!(
            track.marks(),
            vec![(0, "page loaded"), (40, "page changed")]
        );
    }
}
