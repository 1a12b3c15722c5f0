//! The compliance report: one self-contained HTML file (inline CSS, charts as embedded PNG)
//! with the records of processing, retention and receipts, consent, access statistics,
//! denials, anomalies, and the access log's chain head and verification.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Receipt;
use super::anomaly::Anomaly;
use super::consent::Dashboard;
use super::retention::Policy;
use crate::audit::log::LogEntry;
use crate::clock::rfc3339;
use crate::export::draw::Canvas;

/// Everything the report states.
pub struct ReportInput<'a> {
    /// Dataset name and id.
    pub dataset: (&'a str, &'a str),
    /// Who made it, and when (RFC 3339).
    pub made_by: (&'a str, String),
    /// Retention.
    pub policy: Policy,
    /// Consent target and restricted regions.
    pub settings: (u32, Vec<String>),
    /// Receipts, newest first.
    pub receipts: &'a [Receipt],
    /// Consent figures.
    pub consent: &'a Dashboard,
    /// The whole access log.
    pub log: &'a [LogEntry],
    /// Anomalies.
    pub anomalies: &'a [Anomaly],
    /// Verification: entries read, chain head (seq, hex hash), the problem or "intact", and
    /// whether the device's anchor was compared.
    pub verification: (u64, Option<(u64, String)>, String, bool),
    /// Trust: the authority's fingerprint (none before the upgrade), membership and policy
    /// problems, and why the rollback check is off on this device, if it is.
    pub trust: Trust,
    /// Import health over the whole log (capture-to-analysis latency).
    pub imports: crate::insights::health::ImportHealth,
    /// Denied attempts per week and the time to acknowledge anomalies.
    pub watch: crate::insights::health::ComplianceHealth,
    /// The warehouse grid layers heatmaps draw beside local sessions.
    pub grids: &'a [crate::grid::store::LayerInfo],
}

/// The trust section of the report.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The dataset authority's fingerprint.
    pub fingerprint: Option<String>,
    /// Slots or policy changed outside Sightline.
    pub problems: Vec<String>,
    /// Why this device cannot check for rollbacks.
    pub rollback_off: Option<String>,
}

/// Where the figures come from: local sessions, and each warehouse grid layer with its file,
/// recipe and parameters.
fn sources(h: &mut String, r: &ReportInput<'_>) {
    let e = escape;
    h.push_str(
        "<h2 id=\"sources\">Sources of the figures</h2><p>Consent, access, import and anomaly \
         figures in this report come from the sessions imported into this dataset and its access \
         log. Heatmaps draw those local sessions and, for the pages below, warehouse grids: \
         counts made outside Sightline by the recipe named, read from the file named.</p>",
    );
    if r.grids.is_empty() {
        h.push_str(
            "<p>No warehouse grid is imported: every heatmap figure comes from local sessions.</p>",
        );
        return;
    }
    h.push_str(
        "<table><tr><th>Page and layer</th><th>Days</th><th>Events</th><th>Source: file, recipe \
         and parameters</th><th>Imported</th></tr>",
    );
    for l in r.grids {
        let segment = if l.segment_key.is_empty() {
            "everyone".to_owned()
        } else {
            format!("{} = {}", l.segment_key, l.segment_value)
        };
        let _ = write!(
            h,
            "<tr><td>{}<br><small>{} · {} · {} · {} px bins</small></td><td>{} to {}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&l.page),
            e(&l.viewport),
            e(&l.kind),
            e(&segment),
            l.bin_px,
            e(&l.day_from),
            e(&l.day_to),
            l.events,
            e(&match (&l.source.recipe, &l.source.params) {
                (None, None) => format!("{}, recipe not recorded", l.source.file),
                _ => l.source.describe(),
            }),
            e(&rfc3339(l.imported_at_ms)),
        );
    }
    h.push_str("</table>");
}

/// Escapes text for HTML; control characters and bidirectional overrides become visible
/// escapes first.
pub fn escape(text: &str) -> String {
    let text = crate::text::inert(text);
    let mut out = String::with_capacity(text.len());
    crate::text::escape_html_into(&mut out, &text);
    out
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A line chart of running opt-in rates for one purpose, as a PNG data URI.
fn consent_chart(d: &Dashboard, purpose: &str) -> Option<String> {
    let series: Vec<_> = d.series.iter().filter(|s| s.purpose == purpose).collect();
    if series.is_empty() || d.days.is_empty() {
        return None;
    }
    let (w, h) = (760usize, 260usize);
    let (left, right, top, bottom) = (40.0f32, 150.0f32, 12.0f32, 30.0f32);
    let mut c = Canvas::new(w, h, vec![[255, 255, 255, 255]; w * h]);
    let pw = w as f32 - left - right;
    let ph = h as f32 - top - bottom;
    let x = |i: usize| left + pw * i as f32 / (d.days.len().max(2) - 1) as f32;
    let y = |pct: f64| top + ph * (1.0 - (pct as f32 / 100.0));
    for pct in [0.0, 50.0, 100.0] {
        c.line(
            [left, y(pct)],
            [left + pw, y(pct)],
            1.0,
            [220, 220, 225, 255],
        );
        c.text(
            [4.0, y(pct) - 7.0],
            11.0,
            [90, 90, 100, 255],
            &format!("{pct:.0}%"),
        );
    }
    let grey = [110, 110, 120, 255];
    c.line([left, y(d.target)], [left + pw, y(d.target)], 1.5, grey);
    c.text(
        [left + 4.0, y(d.target) - 14.0],
        10.0,
        grey,
        &format!("target {:.0}%", d.target),
    );
    let palette = [
        [31, 119, 180, 255],
        [255, 127, 14, 255],
        [44, 160, 44, 255],
        [214, 39, 40, 255],
        [148, 103, 189, 255],
        [140, 86, 75, 255],
        [227, 119, 194, 255],
        [23, 190, 207, 255],
    ];
    for (k, s) in series.iter().enumerate() {
        let color = palette[k % palette.len()];
        for pair in s.points.windows(2) {
            c.line(
                [x(pair[0].0), y(pair[0].1)],
                [x(pair[1].0), y(pair[1].1)],
                2.0,
                color,
            );
        }
        let ly = top + 14.0 * k as f32;
        c.fill_rect(
            left + pw + 10.0,
            ly + 3.0,
            left + pw + 22.0,
            ly + 9.0,
            color,
        );
        c.text(
            [left + pw + 26.0, ly - 2.0],
            11.0,
            [40, 40, 50, 255],
            &format!("{} {:.0}%", s.jurisdiction, s.rate()),
        );
    }
    if let (Some(first), Some(last)) = (d.days.first(), d.days.last()) {
        c.text([left, h as f32 - 20.0], 11.0, [90, 90, 100, 255], first);
        let tw = c.text_width(last, 11.0);
        c.text(
            [left + pw - tw, h as f32 - 20.0],
            11.0,
            [90, 90, 100, 255],
            last,
        );
    }
    let png = crate::export::png::encode(&c, &[]).ok()?;
    Some(format!("data:image/png;base64,{}", base64(&png)))
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1c1c24;line-height:1.45}\
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f3f6}.warn{color:#a35a00}.bad{color:#b00020}.ok{color:#1b7a3a}code{font-size:.85rem}";

/// The report as one HTML document.
pub fn html(r: &ReportInput<'_>) -> String {
    let mut h = String::new();
    let e = escape;
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Compliance report: {}</title><style>{CSS}</style></head><body>",
        e(r.dataset.0)
    );
    let _ = write!(
        h,
        "<h1>Compliance report: {}</h1><p>Dataset id <code>{}</code>. Made by <b>{}</b> at {} with Sightline {}.</p>",
        e(r.dataset.0),
        e(r.dataset.1),
        e(r.made_by.0),
        e(&r.made_by.1),
        env!("CARGO_PKG_VERSION")
    );
    h.push_str("<h2 id=\"processing\">Records of processing</h2><table><tr><th>Purpose</th><th>What is kept</th><th>Legal basis</th></tr>\
        <tr><td>Heatmaps</td><td>Pointer, click and scroll positions per page and viewport class, with segment attributes (day, device, region, variant, cohort, survey score); no subject in the aggregate store.</td><td>Consent per subject and jurisdiction</td></tr>\
        <tr><td>Session recordings</td><td>Masked interaction events (inputs shown as ••••, no page text), page patterns, keyed subject pseudonyms.</td><td>Consent per subject and jurisdiction</td></tr>\
        <tr><td>Warehouse heatmap grids</td><td>Click and move counts per page, viewport class, segment, day and bin, counted in the team's warehouse, each bin of at least k sessions; no session, subject or URL query.</td><td>Applied in the warehouse before the recipe runs</td></tr></table>");
    sources(&mut h, r);
    let days = |n: u32| {
        if n == 0 {
            "kept until erased".to_owned()
        } else {
            format!("{n} days")
        }
    };
    let _ = write!(
        h,
        "<h2 id=\"retention\">Data classes and retention</h2><table><tr><th>Data class</th><th>Retention</th></tr>\
         <tr><td>Session recordings</td><td>{}</td></tr><tr><td>Heatmap points, depths and signals, and warehouse grid bins</td><td>{}</td></tr>\
         <tr><td>Survey comments</td><td>{}</td></tr><tr><td>Access log (the hash chain continues from the last removed entry)</td><td>{}</td></tr></table>\
         <p>Purge when the dataset is opened: {}.</p>",
        days(r.policy.recordings_days),
        days(r.policy.points_days),
        days(r.policy.survey_comments_days),
        days(r.policy.access_log_days),
        if r.policy.purge_on_open { "on" } else { "off" }
    );
    for (kind, title, id) in [
        ("purge", "Purge receipts", "purges"),
        ("erasure", "Erasure receipts", "erasures"),
    ] {
        let _ = write!(h, "<h2 id=\"{id}\">{title}</h2>");
        let list: Vec<&Receipt> = r.receipts.iter().filter(|x| x.kind == kind).collect();
        if list.is_empty() {
            h.push_str("<p>None.</p>");
            continue;
        }
        h.push_str(
            "<table><tr><th>No.</th><th>Time</th><th>By</th><th>Removed</th><th>Details</th></tr>",
        );
        for x in list {
            let mut details: Vec<String> = x
                .detail
                .cutoffs
                .iter()
                .map(|(c, t)| format!("{c} before {t}"))
                .collect();
            if let Some(s) = &x.detail.subject {
                details.push(format!("subject {s}"));
            }
            if !x.detail.trigger.is_empty() {
                details.push(x.detail.trigger.clone());
            }
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                x.id,
                e(&rfc3339(x.time_ms)),
                e(&x.user),
                e(&if x.detail.total() == 0 {
                    "nothing".into()
                } else {
                    x.detail.summary()
                }),
                e(&details.join("; "))
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<h2 id=\"consent\">Consent</h2><p>Target: {}% opt-in.</p>",
        r.settings.0
    );
    for purpose in ["heatmaps", "recordings"] {
        if let Some(uri) = consent_chart(r.consent, purpose) {
            let _ = write!(
                h,
                "<p><b>{purpose}</b><br><img alt=\"Opt-in rate for {purpose} by jurisdiction over time\" src=\"{uri}\"></p>"
            );
        }
    }
    h.push_str(
        "<table><tr><th>Purpose</th><th>Jurisdiction</th><th>Opt-in</th><th>Decisions counted</th></tr>",
    );
    for s in &r.consent.series {
        let class = if s.rate() < r.consent.target {
            "warn"
        } else {
            "ok"
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{:.0}%</td><td>{}</td></tr>",
            e(&s.purpose),
            e(&s.jurisdiction),
            s.rate(),
            e(&s.counted())
        );
    }
    h.push_str("</table>");
    if !r.consent.dropped.is_empty() {
        h.push_str("<p>Sessions not stored at import: ");
        let parts: Vec<String> = r
            .consent
            .dropped
            .iter()
            .map(|(k, n)| format!("{n} ({})", e(k)))
            .collect();
        h.push_str(&parts.join(", "));
        h.push_str(".</p>");
    }
    h.push_str("<h2 id=\"access\">Access statistics</h2><table><tr><th>User</th><th>Role</th><th>Allowed</th><th>Denied</th><th>Replays</th><th>Exports</th></tr>");
    let mut stats: BTreeMap<(&str, &str), [u64; 4]> = BTreeMap::new();
    for x in r.log {
        let s = stats.entry((x.user.as_str(), x.role.as_str())).or_default();
        match x.outcome.as_str() {
            "allowed" => s[0] += 1,
            "denied" => s[1] += 1,
            _ => {}
        }
        if x.action == "replay-session" && x.outcome == "allowed" {
            s[2] += 1;
        }
        if x.action.starts_with("export") && x.outcome == "allowed" {
            s[3] += 1;
        }
    }
    for ((user, role), s) in &stats {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(user),
            e(role),
            s[0],
            s[1],
            s[2],
            s[3]
        );
    }
    h.push_str("</table><h2 id=\"denials\">Denials</h2>");
    let weeks: Vec<String> = r
        .watch
        .denied_by_week
        .iter()
        .map(|w| format!("week of {}: {}", w.week, w.denied))
        .collect();
    let _ = write!(
        h,
        "<p>Denied attempts per week: {}.</p>",
        if weeks.is_empty() {
            "none".to_owned()
        } else {
            e(&weeks.join(", "))
        }
    );
    let denials: Vec<&LogEntry> = r.log.iter().filter(|x| x.outcome == "denied").collect();
    if denials.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str("<table><tr><th>Entry</th><th>Time</th><th>User</th><th>Role</th><th>Action</th><th>Object</th></tr>");
        for x in denials.iter().rev().take(200) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                x.seq,
                e(&rfc3339(x.time_ms)),
                e(&x.user),
                e(&x.role),
                e(&x.action),
                e(&x.object)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2 id=\"anomalies\">Anomalies</h2>");
    let _ = write!(
        h,
        "<p>Median time to acknowledge an anomaly: {}.</p>",
        match r.watch.median_ack_ms {
            Some(ms) => format!(
                "{:.1} hours over {} acknowledged",
                ms as f64 / 3_600_000.0,
                r.watch.acks
            ),
            None => "none acknowledged yet".to_owned(),
        }
    );
    let target_h = crate::insights::health::LATENCY_TARGET_MS / 3_600_000;
    let _ = write!(
        h,
        "<h2 id=\"latency\">Capture to analysis</h2><p>{}</p>",
        match &r.imports.latency {
            Some(l) => format!(
                "From a session's end to its import: median {:.1} hours, 95th percentile {:.1} hours; {:.0}% within the {target_h}-hour target ({} sessions).",
                l.median_ms as f64 / 3_600_000.0,
                l.p95_ms as f64 / 3_600_000.0,
                l.within_target * 100.0,
                l.sessions
            ),
            None => "No session imported yet.".to_owned(),
        }
    );
    let _ = write!(
        h,
        "<p>Restricted regions: {}.</p>",
        if r.settings.1.is_empty() {
            "none".to_owned()
        } else {
            e(&r.settings.1.join(", "))
        }
    );
    if r.anomalies.is_empty() {
        h.push_str("<p>None found.</p>");
    } else {
        h.push_str("<table><tr><th>Severity</th><th>Finding</th><th>Acknowledged</th></tr>");
        for a in r.anomalies {
            let ack = a.acknowledged.as_ref().map_or_else(
                || "no".to_owned(),
                |(u, t)| format!("by {u} at {}", rfc3339(*t)),
            );
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.severity.label(),
                e(&a.explanation),
                e(&ack)
            );
        }
        h.push_str("</table>");
    }
    let (entries, head, result, anchored) = &r.verification;
    let head = head.as_ref().map_or_else(
        || "none".to_owned(),
        |(seq, hash)| format!("entry {seq}, <code>{}</code>", e(hash)),
    );
    let class = if result == "intact" { "ok" } else { "bad" };
    let _ = write!(
        h,
        "<h2 id=\"log\">Access log</h2><p>{entries} entries. Chain head: {head}. Verification: <b class=\"{class}\">{}</b>{}.</p>",
        e(result),
        if *anchored {
            "; compared with this device's keychain anchor"
        } else {
            "; no keychain anchor on this device to compare"
        }
    );
    let t = &r.trust;
    let _ = write!(
        h,
        "<h2 id=\"trust\">Membership and policy</h2><p>Authority fingerprint: <code>{}</code> (every device shows the same one; compare it out of band).</p>",
        e(t.fingerprint
            .as_deref()
            .unwrap_or("none: not upgraded to signed membership yet"))
    );
    if t.problems.is_empty() {
        h.push_str(
            "<p class=\"ok\">Membership, policy and masking rules match their signatures.</p>",
        );
    }
    for problem in &t.problems {
        let _ = write!(h, "<p class=\"bad\">{}.</p>", e(problem));
    }
    if let Some(off) = &t.rollback_off {
        let _ = write!(h, "<p class=\"bad\">{}</p>", e(off));
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_escaping_are_right() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        // A purpose carrying an escape sequence or a bidi override shows it, inert.
        let shown = escape("to check\u{1b}[2J\u{202e}gnp.exe");
        assert!(!shown.contains(['\u{1b}', '\u{202e}']), "{shown}");
        assert!(
            shown.contains("\\x1b[2J") && shown.contains("\\u{202e}"),
            "{shown}"
        );
    }
}
