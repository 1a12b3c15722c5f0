use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::common::{sightline, stderr, stdout};

struct Cli {
    _tmp: tempfile::TempDir,
    state: PathBuf,
    path: PathBuf,
    recovery_key: String,
}

impl Cli {
    /// `sightline create` plus an analyst and a UX liaison, all through the CLI.
    fn new() -> Cli {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("state");
        let path = tmp.path().join("cli.sightline");
        let p = path.to_str().unwrap();
        let out = sightline(
            &state,
            &["create", p, "--name", "CLI test", "--admin", "lead"],
            &[("SIGHTLINE_NEW_PASSWORD", "lead-password-1")],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let recovery_key = text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 39 && l.matches('-').count() == 7)
            .expect("recovery key printed")
            .to_owned();
        let cli = Cli {
            _tmp: tmp,
            state,
            path: path.clone(),
            recovery_key,
        };
        for (user, role) in [("ana", "analyst"), ("uma", "ux-liaison")] {
            cli.add_user(user, role);
        }
        cli
    }

    /// Adds a user (password `NAME-password-1`) as the lead, through the CLI.
    fn add_user(&self, user: &str, role: &str) {
        let password = format!("{user}-password-1");
        let out = self.run_as(
            "lead",
            &[
                "user",
                "add",
                self.p(),
                "--as",
                "lead",
                "--user",
                user,
                "--role",
                role,
            ],
            &[("SIGHTLINE_NEW_PASSWORD", password.as_str())],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn p(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn run_as(&self, user: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let password = format!("{user}-password-1");
        let mut env = vec![("SIGHTLINE_PASSWORD", password.as_str())];
        env.extend_from_slice(extra);
        sightline(&self.state, args, &env)
    }
}

#[test]
fn create_prints_the_recovery_key_once_and_info_needs_no_password() {
    let cli = Cli::new();
    let out = sightline(&cli.state, &["info", cli.p(), "--json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["name"], "CLI test");
    assert_eq!(info["format_version"], 2);
    assert_eq!(info["users"].as_array().unwrap().len(), 3);
    let fingerprint = info["authority_fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.split(' ').count(), 8, "{fingerprint}");
    // The recovery key is stored nowhere in the bundle.
    for entry in fs::read_dir(&cli.path).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(&cli.recovery_key));
    }
}

#[test]
fn passwords_never_appear_in_output_or_the_log() {
    let cli = Cli::new();
    let out = cli.run_as(
        "lead",
        &["log", "show", cli.p(), "--as", "lead", "--json"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(entries.len() >= 5);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    for secret in ["lead-password-1", "ana-password-1", "uma-password-1"] {
        assert!(!all.contains(secret));
    }
}

#[test]
fn exit_codes_follow_the_contract() {
    let cli = Cli::new();
    // 3: wrong password and unknown user, with the same message.
    let wrong = sightline(
        &cli.state,
        &["pages", cli.p(), "--as", "ana"],
        &[("SIGHTLINE_PASSWORD", "nope-nope-nope")],
    );
    let unknown = sightline(
        &cli.state,
        &["pages", cli.p(), "--as", "zed"],
        &[("SIGHTLINE_PASSWORD", "nope-nope-nope")],
    );
    assert_eq!(wrong.status.code(), Some(3));
    assert_eq!(unknown.status.code(), Some(3));
    assert_eq!(stderr(&wrong), stderr(&unknown));
    // 4: a UX liaison may not list sessions; the denial is logged.
    let denied = cli.run_as(
        "uma",
        &["sessions", "list", cli.p(), "--as", "uma", "--json"],
        &[],
    );
    assert_eq!(denied.status.code(), Some(4), "{}", stderr(&denied));
    assert!(stderr(&denied).contains("Access denied"));
    assert!(denied.stdout.is_empty());
    let log = cli.run_as(
        "lead",
        &["log", "show", cli.p(), "--as", "lead", "--json"],
        &[],
    );
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&log.stdout).unwrap();
    assert!(
        entries.iter().any(|e| e["user"] == "uma"
            && e["action"] == "list-sessions"
            && e["outcome"] == "denied")
    );
    let events = cli.run_as(
        "uma",
        &[
            "sessions",
            "events",
            cli.p(),
            "--as",
            "uma",
            "--session",
            "x",
            "--purpose",
            "curious",
        ],
        &[],
    );
    assert_eq!(events.status.code(), Some(4), "{}", stderr(&events));
    // 2: usage.
    let usage = sightline(
        &cli.state,
        &[
            "user",
            "add",
            cli.p(),
            "--as",
            "lead",
            "--user",
            "x",
            "--role",
            "boss",
        ],
        &[],
    );
    assert_eq!(usage.status.code(), Some(2));
    // 1: no password available without a terminal.
    let none = sightline(&cli.state, &["pages", cli.p(), "--as", "ana"], &[]);
    assert_eq!(none.status.code(), Some(1));
    assert!(stderr(&none).contains("SIGHTLINE_PASSWORD"));
}

#[test]
fn sessions_and_pages_exist_and_are_empty_before_any_import() {
    let cli = Cli::new();
    let sessions = cli.run_as(
        "ana",
        &[
            "sessions",
            "list",
            cli.p(),
            "--as",
            "ana",
            "--json",
            "--limit",
            "10",
        ],
        &[],
    );
    assert!(sessions.status.success(), "{}", stderr(&sessions));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sessions.stdout).unwrap(),
        serde_json::json!([])
    );
    let pages = cli.run_as("uma", &["pages", cli.p(), "--as", "uma", "--json"], &[]);
    assert!(pages.status.success(), "{}", stderr(&pages));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&pages.stdout).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn password_from_stdin_works() {
    let cli = Cli::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "user",
            "list",
            cli.p(),
            "--as",
            "lead",
            "--password-stdin",
            "--json",
        ])
        .env("SIGHTLINE_STATE_DIR", &cli.state)
        .env_remove("SIGHTLINE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"lead-password-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let users: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = users.iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lead", "ana", "uma"]);
}

#[test]
fn a_flipped_byte_gives_exit_5() {
    let cli = Cli::new();
    let core = cli.path.join("core.db");
    let mut bytes = fs::read(&core).unwrap();
    let middle = (bytes.len() / 4096 / 2) * 4096 + 2000;
    bytes[middle] ^= 0x40;
    fs::write(&core, bytes).unwrap();
    let out = cli.run_as("lead", &["log", "verify", cli.p(), "--as", "lead"], &[]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn log_export_writes_csv_and_jsonl_with_the_chain_head() {
    let cli = Cli::new();
    let dir = cli.path.parent().unwrap().to_path_buf();
    let jsonl = dir.join("log.jsonl");
    let csv = dir.join("log.csv");
    for (format, file) in [("jsonl", &jsonl), ("csv", &csv)] {
        let out = cli.run_as(
            "lead",
            &[
                "log",
                "export",
                cli.p(),
                "--as",
                "lead",
                "--format",
                format,
                "--out",
                file.to_str().unwrap(),
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let text = fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, entries) = lines.split_last().unwrap();
    assert_eq!(last["chain_head"]["seq"], entries.last().unwrap()["seq"]);
    assert_eq!(last["chain_head"]["hash"], entries.last().unwrap()["hash"]);
    assert!(
        entries
            .iter()
            .all(|e| e["signer"].as_str().is_some_and(|s| !s.is_empty())
                && e["signature"].as_str().is_some_and(|s| s.len() == 128)),
        "every exported entry carries its signer and signature"
    );
    let csv_text = fs::read_to_string(&csv).unwrap();
    assert!(csv_text.starts_with(
        "seq,time,user,role,action,object,purpose,outcome,prev_hash,hash,signer,signature\n"
    ));
    assert!(csv_text.lines().count() >= entries.len());
    let verify = cli.run_as("lead", &["log", "verify", cli.p(), "--as", "lead"], &[]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("Access log intact"));
    assert!(stdout(&verify).contains("signed by its author"));
    assert!(stdout(&verify).contains("Authority fingerprint"));
}

#[test]
fn recover_revoke_and_passwd_work_from_scripts() {
    let cli = Cli::new();
    let out = sightline(
        &cli.state,
        &["recover", cli.p(), "--user", "lead"],
        &[
            ("SIGHTLINE_RECOVERY_KEY", &cli.recovery_key),
            ("SIGHTLINE_NEW_PASSWORD", "lead-password-2"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = sightline(
        &cli.state,
        &["recover", cli.p(), "--user", "lead"],
        &[
            (
                "SIGHTLINE_RECOVERY_KEY",
                "0000-0000-0000-0000-0000-0000-0000-0000",
            ),
            ("SIGHTLINE_NEW_PASSWORD", "lead-password-3"),
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    let lead2 = [("SIGHTLINE_PASSWORD", "lead-password-2")];
    let revoke = sightline(
        &cli.state,
        &["user", "revoke", cli.p(), "--as", "lead", "--user", "ana"],
        &lead2,
    );
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    let ana = cli.run_as("ana", &["pages", cli.p(), "--as", "ana"], &[]);
    assert_eq!(ana.status.code(), Some(3));
    let passwd = sightline(
        &cli.state,
        &["user", "passwd", cli.p(), "--as", "uma"],
        &[
            ("SIGHTLINE_PASSWORD", "uma-password-1"),
            ("SIGHTLINE_NEW_PASSWORD", "uma-password-2"),
        ],
    );
    assert!(passwd.status.success(), "{}", stderr(&passwd));
    let uma = sightline(
        &cli.state,
        &["pages", cli.p(), "--as", "uma"],
        &[("SIGHTLINE_PASSWORD", "uma-password-2")],
    );
    assert!(uma.status.success());
}

#[test]
fn a_failed_file_makes_import_exit_1_and_escape_sequences_print_inert() {
    let cli = Cli::new();
    cli.add_user("eddie", "data-engineer");
    let dir = cli.path.parent().unwrap();
    let good = dir.join("good.jsonl");
    fs::write(
        &good,
        r#"{"sightline": 1, "session": "s-1", "subject": "p-1", "started_at": "2026-11-01T10:00:00Z", "region": "EU", "consent": {"heatmaps": true, "recordings": true}, "url": "https://app.test/home", "viewport": {"width": 1440, "height": 900}}
{"t": 100, "kind": "click", "x": 40, "y": 50, "target": "button#go"}
"#,
    )
    .unwrap();
    let truncated = dir.join("truncated.json");
    fs::write(
        &truncated,
        r#"[{"type": 4, "data": {"href": "https://app.test/"#,
    )
    .unwrap();
    let import = |files: &[&PathBuf]| {
        let mut args = vec!["import", cli.p(), "--as", "eddie"];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        cli.run_as("eddie", &args, &[])
    };
    let out = import(&[&good, &truncated]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("truncated.json"), "{}", stdout(&out));
    let listed = cli.run_as(
        "ana",
        &["sessions", "list", cli.p(), "--as", "ana", "--json"],
        &[],
    );
    let sessions: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = sessions[0]["id"]
        .as_str()
        .expect("the good file was stored");
    // A purpose carrying a terminal escape sequence is logged as typed and printed inert.
    let purpose = "TICKET-1\u{1b}[2J\u{1b}]0;owned\u{7}";
    let events = cli.run_as(
        "ana",
        &[
            "sessions",
            "events",
            cli.p(),
            "--as",
            "ana",
            "--session",
            id,
            "--purpose",
            purpose,
        ],
        &[],
    );
    assert!(events.status.success(), "{}", stderr(&events));
    let shown = cli.run_as("lead", &["log", "show", cli.p(), "--as", "lead"], &[]);
    let text = stdout(&shown);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("TICKET-1\\x1b[2J"), "{text}");
    // A clean import still exits 0.
    let again = fs::read_to_string(&good).unwrap().replace("s-1", "s-2");
    fs::write(&good, again).unwrap();
    assert!(import(&[&good]).status.success());
}

#[test]
fn masking_rules_by_selector_and_path_work_from_scripts_and_the_report_names_them() {
    let cli = Cli::new();
    cli.add_user("eddie", "data-engineer");
    let masking = |args: &[&str]| {
        let mut all = vec!["masking"];
        all.extend_from_slice(args);
        cli.run_as("eddie", &all, &[])
    };
    let p = cli.p();
    let added = masking(&[
        "add",
        p,
        "--as",
        "eddie",
        "--selector",
        "[data-secret]",
        "--effect",
        "block",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("selector [data-secret] → block"));
    let path = masking(&[
        "add-path",
        p,
        "--as",
        "eddie",
        "--pattern",
        "^/patients/[^/]+",
        "--replacement",
        "/patients/:name",
    ]);
    assert!(path.status.success(), "{}", stderr(&path));
    // A selector with a combinator is refused with the reason; nothing is stored.
    let bad = masking(&[
        "add",
        p,
        "--as",
        "eddie",
        "--selector",
        "form input",
        "--effect",
        "mask",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("combinators"), "{}", stderr(&bad));
    let list = masking(&["list", p, "--as", "eddie"]);
    let listed = stdout(&list);
    assert!(listed.contains("[data-secret]") && listed.contains("^/patients/[^/]+"));
    assert!(!listed.contains("form input"));

    let file = cli.path.parent().unwrap().join("patients.json");
    let t = 1_700_000_000_000i64;
    fs::write(
        &file,
        serde_json::json!([
            {"type": 4, "timestamp": t, "data": {"href": "https://clinic.test/patients/jane-doe/notes", "width": 1440, "height": 900}},
            {"type": 2, "timestamp": t + 1, "data": {"node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "div", "attributes": {"data-secret": ""}, "childNodes": []},
                {"type": 2, "id": 3, "tagName": "button", "attributes": {"id": "save"}, "childNodes": []}]}}},
            {"type": 3, "timestamp": t + 100, "data": {"source": 2, "type": 2, "id": 2, "x": 5, "y": 5}},
            {"type": 3, "timestamp": t + 200, "data": {"source": 2, "type": 2, "id": 3, "x": 50, "y": 50}}
        ])
        .to_string(),
    )
    .unwrap();
    let out = cli.run_as(
        "eddie",
        &[
            "import",
            p,
            "--as",
            "eddie",
            "--assume-consent",
            "heatmaps,recordings",
            "--reason",
            "test",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains(
            "Rule             selector [data-secret] → block: 1 elements, 1 events removed"
        ),
        "{report}"
    );
    assert!(report.contains("1 URLs rewritten"), "{report}");
    assert!(!report.contains("jane"), "{report}");
    let pages = cli.run_as("ana", &["pages", p, "--as", "ana"], &[]);
    assert!(
        stdout(&pages).contains("https://clinic.test/patients/:name/notes"),
        "{}",
        stdout(&pages)
    );
}

#[test]
fn elements_and_frustrated_sessions_are_listed_from_the_cli() {
    let cli = Cli::new();
    cli.add_user("eddie", "data-engineer");
    let file = cli.path.with_file_name("elements.jsonl");
    fs::write(&file, super::insights::element_sessions()).unwrap();
    let out = cli.run_as(
        "eddie",
        &["import", cli.p(), "--as", "eddie", file.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli.run_as(
        "uma",
        &[
            "elements",
            cli.p(),
            "--as",
            "uma",
            "--page",
            "https://app.test/inbox",
            "--viewport",
            "desktop",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2, "button#rare is under the floor");
    let send = &rows[0];
    for key in [
        "selector",
        "clicks",
        "sessions",
        "share",
        "rage",
        "dead",
        "error",
        "median_first_click_ms",
    ] {
        assert!(send.get(key).is_some(), "{key} in {send}");
    }
    assert_eq!(send["selector"], "button#send");
    assert_eq!(send["clicks"], 14);
    assert_eq!(send["share"], 1.0);
    // The text form says what was left out and why.
    let text = cli.run_as(
        "uma",
        &[
            "elements",
            cli.p(),
            "--as",
            "uma",
            "--page",
            "https://app.test/inbox",
            "--viewport",
            "desktop",
            "--region",
            "nowhere",
        ],
        &[],
    );
    assert!(
        stdout(&text).contains("0 sessions in this segment"),
        "{}",
        stdout(&text)
    );
    // Sessions at or above a frustration score.
    let all = cli.run_as(
        "ana",
        &["sessions", "list", cli.p(), "--as", "ana", "--json"],
        &[],
    );
    let all: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout).unwrap();
    let top = all
        .iter()
        .filter_map(|s| s["frustration"].as_u64())
        .max()
        .unwrap();
    let expected = all
        .iter()
        .filter(|s| s["frustration"].as_u64() == Some(top))
        .count();
    assert!(expected < all.len(), "the scores differ");
    let top = top.to_string();
    let some = cli.run_as(
        "ana",
        &[
            "sessions",
            "list",
            cli.p(),
            "--as",
            "ana",
            "--json",
            "--min-frustration",
            &top,
        ],
        &[],
    );
    let some: Vec<serde_json::Value> = serde_json::from_slice(&some.stdout).unwrap();
    assert_eq!(some.len(), expected);
}

/// Runs a store bench twice on one kept dataset (`extra` arguments after `bench heatmap`,
/// 400 × 800 px): the first run's output, which builds it, and the second's, which does not.
fn bench_twice(extra: &[&str]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let dataset = tmp.path().join("bench");
    let mut args = vec!["bench", "heatmap", "--width", "400", "--height", "800"];
    args.extend_from_slice(extra);
    args.extend(["--dataset", dataset.to_str().unwrap()]);
    let first = sightline(&state, &args, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = sightline(&state, &args, &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    let text = stdout(&second);
    assert!(!text.contains("built"), "{text}");
    (stdout(&first), text)
}

/// `bench heatmap --from-store` builds its dataset once and then times a fresh process on it,
/// printing the figures docs/BENCHMARKS.md quotes; every point it stored is drawn.
#[test]
fn the_cold_heatmap_bench_builds_once_and_reports_from_the_store() {
    let (first, text) = bench_twice(&["--from-store", "--points", "6000"]);
    assert!(first.contains("built points=6000 sessions=6"), "{first}");
    assert!(text.contains("page_cache=fresh process"), "{text}");
    assert!(text.contains("points_drawn=6000 "), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("bytes_per_point=") && last.contains("first_heatmap_ms="),
        "{last}"
    );
}

/// `bench heatmap --grid` does the same for a page described only by a warehouse grid.
#[test]
fn the_grid_bench_builds_once_and_draws_the_whole_grid() {
    let (first, text) = bench_twice(&["--grid", "--points", "500000", "--days", "3"]);
    // 8 × 16 bins of 50 px, three days.
    assert!(
        first.contains("built grid_rows=384 grid_events=500000 "),
        "{first}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("grid_events_drawn=500000 first_overlay_ms="),
        "{last}"
    );
}

#[test]
fn grid_layers_are_imported_listed_and_removed_from_scripts() {
    let cli = Cli::new();
    cli.add_user("eve", "data-engineer");
    let grid = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sample_grid_k5_50px.parquet");
    let import = cli.run_as(
        "eve",
        &[
            "import",
            cli.p(),
            "--as",
            "eve",
            "--grid",
            grid.to_str().unwrap(),
        ],
        &[],
    );
    assert!(import.status.success(), "{}", stderr(&import));
    let list = cli.run_as("ana", &["grids", cli.p(), "--as", "ana"], &[]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    assert!(
        text.contains(
            "layer 1: https://shop.example/checkout (desktop, 50 px bins, everyone): \
             warehouse grid, 2026-11-10…11, 754 clicks; source sample_grid_k5_50px.parquet, \
             made by warehouse/duckdb_grid.sql"
        ),
        "{text}"
    );
    // An analyst may not remove a layer: exit 4 (denied), and it stays.
    let denied = cli.run_as(
        "ana",
        &["grids", cli.p(), "--as", "ana", "--remove", "1"],
        &[],
    );
    assert_eq!(denied.status.code(), Some(4), "{}", stderr(&denied));
    let removed = cli.run_as(
        "eve",
        &["grids", cli.p(), "--as", "eve", "--remove", "1", "--json"],
        &[],
    );
    assert!(removed.status.success(), "{}", stderr(&removed));
    let layer: serde_json::Value = serde_json::from_slice(&removed.stdout).unwrap();
    assert_eq!(layer["events"], 754);
    let list = cli.run_as("ana", &["grids", cli.p(), "--as", "ana", "--json"], &[]);
    let layers: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(layers.as_array().unwrap().len(), 1);
    assert_eq!(layers[0]["kind"], "move");
}
