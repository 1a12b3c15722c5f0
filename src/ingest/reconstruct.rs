//! Backgrounds for pages without a screenshot: the page drawn at its full height from a
//! recording's masked DOM (text masked, media as boxes), at the width the session saw it,
//! stored as the page's image for that viewport class with `source = 'reconstructed'`. Only
//! sessions kept as replays are used, and only where no image exists yet; an uploaded
//! screenshot later replaces it. Drawing runs on its own thread while the import writes
//! (a page takes about 10 ms), and the images are stored when the import ends.

use std::collections::HashSet;
use std::io::Cursor;
use std::sync::mpsc::{self, Receiver, Sender};

use rusqlite::{Connection, OptionalExtension, params};

use crate::dataset::db::sql_error;
use crate::dom::live::LiveDom;
use crate::dom::{DomOp, DomTrack};
use crate::error::Result;
use crate::render::PageDoc;
use crate::replay::PlayerState;
use crate::session::{SessionEvent, device_class};

/// What a page image's `source` column says for drawn pages.
pub const RECONSTRUCTED: &str = "reconstructed";
/// Viewport height pages are laid out for (`vh` units) when the session gave none.
const DEFAULT_HEIGHT: u32 = 900;

/// A page to draw.
struct Job {
    source_ref: i64,
    page_id: i64,
    viewport: &'static str,
    width: u32,
    height: u32,
    html: String,
}

/// A drawn page.
struct Drawn {
    source_ref: i64,
    page_id: i64,
    viewport: &'static str,
    width: u32,
    size: (u32, u32),
    png: Vec<u8>,
}

/// The backgrounds of one import: pages queued as sessions are written, drawn on a thread,
/// stored by [`Backgrounds::store`].
pub struct Backgrounds {
    jobs: Option<Sender<Job>>,
    drawn: Receiver<Drawn>,
    /// Pages and viewport classes settled in this import (queued, or found with an image).
    known: HashSet<(String, &'static str)>,
}

impl Default for Backgrounds {
    fn default() -> Self {
        Self::new()
    }
}

/// The page pattern and viewport open at `t_ms`, as the player would show them.
fn page_at(events: &[SessionEvent], t_ms: i64) -> (Option<String>, Option<(u32, u32)>) {
    let mut state = PlayerState::default();
    for (i, e) in events
        .iter()
        .enumerate()
        .take_while(|(_, e)| e.t_ms <= t_ms)
    {
        state.apply(i, e);
    }
    (state.page, state.viewport)
}

fn draw(job: Job) -> Option<Drawn> {
    let frame = PageDoc::load(&job.html, job.width, job.height)
        .and_then(|mut d| d.paint_full())
        .ok()?;
    let size = (frame.width, frame.height);
    let image = image::RgbaImage::from_raw(frame.width, frame.height, frame.rgba)?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(Drawn {
        source_ref: job.source_ref,
        page_id: job.page_id,
        viewport: job.viewport,
        width: job.width,
        size,
        png,
    })
}

impl Backgrounds {
    /// Starts the drawing thread (it ends when the import does). Without a thread, pages are
    /// drawn when stored.
    pub fn new() -> Backgrounds {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, drawn) = mpsc::channel::<Drawn>();
        let started = std::thread::Builder::new()
            .name("page backgrounds".into())
            .spawn(move || {
                for job in job_rx {
                    if let Some(d) = draw(job)
                        && done_tx.send(d).is_err()
                    {
                        return;
                    }
                }
            });
        Backgrounds {
            jobs: started.is_ok().then_some(jobs),
            drawn,
            known: HashSet::new(),
        }
    }

    /// Queues each page load of `track` whose page and viewport class have no image yet.
    /// `source_ref` is the session's heatmap ref: only sessions consenting to both purposes
    /// are drawn, so erasure and retention can find the image by it.
    pub fn offer(
        &mut self,
        core: &Connection,
        events: &[SessionEvent],
        track: &DomTrack,
        source_ref: i64,
    ) -> Result<()> {
        for change in &track.changes {
            if !matches!(change.op, DomOp::Snapshot { .. }) {
                continue;
            }
            let (Some(page), Some((width, height))) = page_at(events, change.t) else {
                continue;
            };
            if !(200..=4000).contains(&width) {
                continue;
            }
            let viewport = device_class(width);
            if !self.known.insert((page.clone(), viewport)) {
                continue;
            }
            let page_id: Option<(i64, bool)> = core
                .prepare_cached(
                    "SELECT p.id, EXISTS (SELECT 1 FROM screenshots s WHERE s.page_id = p.id AND s.viewport = ?2)
                     FROM pages p WHERE p.pattern = ?1",
                )
                .and_then(|mut st| {
                    st.query_row(params![page, viewport], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(|e| sql_error("core.db", e))?;
            let Some((page_id, false)) = page_id else {
                continue;
            };
            let mut dom = LiveDom::default();
            dom.apply(&change.op);
            let job = Job {
                source_ref,
                page_id,
                viewport,
                width,
                height: if height >= 200 {
                    height
                } else {
                    DEFAULT_HEIGHT
                },
                html: dom.to_html(),
            };
            if let Some(tx) = &self.jobs {
                // A closed channel means the thread ended; the page keeps its plain canvas.
                let _queued = tx.send(job);
            }
        }
        Ok(())
    }

    /// Waits for the drawings and stores them where still no image exists (an upload during
    /// the import wins); returns how many were stored.
    pub fn store(mut self, core: &Connection) -> Result<usize> {
        self.jobs = None;
        let mut stored = 0;
        for d in self.drawn.iter() {
            stored += core
                .execute(
                    "INSERT OR IGNORE INTO screenshots (page_id, viewport, css_width, width_px, height_px, png, format, source, source_ref)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'png', ?7, ?8)",
                    params![d.page_id, d.viewport, d.width, d.size.0, d.size.1, d.png, RECONSTRUCTED, d.source_ref],
                )
                .map_err(|e| sql_error("core.db", e))?;
        }
        Ok(stored)
    }
}
