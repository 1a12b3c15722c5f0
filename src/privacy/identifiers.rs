//! Identifiers out of selectors: an element's tag, role and UI-vocabulary ids and classes are
//! kept; any id or class with a digit, a PII shape, or a word outside the vocabulary
//! (`ui_words.txt`) becomes a stable keyed hash (`#id:3fa1`, `.class:9c0e`), so
//! `li#user-jane-doe` and `input#diagnosis-hiv` name nobody while element analytics can still
//! tell elements apart.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::privacy::masking::selector::elements_in;
use crate::privacy::pseudonym::hmac_sha256;

const WORDS: &str = include_str!("ui_words.txt");

/// Longest id or class kept as written.
const MAX_KEPT: usize = 40;

/// At most this many classes name an element.
const MAX_CLASSES: usize = 2;

fn vocabulary() -> &'static HashSet<&'static str> {
    static WORDS_SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS_SET.get_or_init(|| {
        WORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect()
    })
}

/// The identifier key of a dataset, derived from its pseudonym key (so whoever can import
/// has it, and nobody who reads `core.db` alone can test a guess against a hash).
pub fn key_from(pseudonym_key: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(pseudonym_key, b"sightline/identifiers/v1")
}

/// The words of a name: split at anything not a letter and at lower-to-upper case changes
/// (`sendButton` → send, button).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphabetic() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a name is plain UI vocabulary that can be kept as written.
pub fn is_ui_name(name: &str) -> bool {
    let vocabulary = vocabulary();
    // Letters, dashes and underscores only: no digit, email or phone shape can pass, so the
    // PII detectors have nothing to add here.
    !name.is_empty()
        && name.len() <= MAX_KEPT
        && name
            .chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '_'))
        && words(name).iter().all(|w| vocabulary.contains(w.as_str()))
}

/// A name as selectors keep it: as written when it is UI vocabulary, otherwise `kind:` and
/// four hex digits of a keyed hash (stable within the dataset, meaningless outside it).
fn kept_or_hashed(key: &[u8; 32], kind: &str, name: &str) -> String {
    kept_or_hashed_with(key, kind, ':', name)
}

fn kept_or_hashed_with(key: &[u8; 32], kind: &str, separator: char, name: &str) -> String {
    /// Names seen by this thread, with what they became: a page repeats its classes on every
    /// node and every session of an import repeats the page, and the vocabulary check and the
    /// keyed hash of each were a twentieth of an import's time. Keyed by the dataset key too,
    /// and emptied when large, so memory stays small and datasets never mix.
    type Memo = HashMap<([u8; 32], char, String, String), String>;
    const MEMO_MAX: usize = 4096;
    thread_local! {
        static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(HashMap::new());
    }
    let memo_key = (*key, separator, kind.to_owned(), name.to_owned());
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&memo_key).cloned()) {
        return hit;
    }
    let made = if is_ui_name(name) {
        name.to_owned()
    } else {
        let digest = hmac_sha256(key, format!("{kind}\0{name}").as_bytes());
        format!("{kind}{separator}{}", hex::encode(&digest[..2]))
    };
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_MAX {
            m.clear();
        }
        m.insert(memo_key, made.clone());
    });
    made
}

/// An id or class as the stored page keeps it (in the element and in the stylesheets alike,
/// so rules still match): as written when it is UI vocabulary, otherwise `kind-` and four hex
/// digits of the same keyed hash selectors use, which is a valid CSS identifier.
pub fn css_ident(key: &[u8; 32], kind: &str, name: &str) -> String {
    kept_or_hashed_with(key, kind, '-', name)
}

/// The selector of one element: `tag[role=…]#id.class.class`, identifiers hashed.
pub fn selector(
    key: &[u8; 32],
    tag: &str,
    id: Option<&str>,
    classes: &[String],
    role: Option<&str>,
) -> String {
    let tag = if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        tag.to_ascii_lowercase()
    } else {
        "element".to_owned()
    };
    let mut out = tag;
    if let Some(role) = role.map(str::trim).filter(|r| is_ui_name(r)) {
        out.push_str(&format!("[role={role}]"));
    }
    if let Some(id) = id.map(str::trim).filter(|s| !s.is_empty()) {
        out.push('#');
        out.push_str(&kept_or_hashed(key, "id", id));
    }
    for class in classes.iter().take(MAX_CLASSES) {
        out.push('.');
        out.push_str(&kept_or_hashed(key, "class", class));
    }
    out
}

/// A recorder's event name (a custom event's tag): kept when every word is UI vocabulary, so
/// `checkout started` stays readable; otherwise `tag:` and a keyed hash, like identifiers.
pub fn label(key: &[u8; 32], text: &str) -> String {
    let text = text.trim();
    let vocabulary = vocabulary();
    let plain = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| {
            c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '_' | '$' | '.' | ':' | '/')
        })
        && words(text)
            .iter()
            .all(|w| w.len() <= 2 || vocabulary.contains(w.as_str()));
    if plain {
        text.to_owned()
    } else {
        kept_or_hashed(key, "tag", text)
    }
}

/// A recorded selector string (`form#signup > input#u-8812`) with every element's
/// identifiers hashed; attribute tests other than `role` and `type` are dropped.
pub fn scrub_selector(key: &[u8; 32], text: &str) -> String {
    let parts: Vec<String> = elements_in(text)
        .0
        .into_iter()
        .map(|e| {
            let role = e
                .attributes
                .iter()
                .find(|(n, _)| n == "role")
                .and_then(|(_, v)| v.clone());
            let mut s = selector(key, &e.tag, e.id.as_deref(), &e.classes, role.as_deref());
            if let Some(t) = e
                .attributes
                .iter()
                .find(|(n, _)| n == "type")
                .and_then(|(_, v)| v.as_deref())
                .filter(|t| is_ui_name(t))
            {
                s.push_str(&format!("[type={t}]"));
            }
            s
        })
        .collect();
    if parts.is_empty() {
        "element".to_owned()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [3; 32];

    #[test]
    fn ui_vocabulary_is_kept_and_identifiers_are_hashed() {
        let classes = vec!["primary".to_owned(), "sendButton".to_owned()];
        assert_eq!(
            selector(&KEY, "BUTTON", Some("send"), &classes, None),
            "button#send.primary.sendButton"
        );
        for id in [
            "user-jane-doe",
            "diagnosis-hiv",
            "msg-88213",
            "ana@example.org",
            "Xk9fPqLmZrTwYb3nVcQa8sDe",
        ] {
            let s = selector(&KEY, "li", Some(id), &[], None);
            assert!(
                s.starts_with("li#id:") && s.len() == "li#id:".len() + 4,
                "{s}"
            );
            assert!(!s.contains(id));
            // Stable within the dataset, different under another key.
            assert_eq!(s, selector(&KEY, "li", Some(id), &[], None));
            assert_ne!(s, selector(&[4; 32], "li", Some(id), &[], None));
        }
    }

    #[test]
    fn event_names_keep_ui_words_and_hash_the_rest() {
        assert_eq!(label(&KEY, "$pageview"), "$pageview");
        assert_eq!(label(&KEY, "checkout started"), "checkout started");
        for raw in [
            "invited jane.doe",
            "order 88213",
            "ana@example.org",
            "\u{1b}[2J",
        ] {
            let l = label(&KEY, raw);
            assert!(l.starts_with("tag:") && l.len() == 8, "{raw} → {l}");
        }
    }

    #[test]
    fn recorded_selector_strings_are_scrubbed_element_by_element() {
        let s = scrub_selector(
            &KEY,
            "form#signup > input#u-8812.field[type=tel][value=5551234]",
        );
        assert!(s.starts_with("form#signup input#id:"), "{s}");
        assert!(s.ends_with(".field[type=tel]"), "{s}");
        assert!(!s.contains("8812") && !s.contains("555"));
    }
}
