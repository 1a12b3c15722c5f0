use std::fs;
use std::path::Path;

/// Files and folders of the domain: plain Rust, no UI.
const DOMAIN: &[&str] = &[
    "src/dataset",
    "src/access",
    "src/heatmap",
    "src/export",
    "src/ingest",
    "src/privacy",
    "src/replay",
    "src/clock.rs",
    "src/device.rs",
    "src/error.rs",
];
const FORBIDDEN: &[&str] = &["egui", "eframe", "crate::app", "crate::ui", "rfd::"];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn domain_modules_never_import_the_ui() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in DOMAIN {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the scan found too few files: {files:?}");
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for word in FORBIDDEN {
            assert!(!text.contains(word), "{} mentions {word}", file.display());
        }
        assert!(
            text.starts_with("//!"),
            "{} does not open with a //! line",
            file.display()
        );
    }
}

#[test]
fn views_know_commands_but_not_the_app() {
    // The app depends on the views and runs what they ask for; the views depend only on the
    // command module, so there is no cycle between the two.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/ui"), &mut files);
    rust_files(&root.join("src/command.rs"), &mut files);
    assert!(files.len() > 10, "the scan found too few files: {files:?}");
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("crate::app"),
            "{} reaches into the app",
            file.display()
        );
    }
}

#[test]
fn gui_tests_step_frames_instead_of_sleeping() {
    // Background work is awaited through the jobs themselves and time is the window's clock,
    // so a GUI test never depends on how fast this machine is.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("gui") {
            let text = fs::read_to_string(&path).unwrap();
            assert!(!text.contains("thread::sleep"), "{name} sleeps");
            checked += 1;
        }
    }
    assert!(checked >= 4, "the GUI test files were not found");
}

#[test]
fn the_engine_and_the_exports_sit_below_the_gate() {
    // The heatmap engine (with the k floor and the figures it assembles), the PNG export,
    // minimisation, replay, the audit trail, the compliance work and the device know nothing
    // of the gate: the gate uses them, never the reverse.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "src/heatmap",
        "src/export",
        "src/privacy",
        "src/replay",
        "src/audit",
        "src/compliance",
        "src/device.rs",
        "src/dataset",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the scan found too few files: {files:?}");
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("crate::access"),
            "{} reaches up into the gate",
            file.display()
        );
    }
}
