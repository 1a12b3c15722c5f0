//! Stylesheets as a stored page keeps them: comments, `@import` and `@font-face` dropped, every
//! `url(…)` replaced by `none` (nothing is ever fetched), string literals masked unless they are
//! plain UI words or font names, ids and classes in selectors mapped like the elements' own
//! ([`identifiers::css_ident`]), and any PII shape left redacted.

use crate::dom::mask::mask_text;
use crate::privacy::{identifiers, pii};

/// Longest stylesheet kept; longer ones are cut at a rule boundary.
const MAX_CSS: usize = 4 << 20;

#[derive(Debug, PartialEq)]
enum Token {
    Str(String),
    Url,
    Punct(char),
    Other(String),
}

fn tokenize(css: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut other = String::new();
    let mut chars = css.char_indices().peekable();
    let flush = |other: &mut String, out: &mut Vec<Token>| {
        if !other.is_empty() {
            out.push(Token::Other(std::mem::take(other)));
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if css[i..].starts_with("/*") => {
                flush(&mut other, &mut out);
                let end = css[i + 2..].find("*/").map_or(css.len(), |e| i + 2 + e + 2);
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
                other.push(' ');
            }
            '"' | '\'' => {
                flush(&mut other, &mut out);
                let mut s = String::new();
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(e);
                            }
                        }
                        d if d == c => break,
                        '\n' => break,
                        d => s.push(d),
                    }
                }
                out.push(Token::Str(s));
            }
            '(' if other.len() >= 3
                && other.is_char_boundary(other.len() - 3)
                && other[other.len() - 3..].eq_ignore_ascii_case("url") =>
            {
                let keep = other.len() - 3;
                other.truncate(keep);
                flush(&mut other, &mut out);
                // Skip to the closing parenthesis, strings included.
                let (mut quote, mut depth, mut escaped) = (None, 0usize, false);
                for (_, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                        continue;
                    }
                    if d == '\\' {
                        escaped = true;
                        continue;
                    }
                    match (quote, d) {
                        (None, '(') => depth += 1,
                        (None, ')') if depth > 0 => depth -= 1,
                        (None, ')') => break,
                        (None, '"' | '\'') => quote = Some(d),
                        (Some(q), d) if d == q => quote = None,
                        _ => {}
                    }
                }
                out.push(Token::Url);
            }
            '{' | '}' | ';' => {
                flush(&mut other, &mut out);
                out.push(Token::Punct(c));
            }
            _ => other.push(c),
        }
    }
    flush(&mut other, &mut out);
    out
}

/// A string literal's text as written back: kept when harmless, masked otherwise.
fn string(s: &str, keep: bool) -> String {
    let plain = s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '_'));
    let text = if keep && plain {
        s.to_owned()
    } else {
        mask_text(s)
    };
    format!("\"{}\"", text.replace(['"', '\\'], ""))
}

/// Ids and classes of a selector, mapped.
fn selector(text: &str, key: &[u8; 32]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let kind = match c {
            '#' => "id",
            '.' => "class",
            _ => continue,
        };
        // Names may start with an escape (`#\31 2345` is the id "12345"): hashed all the same.
        if !chars
            .peek()
            .is_some_and(|n| n.is_alphabetic() || matches!(n, '_' | '-' | '\\'))
        {
            continue;
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_alphanumeric() || matches!(n, '_' | '-') {
                name.push(n);
                chars.next();
            } else if n == '\\' {
                chars.next();
                name.push(unescape(&mut chars));
            } else {
                break;
            }
        }
        out.push_str(&identifiers::css_ident(key, kind, &name));
    }
    out
}

/// The character a CSS escape stands for, after its `\\`: up to six hex digits and one
/// optional space (`\\31 ` is "1"), or the next character as written.
fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> char {
    let mut hex = String::new();
    while hex.len() < 6
        && let Some(&h) = chars.peek()
        && h.is_ascii_hexdigit()
    {
        hex.push(h);
        chars.next();
    }
    if hex.is_empty() {
        return chars.next().unwrap_or('\u{FFFD}');
    }
    if chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    u32::from_str_radix(&hex, 16)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn segment_text(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Other(s) => s.as_str(),
            _ => "",
        })
        .collect()
}

/// Writes one segment (a prelude before `{`, or a declaration or statement before `;`/`}`).
fn write_segment(out: &mut String, seg: &[Token], prelude: bool, key: &[u8; 32]) {
    let property = segment_text(seg)
        .split(':')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let font = !prelude && (property == "font-family" || property == "font");
    for t in seg {
        match t {
            Token::Other(s) if prelude => out.push_str(&selector(s, key)),
            Token::Other(s) => out.push_str(s),
            Token::Str(s) => {
                let keep = font || (prelude && identifiers::is_ui_name(s));
                out.push_str(&string(s, keep));
            }
            Token::Url => out.push_str("none"),
            Token::Punct(_) => {}
        }
    }
}

/// A stylesheet, sanitised.
pub fn sanitise_sheet(css: &str, key: &[u8; 32]) -> String {
    sanitise(css, key, false)
}

/// A `style` attribute's declarations, sanitised.
pub fn sanitise_inline(css: &str, key: &[u8; 32]) -> String {
    sanitise(css, key, true)
}

fn sanitise(css: &str, key: &[u8; 32], inline: bool) -> String {
    let tokens = tokenize(css);
    let mut out = String::with_capacity(css.len().min(MAX_CSS));
    let mut seg_start = 0;
    // Depth inside a dropped block (`@font-face`), 0 when keeping.
    let mut skip = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let Token::Punct(p) = t else { continue };
        let seg = &tokens[seg_start..i];
        seg_start = i + 1;
        if skip > 0 {
            match p {
                '{' => skip += 1,
                '}' => skip -= 1,
                _ => {}
            }
            continue;
        }
        let head = segment_text(seg).trim_start().to_ascii_lowercase();
        match p {
            '{' if !inline && head.starts_with("@font-face") => skip = 1,
            '{' => {
                write_segment(&mut out, seg, !inline, key);
                out.push('{');
            }
            _ if head.starts_with("@import") || head.starts_with("@namespace") => {
                if *p == '}' {
                    out.push('}');
                }
            }
            _ => {
                write_segment(&mut out, seg, false, key);
                out.push(*p);
            }
        }
        if out.len() > MAX_CSS {
            break;
        }
    }
    if skip == 0 && seg_start < tokens.len() && out.len() <= MAX_CSS {
        let head = segment_text(&tokens[seg_start..])
            .trim_start()
            .to_ascii_lowercase();
        if !head.starts_with("@import") {
            write_segment(&mut out, &tokens[seg_start..], false, key);
        }
    }
    pii::redact(&out).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn urls_imports_fonts_and_comments_are_dropped() {
        let css = "@import url(https://cdn.example/x.css);\n/* ada@parley.example */\
                   @font-face{font-family:X;src:url('https://fonts.example/x.woff')}\
                   .card{background:url(\"https://t.example/p?u=1\") no-repeat;color:#fff}";
        let out = sanitise_sheet(css, &KEY);
        assert!(!out.contains("example"), "{out}");
        assert!(
            !out.contains("@font-face") && !out.contains("@import"),
            "{out}"
        );
        assert!(
            out.contains(".card{background:none no-repeat;color:#fff}"),
            "{out}"
        );
    }

    #[test]
    fn strings_are_masked_unless_plain_words_or_fonts() {
        let css = ".a::after{content:\"Call +1 555 0199\"}\
                   body{font-family:\"Helvetica Neue\", sans-serif}\
                   input[type=\"email\"]{color:red}";
        let out = sanitise_sheet(css, &KEY);
        assert!(!out.contains("555") && !out.contains("Call"), "{out}");
        assert!(out.contains("\"Helvetica Neue\""), "{out}");
        assert!(out.contains("[type=\"email\"]"), "{out}");
    }

    #[test]
    fn escaped_names_and_escaped_urls_leave_nothing_readable() {
        let out = sanitise_sheet(
            "#\\35 551234567, .\\32 xl\\:jane{background:url(\"a\\\"jane.png\")}",
            &KEY,
        );
        assert!(!out.contains("551234567") && !out.contains("jane"), "{out}");
        assert!(out.contains("{background:none}"), "{out}");
    }

    #[test]
    fn selectors_map_identifiers_like_the_elements() {
        let out = sanitise_sheet("#user-ada42 .card, .msg-1:hover{margin:.5em}", &KEY);
        let id = identifiers::css_ident(&KEY, "id", "user-ada42");
        let msg = identifiers::css_ident(&KEY, "class", "msg-1");
        assert_eq!(out, format!("#{id} .card, .{msg}:hover{{margin:.5em}}"));
        assert!(!out.contains("ada42"));
    }

    #[test]
    fn inline_styles_keep_declarations_and_drop_urls() {
        let out = sanitise_inline(
            "width: 40px; background-image: url(javascript:alert(1))",
            &KEY,
        );
        assert_eq!(out, "width: 40px; background-image: none");
    }
}
