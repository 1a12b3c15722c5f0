//! The player's "Page" mode: frames of the masked page drawn by the renderer thread
//! ([`PageWorker`]) and shown as a texture, with the pointer and ripples painted on top by
//! the player as in screenshot mode. The UI thread never waits for a frame: it shows the
//! newest one it has and asks for the one it wants.

use crate::dom::seek::DomReplay;
use crate::render::Frame;
use crate::render::worker::{FrameReply, FrameRequest, PageWorker};

/// Which background the player draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerMode {
    /// The masked page drawn from the recorded DOM.
    Page,
    /// The page's screenshot.
    Screenshot,
}

/// A replay's page renderer and the frame on screen.
pub struct PagePlayer {
    worker: PageWorker,
    texture: Option<egui::TextureHandle>,
    asked: Option<FrameRequest>,
    /// The last answer said there was no page at that moment.
    no_page: bool,
    /// A request is not answered yet.
    outstanding: bool,
    /// The renderer failed with this message (not shown yet).
    failed: Option<String>,
    /// Times where the page itself changed, for the timeline.
    pub marks: Vec<i64>,
    /// Frames drawn so far (for tests and the status line).
    pub frames: u64,
}

/// What the page mode has to show now.
pub enum PageFrame<'a> {
    /// A frame (possibly of a moment just before the one asked).
    Ready(&'a egui::TextureHandle),
    /// Nothing drawn yet.
    Drawing,
    /// The session had not loaded a page yet at this moment.
    NoPage,
    /// The renderer failed: the player falls back to the screenshot with this message.
    Failed(String),
}

impl PagePlayer {
    /// Starts the renderer thread for `replay`; `None` (with the reason) when no thread
    /// could be started.
    pub fn start(replay: DomReplay, ctx: &egui::Context) -> Result<PagePlayer, String> {
        let marks = replay
            .track()
            .marks()
            .into_iter()
            .filter(|(_, label)| *label != "page loaded")
            .map(|(t, _)| t)
            .collect();
        let wake = ctx.clone();
        let worker = PageWorker::start(replay, move || wake.request_repaint())
            .map_err(|_| "The page renderer could not start.".to_owned())?;
        Ok(PagePlayer {
            worker,
            texture: None,
            asked: None,
            no_page: false,
            outstanding: false,
            failed: None,
            marks,
            frames: 0,
        })
    }

    /// Asks for `request` (once) and returns what can be shown now.
    pub fn frame(&mut self, ctx: &egui::Context, request: FrameRequest) -> PageFrame<'_> {
        if self.asked.as_ref() != Some(&request) {
            self.worker.request(request.clone());
            self.asked = Some(request);
            self.outstanding = true;
        }
        if let Some(reply) = self.worker.latest() {
            self.answer(ctx, reply);
        }
        if let Some(message) = self.failed.take() {
            return PageFrame::Failed(message);
        }
        match &self.texture {
            _ if self.no_page => PageFrame::NoPage,
            Some(t) => PageFrame::Ready(t),
            None => PageFrame::Drawing,
        }
    }

    /// Blocks until the renderer has answered the last request (at most 30 s), so tests wait
    /// on the work itself rather than on time.
    pub fn wait(&mut self, ctx: &egui::Context) {
        while self.outstanding {
            let Some(reply) = self.worker.wait(std::time::Duration::from_secs(30)) else {
                self.outstanding = false;
                return;
            };
            self.answer(ctx, reply);
        }
    }

    fn answer(&mut self, ctx: &egui::Context, reply: FrameReply) {
        if self.asked.as_ref() == Some(&reply.request) {
            self.outstanding = false;
        }
        match reply.frame {
            Ok(Some(frame)) => self.take(ctx, &frame),
            Ok(None) => self.no_page = true,
            Err(message) => self.failed = Some(message),
        }
    }

    fn take(&mut self, ctx: &egui::Context, frame: &Frame) {
        let image = egui::ColorImage::from_rgba_unmultiplied(
            [frame.width as usize, frame.height as usize],
            &frame.rgba,
        );
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture =
                    Some(ctx.load_texture("replay-page", image, egui::TextureOptions::LINEAR));
            }
        }
        self.frames += 1;
        self.no_page = false;
    }
}
