//! Drawing a stored page (plain Rust, no UI): the masked HTML of [`crate::dom`] parsed, styled
//! and laid out by Blitz and painted on the CPU into RGBA pixels. Blitz is beta, so everything
//! it does runs behind [`guard`]: a panic becomes an error the caller shows, never a crash.
//! No network provider is given: nothing is fetched, only what the page carries is drawn.

pub mod worker;

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyrender::ImageRenderer;
use anyrender_vello_cpu::VelloCpuImageRenderer;
use blitz_dom::{BaseDocument, DocumentConfig, FontContext, Point};
use blitz_html::HtmlDocument;
use blitz_traits::shell::{ColorScheme, Viewport};

use crate::dom::live::ElementScroll;
use crate::error::{Error, Result};

/// Largest frame drawn, per side (CSS px at scale 1).
pub const MAX_SIDE: u32 = 8192;
/// Tallest full-page render (heatmap backgrounds).
pub const MAX_PAGE_HEIGHT: u32 = 16_000;

/// The font shipped with the app, registered before system fonts are looked at.
static SHIPPED_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Pixels of a drawn page, RGBA, opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in px.
    pub width: u32,
    /// Height in px.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
}

/// Where to look at the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// Window scroll.
    pub scroll_x: f32,
    /// Window scroll.
    pub scroll_y: f32,
    /// Scrolled elements inside the page.
    pub element_scrolls: Vec<ElementScroll>,
}

/// Runs Blitz code, turning a panic into an error.
pub fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        Error::Format(format!(
            "The page could not be drawn ({what} failed inside the page renderer)."
        ))
    })
}

/// The system's fonts and the shipped one, found once per process: finding them (fontconfig
/// reading every font directory) took longer than laying out a page. Each document gets a
/// clone, which shares what was found.
static FONTS: std::sync::LazyLock<std::sync::Mutex<FontContext>> = std::sync::LazyLock::new(|| {
    let mut fonts = FontContext::new();
    fonts
        .collection
        .register_fonts(fontique::Blob::from(SHIPPED_FONT.to_vec()), None);
    std::sync::Mutex::new(fonts)
});

fn font_context() -> FontContext {
    match FONTS.lock() {
        Ok(fonts) => fonts.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// A parsed, styled and laid-out page at one viewport size.
pub struct PageDoc {
    doc: HtmlDocument,
    width: u32,
    height: u32,
}

impl PageDoc {
    /// Parses `html` and lays it out for a `width × height` viewport.
    pub fn load(html: &str, width: u32, height: u32) -> Result<PageDoc> {
        let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        guard("laying out the page", || {
            let config = DocumentConfig {
                viewport: Some(Viewport::new(width, height, 1.0, ColorScheme::Light)),
                base_url: Some("about:blank".into()),
                font_ctx: Some(font_context()),
                ..DocumentConfig::default()
            };
            let mut doc = HtmlDocument::from_html(html, config);
            doc.resolve(0.0);
            PageDoc { doc, width, height }
        })
    }

    /// The viewport size it was laid out for.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The laid-out height of the whole page (0 if the renderer fails to tell).
    pub fn content_height(&self) -> f32 {
        let root: &BaseDocument = &self.doc;
        guard("measuring the page", || {
            root.root_element().final_layout().size.height
        })
        .unwrap_or(0.0)
    }

    /// Paints the viewport at `view` (only the visible part is drawn).
    pub fn paint(&mut self, view: &View) -> Result<Frame> {
        let (w, h) = (self.width, self.height);
        self.paint_area(view, w, h)
    }

    /// Paints the whole page from the top, at most [`MAX_PAGE_HEIGHT`] tall.
    pub fn paint_full(&mut self) -> Result<Frame> {
        let h = (self.content_height().ceil() as u32).clamp(1, MAX_PAGE_HEIGHT);
        let w = self.width;
        self.paint_area(&View::default(), w, h)
    }

    fn paint_area(&mut self, view: &View, w: u32, h: u32) -> Result<Frame> {
        let doc = &mut self.doc;
        let rgba = guard("painting the page", || {
            let base: &mut BaseDocument = doc;
            base.set_viewport_scroll(Point {
                x: f64::from(view.scroll_x.max(0.0)),
                y: f64::from(view.scroll_y.max(0.0)),
            });
            for s in &view.element_scrolls {
                let selector = format!("[data-sl-scroll=\"{}\"]", s.key);
                if let Ok(Some(id)) = base.query_selector(&selector)
                    && let Some(node) = base.get_node_mut(id)
                {
                    *node.scroll_offset_mut() = Point {
                        x: f64::from(s.x),
                        y: f64::from(s.y),
                    };
                }
            }
            let mut renderer = VelloCpuImageRenderer::new(w, h);
            let mut buffer = vec![0u8; w as usize * h as usize * 4];
            renderer.render(
                |scene| blitz_paint::paint_scene(scene, base, 1.0, w, h, 0, 0),
                &mut buffer,
            );
            buffer
        })?;
        Ok(Frame {
            width: w,
            height: h,
            rgba: over_white(rgba),
        })
    }
}

/// Premultiplied RGBA composited over white, so the page's own background shows as the
/// browser would draw it.
fn over_white(mut rgba: Vec<u8>) -> Vec<u8> {
    for px in rgba.chunks_exact_mut(4) {
        let rest = 255 - px[3];
        for c in &mut px[..3] {
            *c = c.saturating_add(rest);
        }
        px[3] = 255;
    }
    rgba
}

/// Draws `html` once at a viewport: a convenience for one-off frames (the CLI).
pub fn render_once(html: &str, width: u32, height: u32, view: &View) -> Result<Frame> {
    PageDoc::load(html, width, height)?.paint(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(f: &Frame, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * f.width + x) * 4) as usize;
        [f.rgba[i], f.rgba[i + 1], f.rgba[i + 2], f.rgba[i + 3]]
    }

    #[test]
    fn a_page_is_drawn_with_its_styles_and_scroll() {
        let html = "<!DOCTYPE html><html><head><style>body{margin:0}\
                    .a{height:100px;background:#ff0000}.b{height:100px;background:#0000ff}\
                    </style></head><body><div class=a></div><div class=b></div>\
                    <div style='height:600px'></div></body></html>";
        let mut doc = PageDoc::load(html, 200, 150).unwrap_or_else(|e| panic!("{e}"));
        assert!(doc.content_height() >= 800.0);
        let top = doc
            .paint(&View::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((top.width, top.height), (200, 150));
        assert_eq!(pixel(&top, 10, 10), [255, 0, 0, 255]);
        assert_eq!(pixel(&top, 10, 120), [0, 0, 255, 255]);
        let scrolled = doc
            .paint(&View {
                scroll_y: 100.0,
                ..View::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pixel(&scrolled, 10, 10), [0, 0, 255, 255]);
        assert_eq!(pixel(&scrolled, 10, 120), [255, 255, 255, 255]);
    }

    #[test]
    fn odd_markup_is_drawn_and_a_panic_inside_blitz_is_an_error() {
        for html in [
            "<table><tr><td colspan=99999999>x</table>",
            "<div style='width:1e308px;height:-5px'></div>",
            "<p>•",
            "",
        ] {
            let frame = render_once(html, 64, 64, &View::default());
            assert!(frame.is_ok(), "{html}: {frame:?}");
        }
        // Blitz panics on a relative stylesheet link (capture never writes one): the guard
        // turns it into an error the player shows.
        let link = render_once(
            "<link rel=stylesheet href=x.css><p>•</p>",
            64,
            64,
            &View::default(),
        );
        assert!(link.is_err());
    }
}
