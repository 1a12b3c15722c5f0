//! Background jobs: work off the UI thread whose result the app picks up in `logic`.

use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// One running job with a single result.
pub struct Job<T> {
    rx: Receiver<T>,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a new thread.
    pub fn spawn(work: impl FnOnce() -> T + Send + 'static) -> Job<T> {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            // The receiver is gone only when the app closed; the result is then unwanted.
            let _unwanted = tx.send(work());
        });
        Job { rx }
    }

    /// The result, once the job has finished.
    pub fn try_take(&self) -> Option<T> {
        match self.rx.try_recv() {
            Ok(value) => Some(value),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }
}
