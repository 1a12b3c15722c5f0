//! The page renderer's thread: it owns a session's [`DomReplay`] and the Blitz document of the
//! moment shown, takes "draw the page at t" requests and answers with frames. Only the newest
//! request is drawn (playback never falls behind); a layout is reused while only scrolls
//! change. Dropping the [`PageWorker`] ends the thread.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use crate::dom::seek::DomReplay;
use crate::render::{Frame, PageDoc, View};

/// What the player asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRequest {
    /// Milliseconds from the session's start.
    pub t_ms: i64,
    /// Viewport width.
    pub width: u32,
    /// Viewport height.
    pub height: u32,
    /// Window scroll.
    pub scroll_x: f32,
    /// Window scroll.
    pub scroll_y: f32,
}

/// What comes back.
#[derive(Debug)]
pub struct FrameReply {
    /// The request it answers.
    pub request: FrameRequest,
    /// The frame (`None` before the first page of the session), or a message for the user.
    pub frame: Result<Option<Frame>, String>,
}

/// A handle to the renderer thread of one replay.
pub struct PageWorker {
    requests: Option<Sender<FrameRequest>>,
    replies: Receiver<FrameReply>,
    thread: Option<JoinHandle<()>>,
}

/// Draws the page of `replay` at `request`, reusing `doc` when the layout is the same;
/// `None` before the session's first page.
pub fn draw(
    replay: &DomReplay,
    doc: &mut Option<(usize, PageDoc)>,
    request: &FrameRequest,
) -> Result<Option<Frame>, String> {
    let applied = replay.applied_at(request.t_ms);
    let version = replay.layout_version(applied);
    let size = (
        request.width.clamp(1, crate::render::MAX_SIDE),
        request.height.clamp(1, crate::render::MAX_SIDE),
    );
    // While only scrolls change (playback, mostly), the tree is not rebuilt at all.
    let reuse = matches!(doc, Some((v, d)) if *v == version && d.size() == size);
    if !reuse {
        *doc = None;
        let page = replay.at(request.t_ms);
        if !page.dom.has_page() {
            return Ok(None);
        }
        let html = page.dom.to_html_marking(replay.scrolled());
        let loaded = PageDoc::load(&html, size.0, size.1).map_err(|e| e.to_string())?;
        *doc = Some((version, loaded));
    }
    let Some((_, d)) = doc.as_mut() else {
        return Err("The page could not be drawn.".into());
    };
    let view = View {
        scroll_x: request.scroll_x,
        scroll_y: request.scroll_y,
        element_scrolls: replay.scrolls_at(applied),
    };
    let frame = d.paint(&view).map_err(|e| e.to_string());
    if frame.is_err() {
        // A document that panicked is not trusted again.
        *doc = None;
    }
    frame.map(Some)
}

impl PageWorker {
    /// Starts the thread for `replay`; `wake` is called after each reply (to repaint the UI).
    pub fn start(replay: DomReplay, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (req_tx, req_rx) = mpsc::channel::<FrameRequest>();
        let (rep_tx, rep_rx) = mpsc::channel::<FrameReply>();
        let thread = std::thread::Builder::new()
            .name("page renderer".into())
            .spawn(move || {
                let mut doc = None;
                while let Ok(mut request) = req_rx.recv() {
                    // Only the newest request matters.
                    loop {
                        match req_rx.try_recv() {
                            Ok(newer) => request = newer,
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => return,
                        }
                    }
                    let frame = draw(&replay, &mut doc, &request);
                    if rep_tx.send(FrameReply { request, frame }).is_err() {
                        return;
                    }
                    wake();
                }
            })?;
        Ok(PageWorker {
            requests: Some(req_tx),
            replies: rep_rx,
            thread: Some(thread),
        })
    }

    /// Asks for a frame (answered later through [`PageWorker::latest`]).
    pub fn request(&self, request: FrameRequest) {
        if let Some(tx) = &self.requests {
            // A closed channel means the thread ended; `latest` then stays empty.
            let _sent = tx.send(request);
        }
    }

    /// The newest reply since the last call, if any.
    pub fn latest(&self) -> Option<FrameReply> {
        self.replies.try_iter().last()
    }

    /// Waits up to `timeout` for the next reply.
    pub fn wait(&self, timeout: std::time::Duration) -> Option<FrameReply> {
        self.replies.recv_timeout(timeout).ok()
    }
}

impl Drop for PageWorker {
    fn drop(&mut self) {
        self.requests = None;
        // The thread ends after its current frame; it is not joined here so that closing a
        // replay never waits on a slow layout.
        drop(self.thread.take());
    }
}
