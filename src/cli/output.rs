//! Plain-text and JSON rendering of CLI results. With `--json`, stdout carries one JSON
//! document and nothing else; notes go to stderr.

use std::io::Write;

use serde::Serialize;

use crate::access::{LogEntry, PageSummary, SessionSummary, UserInfo};
use crate::clock::rfc3339;
use crate::dataset::DatasetInfo;
use crate::error::{Error, Result};
use crate::ingest::ImportReport;
use crate::session::SessionEvent;

fn io_error(e: std::io::Error) -> Error {
    Error::Io {
        action: "write",
        path: "standard output".into(),
        source: e,
    }
}

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Format(e.to_string()))?;
    writeln!(std::io::stdout().lock(), "{}", json_inert(&text)).map_err(io_error)
}

/// Prints one compact JSON document per line.
pub fn json_lines<T: Serialize>(values: &[T]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for value in values {
        let line = serde_json::to_string(value).map_err(|e| Error::Format(e.to_string()))?;
        writeln!(out, "{}", json_inert(&line)).map_err(io_error)?;
    }
    Ok(())
}

/// Prints lines of text. Control characters (terminal escape sequences that any role could
/// have written into a purpose, a page name or a note) are printed as inert `\x1b`-style
/// escapes, so text from the dataset can never drive the terminal.
pub fn lines(lines: impl IntoIterator<Item = String>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{}", inert(&line)).map_err(io_error)?;
    }
    Ok(())
}

pub use crate::text::{inert, json_inert};

/// `sightline info`.
pub fn info_text(info: &DatasetInfo) -> Vec<String> {
    let mut out = vec![
        format!("Name            {}", info.name),
        format!("Id              {}", info.id),
        format!("Format version  {}", info.format_version),
        format!("Created         {}", info.created_at),
        format!(
            "Authority       {}",
            info.authority_fingerprint.as_deref().unwrap_or(
                "none yet (made by an older Sightline; a compliance lead's sign-in upgrades it)"
            )
        ),
        format!("Users           {}", info.users.len()),
    ];
    out.extend(
        info.users
            .iter()
            .map(|(name, role)| format!("  {name:<24} {role}")),
    );
    out
}

/// `sightline log show`.
pub fn log_text(entries: &[LogEntry]) -> Vec<String> {
    let mut out = vec![format!(
        "{:>6}  {:<24}  {:<16} {:<15} {:<20} {:<8} {:<28} {}",
        "seq", "time", "user", "role", "action", "outcome", "object", "purpose"
    )];
    out.extend(entries.iter().map(|e| {
        format!(
            "{:>6}  {:<24}  {:<16} {:<15} {:<20} {:<8} {:<28} {}",
            e.seq,
            rfc3339(e.time_ms),
            e.user,
            e.role,
            e.action,
            e.outcome,
            e.object,
            e.purpose
        )
    }));
    out
}

/// `sightline user list`.
pub fn users_text(users: &[UserInfo]) -> Vec<String> {
    let mut out = vec![format!(
        "{:<24} {:<16} {:<26} {}",
        "user", "role", "created", "last login"
    )];
    out.extend(users.iter().map(|u| {
        format!(
            "{:<24} {:<16} {:<26} {}",
            u.name,
            u.role.as_str(),
            u.created_at,
            u.last_login.as_deref().unwrap_or("never")
        )
    }));
    out
}

/// `sightline sessions list`.
pub fn sessions_text(sessions: &[SessionSummary]) -> Vec<String> {
    if sessions.is_empty() {
        return vec![
            "No sessions yet. A data engineer imports recordings with `sightline import`.".into(),
        ];
    }
    let mut out = vec![format!(
        "{:<24} {:<22} {:>10} {:<8} {:>6} {:<8} {:>6} {:>5} {:>11}  pages",
        "id", "started", "duration", "device", "width", "region", "clicks", "rage", "frustration"
    )];
    out.extend(sessions.iter().map(|s| {
        format!(
            "{:<24} {:<22} {:>9}s {:<8} {:>6} {:<8} {:>6} {:>5} {:>11}  {}",
            s.id,
            s.started_at,
            s.duration_ms / 1000,
            s.device,
            s.viewport_width,
            s.region,
            s.clicks,
            s.rage_clicks,
            s.frustration.map_or_else(|| "-".into(), |f| f.to_string()),
            s.pages.join(" ")
        )
    }));
    out
}

/// `sightline elements`.
pub fn elements_text(t: &crate::insights::elements::ElementTable) -> Vec<String> {
    use crate::insights::elements::count_text;
    let mut out = vec![format!(
        "{:<40} {:>7} {:>8} {:>6} {:>5} {:>5} {:>6} {:>12}",
        "element", "clicks", "sessions", "share", "rage", "dead", "error", "first click"
    )];
    out.extend(t.rows.iter().map(|r| {
        format!(
            "{:<40} {:>7} {:>8} {:>5.1}% {:>5} {:>5} {:>6} {:>11.1}s",
            r.selector,
            r.clicks,
            r.sessions,
            100.0 * r.share,
            count_text(r.rage),
            count_text(r.dead),
            count_text(r.error),
            r.median_first_click_ms as f64 / 1000.0
        )
    }));
    out.push(format!(
        "Shares are of the page's {} sessions in this segment. {} more elements, each clicked by {}, are not shown.",
        t.page_sessions,
        t.below_floor,
        crate::heatmap::k_floor::fewer_than(t.k)
    ));
    out
}

/// `sightline pages`.
pub fn pages_text(pages: &[PageSummary]) -> Vec<String> {
    if pages.is_empty() {
        return vec!["No pages yet. A data engineer imports screenshots and recordings with `sightline import`.".into()];
    }
    let mut out = vec![format!(
        "{:<48} {:>20}  viewports",
        "page", "heatmap sessions"
    )];
    for p in pages {
        out.push(format!(
            "{:<48} {:>20}  {}",
            p.page,
            p.sessions_label(),
            p.viewports.join(", ")
        ));
        out.extend(p.grids.iter().map(|g| format!("    {g}")));
    }
    out
}

/// `sightline import`.
pub fn import_text(r: &ImportReport) -> Vec<String> {
    r.summary_lines()
}

/// `sightline sessions events` without --json.
pub fn events_text(events: &[SessionEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let mut line = format!("{:>9} ms  {:<14}", e.t_ms, e.kind.as_str());
            if let (Some(x), Some(y)) = (e.x, e.y) {
                line.push_str(&format!(" ({x:.0}, {y:.0})"));
            }
            for text in [&e.url, &e.target, &e.value, &e.detail]
                .into_iter()
                .flatten()
            {
                line.push(' ');
                line.push_str(text);
            }
            if e.rage {
                line.push_str(" [rage]");
            }
            if e.dead {
                line.push_str(" [dead]");
            }
            line
        })
        .collect()
}
