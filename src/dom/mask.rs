//! Shape-preserving text masks: every letter and digit is replaced by a glyph of its class, and
//! spaces and punctuation stay, so masked lines wrap about where the real ones did while no
//! character of the original survives.

/// Replaces lower-case letters by `•`, other letters by `●`, digits by `○`, and symbols and
/// emoji by `▪` (which one it was is content; that one was there keeps the line's length);
/// spaces and punctuation are kept. Marks, joiners, variation selectors and controls are
/// dropped so that combining sequences cannot carry a character through.
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
        } else if !(c.is_control() || is_non_spacing(c)) {
            out.push(SYMBOL);
        }
    }
    out
}

/// What a symbol, an emoji or any other visible character becomes.
pub const SYMBOL: char = '▪';

/// Characters drawn with (or between) their neighbours, or not at all: combining marks,
/// joiners, variation selectors, skin-tone modifiers, soft hyphens and direction controls.
fn is_non_spacing(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0300}'..='\u{036F}'
            | '\u{0483}'..='\u{0489}'
            | '\u{0591}'..='\u{05C7}'
            | '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0900}'..='\u{0903}'
            | '\u{093A}'..='\u{094F}'
            | '\u{0E31}'
            | '\u{0E34}'..='\u{0E3A}'
            | '\u{0E47}'..='\u{0E4E}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{FEFF}'
            | '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
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
        // Symbols keep their place, not their meaning; a joined emoji is one per base.
        assert_eq!(mask_text("✓ 5€ → 👍\u{1F3FD}"), "▪ ○▪ ▪ ▪");
        assert_eq!(mask_text("Bundes\u{AD}tag \u{202E}ab"), "●•••••••• ••");
        assert_eq!(mask_text("👨\u{200D}👩 ❤\u{FE0F}"), "▪▪ ▪");
    }
}
