//! The command-line interface (CLI.md): the same core as the GUI, through the same gate.
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
