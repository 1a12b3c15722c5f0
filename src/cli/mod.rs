//! The command-line interface (docs/CLI.md): the same core as the GUI, through the same gate.
//!
//! Parsing is clap's; [`run`] turns a parsed command into calls on [`crate::dataset::Dataset`]
//! and [`crate::access::Workspace`] and prints the result. Errors carry their exit code.

mod args;
mod bench;
mod commands;
mod heatmap;
mod output;
mod secrets;

pub use args::{
    Auth, BenchCommand, Cli, Command, LogCommand, MaskingCommand, SessionsCommand, UserCommand,
};
pub use commands::run;

/// A receipt as lines of text.
fn receipt_lines(r: &crate::compliance::Receipt) -> Vec<String> {
    let mut lines = vec![format!(
        "Receipt {} ({}) at {} by {}",
        r.id,
        r.kind,
        crate::clock::rfc3339(r.time_ms),
        r.user
    )];
    if let Some(subject) = &r.detail.subject {
        lines.push(format!("Subject pseudonym  {subject}"));
    }
    for (class, cutoff) in &r.detail.cutoffs {
        lines.push(format!("Cut-off            {class}: {cutoff}"));
    }
    lines.push(if r.detail.total() == 0 {
        "Removed            nothing to remove".to_owned()
    } else {
        format!("Removed            {}", r.detail.summary())
    });
    lines
}
