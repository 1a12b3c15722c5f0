//! The CPU half of an import on its own thread: reading, parsing, masking and converting
//! recordings runs ahead of the thread that writes them, so on two cores parsing and SQLite's
//! page encryption overlap. What is in flight is bounded by bytes of recording as well as by
//! sessions, so memory still follows the largest session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::manifest::ManifestRow;
use super::{ImportInput, Purposes, native, rrweb};
use crate::dom::capture::TextPolicy;
use crate::error::Result;
use crate::privacy::masking::Masking;

/// Converted sessions waiting to be written, at most. A deep queue lets the preparing thread
/// keep going while the writer commits a batch (4 sessions measured 10% slower than 32).
const IN_FLIGHT: usize = 32;
/// Bytes of recording text (as expanded, for compressed events) behind the sessions waiting
/// to be written, at most; one session is always let through, however large.
const IN_FLIGHT_BYTES: usize = 32 << 20;

/// The bytes of recordings handed over and not yet taken by the writer.
#[derive(Default)]
struct Budget {
    state: Mutex<BudgetState>,
    freed: Condvar,
}

#[derive(Default)]
struct BudgetState {
    used: usize,
    /// The writer stopped taking sessions.
    closed: bool,
}

impl Budget {
    /// Waits until `bytes` more fit; `Err` when the writer has gone.
    fn take(&self, bytes: usize) -> std::result::Result<(), Stop> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.closed && state.used > 0 && state.used + bytes > IN_FLIGHT_BYTES {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return Err(Stop);
        }
        state.used += bytes;
        Ok(())
    }

    fn give_back(&self, bytes: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.used = state.used.saturating_sub(bytes);
        self.freed.notify_all();
    }

    fn close(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.freed.notify_all();
    }
}

/// The writer's end: sessions in input order. Dropping it stops the preparing thread at its
/// next session.
pub(super) struct Incoming {
    rx: Receiver<(Item, usize)>,
    budget: Arc<Budget>,
}

impl Iterator for Incoming {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let (item, bytes) = self.rx.recv().ok()?;
        self.budget.give_back(bytes);
        Some(item)
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.budget.close();
    }
}

/// The preparing thread's end.
struct Outgoing {
    tx: SyncSender<(Item, usize)>,
    budget: Arc<Budget>,
}

impl Outgoing {
    /// Hands over a session that came from `bytes` of recording text.
    fn session(&self, prepared: Prepared, bytes: usize) -> std::result::Result<(), Stop> {
        self.budget.take(bytes)?;
        self.tx
            .send((Item::Session(Box::new(prepared)), bytes))
            .map_err(|_| Stop)
    }

    fn file_end(&self, name: String, result: Result<()>) -> std::result::Result<(), Stop> {
        self.tx
            .send((Item::FileEnd { name, result }, 0))
            .map_err(|_| Stop)
    }
}

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

/// Starts preparing `inputs` on a scoped thread.
pub(super) fn start<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    inputs: Vec<&'scope ImportInput>,
    masking: &'scope Masking,
    cancel: &'scope AtomicBool,
) -> Incoming {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let budget = Arc::new(Budget::default());
    let tx = Outgoing {
        tx,
        budget: Arc::clone(&budget),
    };
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
                    if tx.file_end(name, result).is_err() {
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
            if tx.file_end(name, result).is_err() {
                return;
            }
        }
    });
    Incoming { rx, budget }
}

/// The receiver is gone: the writer stopped.
#[derive(Debug)]
struct Stop;

fn prepare_file(
    name: &str,
    text: &str,
    masking: &Masking,
    cancel: &AtomicBool,
    tx: &Outgoing,
) -> std::result::Result<Result<()>, Stop> {
    if native::is_native(text) {
        let sessions = match native::parse(name, text, masking) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let bytes = text.len() / sessions.len().max(1);
        for s in sessions {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let prepared = Prepared {
                source_id: s.source_id,
                converted: s.converted,
                header: Some((s.header, s.consent)),
            };
            tx.session(prepared, bytes)?;
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
        // Charged at the JSON it came from, compressed events as they expanded: more than
        // the masked session that is queued, so the bound holds.
        let bytes = recording.text_bytes;
        let prepared = Prepared {
            source_id: recording.source_id,
            converted,
            header: None,
        };
        tx.session(prepared, bytes)?;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[test]
    fn a_session_larger_than_the_budget_still_goes_through_alone() {
        let budget = Budget::default();
        assert!(budget.take(IN_FLIGHT_BYTES * 3).is_ok());
        budget.give_back(IN_FLIGHT_BYTES * 3);
        assert_eq!(budget.state.lock().unwrap().used, 0);
    }

    #[test]
    fn the_next_session_waits_until_the_writer_takes_enough_bytes() {
        let budget = Arc::new(Budget::default());
        budget.take(IN_FLIGHT_BYTES - 10).unwrap();
        let passed = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (budget, passed) = (Arc::clone(&budget), Arc::clone(&passed));
            std::thread::spawn(move || {
                let taken = budget.take(20).is_ok();
                passed.store(true, Ordering::SeqCst);
                taken
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        assert!(!passed.load(Ordering::SeqCst), "went past a full budget");
        budget.give_back(IN_FLIGHT_BYTES - 10);
        assert!(waiter.join().unwrap());
        assert_eq!(budget.state.lock().unwrap().used, 20);
    }

    #[test]
    fn a_writer_that_stops_releases_a_waiting_sender() {
        let budget = Arc::new(Budget::default());
        budget.take(IN_FLIGHT_BYTES).unwrap();
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.take(1).is_err())
        };
        std::thread::sleep(Duration::from_millis(50));
        budget.close();
        assert!(waiter.join().unwrap(), "the sender was not told to stop");
    }
}
