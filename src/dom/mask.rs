//! Shape-preserving text masks: every letter and digit is replaced by a glyph of its class, and
//! spaces and punctuation stay, so masked lines wrap about where the real ones did while no
//! character of the original survives.

/// Replaces lower-case letters by `•`, other letters by `●`, digits by `○`; anything else
/// (spaces, punctuation, symbols) is kept. Marks and other non-spacing characters are
/// dropped so that combining sequences cannot carry a letter through.
pub fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_numeric() {
            out.push('○');
        } else if c.is_lowercase() {
            out.push('•');
        } else if c.is_alphabetic() {
            out.push('●');
        } else if c.is_whitespace() || c.is_ascii_punctuation() || is_general_punctuation(c) {
            out.push(c);
        }
        // Everything else (marks, symbols, private-use, emoji) could carry meaning: dropped.
    }
    out
}

/// Typographic punctuation that shapes lines but carries no content.
fn is_general_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2027}' | '\u{00A0}' | '\u{00AB}' | '\u{00BB}' | '\u{00B7}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_shape_and_nothing_of_the_text() {
        assert_eq!(mask_text("Call Ada, 555-0199!"), "●••• ●••, ○○○-○○○○!");
        assert_eq!(mask_text("ada@parley.example"), "•••@••••••.•••••••");
        assert_eq!(mask_text("  \n"), "  \n");
        // Non-Latin letters and digits, and combining marks.
        assert_eq!(mask_text("Ünïcode ٣ 日本"), "●•••••• ○ ●●");
        assert_eq!(mask_text("e\u{301}"), "•");
    }
}
