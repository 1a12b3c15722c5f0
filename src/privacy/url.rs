//! URL and IP minimisation: query strings, fragments and credentials are dropped, identifiers
//! in paths are collapsed into placeholders (which also makes page patterns), PII in what is
//! left is redacted, and IP addresses are truncated.

use std::net::IpAddr;

use crate::privacy::pii;

/// A URL reduced to scheme, host and path, with identifiers collapsed: the page pattern.
/// `https://app.example.com/c/8812/messages?q=hi#x` becomes `https://app.example.com/c/:id/messages`.
pub fn page_pattern(url: &str) -> String {
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
    let mut segments: Vec<String> = path.split('/').skip(1).map(collapse_segment).collect();
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
    if s.is_empty() {
        String::new()
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
    } else {
        s.to_owned()
    }
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
            "https://x.test/u/:uuid/settings"
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
    fn ips_are_truncated() {
        assert_eq!(truncate_ip("203.0.113.77"), "203.0.113.0");
        assert_eq!(
            truncate_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::"
        );
        assert_eq!(truncate_ip("not an ip"), "");
    }
}
