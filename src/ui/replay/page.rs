//! The player's "Page" mode: frames of the masked page drawn by the renderer thread
//! ([`PageWorker`]) and shown as a texture, with the pointer and ripples painted on top by
//! the player as in screenshot mode. The UI thread never waits for a frame: it shows the
//! newest one it has and asks for the one it wants.

use crate::dom::seek::DomReplay;
use crate::render::Frame;
use crate::render::worker::{FrameRequest, PageWorker};

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
            marks,
            frames: 0,
        })
    }

    /// Asks for `request` (once) and returns what can be shown now.
    pub fn frame(&mut self, ctx: &egui::Context, request: FrameRequest) -> PageFrame<'_> {
        if self.asked.as_ref() != Some(&request) {
            self.worker.request(request.clone());
            self.asked = Some(request);
        }
        if let Some(reply) = self.worker.latest() {
            match reply.frame {
                Ok(frame) => self.take(ctx, &frame),
                Err(message) => return PageFrame::Failed(message),
            }
        }
        match &self.texture {
            Some(t) => PageFrame::Ready(t),
            None => PageFrame::Drawing,
        }
    }

    /// Blocks until the renderer has answered the last request (tests).
    pub fn wait(&mut self, ctx: &egui::Context) -> bool {
        let Some(reply) = self.worker.wait() else {
            return false;
        };
        match reply.frame {
            Ok(frame) => {
                self.take(ctx, &frame);
                true
            }
            Err(_) => false,
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
    }
}
