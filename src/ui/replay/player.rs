//! The player: the page's screenshot scrolled with the session, the pointer with a fading
//! trail, click and tap ripples (rage in red), masked field values on labels, navigation and
//! viewport changes; a neutral labelled frame where a page has no screenshot.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ui::theme;
use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, pos2, vec2};

use crate::access::SessionSummary;
use crate::access::replay::SurveyAnswer;
use crate::dom::seek::DomReplay;
use crate::render::worker::FrameRequest;
use crate::replay::timeline::{self, MarkKind};
use crate::replay::{PlayerState, Replay};
use crate::session::{EventKind, device_class};
use crate::ui::heatmaps::state::ShotPixels;
use crate::ui::heatmaps::tiles::band_rows;
use crate::ui::replay::page::{PageFrame, PagePlayer, PlayerMode};

/// Speeds offered.
pub const SPEEDS: [f32; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// A screenshot as the player draws it: pixels, CSS width, and textures made on first use.
pub struct PlayerShot {
    /// Decoded pixels.
    pub pixels: Arc<ShotPixels>,
    /// The CSS width it was taken at.
    pub css_width: u32,
    bands: Vec<(usize, usize, egui::TextureHandle)>,
}

impl PlayerShot {
    /// Wraps decoded pixels.
    pub fn new(pixels: Arc<ShotPixels>, css_width: u32) -> PlayerShot {
        PlayerShot {
            pixels,
            css_width,
            bands: Vec::new(),
        }
    }

    fn bands(&mut self, ctx: &egui::Context) -> &[(usize, usize, egui::TextureHandle)] {
        if self.bands.is_empty() {
            let [w, h] = self.pixels.size;
            let rows = band_rows(ctx);
            for i in 0..h.div_ceil(rows) {
                let (y0, y1) = (i * rows, ((i + 1) * rows).min(h));
                let image = egui::ColorImage::from_rgba_unmultiplied(
                    [w, y1 - y0],
                    &self.pixels.rgba[y0 * w * 4..y1 * w * 4],
                );
                let t =
                    ctx.load_texture(format!("player-{i}"), image, egui::TextureOptions::LINEAR);
                self.bands.push((y0, y1, t));
            }
        }
        &self.bands
    }
}

/// An open replay and the playback controls.
pub struct PlayerViewState {
    /// The list row.
    pub session: SessionSummary,
    /// The events and their index.
    pub replay: Replay,
    /// Screenshots by (page, viewport class).
    pub shots: HashMap<(String, String), PlayerShot>,
    /// The survey answer, if any.
    pub survey: Option<SurveyAnswer>,
    /// Why it was opened (logged).
    pub purpose: String,
    /// The shown time, ms from the start.
    pub t_ms: f64,
    /// Playing or paused.
    pub playing: bool,
    /// Playback speed.
    pub speed: f32,
    /// Jump over idle stretches.
    pub skip_idle: bool,
    /// Events per slice of the timeline.
    pub activity: Vec<u32>,
    /// Timeline markers.
    pub marks: Vec<(i64, MarkKind)>,
    /// Indices of the events listed beside the player (not pointer samples).
    pub listed: Vec<usize>,
    /// The window clock (egui input time, s) at the last frame that advanced playback.
    last_tick: Option<f64>,
    /// The event list follows playback to this row.
    pub follow: Option<usize>,
    /// The masked page's renderer, when the session has a recorded page.
    pub page: Option<PagePlayer>,
    /// What the player draws under the pointer.
    pub mode: PlayerMode,
    /// Why the page mode is not available or stopped, in words.
    pub page_note: Option<String>,
}

impl PlayerViewState {
    /// A paused player at the start.
    pub fn new(
        session: SessionSummary,
        replay: Replay,
        shots: HashMap<(String, String), PlayerShot>,
        survey: Option<SurveyAnswer>,
        purpose: String,
        page: Option<(DomReplay, egui::Context)>,
    ) -> PlayerViewState {
        let activity = timeline::activity(replay.events(), replay.duration_ms(), 240);
        let (page, page_note) = match page.map(|(r, ctx)| PagePlayer::start(r, &ctx)) {
            Some(Ok(p)) => (Some(p), None),
            Some(Err(why)) => (None, Some(why)),
            None => (
                None,
                Some("No page was recorded for this session: screenshot only.".to_owned()),
            ),
        };
        let mut marks: Vec<(i64, MarkKind)> = replay
            .events()
            .iter()
            .filter_map(|e| timeline::mark(e).map(|m| (e.t_ms, m)))
            .collect();
        if let Some(p) = &page {
            marks.extend(p.marks.iter().map(|t| (*t, MarkKind::PageChange)));
            marks.sort_by_key(|(t, _)| *t);
        }
        let mode = if page.is_some() {
            PlayerMode::Page
        } else {
            PlayerMode::Screenshot
        };
        let listed = replay
            .events()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind != EventKind::Move)
            .map(|(i, _)| i)
            .collect();
        PlayerViewState {
            session,
            replay,
            shots,
            survey,
            purpose,
            t_ms: 0.0,
            playing: false,
            speed: 1.0,
            skip_idle: true,
            activity,
            marks,
            listed,
            last_tick: None,
            follow: None,
            page,
            mode,
            page_note,
        }
    }

    /// Switches between the masked page and the screenshot (when there is a page).
    pub fn toggle_mode(&mut self) {
        if self.page.is_some() {
            self.mode = match self.mode {
                PlayerMode::Page => PlayerMode::Screenshot,
                PlayerMode::Screenshot => PlayerMode::Page,
            };
        }
    }

    /// The state at the shown time.
    pub fn state(&self) -> PlayerState {
        self.replay.state_at(self.t_ms as i64)
    }

    /// Moves the shown time (clamped to the session).
    pub fn seek(&mut self, t_ms: f64) {
        self.t_ms = t_ms.clamp(0.0, self.replay.duration_ms() as f64);
        self.last_tick = None;
    }

    /// Plays or pauses; playing from the end starts over.
    pub fn toggle(&mut self) {
        if !self.playing && self.t_ms >= self.replay.duration_ms() as f64 {
            self.t_ms = 0.0;
        }
        self.playing = !self.playing;
        self.last_tick = None;
    }

    /// Advances playback by the window clock's time since the last frame (so tests move the
    /// clock instead of sleeping).
    pub fn tick(&mut self, ctx: &egui::Context) {
        if !self.playing {
            self.last_tick = None;
            return;
        }
        let now = ctx.input(|i| i.time);
        if let Some(last) = self.last_tick {
            let dt = (now - last).max(0.0) * 1000.0 * f64::from(self.speed);
            let mut t = self.t_ms + dt;
            if self.skip_idle {
                t = timeline::skip_idle(t as i64, self.replay.next_any_after(t as i64)) as f64;
            }
            self.t_ms = t.min(self.replay.duration_ms() as f64);
            if self.t_ms >= self.replay.duration_ms() as f64 {
                self.playing = false;
            }
        }
        self.last_tick = Some(now);
        ctx.request_repaint();
    }
}

const TRAIL_MS: i64 = 1_000;
const RIPPLE_MS: i64 = 600;

/// Draws the frame for the shown time.
pub fn frame_ui(ui: &mut egui::Ui, p: &mut PlayerViewState) {
    let state = p.state();
    let t = p.t_ms as i64;
    let (vw, vh) = state
        .viewport
        .unwrap_or((p.session.viewport_width.max(320) as u32, 800));
    let (vw, vh) = (vw.max(1) as f32, vh.max(1) as f32);
    let avail = ui.available_size() - vec2(0.0, 4.0);
    let scale = (avail.x / vw).min(avail.y / vh).min(1.5);
    let size = vec2(vw * scale, vh * scale);
    let (outer, outer_response) = ui.allocate_exact_size(avail, egui::Sense::hover());
    let frame = Rect::from_center_size(outer.center(), size);
    let painter = ui.painter_at(frame);
    let ctx = ui.ctx().clone();
    let page = state.page.clone().unwrap_or_default();
    let class = device_class(vw as u32).to_owned();
    let (sx, sy) = state.scroll;
    // What the frame shows, for the accessibility tree (and the tests reading it).
    let mut drawn: Option<&str> = None;
    if p.mode == PlayerMode::Page
        && let Some(pages) = &mut p.page
    {
        let request = FrameRequest {
            t_ms: t,
            width: vw as u32,
            height: vh as u32,
            scroll_x: sx,
            scroll_y: sy,
        };
        match pages.frame(&ctx, request) {
            PageFrame::Ready(tex) => {
                painter.image(
                    tex.id(),
                    frame,
                    Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                    Color32::WHITE,
                );
                drawn = Some("Masked page");
            }
            waiting @ (PageFrame::Drawing | PageFrame::NoPage) => {
                let text = if matches!(waiting, PageFrame::NoPage) {
                    "No page loaded yet at this moment"
                } else {
                    "Drawing the page…"
                };
                painter.rect_filled(frame, 0.0, theme::CANVAS_PAPER);
                painter.text(
                    frame.center(),
                    Align2::CENTER_CENTER,
                    text,
                    FontId::proportional(15.0),
                    theme::CANVAS_INK,
                );
                drawn = Some(text.trim_end_matches('…'));
            }
            PageFrame::Failed(why) => {
                p.page_note = Some(format!("{why} Showing the screenshot instead."));
                p.page = None;
                p.mode = PlayerMode::Screenshot;
            }
        }
    }
    let what = drawn.unwrap_or("Screenshot");
    outer_response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            format!("{what} at {}", super::list::clock(t)),
        )
    });
    if drawn.is_some() {
    } else {
        match p.shots.get_mut(&(page.clone(), class.clone())) {
            Some(shot) => {
                painter.rect_filled(frame, 0.0, Color32::WHITE);
                // Screenshot pixels per CSS px of the page.
                let k = shot.pixels.size[0] as f32 / shot.css_width.max(1) as f32;
                let (top, bottom) = (sy * k, (sy + vh) * k);
                let width_px = shot.pixels.size[0] as f32;
                for (y0, y1, tex) in shot.bands(&ctx) {
                    let (y0, y1) = (*y0 as f32, *y1 as f32);
                    let (a, b) = (top.max(y0), bottom.min(y1));
                    if a >= b {
                        continue;
                    }
                    let uv = Rect::from_min_max(
                        pos2((sx * k) / width_px, (a - y0) / (y1 - y0)),
                        pos2(((sx + vw) * k) / width_px, (b - y0) / (y1 - y0)),
                    );
                    let screen = Rect::from_min_max(
                        frame.min + vec2(0.0, (a - top) / k * scale),
                        frame.min + vec2(size.x, (b - top) / k * scale),
                    );
                    painter.image(tex.id(), screen, uv, Color32::WHITE);
                }
            }
            None => {
                painter.rect_filled(frame, 0.0, theme::CANVAS_PAPER);
                let label = if page.is_empty() {
                    "No page yet".to_owned()
                } else {
                    format!("{page}\nNo screenshot at {class} width: pointer and clicks only")
                };
                painter.text(
                    frame.center(),
                    Align2::CENTER_CENTER,
                    label,
                    FontId::proportional(15.0),
                    theme::CANVAS_INK,
                );
            }
        }
    }
    painter.rect_stroke(
        frame,
        0.0,
        Stroke::new(1.0, theme::FRAME_EDGE),
        egui::StrokeKind::Outside,
    );
    let to_screen = |x: f32, y: f32| frame.min + vec2((x - sx) * scale, (y - sy) * scale);
    // Trail: the last second of pointer positions, fading.
    let recent = p.replay.events_between(t - TRAIL_MS, t);
    let trail: Vec<(i64, Pos2)> = recent
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Move | EventKind::Click | EventKind::Tap))
        .filter_map(|e| Some((e.t_ms, to_screen(e.x?, e.y?))))
        .collect();
    for w in trail.windows(2) {
        let age = (t - w[1].0) as f32 / TRAIL_MS as f32;
        let alpha = ((1.0 - age) * 200.0) as u8;
        painter.line_segment(
            [w[0].1, w[1].1],
            Stroke::new(
                3.0,
                theme::SCROLL_FLASH.gamma_multiply(f32::from(alpha) / 255.0),
            ),
        );
    }
    // Ripples of recent clicks and taps.
    for e in p
        .replay
        .events_between(t - RIPPLE_MS, t)
        .iter()
        .filter(|e| e.is_click())
    {
        if let (Some(x), Some(y)) = (e.x, e.y) {
            let age = (t - e.t_ms) as f32 / RIPPLE_MS as f32;
            let color = if e.rage {
                theme::RAGE
            } else {
                theme::MARK_CLICK
            };
            let alpha = ((1.0 - age) * 255.0) as u8;
            painter.circle_stroke(
                to_screen(x, y),
                6.0 + 24.0 * age,
                Stroke::new(
                    if e.rage { 4.0 } else { 3.0 },
                    Color32::from_rgba_unmultiplied(color.r(), color.g(), color.b(), alpha),
                ),
            );
        }
    }
    if let Some((x, y)) = state.pointer {
        let p0 = to_screen(x, y);
        painter.add(egui::Shape::convex_polygon(
            vec![
                p0,
                p0 + vec2(0.0, 18.0),
                p0 + vec2(5.0, 14.0),
                p0 + vec2(12.0, 13.0),
            ],
            Color32::BLACK,
            Stroke::new(1.5, Color32::WHITE),
        ));
    }
    // Masked field values: every field's label, the one that changed last highlighted.
    let mut y = frame.bottom() - 8.0;
    for (field, value) in state.inputs.iter().rev().take(4) {
        let last = state.last_input.as_deref() == Some(field.as_str());
        let text = format!("{field}: {value}");
        let galley = painter.layout_no_wrap(text, FontId::proportional(13.0), Color32::WHITE);
        let r = Rect::from_min_size(
            pos2(frame.left() + 8.0, y - galley.size().y - 6.0),
            galley.size() + vec2(12.0, 6.0),
        );
        painter.rect_filled(
            r,
            4.0,
            if last {
                theme::MARK_CLICK
            } else {
                Color32::from_black_alpha(170)
            },
        );
        painter.galley(r.min + vec2(6.0, 3.0), galley, Color32::WHITE);
        y = r.top() - 4.0;
    }
}
