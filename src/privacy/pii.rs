//! PII detectors: emails, phone numbers, payment card numbers (Luhn-checked), IBANs
//! (mod-97-checked), IPv4 and IPv6 addresses. Used on every piece of text an import keeps:
//! field selectors, URLs, custom event tags. Detection errs towards redacting.

use std::borrow::Cow;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// An email address.
    Email,
    /// A payment card number that passes the Luhn check.
    Card,
    /// An IBAN that passes the mod-97 check.
    Iban,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A phone number (7 to 15 digits, with the usual separators).
    Phone,
}

impl PiiKind {
    /// The placeholder that replaces it.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[email]",
            PiiKind::Card => "[card]",
            PiiKind::Iban => "[iban]",
            PiiKind::Ipv4 | PiiKind::Ipv6 => "[ip]",
            PiiKind::Phone => "[phone]",
        }
    }
}

// The patterns are literals checked by the tests below; a failure here is a programming error.
#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid built-in pattern")
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"));
// Word boundaries are ASCII (`(?-u:\b)`): a letter outside ASCII next to the digits counts as
// a boundary, so "é4111 1111 1111 1111" is still found, and the regex engine's DFA can run on
// any text (a Unicode boundary makes it fall back to a backtracker on non-ASCII text, which
// was a sixth of an import's time).
static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u:\b)\d(?:[ \-]?\d){12,18}(?-u:\b)"));
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?-u:\b)[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?-u:\b)"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| re(r"(?-u:\b)(?:\d{1,3}\.){3}\d{1,3}(?-u:\b)"));
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?-u:\b)"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"\+?\(?\d[\d ()./\-]{5,}\d"));

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn luhn(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                if x * 2 > 9 { x * 2 - 9 } else { x * 2 }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn iban_ok(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u64 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

fn ipv4_ok(s: &str) -> bool {
    s.split('.').all(|p| p.parse::<u8>().is_ok())
}

/// Every PII span in `text`, without overlaps, in order.
pub fn find(text: &str) -> Vec<(Range<usize>, PiiKind)> {
    let mut found: Vec<(Range<usize>, PiiKind)> = Vec::new();
    let mut add = |range: Range<usize>, kind: PiiKind| {
        if !found
            .iter()
            .any(|(r, _)| r.start < range.end && range.start < r.end)
        {
            found.push((range, kind));
        }
    };
    // Most specific first: a card number also looks like a phone number.
    for m in EMAIL.find_iter(text) {
        add(m.range(), PiiKind::Email);
    }
    for m in IBAN.find_iter(text) {
        if iban_ok(m.as_str()) {
            add(m.range(), PiiKind::Iban);
        }
    }
    for m in CARD.find_iter(text) {
        let d = digits(m.as_str());
        if (13..=19).contains(&d.len()) && luhn(&d) {
            add(m.range(), PiiKind::Card);
        }
    }
    for m in IPV4.find_iter(text) {
        if ipv4_ok(m.as_str()) {
            add(m.range(), PiiKind::Ipv4);
        }
    }
    for m in IPV6.find_iter(text) {
        // Two-group forms like `a::b` are far more often code than addresses.
        let groups = m.as_str().split(':').filter(|g| !g.is_empty()).count();
        if groups >= 3 && m.as_str().parse::<Ipv6Addr>().is_ok() {
            add(m.range(), PiiKind::Ipv6);
        }
    }
    for m in PHONE.find_iter(text) {
        let n = digits(m.as_str()).len();
        if (7..=15).contains(&n) {
            add(m.range(), PiiKind::Phone);
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    found
}

/// `text` with each PII span replaced by its placeholder, and how many were replaced.
pub fn redact(text: &str) -> (Cow<'_, str>, usize) {
    let found = find(text);
    if found.is_empty() {
        return (Cow::Borrowed(text), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, kind) in &found {
        out.push_str(&text[at..range.start]);
        out.push_str(kind.placeholder());
        at = range.end;
    }
    out.push_str(&text[at..]);
    (Cow::Owned(out), found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<PiiKind> {
        find(text).into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(
            kinds("write to jane.doe+x@example.co.uk today"),
            [PiiKind::Email]
        );
        assert_eq!(kinds("card 4111 1111 1111 1111 exp"), [PiiKind::Card]);
        assert_eq!(kinds("card 4111-1111-1111-1111"), [PiiKind::Card]);
        assert_eq!(
            kinds("iban DE89 3704 0044 0532 0130 00 ok"),
            [PiiKind::Iban]
        );
        assert_eq!(kinds("from 203.0.113.77 at"), [PiiKind::Ipv4]);
        assert_eq!(kinds("from 2001:db8::8a2e:370:7334 at"), [PiiKind::Ipv6]);
        assert_eq!(kinds("call +44 20 7946 0958 now"), [PiiKind::Phone]);
        assert_eq!(kinds("call (555) 123-4567"), [PiiKind::Phone]);
    }

    #[test]
    fn a_letter_outside_ascii_next_to_a_number_does_not_hide_it() {
        // A Unicode word boundary would see no edge between "é" and "4".
        assert_eq!(kinds("carteé4111111111111111"), [PiiKind::Card]);
        assert_eq!(kinds("IP:203.0.113.77ü"), [PiiKind::Ipv4]);
        assert_eq!(kinds("ÖDE89370400440532013000"), [PiiKind::Iban]);
        // Non-ASCII text elsewhere leaves the rest as it was.
        assert_eq!(kinds("Grüße, 4111 1111 1111 1111 😀"), [PiiKind::Card]);
        assert!(kinds("Grüße aus Köln, 12 Äpfel").is_empty());
    }

    #[test]
    fn checksums_and_ranges_keep_false_positives_out() {
        assert!(
            kinds("order 4111 1111 1111 1112")
                .iter()
                .all(|k| *k != PiiKind::Card)
        );
        assert!(
            kinds("DE89 3704 0044 0532 0130 01")
                .iter()
                .all(|k| *k != PiiKind::Iban)
        );
        assert!(kinds("version 999.1.2.3").is_empty());
        assert!(kinds("page 12 of 40, 2026").is_empty());
        assert!(kinds("a::b and 10:30").is_empty());
    }

    #[test]
    fn redaction_replaces_only_the_pii() {
        let (out, n) = redact("Hi, I'm at ana@example.org or +1 415 555 0100.");
        assert_eq!(out, "Hi, I'm at [email] or [phone].");
        assert_eq!(n, 2);
        assert!(matches!(redact("nothing here").0, Cow::Borrowed(_)));
    }
}
