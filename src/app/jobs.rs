//! Background jobs: work off the UI thread, every one of them known to one registry that Lock
//! stops and waits out, whose typed results the features pick up in `logic`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::error::Error;

/// Asks a running job to stop at its next check. Jobs that cannot stop mid-step finish the
/// step and drop their result unread.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Asks the job to stop.
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the job was asked to stop.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag, for the core's long loops (import, scans).
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// Whose a job is: the signed-in session's die with it, the app's (unlock, the demo build)
/// do not.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// Holds the session's keys (a fork): stopped by Lock and sign-out.
    Session,
    /// Belongs to the window.
    App,
}

/// Set once the job's thread has dropped its work (and any fork it owned).
#[derive(Default)]
struct Ended {
    flag: Mutex<bool>,
    signal: Condvar,
}

impl Ended {
    fn mark(&self) {
        if let Ok(mut ended) = self.flag.lock() {
            *ended = true;
        }
        self.signal.notify_all();
    }

    fn is_set(&self) -> bool {
        self.flag.lock().map(|e| *e).unwrap_or(true)
    }

    fn wait(&self, timeout: Duration) {
        if let Ok(guard) = self.flag.lock() {
            let _timed_out = self
                .signal
                .wait_timeout_while(guard, timeout, |ended| !*ended);
        }
    }
}

struct Tracked {
    what: &'static str,
    scope: Scope,
    stop: Stop,
    ended: Arc<Ended>,
}

/// Every job running in this window, from start until its thread has ended, whether or not
/// anyone still wants its result.
#[derive(Default)]
pub struct Jobs {
    running: Vec<Tracked>,
}

impl Jobs {
    /// Runs `work` on a new thread; it gets the job's [`Stop`] to check in long loops.
    pub fn spawn<T: Send + 'static>(
        &mut self,
        what: &'static str,
        scope: Scope,
        work: impl FnOnce(&Stop) -> T + Send + 'static,
    ) -> Job<T> {
        let (tx, rx) = channel();
        let stop = Stop::default();
        let ended = Arc::new(Ended::default());
        let (thread_stop, thread_ended) = (stop.clone(), Arc::clone(&ended));
        std::thread::spawn(move || {
            // `work` is consumed by the call, so what it captured (a fork and its keys) is
            // dropped before the job is marked ended.
            let result = work(&thread_stop);
            // The receiver is gone when nobody wants the result any more (Lock, a newer job).
            let _unwanted = tx.send(result);
            thread_ended.mark();
        });
        self.running.push(Tracked {
            what,
            scope,
            stop: stop.clone(),
            ended,
        });
        Job { rx, stop }
    }

    /// Asks every job of the signed-in session to stop (Lock, sign-out); they stay tracked
    /// until their threads have ended.
    pub fn stop_session(&mut self) {
        for job in self.running.iter().filter(|j| j.scope == Scope::Session) {
            job.stop.set();
        }
    }

    /// Forgets jobs whose threads have ended.
    pub fn prune(&mut self) {
        self.running.retain(|j| !j.ended.is_set());
    }

    /// Whether no job is tracked: every one has ended and was forgotten by [`Jobs::prune`],
    /// which the app calls in the frame that also takes up results.
    pub fn is_idle(&self) -> bool {
        self.running.is_empty()
    }

    /// Whether any job's thread is still running.
    pub fn any_running(&self) -> bool {
        self.running.iter().any(|j| !j.ended.is_set())
    }

    /// What is still running, by name (for messages).
    pub fn running(&self) -> Vec<&'static str> {
        self.running
            .iter()
            .filter(|j| !j.ended.is_set())
            .map(|j| j.what)
            .collect()
    }

    /// Blocks until every job has ended or `timeout` passed for each; tests step frames
    /// after this instead of sleeping.
    pub fn wait_all(&self, timeout: Duration) {
        for job in &self.running {
            job.ended.wait(timeout);
        }
    }
}

/// A job's typed result, for the feature that started it. Dropping it leaves the job running
/// (tracked by [`Jobs`]) and its result unread.
pub struct Job<T> {
    rx: Receiver<T>,
    stop: Stop,
}

impl<T> Job<T> {
    /// Asks this job to stop.
    pub fn stop(&self) {
        self.stop.set();
    }

    /// The result, once the job has finished.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(value) => Poll::Done(value),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}

impl<T> Job<Result<T, Error>> {
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
pub fn take_finished<T>(
    slot: &mut Option<Job<Result<T, Error>>>,
    what: &str,
    ctx: &egui::Context,
) -> Option<Result<T, Error>> {
    let result = slot.as_ref()?.finished(what);
    match result {
        Some(_) => *slot = None,
        None => ctx.request_repaint_after(Duration::from_millis(30)),
    }
    result
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_the_session_ends_its_jobs_and_leaves_the_apps_running() {
        let mut jobs = Jobs::default();
        let (release_app, app_waits) = channel::<()>();
        let session = jobs.spawn("scan", Scope::Session, |stop| {
            // Runs until asked to stop; without the stop this test would time out below.
            while !stop.is_set() {
                std::thread::sleep(Duration::from_millis(1));
            }
            "stopped"
        });
        let app = jobs.spawn("unlock", Scope::App, move |_| app_waits.recv().is_ok());
        assert_eq!(jobs.running(), ["scan", "unlock"]);
        jobs.stop_session();
        jobs.wait_all(Duration::from_millis(200));
        jobs.prune();
        assert_eq!(jobs.running(), ["unlock"], "only the app's job is left");
        assert!(matches!(session.poll(), Poll::Done("stopped")));
        assert!(matches!(app.poll(), Poll::Running));
        release_app.send(()).ok();
        jobs.wait_all(Duration::from_secs(5));
        jobs.prune();
        assert!(!jobs.any_running());
        assert!(matches!(app.poll(), Poll::Done(true)));
    }

    #[test]
    fn a_job_is_tracked_until_its_captures_are_dropped_even_when_its_result_is_not_wanted() {
        let mut jobs = Jobs::default();
        let held = Arc::new(());
        let captured = Arc::clone(&held);
        let (go, wait) = channel::<()>();
        let job = jobs.spawn("export", Scope::Session, move |_| {
            let _keep = &captured;
            wait.recv().ok();
        });
        drop(job);
        assert!(jobs.any_running());
        go.send(()).ok();
        jobs.wait_all(Duration::from_secs(5));
        assert!(!jobs.any_running());
        assert_eq!(Arc::strong_count(&held), 1, "the capture is gone");
    }
}
