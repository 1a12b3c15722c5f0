//! URL and IP minimisation: query strings, fragments and credentials are dropped, identifiers
//! in paths are collapsed into placeholders (which also makes page patterns), PII in what is
//! left is redacted, and IP addresses are truncated.

use std::net::IpAddr;

use crate::privacy::pii;

/// A URL reduced to scheme, host and path, with identifiers collapsed: the page pattern.
/// `https://app.example.com/c/8812/messages?q=hi#x` becomes `https://app.example.com/c/:id/messages`.
pub fn page_pattern(url: &str) -> String {
    page_pattern_keeping(url, &[])
}

/// The placeholders page patterns use; a segment spelled like one is kept as it is.
pub const PLACEHOLDERS: &[&str] = &[":id", ":uuid", ":hash", ":redacted"];

/// [`page_pattern`], also keeping the placeholders `extra` (those path rules write, like
/// `:name`). Any other `:word` segment is treated like any other text.
pub fn page_pattern_keeping(url: &str, extra: &[String]) -> String {
    let url = url.trim();
    let without_fragment = url.split('#').next().unwrap_or("");
    let without_query = without_fragment.split('?').next().unwrap_or("");
    let (scheme, rest) = match without_query.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), without_query),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // Credentials in the authority are never kept.
    let host_port = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let (host, port) = split_port(&host_port);
    let host = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => truncate_ip(&ip.to_string()),
        Err(_) => host.to_owned(),
    };
    let host = format!("{host}{port}");
    let mut segments: Vec<String> = Vec::new();
    let mut after_person = false;
    for raw in path.split('/').skip(1) {
        let from_rule = extra.iter().any(|p| p == raw);
        let collapsed = if from_rule {
            raw.to_owned()
        } else if after_person && !raw.is_empty() {
            // Whatever names a person (a built-in placeholder included) is one `:id`.
            ":id".to_owned()
        } else if PLACEHOLDERS.contains(&raw) {
            raw.to_owned()
        } else {
            collapse_segment(raw)
        };
        after_person = PERSON_PREFIXES.contains(&raw.to_ascii_lowercase().as_str());
        segments.push(collapsed);
    }
    while segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let path = if segments.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}", segments.join("/"))
    };
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// Path segments whose next segment names a person (`/u/jane.doe`, `/user/jdoe`).
const PERSON_PREFIXES: &[&str] = &[
    "u",
    "user",
    "users",
    "profile",
    "profiles",
    "people",
    "person",
    "member",
    "members",
    "author",
    "authors",
    "contact",
    "contacts",
    "patient",
    "patients",
    "customer",
    "customers",
];

/// `url` without its query and fragment, split into what comes before the path
/// (`https://host`) and the path (`/a/b`, possibly empty).
pub fn split_path(url: &str) -> (&str, &str) {
    let url = url.trim();
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}

/// Splits `host:port` (or `[v6]:port`) into the host and `:port`.
fn split_port(host_port: &str) -> (&str, &str) {
    if let Some(end) = host_port.find(']') {
        return host_port.split_at(end + 1);
    }
    match host_port.rfind(':') {
        Some(i) if host_port.matches(':').count() == 1 => host_port.split_at(i),
        _ => (host_port, ""),
    }
}

fn collapse_segment(segment: &str) -> String {
    let s = segment;
    let is_hex = |t: &str| t.chars().all(|c| c.is_ascii_hexdigit());
    let uuid_like = s.len() == 36
        && s.chars().filter(|c| *c == '-').count() == 4
        && is_hex(&s.replace('-', ""));
    let digit_count = s.chars().filter(char::is_ascii_digit).count();
    let letters = s.chars().filter(char::is_ascii_alphabetic).count();
    let mixed_case =
        s.chars().any(|c| c.is_ascii_uppercase()) && s.chars().any(|c| c.is_ascii_lowercase());
    if s.is_empty() {
        String::new()
    } else if s.starts_with('@') {
        // `/@handle`.
        ":id".into()
    } else if uuid_like {
        ":uuid".into()
    } else if s.chars().all(|c| c.is_ascii_digit()) {
        ":id".into()
    } else if s.len() >= 16 && is_hex(s) {
        ":hash".into()
    } else if !pii::find(s).is_empty() || s.contains('@') || s.contains('%') {
        ":redacted".into()
    } else if s.len() >= 12 && digit_count * 3 >= s.len() {
        // Long tokens that are mostly digits are ids too (slugs like "a8f3k29x01b2").
        ":id".into()
    } else if s.len() >= 16
        && letters > 0
        && (digit_count > 0 || mixed_case)
        && !s.contains(['-', '_', '.'])
    {
        // Long mixed tokens: reset links, invitations, share keys.
        ":id".into()
    } else if digit_count >= 3 && !is_version(s) {
        // Anything carrying a number of three digits or more names one thing: an order, a
        // ticket, a year-dated post.
        ":id".into()
    } else {
        s.to_owned()
    }
}

/// `v2`, `v10`, `1.2.3`: API and document versions are structure, not identifiers.
fn is_version(s: &str) -> bool {
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    digits.len() <= 8
        && digits
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// IPv4 addresses keep their first three octets (/24); IPv6 its first three groups (/48).
pub fn truncate_ip(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0")
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::", s[0], s[1], s[2])
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_drop_queries_fragments_credentials_and_ids() {
        assert_eq!(
            page_pattern("https://user:pw@App.Example.com/c/8812/messages?to=ana@example.org#m5"),
            "https://app.example.com/c/:id/messages"
        );
        assert_eq!(
            page_pattern("https://x.test/u/3f2504e0-4f89-11d3-9a0c-0305e82c3301/settings/"),
            "https://x.test/u/:id/settings"
        );
        assert_eq!(
            page_pattern("https://x.test/reset/ana@example.org"),
            "https://x.test/reset/:redacted"
        );
        assert_eq!(
            page_pattern("https://x.test/t/5f4dcc3b5aa765d61d8327deb882cf99"),
            "https://x.test/t/:hash"
        );
        assert_eq!(
            page_pattern("http://203.0.113.77:8080/pricing"),
            "http://203.0.113.0:8080/pricing"
        );
        assert_eq!(
            page_pattern("http://localhost:3000/"),
            "http://localhost:3000/"
        );
        assert_eq!(page_pattern("https://x.test"), "https://x.test/");
        assert_eq!(page_pattern("about:blank"), "about:blank/");
    }

    #[test]
    fn tokens_names_and_handles_in_paths_become_ids() {
        for (url, want) in [
            (
                "https://x.test/reset/Xk9fPqLmZrTwYb3nVcQa8sDe",
                "https://x.test/reset/:id",
            ),
            ("https://x.test/u/jane.doe", "https://x.test/u/:id"),
            (
                "https://x.test/user/JaneDoe/settings",
                "https://x.test/user/:id/settings",
            ),
            ("https://x.test/@jane/posts", "https://x.test/:id/posts"),
            (
                "https://x.test/orders/A-20391/items",
                "https://x.test/orders/:id/items",
            ),
            ("https://x.test/api/v2/inbox", "https://x.test/api/v2/inbox"),
            (
                "https://x.test/settings/privacy",
                "https://x.test/settings/privacy",
            ),
        ] {
            assert_eq!(page_pattern(url), want, "{url}");
        }
        assert_eq!(
            split_path("https://h.test/a/b?q#f"),
            ("https://h.test", "/a/b")
        );
        assert_eq!(split_path("https://h.test"), ("https://h.test", ""));
    }

    #[test]
    fn ips_are_truncated() {
        assert_eq!(truncate_ip("203.0.113.77"), "203.0.113.0");
        assert_eq!(
            truncate_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::"
        );
        assert_eq!(truncate_ip("not an ip"), "");
    }
}
