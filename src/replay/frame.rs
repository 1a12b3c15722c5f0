//! One still frame of a replay, for tickets: the masked page (or the page's screenshot) at a
//! moment, at the session's viewport, with the pointer drawn where it was. Used by
//! `sightline sessions frame`; the player draws the same things live.

use std::collections::HashMap;

use crate::dom::DomTrack;
use crate::dom::seek::DomReplay;
use crate::error::{Error, Result};
use crate::export::draw::Canvas;
use crate::heatmap::figure::Screenshot;
use crate::render::{self, Frame, View};
use crate::replay::{PlayerState, Replay};
use crate::session::{SessionEvent, device_class};

/// What a frame is drawn from: a session's events, its page track and its pages' screenshots,
/// as an opening through the gate returned them.
pub struct FrameSource<'a> {
    /// The masked events.
    pub events: &'a [SessionEvent],
    /// The masked page, if kept.
    pub page: Option<&'a DomTrack>,
    /// Screenshots by (page pattern, viewport class).
    pub screenshots: &'a HashMap<(String, String), Screenshot>,
    /// The session's widest viewport, for sessions that never reported one.
    pub viewport_width: u32,
}

/// What the frame shows under the pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMode {
    /// The masked page, drawn from the recorded DOM.
    Page,
    /// The page's screenshot, scrolled as the session was.
    Screenshot,
}

/// Viewport height assumed when a session never reported one.
const DEFAULT_HEIGHT: u32 = 900;

/// The frame at `at_ms` (from the session's start).
pub fn compose(data: &FrameSource<'_>, at_ms: i64, mode: FrameMode) -> Result<Canvas> {
    let replay = Replay::new(data.events.to_vec());
    let at_ms = at_ms.clamp(0, replay.duration_ms().max(0));
    let state = replay.state_at(at_ms);
    let (w, h) = state
        .viewport
        .unwrap_or((data.viewport_width.max(320), DEFAULT_HEIGHT));
    let (w, h) = (
        w.clamp(200, render::MAX_SIDE),
        h.clamp(200, render::MAX_SIDE),
    );
    let frame = match mode {
        FrameMode::Page => {
            let track = data.page.cloned().ok_or_else(|| {
                Error::Invalid(
                    "This session has no readable recorded page; use --mode screenshot.".into(),
                )
            })?;
            let replay = DomReplay::new(track);
            let page = replay.at(at_ms);
            if !page.dom.has_page() {
                return Err(Error::Invalid(
                    "No page had been recorded yet at that moment.".into(),
                ));
            }
            let view = View {
                scroll_x: state.scroll.0,
                scroll_y: state.scroll.1,
                element_scrolls: replay.scrolls_at(replay.applied_at(at_ms)),
            };
            render::render_once(&page.dom.to_html_marking(replay.scrolled()), w, h, &view)?
        }
        FrameMode::Screenshot => screenshot_frame(data, &state, w, h)?,
    };
    let mut canvas = Canvas::new(
        frame.width as usize,
        frame.height as usize,
        frame
            .rgba
            .chunks_exact(4)
            .map(|p| [p[0], p[1], p[2], p[3]])
            .collect(),
    );
    if let Some((x, y)) = state.pointer {
        draw_pointer(&mut canvas, x - state.scroll.0, y - state.scroll.1);
    }
    Ok(canvas)
}

fn screenshot_frame(data: &FrameSource<'_>, state: &PlayerState, w: u32, h: u32) -> Result<Frame> {
    let page = state
        .page
        .clone()
        .ok_or_else(|| Error::Invalid("No page was open at that moment.".into()))?;
    let shot = data
        .screenshots
        .get(&(page, device_class(w).to_owned()))
        .ok_or_else(|| {
            Error::Invalid("There is no screenshot of this page at this viewport.".into())
        })?;
    let image = image::load_from_memory(&shot.png)
        .map_err(|_| Error::Format("The stored screenshot is unreadable.".into()))?
        .to_rgba8();
    let scale = image.width() as f32 / shot.css_width.max(1) as f32;
    let mut rgba = vec![255u8; w as usize * h as usize * 4];
    for y in 0..h {
        let sy = ((y as f32 + state.scroll.1) * scale) as u32;
        if sy >= image.height() {
            break;
        }
        for x in 0..w {
            let sx = ((x as f32 + state.scroll.0) * scale) as u32;
            if sx >= image.width() {
                break;
            }
            let i = (y as usize * w as usize + x as usize) * 4;
            rgba[i..i + 4].copy_from_slice(&image.get_pixel(sx, sy).0);
        }
    }
    Ok(Frame {
        width: w,
        height: h,
        rgba,
    })
}

/// A pointer arrow with a dark outline, tip at `(x, y)`.
fn draw_pointer(canvas: &mut Canvas, x: f32, y: f32) {
    canvas.fill_circle([x, y], 9.0, [255, 196, 0, 110]);
    canvas.arrow([x + 14.0, y + 20.0], [x, y], 4.0, [20, 20, 20, 255]);
    canvas.arrow([x + 14.0, y + 20.0], [x, y], 2.0, [255, 255, 255, 255]);
}
