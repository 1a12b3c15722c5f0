//! The command-line grammar of docs/CLI.md, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::Role;

/// Sightline: encrypted behavioural-analytics datasets, heatmaps, masked replay, access log.
#[derive(Debug, Parser)]
#[command(name = "sightline", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the GUI opens.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Dataset to select on the GUI's login screen.
    #[arg(long, value_name = "PATH")]
    pub dataset: Option<PathBuf>,
}

/// Who is acting, and how their password is given.
#[derive(Debug, Args)]
pub struct Auth {
    /// The acting user. The password is read from the terminal, else from SIGHTLINE_PASSWORD.
    #[arg(long = "as", value_name = "USER")]
    pub user: String,

    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show format version, name, id, users and roles (no password needed).
    Info {
        /// Dataset folder.
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a dataset; the first user is a compliance lead. Prints the recovery key once.
    Create {
        /// New dataset folder.
        path: PathBuf,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The first user's name (password from the terminal or SIGHTLINE_NEW_PASSWORD).
        #[arg(long)]
        admin: String,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Set a user's password with the recovery key (terminal or SIGHTLINE_RECOVERY_KEY).
    Recover {
        /// Dataset folder.
        path: PathBuf,
        /// Whose password to set.
        #[arg(long)]
        user: String,
    },
    /// Erase a data subject (GDPR Art. 17): their sessions, points, survey answers and consent
    /// records. Prints a receipt. Compliance leads only.
    Erase {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The subject's original identifier, or their pseudonym.
        #[arg(long)]
        subject: String,
    },
    /// Write the compliance report (records of processing, retention, receipts, consent,
    /// access statistics, anomalies, log verification) as one HTML file. Compliance leads only.
    Report {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Retention: purge what is past the policy's limits.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Render a heatmap over the page's screenshot to an annotated PNG.
    Heatmap(HeatmapArgs),
    /// The elements of a page most clicked, with rage, dead and error clicks (k floor).
    Elements(ElementsArgs),
    /// Read, verify and export the access log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Session metadata.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Import recordings (rrweb JSON arrays, PostHog JSON Lines) with minimisation.
    Import {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// CSV or JSON with per-session subject, start, region, consent, variant, cohort.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Purposes consented upstream, for sessions without a consent record
        /// (heatmaps,recordings). Needs --reason; logged.
        #[arg(long, value_name = "PURPOSES", requires = "reason")]
        assume_consent: Option<String>,
        /// Why consent may be assumed (goes into the access log).
        #[arg(long, requires = "assume_consent")]
        reason: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Import one page screenshot instead: the page's URL.
        #[arg(long, value_name = "URL", requires = "css_width")]
        page: Option<String>,
        /// The CSS width the screenshot was taken at.
        #[arg(long, value_name = "N", requires = "page")]
        css_width: Option<u32>,
        /// Import a heatmap grid computed in a warehouse instead (Parquet or CSV; see
        /// docs/FORMATS.md and warehouse/).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["page", "manifest", "assume_consent"])]
        grid: Option<PathBuf>,
        /// With --grid: how the grid was made, when the file does not say (kept as its source).
        #[arg(long, value_name = "TEXT", requires = "grid")]
        recipe: Option<String>,
        /// Recording files (rrweb JSON, PostHog JSONL, native JSONL) and consent/survey CSVs;
        /// with --page, one PNG or JPEG.
        #[arg(required_unless_present = "grid")]
        files: Vec<PathBuf>,
    },
    /// Build the demo dataset: one account per role (password sightline-demo), the sample
    /// screenshots and recordings, and generated sessions.
    Demo {
        /// Where to create it (default: the data folder the GUI looks in).
        path: Option<PathBuf>,
        /// How many sessions to generate.
        #[arg(long, default_value_t = crate::sample::demo::DEFAULT_SESSIONS)]
        sessions: usize,
    },
    /// Masking rules: the vendors' block/mask/ignore markers honoured at import.
    #[command(subcommand)]
    Masking(MaskingCommand),
    /// Measure performance; prints key=value lines, the headline last. For developers, so it
    /// is not listed in `--help` (docs/BENCHMARKS.md and docs/CLI.md describe it).
    #[command(subcommand, hide = true)]
    Bench(BenchCommand),
    /// List pages with their screenshot viewports and session counts.
    Pages {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the warehouse grid layers with their ids and sources, or remove one.
    Grids {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Remove the layer with this id and its bins (data engineers; logged). Recordings
        /// imported after it kept no heatmap points for its days: those days then draw nothing.
        #[arg(long, value_name = "ID")]
        remove: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sightline user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (password from the terminal or SIGHTLINE_NEW_PASSWORD).
    Add {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The new user's name.
        #[arg(long = "user", value_name = "NAME")]
        name: String,
        /// compliance-lead, analyst, data-engineer or ux-liaison.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List users and roles.
    List {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a user and rotate the keys they held.
    Revoke {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The user to revoke.
        #[arg(long = "user", value_name = "NAME")]
        name: String,
    },
    /// Change your password, or (compliance lead) set another user's.
    Passwd {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Whose password (default: your own).
        #[arg(long = "user", value_name = "NAME")]
        name: Option<String>,
    },
}

/// `sightline log …`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Show entries, oldest first.
    Show {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Only the newest N entries.
        #[arg(long)]
        limit: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify the hash chain, the keychain anchor and every database page. Exit 5 on a problem.
    Verify {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// After a rollback alarm you have investigated: accept the current head as this
        /// device's anchor (logged).
        #[arg(long)]
        reanchor: bool,
    },
    /// Export the log with its chain head.
    Export {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// csv or jsonl.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `sightline sessions …`
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions, newest first.
    List {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// At most N sessions.
        #[arg(long)]
        limit: Option<usize>,
        /// Only sessions with a frustration score (0–100) of at least N.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
        min_frustration: Option<u8>,
    },
    /// A session's masked event stream, as the player sees it (asks for a purpose).
    Events {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Session id (from `sessions list`).
        #[arg(long)]
        session: String,
        /// Why you open it: free text or a ticket id (logged).
        #[arg(long)]
        purpose: String,
        /// Print JSON Lines.
        #[arg(long)]
        json: bool,
    },
    /// One frame of a session as a PNG: the masked page at a moment, at the session's
    /// viewport, with the pointer (asks for a purpose; logged like a replay).
    Frame {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Session id (from `sessions list`).
        #[arg(long)]
        session: String,
        /// Milliseconds from the session's start.
        #[arg(long, value_name = "MS")]
        at: i64,
        /// Why you open it: free text or a ticket id (logged).
        #[arg(long)]
        purpose: String,
        /// The PNG to write.
        #[arg(long)]
        out: PathBuf,
        /// What to draw under the pointer.
        #[arg(long, value_enum, default_value = "page")]
        mode: FrameModeArg,
    },
}

/// What a frame shows.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FrameModeArg {
    /// The masked page, drawn from the recorded DOM.
    Page,
    /// The page's screenshot.
    Screenshot,
}

/// `sightline masking …`
#[derive(Debug, Subcommand)]
pub enum MaskingCommand {
    /// List the rules with their ids.
    List {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a rule for elements with a class, an attribute (a trailing * matches a prefix) or
    /// a CSS selector (`input[type=tel]`, `[autocomplete^=cc-]`).
    Add {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// A class name that marks elements.
        #[arg(long, group = "marker")]
        class: Option<String>,
        /// An attribute name that marks elements.
        #[arg(long, group = "marker")]
        attribute: Option<String>,
        /// A CSS selector list (compound selectors, no combinators).
        #[arg(long, group = "marker")]
        selector: Option<String>,
        /// block (nothing inside kept), mask (text and values replaced) or ignore (input
        /// events dropped, clicks kept as on a masked field).
        #[arg(long, value_parser = ["block", "mask", "ignore", "unmask"])]
        effect: String,
    },
    /// Add a path rule: every match of a regular expression in page URLs' paths is replaced
    /// (e.g. --pattern '^/patients/[^/]+' --replacement '/patients/:name').
    AddPath {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The regular expression.
        #[arg(long)]
        pattern: String,
        /// What matches become (`$1` refers to a group).
        #[arg(long)]
        replacement: String,
    },
    /// Remove a rule by id.
    Remove {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
        /// The rule's id (from `masking list`).
        #[arg(long)]
        id: i64,
    },
}

/// `sightline retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Run a purge now (compliance leads, data engineers); prints the receipt.
    Run {
        /// Dataset folder.
        path: PathBuf,
        #[command(flatten)]
        auth: Auth,
    },
}

/// `sightline heatmap …`
#[derive(Debug, clap::Args)]
pub struct HeatmapArgs {
    /// Dataset folder.
    pub path: PathBuf,
    #[command(flatten)]
    pub auth: Auth,
    /// Page pattern or URL (as `sightline pages` lists them).
    #[arg(long)]
    pub page: String,
    /// Viewport class.
    #[arg(long, value_parser = ["desktop", "tablet", "mobile"])]
    pub viewport: String,
    /// What to show.
    #[arg(long, default_value = "click", value_parser = ["click", "move", "scroll", "attention"])]
    pub kind: String,
    #[command(flatten)]
    pub segment: SegmentArgs,
    /// Colour map.
    #[arg(long, default_value = "viridis", value_parser = ["viridis", "inferno", "classic"])]
    pub colormap: String,
    /// Normalisation.
    #[arg(long, default_value = "p99", value_parser = ["max", "p99", "log"])]
    pub normalise: String,
    /// Kernel standard deviation in screenshot pixels.
    #[arg(long, default_value_t = 12.0)]
    pub sigma: f32,
    /// Overlay opacity, 0–1.
    #[arg(long, default_value_t = 0.65)]
    pub opacity: f32,
    /// Add the N most clicked elements (k floor applied) under the image.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub top_elements: usize,
    /// The PNG to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// `sightline elements …`
#[derive(Debug, clap::Args)]
pub struct ElementsArgs {
    /// Dataset folder.
    pub path: PathBuf,
    #[command(flatten)]
    pub auth: Auth,
    /// Page pattern or URL (as `sightline pages` lists them).
    #[arg(long)]
    pub page: String,
    /// Viewport class.
    #[arg(long, value_parser = ["desktop", "tablet", "mobile"])]
    pub viewport: String,
    #[command(flatten)]
    pub segment: SegmentArgs,
    /// At most N elements, most clicked first.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which sessions a figure aggregates.
#[derive(Debug, clap::Args)]
pub struct SegmentArgs {
    /// First day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub to: Option<String>,
    /// Device class of the session.
    #[arg(long)]
    pub device: Option<String>,
    /// Region or jurisdiction.
    #[arg(long)]
    pub region: Option<String>,
    /// A/B variant.
    #[arg(long)]
    pub variant: Option<String>,
    /// Cohort.
    #[arg(long)]
    pub cohort: Option<String>,
    /// Survey score band, e.g. `4-5`.
    #[arg(long, value_name = "LO-HI")]
    pub score: Option<String>,
}

/// `sightline bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import throughput of generated rrweb JSON, end to end into a fresh dataset.
    Import {
        /// How many sessions to generate.
        #[arg(long, default_value_t = 1000)]
        sessions: usize,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The Overview and a page's element table read through the gate from a demo dataset of
    /// N generated sessions (built once into PATH, or a temporary folder).
    Overview {
        /// Generated sessions.
        #[arg(long, default_value_t = 20_000)]
        sessions: usize,
        /// Keep the dataset here, and reuse it when it exists.
        #[arg(long)]
        dataset: Option<std::path::PathBuf>,
        /// Timed runs after one warm-up.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Opening a long session for replay and seeking in it.
    Seek {
        /// Events in the session.
        #[arg(long, default_value_t = 500_000)]
        events: usize,
        /// Its length in hours.
        #[arg(long, default_value_t = 2.0)]
        hours: f64,
        /// Random seeks to time.
        #[arg(long, default_value_t = 2_000)]
        seeks: usize,
        /// Timed openings after one warm-up.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The page replay: how close the sample pages are drawn to their screenshots, seeking
    /// with a render, playback, and the memory of a long session's page replay.
    Page {
        /// Random seeks per sample session.
        #[arg(long, default_value_t = 200)]
        seeks: usize,
        /// Length of the long session, in hours.
        #[arg(long, default_value_t = 2.0)]
        hours: f64,
    },
    /// Points to a coloured heatmap overlay, and recolouring a visible region.
    Heatmap {
        /// How many points (default 10,000,000; 100,000,000 clicks with --grid).
        #[arg(long)]
        points: Option<usize>,
        /// Overlay width in pixels.
        #[arg(long, default_value_t = 1440)]
        width: usize,
        /// Overlay height in pixels.
        #[arg(long, default_value_t = 4000)]
        height: usize,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Also write the points (little-endian f32 x,y pairs), to time other tools on them.
        #[arg(long)]
        dump_points: Option<PathBuf>,
        /// Time the path from the encrypted store instead: unlock, then the first coloured
        /// overlay through the gate, on a dataset of `--points` clicks on one page (built once
        /// and kept; run again for a fresh process).
        #[arg(long)]
        from_store: bool,
        /// Where the --from-store or --grid dataset is kept (default: a folder in the temp directory
        /// named by the point count and size).
        #[arg(long)]
        dataset: Option<PathBuf>,
        /// Time a page described only by a warehouse grid instead: the grid (`--points` clicks,
        /// `--bin-px` bins, `--days` days) is imported once into a kept dataset, then each run
        /// unlocks it in a fresh process and draws the first coloured overlay.
        #[arg(long, conflicts_with = "from_store")]
        grid: bool,
        /// The grid's bin side in CSS px (with --grid).
        #[arg(long, default_value_t = 50, requires = "grid")]
        bin_px: u32,
        /// Days the grid covers, 1–30 (with --grid).
        #[arg(long, default_value_t = 30, requires = "grid")]
        days: u32,
    },
}

/// Log export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// JSON Lines with a final chain-head line.
    Jsonl,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}
