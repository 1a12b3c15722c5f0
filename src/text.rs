//! Text safe to show on a terminal or in a report: control characters (escape sequences
//! included) and bidirectional overrides are written as visible escapes, so a purpose or a page
//! name can neither drive a terminal nor reorder what a reader sees.

use std::borrow::Cow;

/// Bidirectional embeddings, overrides and isolates ("Trojan Source" characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// `text` with every control character and bidirectional override written as a visible
/// escape (`\x1b`, `\u{202e}`).
pub fn inert(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || is_bidi_control(c);
    if !text.chars().any(unsafe_char) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let code = u32::from(c);
            if code <= 0xff {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// JSON text with DEL, C1 controls and bidirectional overrides written as `\uXXXX` escapes
/// (serde_json escapes only C0). They can only occur inside strings, where the escape means
/// the same character, so the document is unchanged for any JSON reader.
pub fn json_inert(json: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| ('\u{7f}'..='\u{9f}').contains(&c) || is_bidi_control(c);
    if !json.chars().any(unsafe_char) {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Appends `text` to `out` with the five HTML-significant characters escaped (valid in text
/// and in quoted attribute values alike).
pub fn escape_html_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_become_visible() {
        assert_eq!(inert("plain"), "plain");
        assert_eq!(inert("a\u{1b}[2Jb\u{7}"), "a\\x1b[2Jb\\x07");
        assert_eq!(inert("x\u{9b}y"), "x\\x9by");
        assert_eq!(inert("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn json_keeps_its_meaning_without_raw_c1_or_overrides() -> Result<(), serde_json::Error> {
        let value = serde_json::json!({"purpose": "a\u{9b}2Jb\u{202e}c\u{1b}"});
        let text = serde_json::to_string(&value)?;
        let safe = json_inert(&text);
        assert!(!safe.contains(['\u{9b}', '\u{202e}', '\u{1b}']), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe)?, value);
        Ok(())
    }
}
