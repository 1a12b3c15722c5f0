//! The `sightline` binary: the GUI without a subcommand, the CLI with one.

use std::process::ExitCode;

// Imports build many small JSON values; mimalloc roughly halves the time spent allocating them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use sightline::app::SightlineApp;
use sightline::cli::{self, Cli};
use sightline::device::Device;

fn main() -> ExitCode {
    let args = Cli::parse();
    let device = Device::from_env();
    match args.command {
        Some(command) => match cli::run(command, &device) {
            Ok(code) => code,
            Err(e) => {
                // Errors can quote a file name or a value from the data: printed inert.
                eprintln!("error: {}", sightline::text::inert(&e.to_string()));
                ExitCode::from(e.exit_code())
            }
        },
        None => run_gui(device, args.dataset),
    }
}

fn run_gui(device: Device, dataset: Option<std::path::PathBuf>) -> ExitCode {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Sightline")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Sightline",
        options,
        Box::new(move |_cc| Ok(Box::new(SightlineApp::new(device, dataset)))),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: could not open a window: {e}\nThe command-line interface works without a display: run `sightline --help`."
            );
            ExitCode::FAILURE
        }
    }
}
