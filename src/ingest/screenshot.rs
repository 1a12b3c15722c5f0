//! Page screenshots: a full-page image of a page pattern at a CSS width, stored in core.db
//! as PNG (JPEG is converted). One per page and viewport class; a newer one replaces the older.

use std::io::Cursor;

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::dataset::db::sql_error;
use crate::error::{Error, Result};
use crate::privacy::url::page_pattern;
use crate::session::device_class;

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenshotInfo {
    /// Page pattern.
    pub page: String,
    /// desktop, tablet or mobile.
    pub viewport: String,
    /// The CSS width the page was rendered at.
    pub css_width: u32,
    /// Image width in pixels.
    pub width_px: u32,
    /// Image height in pixels.
    pub height_px: u32,
}

/// Validates and stores a screenshot of `page_url` taken at `css_width`.
pub fn store(
    core: &Connection,
    file: &str,
    page_url: &str,
    css_width: u32,
    bytes: &[u8],
) -> Result<ScreenshotInfo> {
    if !(200..=10_000).contains(&css_width) {
        return Err(Error::Invalid(
            "--css-width must be between 200 and 10000 CSS pixels.".into(),
        ));
    }
    let format = image::guess_format(bytes)
        .map_err(|_| Error::Format(format!("{file}: not a PNG or JPEG image")))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(200_000);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| Error::Format(format!("{file}: the image cannot be read ({e})")))?;
    let png = if format == image::ImageFormat::Png {
        bytes.to_vec()
    } else {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| Error::Format(format!("{file}: could not convert to PNG ({e})")))?;
        out
    };
    let info = ScreenshotInfo {
        page: page_pattern(page_url),
        viewport: device_class(css_width).to_owned(),
        css_width,
        width_px: image.width(),
        height_px: image.height(),
    };
    let run = || -> rusqlite::Result<()> {
        let tx = core.unchecked_transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO pages (pattern) VALUES (?1)",
            [&info.page],
        )?;
        let page_id: i64 = tx.query_row(
            "SELECT id FROM pages WHERE pattern = ?1",
            [&info.page],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO screenshots (page_id, viewport, css_width, width_px, height_px, png, format)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'png')",
            params![page_id, info.viewport, css_width, info.width_px, info.height_px, png],
        )?;
        tx.commit()
    };
    run().map_err(|e| sql_error("core.db", e))?;
    Ok(info)
}
