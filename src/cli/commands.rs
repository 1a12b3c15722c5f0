//! Runs one parsed CLI command against the core.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use crate::access::RotationProgress;
use crate::access::{LogFormat, LogQuery, NoticeLevel, Workspace};
use crate::cli::args::{
    Auth, Command, ExportFormat, FrameModeArg, LogCommand, MaskingCommand, SessionsCommand,
    UserCommand,
};
use crate::cli::{output, secrets};
use crate::dataset::{Dataset, RecoveryKey};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::ingest::manifest::Manifest;
use crate::ingest::{ImportOptions, Purposes};
use crate::replay::frame::FrameMode;
use std::sync::atomic::AtomicBool;

/// Exit code for an integrity problem reported alongside a completed command.
const INTEGRITY_EXIT: u8 = 5;

/// Runs `command`; returns the exit code, or an error carrying one.
pub fn run(command: Command, device: &Device) -> Result<ExitCode> {
    match command {
        Command::Info { path, json } => {
            let info = Dataset::open(&path)?.info(device);
            if json {
                output::json(&info)?
            } else {
                output::lines(output::info_text(&info))?
            }
            Ok(match &info.integrity {
                Some(problem) => {
                    eprintln!(
                        "INTEGRITY: {}: the users and roles shown are not vouched for.",
                        output::inert(problem)
                    );
                    ExitCode::from(INTEGRITY_EXIT)
                }
                None => ExitCode::SUCCESS,
            })
        }
        Command::Create { path, name, admin } => create(&path, &name, &admin, device),
        Command::Recover { path, user } => {
            let dataset = Dataset::open(&path)?;
            let key = RecoveryKey::parse(&secrets::recovery_key()?)?;
            let password = secrets::new_password(&user)?;
            dataset.recover(&key, &user, &password, device)?;
            output::lines([format!(
                "New password set for {user}. The recovery key still works; keep it safe."
            )])?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => user(cmd, device),
        Command::Log(cmd) => log(cmd, device),
        Command::Sessions(SessionsCommand::Events {
            path,
            auth,
            session,
            purpose,
            json,
        }) => with_workspace(&path, &auth, device, |ws| {
            let events = ws.session_events(&session, &purpose)?;
            if json {
                output::json_lines(&events)
            } else {
                output::lines(output::events_text(&events))
            }
        }),
        Command::Sessions(SessionsCommand::Frame {
            path,
            auth,
            session,
            at,
            purpose,
            out,
            mode,
        }) => with_workspace(&path, &auth, device, |ws| {
            let mode = match mode {
                FrameModeArg::Page => FrameMode::Page,
                FrameModeArg::Screenshot => FrameMode::Screenshot,
            };
            let written = ws.export_session_frame(&session, &purpose, at, mode, &out)?;
            output::lines([format!(
                "Wrote {} ({} × {} px, {} KB).",
                out.display(),
                written.width,
                written.height,
                written.bytes.div_ceil(1024)
            )])
        }),
        Command::Sessions(SessionsCommand::List {
            path,
            auth,
            json,
            limit,
            min_frustration,
        }) => with_workspace(&path, &auth, device, |ws| {
            let mut sessions = ws.sessions(limit.filter(|_| min_frustration.is_none()))?;
            if let Some(min) = min_frustration {
                sessions.retain(|s| s.frustration.is_some_and(|f| f >= min));
                sessions.truncate(limit.unwrap_or(usize::MAX));
            }
            if json {
                output::json(&sessions)
            } else {
                output::lines(output::sessions_text(&sessions))
            }
        }),
        Command::Import {
            path,
            auth,
            manifest,
            assume_consent,
            reason,
            json,
            page,
            css_width,
            grid,
            recipe,
            files,
        } => {
            if let Some(grid) = grid {
                if !files.is_empty() {
                    return Err(Error::Invalid(
                        "With --grid, give no other files: import recordings separately.".into(),
                    ));
                }
                return with_workspace(&path, &auth, device, |ws| {
                    let report = ws.import_grid(&grid, recipe.as_deref())?;
                    if json {
                        output::json(&report)
                    } else {
                        output::lines(report.summary_lines())
                    }
                });
            }
            if let (Some(page), Some(css_width)) = (page, css_width) {
                let [file] = files.as_slice() else {
                    return Err(Error::Invalid(
                        "With --page, give exactly one screenshot file.".into(),
                    ));
                };
                return with_workspace(&path, &auth, device, |ws| {
                    let info = ws.import_screenshot(&page, css_width, file)?;
                    if json {
                        output::json(&info)
                    } else {
                        output::lines([format!(
                            "Stored the {} screenshot of {} ({}×{} px, taken at {} CSS px).",
                            info.viewport, info.page, info.width_px, info.height_px, info.css_width
                        )])
                    }
                });
            }
            let options = ImportOptions {
                manifest: manifest.as_deref().map(Manifest::load).transpose()?,
                assume_consent: match (assume_consent, reason) {
                    (Some(list), Some(reason)) if !reason.trim().is_empty() => {
                        Some((Purposes::parse(&list)?, reason))
                    }
                    (Some(_), _) => {
                        return Err(Error::Invalid("--assume-consent needs a --reason.".into()));
                    }
                    _ => None,
                },
            };
            let mut failed = false;
            let code = with_workspace(&path, &auth, device, |ws| {
                let cancel = AtomicBool::new(false);
                let report = ws.import(
                    &files,
                    &options,
                    &mut |p| {
                        eprintln!(
                            "[{}/{}] {} sessions stored",
                            p.files_done, p.files_total, p.sessions_stored
                        )
                    },
                    &cancel,
                )?;
                failed = !report.failed_files.is_empty();
                if json {
                    output::json(&report)
                } else {
                    output::lines(output::import_text(&report))
                }
            })?;
            // A pipeline must not take a partly failed import for a good one: the report still
            // lists what was stored.
            Ok(if failed && code == ExitCode::SUCCESS {
                ExitCode::from(1)
            } else {
                code
            })
        }
        Command::Demo { path, sessions } => {
            let path = path.unwrap_or_else(crate::sample::demo::default_path);
            let started = std::time::Instant::now();
            let summary =
                crate::sample::demo::build(&path, sessions, device, &mut |step, fraction| {
                    eprint!("\r[{:>3.0}%] {step:<40}", fraction * 100.0);
                })?;
            eprintln!();
            let mut lines = vec![
                format!(
                    "Demo dataset ready at {} in {:.1} s.",
                    summary.path.display(),
                    started.elapsed().as_secs_f32()
                ),
                format!(
                    "Accounts (password {}):",
                    crate::sample::demo::DEMO_PASSWORD
                ),
            ];
            lines.extend(
                crate::sample::demo::DEMO_USERS
                    .iter()
                    .map(|(u, r)| format!("  {u:<16} {}", r.label())),
            );
            lines.push(String::new());
            lines.extend(output::import_text(&summary.report));
            output::lines(lines)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(cmd) => super::bench::run(cmd, device),
        Command::Heatmap(args) => super::heatmap::run(&args, device),
        Command::Elements(args) => super::heatmap::elements(&args, device),
        Command::Erase {
            path,
            auth,
            subject,
        } => with_workspace(&path, &auth, device, |ws| {
            let receipt = ws.erase_subject(&subject)?;
            output::lines(super::receipt_lines(&receipt))
        }),
        Command::Report { path, auth, out } => with_workspace(&path, &auth, device, |ws| {
            let bytes = ws.export_report(&out)?;
            output::lines([format!("Wrote {} ({} KB).", out.display(), bytes / 1024)])
        }),
        Command::Retention(super::args::RetentionCommand::Run { path, auth }) => {
            with_workspace(&path, &auth, device, |ws| {
                let receipt = ws.purge("on demand")?;
                output::lines(super::receipt_lines(&receipt))
            })
        }
        Command::Masking(cmd) => masking(cmd, device),
        Command::Pages { path, auth, json } => with_workspace(&path, &auth, device, |ws| {
            let pages = ws.pages()?;
            if json {
                output::json(&pages)
            } else {
                output::lines(output::pages_text(&pages))
            }
        }),
        Command::Grids {
            path,
            auth,
            remove,
            json,
        } => with_workspace(&path, &auth, device, |ws| match remove {
            Some(id) => {
                let layer = ws.remove_grid_layer(id)?;
                if json {
                    output::json(&layer)
                } else {
                    output::lines([format!("Removed {}", layer.line())])
                }
            }
            None => {
                let layers = ws.grid_layers()?;
                if json {
                    output::json(&layers)
                } else if layers.is_empty() {
                    output::lines(["No warehouse grid layers.".to_owned()])
                } else {
                    output::lines(layers.iter().map(|l| l.line()))
                }
            }
        }),
    }
}

fn create(path: &Path, name: &str, admin: &str, device: &Device) -> Result<ExitCode> {
    let password = secrets::new_password(admin)?;
    let (dataset, key) = Dataset::create(path, name, admin, &password, device)?;
    output::lines([
        format!(
            "Created dataset \"{}\" at {} (id {}).",
            dataset.name(),
            path.display(),
            dataset.header().dataset_id
        ),
        format!("{admin} is its compliance lead."),
        String::new(),
        "Recovery key (shown once; store it offline, it opens every part of the dataset):".into(),
        String::new(),
        format!("    {key}"),
        String::new(),
    ])?;
    Ok(ExitCode::SUCCESS)
}

/// Unlocks as `auth.user`, prints notices to stderr, runs `body`, and locks again. An integrity
/// notice (rollback) turns a completed command's exit code into 5.
pub(super) fn with_workspace(
    path: &Path,
    auth: &Auth,
    device: &Device,
    body: impl FnOnce(&mut Workspace) -> Result<()>,
) -> Result<ExitCode> {
    let dataset = Dataset::open(path)?;
    let password = secrets::password(auth)?;
    let mut ws = dataset.unlock(&auth.user, &password, device)?;
    drop(password);
    let mut integrity = false;
    for notice in ws.notices() {
        match notice.level {
            NoticeLevel::Info => {
                if first_time(device, "keychain-notice") {
                    eprintln!("note: {}", output::inert(&notice.text));
                }
            }
            NoticeLevel::Warning => eprintln!("warning: {}", output::inert(&notice.text)),
            NoticeLevel::Integrity => {
                integrity = true;
                eprintln!("INTEGRITY: {}", output::inert(&notice.text));
            }
        }
    }
    let result = body(&mut ws);
    let locked = ws.lock();
    result?;
    locked?;
    Ok(if integrity {
        ExitCode::from(INTEGRITY_EXIT)
    } else {
        ExitCode::SUCCESS
    })
}

/// True the first time it is called for `marker` on this device.
fn first_time(device: &Device, marker: &str) -> bool {
    let path = device.state_dir().join(marker);
    if path.exists() {
        return false;
    }
    // If the marker cannot be written the note is shown again next time: harmless.
    let _written =
        fs::create_dir_all(device.state_dir()).and_then(|()| fs::write(&path, b"shown\n"));
    true
}

fn user(cmd: UserCommand, device: &Device) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            path,
            auth,
            name,
            role,
        } => {
            let password = secrets::new_password(&name)?;
            with_workspace(&path, &auth, device, |ws| {
                ws.add_user(&name, role, &password)?;
                output::lines([format!("Added {name} as {}.", role.label().to_lowercase())])
            })
        }
        UserCommand::List { path, auth, json } => with_workspace(&path, &auth, device, |ws| {
            let users = ws.users()?;
            if json {
                output::json(&users)
            } else {
                output::lines(output::users_text(&users))
            }
        }),
        UserCommand::Revoke { path, auth, name } => with_workspace(&path, &auth, device, |ws| {
            ws.revoke_user(&name, &mut |p: RotationProgress| {
                eprintln!("[{}/{}] {}", p.done, p.total, p.step)
            })?;
            output::lines([format!(
                "Revoked {name}. Every key they held has been replaced."
            )])
        }),
        UserCommand::Passwd { path, auth, name } => {
            let target = name.unwrap_or_else(|| auth.user.clone());
            let password = secrets::new_password(&target)?;
            with_workspace(&path, &auth, device, |ws| {
                ws.set_password(&target, &password)?;
                output::lines([format!("Password changed for {target}.")])
            })
        }
    }
}

fn log(cmd: LogCommand, device: &Device) -> Result<ExitCode> {
    match cmd {
        LogCommand::Show {
            path,
            auth,
            limit,
            json,
        } => with_workspace(&path, &auth, device, |ws| {
            let mut entries = ws.access_log(&LogQuery {
                newest: limit,
                ..LogQuery::default()
            })?;
            if limit.is_some() {
                entries.reverse();
            }
            if json {
                output::json(&entries)
            } else {
                output::lines(output::log_text(&entries))
            }
        }),
        LogCommand::Verify {
            path,
            auth,
            reanchor,
        } => {
            let mut intact = true;
            let code = with_workspace(&path, &auth, device, |ws| {
                let report = ws.verify()?;
                intact = report.is_intact();
                let mut lines = Vec::new();
                match &report.chain.problem {
                    None => lines.push(format!(
                        "Access log intact: {} entries, head #{} {}.",
                        report.chain.entries,
                        report.chain.head.map_or(0, |h| h.seq),
                        report
                            .chain
                            .head
                            .map(|h| hex::encode(h.hash))
                            .unwrap_or_default()
                    )),
                    Some(p) => lines.push(format!(
                        "Access log problem at entry {}: {}.",
                        p.seq, p.reason
                    )),
                }
                if report.damaged_pages.is_empty() {
                    lines.push("Every database page authenticated.".into());
                }
                for (file, page) in &report.damaged_pages {
                    lines.push(format!("Damaged page in {file}: {page}"));
                }
                if report.signatures_checked && report.chain.problem.is_none() {
                    lines.push("Every entry is signed by its author; every checkpoint and purge record by the authority.".into());
                } else if !report.signatures_checked {
                    lines.push("Entries are not signed yet: a compliance lead's sign-in upgrades this dataset.".into());
                }
                for problem in &report.trust_problems {
                    lines.push(format!("Integrity problem: {problem}."));
                }
                if let Some(off) = &report.rollback_off {
                    lines.push(off.clone());
                } else if !report.anchor_checked {
                    lines.push("No keychain anchor on this device yet: removal of the newest entries cannot be detected here until this device has seen the log once.".into());
                }
                if let Some(fingerprint) = ws.authority_fingerprint() {
                    lines.push(format!("Authority fingerprint: {fingerprint}"));
                }
                output::lines(lines)?;
                if reanchor {
                    ws.reanchor()?;
                    output::lines([
                        "This device's anchor now points at the current head.".to_owned()
                    ])?;
                }
                Ok(())
            })?;
            Ok(if intact {
                code
            } else {
                ExitCode::from(INTEGRITY_EXIT)
            })
        }
        LogCommand::Export {
            path,
            auth,
            format,
            out,
        } => with_workspace(&path, &auth, device, |ws| {
            let format = match format {
                ExportFormat::Csv => LogFormat::Csv,
                ExportFormat::Jsonl => LogFormat::Jsonl,
            };
            let count = crate::fsutil::write_atomically(&out, |w| ws.export_log(format, w))?;
            output::lines([format!("Exported {count} entries to {}.", out.display())])
        }),
    }
}

fn masking(cmd: MaskingCommand, device: &Device) -> Result<ExitCode> {
    use crate::privacy::masking::{Effect, Marker, MaskingRule};
    match cmd {
        MaskingCommand::List { path, auth, json } => with_workspace(&path, &auth, device, |ws| {
            let rules = ws.masking_rules()?;
            let paths = ws.path_rules()?;
            if json {
                let rows: Vec<_> = rules
                    .iter()
                    .map(|(id, rule)| serde_json::json!({"id": id, "rule": rule}))
                    .chain(
                        paths
                            .iter()
                            .map(|(id, rule)| serde_json::json!({"id": id, "path": rule})),
                    )
                    .collect();
                return output::json(&rows);
            }
            let element_rules = rules.iter().map(|(id, rule)| {
                let (on, name) = rule.marker.parts();
                format!("{id:>4}  {:<7} {on:<10} {name}", rule.effect.as_str())
            });
            let path_rules = paths.iter().map(|(id, rule)| {
                format!(
                    "{id:>4}  {:<7} {:<10} {} → {}",
                    "rewrite", "path", rule.pattern, rule.replacement
                )
            });
            output::lines(element_rules.chain(path_rules))
        }),
        MaskingCommand::Add {
            path,
            auth,
            class,
            attribute,
            selector,
            effect,
        } => {
            let marker = match (class, attribute, selector) {
                (Some(c), _, _) => Marker::Class(c),
                (None, Some(a), _) => Marker::Attribute(a),
                (None, None, Some(s)) => Marker::Selector(s),
                (None, None, None) => {
                    return Err(Error::Invalid(
                        "Give --class, --attribute or --selector.".into(),
                    ));
                }
            };
            let effect = Effect::parse(&effect)
                .ok_or_else(|| Error::Invalid("The effect is block, mask or ignore.".into()))?;
            let rule = MaskingRule { marker, effect };
            rule.validate()?;
            with_workspace(&path, &auth, device, |ws| {
                let id = ws.add_masking_rule(&rule)?;
                output::lines([format!(
                    "Added masking rule {id} ({}); it applies to the next imports.",
                    rule.describe()
                )])
            })
        }
        MaskingCommand::AddPath {
            path,
            auth,
            pattern,
            replacement,
        } => {
            let rule = crate::privacy::paths::PathRule {
                pattern,
                replacement,
            };
            rule.validate()?;
            with_workspace(&path, &auth, device, |ws| {
                let (id, renamed) = ws.add_path_rule(&rule)?;
                output::lines([format!(
                    "Added path rule {id} ({}); it applies to the next imports and screenshots. Stored pages renamed: {}, merged: {}; sessions rewritten: {}.",
                    rule.describe(),
                    renamed.pages_renamed,
                    renamed.pages_merged,
                    renamed.sessions
                )])
            })
        }
        MaskingCommand::Remove { path, auth, id } => with_workspace(&path, &auth, device, |ws| {
            ws.remove_masking_rule(id)?;
            output::lines([format!("Removed masking rule {id}.")])
        }),
    }
}
