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
