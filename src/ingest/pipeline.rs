//! The CPU half of an import on its own thread: reading, parsing, masking and converting
//! recordings runs one session ahead of the thread that writes them, so on two cores parsing
//! and SQLite's page encryption overlap. Only a few converted sessions are in flight at a time,
//! so memory still follows the largest session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::manifest::ManifestRow;
use super::{ImportInput, Purposes, native, rrweb};
use crate::dom::capture::TextPolicy;
use crate::error::Result;
use crate::privacy::masking::Masking;

/// Converted sessions waiting to be written, at most.
const IN_FLIGHT: usize = 4;

/// A session ready for consent checks and storage.
pub(super) struct Prepared {
    /// The identifier a manifest refers to.
    pub source_id: String,
    /// Masked events.
    pub converted: rrweb::Converted,
    /// A native file's session header and its consent.
    pub header: Option<(ManifestRow, Option<Purposes>)>,
}

/// What the preparing thread hands over, in input order.
pub(super) enum Item {
    /// One session of the current file.
    Session(Box<Prepared>),
    /// The current file is finished; an error means it could not be read completely.
    FileEnd {
        /// Its display name.
        name: String,
        /// How it ended.
        result: Result<()>,
    },
}

/// Starts preparing `inputs` on a scoped thread; the receiver yields their sessions in order.
/// Dropping the receiver stops the thread at its next session.
pub(super) fn start<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    inputs: Vec<&'scope ImportInput>,
    masking: &'scope Masking,
    cancel: &'scope AtomicBool,
) -> Receiver<Item> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    scope.spawn(move || {
        for input in inputs {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            if let ImportInput::Stream(stream) = input {
                // Each recording is made when the last one has been handed over.
                while let Some((name, text)) = stream.next() {
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let name = super::pii::redact(&name).0.into_owned();
                    let result = match prepare_file(&name, &text, masking, cancel, &tx) {
                        Ok(result) => result,
                        Err(Stop) => return,
                    };
                    if tx.send(Item::FileEnd { name, result }).is_err() {
                        return;
                    }
                }
                continue;
            }
            let name = input.name();
            let result = match input.text(&name) {
                Ok(text) => match prepare_file(&name, &text, masking, cancel, &tx) {
                    Ok(result) => result,
                    Err(Stop) => return,
                },
                Err(e) => Err(e),
            };
            if tx.send(Item::FileEnd { name, result }).is_err() {
                return;
            }
        }
    });
    rx
}

/// The receiver is gone: the writer stopped.
struct Stop;

fn prepare_file(
    name: &str,
    text: &str,
    masking: &Masking,
    cancel: &AtomicBool,
    tx: &SyncSender<Item>,
) -> std::result::Result<Result<()>, Stop> {
    let send = |p: Prepared| tx.send(Item::Session(Box::new(p))).map_err(|_| Stop);
    if native::is_native(text) {
        let sessions = match native::parse(name, text, masking) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        for s in sessions {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            send(Prepared {
                source_id: s.source_id,
                converted: s.converted,
                header: Some((s.header, s.consent)),
            })?;
        }
        return Ok(Ok(()));
    }
    let pending = match rrweb::split(name, text) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    for p in pending {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        // Decoded one at a time, so memory follows the largest session, not the file.
        let recording = match p.decode(name) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let mut converted = rrweb::convert(&recording, masking);
        converted.page = rrweb::page::capture(
            &recording,
            masking,
            converted.started_at_ms,
            TextPolicy::Mask,
        );
        send(Prepared {
            source_id: recording.source_id,
            converted,
            header: None,
        })?;
    }
    Ok(Ok(()))
}
