//! Background jobs: work off the UI thread whose result the app picks up in `logic`.

use std::cell::RefCell;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use crate::error::Error;

/// One running job with a single result.
pub struct Job<T> {
    rx: Receiver<T>,
    /// A result taken by [`Job::wait`], handed out by the next poll.
    ready: RefCell<Option<T>>,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a new thread.
    pub fn spawn(work: impl FnOnce() -> T + Send + 'static) -> Job<T> {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            // The receiver is gone only when the app closed; the result is then unwanted.
            let _unwanted = tx.send(work());
        });
        Job {
            rx,
            ready: RefCell::new(None),
        }
    }

    /// Blocks until the job has finished or `timeout` passed; the result is kept for the next
    /// poll. Tests use this to step frames without sleeping.
    pub fn wait(&self, timeout: Duration) {
        if self.ready.borrow().is_none()
            && let Ok(value) = self.rx.recv_timeout(timeout)
        {
            *self.ready.borrow_mut() = Some(value);
        }
    }

    /// The result, once the job has finished.
    pub fn poll(&self) -> Poll<T> {
        if let Some(value) = self.ready.borrow_mut().take() {
            return Poll::Done(value);
        }
        match self.rx.try_recv() {
            Ok(value) => Poll::Done(value),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}

impl<T: Send + 'static> Job<Result<T, Error>> {
    /// The result once finished, or `None` while running; a worker that died reads as an
    /// error naming `what`.
    pub fn finished(&self, what: &str) -> Option<Result<T, Error>> {
        match self.poll() {
            Poll::Running => None,
            Poll::Done(result) => Some(result),
            Poll::Lost => Some(Err(Error::Invalid(format!(
                "{what} stopped unexpectedly. Try again."
            )))),
        }
    }
}

/// Takes the result out of `slot` once its job has finished (emptying the slot); while it
/// runs, asks for another frame soon so the result is picked up without waiting for input.
pub fn take_finished<T: Send + 'static>(
    slot: &mut Option<Job<Result<T, Error>>>,
    what: &str,
    ctx: &egui::Context,
) -> Option<Result<T, Error>> {
    let result = slot.as_ref()?.finished(what);
    match result {
        Some(_) => *slot = None,
        None => ctx.request_repaint_after(std::time::Duration::from_millis(30)),
    }
    result
}

/// Any job, for waiting on it whatever its result type.
pub trait Wait {
    /// See [`Job::wait`].
    fn wait(&self, timeout: Duration);
    /// Whether the job's thread has finished: its closure, and the forked workspace it owned,
    /// are gone.
    fn done(&self) -> bool;
}

impl<T: Send + 'static> Wait for Job<T> {
    fn wait(&self, timeout: Duration) {
        Job::wait(self, timeout);
    }

    fn done(&self) -> bool {
        if self.ready.borrow().is_some() {
            return true;
        }
        match self.rx.try_recv() {
            Ok(value) => {
                *self.ready.borrow_mut() = Some(value);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => true,
        }
    }
}

/// Where a job is.
pub enum Poll<T> {
    /// Still working.
    Running,
    /// Finished with this result.
    Done(T),
    /// The worker died (a panic) without a result.
    Lost,
}
