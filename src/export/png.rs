//! The annotated heatmap PNG: the screenshot at full resolution, the heatmap, rage and dead
//! click markers, annotations, a legend and a footer, with the same facts and the render
//! parameters in PNG text chunks.

use super::draw::{Canvas, Rgba};
use crate::error::{Error, Result};
use crate::heatmap::Palette;
use crate::heatmap::annotation::Shape;
use crate::heatmap::figure::Heatmap;

/// The facts an export states about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFacts {
    /// Dataset name.
    pub dataset: String,
    /// The exporting user.
    pub user: String,
    /// When (RFC 3339).
    pub time: String,
}

const INK: Rgba = [20, 20, 28, 255];
const PAPER: Rgba = [255, 255, 255, 235];
const ANNOTATION: Rgba = [230, 30, 90, 255];
const RAGE: Rgba = [220, 20, 20, 255];
const DEAD: Rgba = [90, 90, 90, 255];

/// Draws the export. Fails when the heatmap was withheld (below the k floor).
pub fn render(heatmap: &Heatmap, shapes: &[Shape], facts: &ExportFacts) -> Result<Canvas> {
    let density = heatmap.density.as_ref().ok_or_else(|| {
        Error::Invalid(
            heatmap
                .withheld
                .clone()
                .unwrap_or_else(|| "Nothing to export.".into()),
        )
    })?;
    let (w, h) = heatmap.size;
    let pixels = match &heatmap.screenshot {
        Some(s) => {
            let img = image::load_from_memory(&s.png)
                .map_err(|_| Error::Format("The stored screenshot could not be decoded.".into()))?
                .to_rgba8();
            if (img.width() as usize, img.height() as usize) != (w, h) {
                return Err(Error::Format(
                    "The stored screenshot's size does not match its record.".into(),
                ));
            }
            img.pixels().map(|p| p.0).collect()
        }
        None => vec![[246, 246, 248, 255]; w * h],
    };
    let mut canvas = Canvas::new(w, h, pixels);
    let p = &heatmap.request.params;
    let palette = Palette::new(p.colormap, p.opacity);
    for (i, &level) in density.levels.levels.iter().enumerate().take(w * h) {
        if level != 0 {
            canvas.blend(
                (i % w) as i64,
                (i / w) as i64,
                palette.colors[usize::from(level)],
                1.0,
            );
        }
    }
    // As on screen: the fold belongs to the depth maps.
    if let (Some(fold), crate::heatmap::Kind::Scroll | crate::heatmap::Kind::Attention) =
        (heatmap.fold_px, p.kind)
    {
        fold_line(&mut canvas, fold, font_size(w));
    }
    for m in &heatmap.markers {
        if m.rage {
            canvas.fill_circle([m.x, m.y], 6.0, [255, 255, 255, 255]);
            canvas.fill_circle([m.x, m.y], 4.5, RAGE);
        } else {
            canvas.fill_circle([m.x, m.y], 3.5, [255, 255, 255, 200]);
            canvas.fill_circle([m.x, m.y], 2.5, DEAD);
        }
    }
    let size = font_size(w);
    for shape in shapes {
        draw_shape(&mut canvas, shape, size);
    }
    legend(&mut canvas, heatmap, size);
    footer(&mut canvas, heatmap, facts, size);
    Ok(canvas)
}

/// A dashed line across the image at the average fold, labelled.
fn fold_line(canvas: &mut Canvas, y: f32, size: f32) {
    let mut x = 0.0;
    while x < canvas.width as f32 {
        canvas.line([x, y], [x + 12.0, y], 2.0, [255, 255, 255, 230]);
        canvas.line([x + 12.0, y], [x + 20.0, y], 2.0, [20, 20, 28, 200]);
        x += 20.0;
    }
    let label = "average fold";
    let tw = canvas.text_width(label, size * 0.85);
    canvas.fill_rect(8.0, y - size * 1.3, 16.0 + tw, y - 2.0, [20, 20, 28, 200]);
    canvas.text(
        [12.0, y - size * 1.25],
        size * 0.85,
        [255, 255, 255, 255],
        label,
    );
}

/// Text size for an image `width` pixels wide.
fn font_size(width: usize) -> f32 {
    (width as f32 / 90.0).clamp(11.0, 16.0)
}

fn draw_shape(canvas: &mut Canvas, shape: &Shape, size: f32) {
    match shape {
        Shape::Rect { from, to } => canvas.stroke_rect(*from, *to, 3.0, ANNOTATION),
        Shape::Arrow { from, to } => canvas.arrow(*from, *to, 3.0, ANNOTATION),
        Shape::Pin { at, number } => {
            canvas.fill_circle(*at, 14.0, [255, 255, 255, 255]);
            canvas.fill_circle(*at, 12.0, ANNOTATION);
            let label = number.to_string();
            let tw = canvas.text_width(&label, 15.0);
            canvas.text(
                [at[0] - tw / 2.0, at[1] - 9.0],
                15.0,
                [255, 255, 255, 255],
                &label,
            );
        }
        Shape::Note { at, text } => {
            let lines: Vec<&str> = text.lines().collect();
            let tw = lines
                .iter()
                .map(|l| canvas.text_width(l, size))
                .fold(0.0, f32::max);
            let line_h = size * 1.3;
            canvas.fill_rect(
                at[0],
                at[1],
                at[0] + tw + 12.0,
                at[1] + line_h * lines.len().max(1) as f32 + 8.0,
                [255, 250, 200, 240],
            );
            canvas.stroke_rect(
                *at,
                [
                    at[0] + tw + 12.0,
                    at[1] + line_h * lines.len().max(1) as f32 + 8.0,
                ],
                1.5,
                ANNOTATION,
            );
            for (i, l) in lines.iter().enumerate() {
                canvas.text([at[0] + 6.0, at[1] + 4.0 + i as f32 * line_h], size, INK, l);
            }
        }
    }
}

/// Splits `text` into lines no wider than `max` pixels.
fn wrap(canvas: &Canvas, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if canvas.text_width(&candidate, size) > max && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn legend(canvas: &mut Canvas, heatmap: &Heatmap, size: f32) {
    let p = &heatmap.request.params;
    let box_w = (canvas.width as f32 - 20.0).min(340.0);
    let inner = box_w - 20.0;
    let mut lines = vec![format!(
        "{} heatmap · {} (k ≥ {})",
        title(p.kind.as_str()),
        heatmap.count_label(),
        heatmap.k
    )];
    lines.extend(wrap(canvas, &p.describe(), size * 0.85, inner));
    let line_h = size * 1.35;
    let bar_h = size;
    let box_h = 10.0 + line_h + bar_h + 6.0 + line_h * lines.len() as f32 + 8.0;
    let (x0, y0) = (canvas.width as f32 - box_w - 10.0, 10.0);
    canvas.fill_rect(x0, y0, x0 + box_w, y0 + box_h, PAPER);
    canvas.stroke_rect(
        [x0, y0],
        [x0 + box_w, y0 + box_h],
        1.0,
        [120, 120, 130, 255],
    );
    canvas.text([x0 + 10.0, y0 + 8.0], size, INK, &lines[0]);
    let bar_y = y0 + 8.0 + line_h;
    let palette = Palette::new(p.colormap, 1.0);
    for i in 0..inner as usize {
        let level = 1 + (i * 254) / (inner as usize).max(1);
        let c = palette.colors[level.min(255)];
        canvas.fill_rect(
            x0 + 10.0 + i as f32,
            bar_y,
            x0 + 11.0 + i as f32,
            bar_y + bar_h,
            [c[0], c[1], c[2], 255],
        );
    }
    let (low, high) = scale_labels(heatmap);
    let ty = bar_y + bar_h + 2.0;
    canvas.text([x0 + 10.0, ty], size * 0.85, INK, &low);
    let hw = canvas.text_width(&high, size * 0.85);
    canvas.text([x0 + 10.0 + inner - hw, ty], size * 0.85, INK, &high);
    for (i, l) in lines.iter().enumerate().skip(1) {
        canvas.text(
            [x0 + 10.0, ty + line_h * i as f32],
            size * 0.85,
            [60, 60, 70, 255],
            l,
        );
    }
}

fn title(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// What the two ends of the colour bar mean.
pub fn scale_labels(heatmap: &Heatmap) -> (String, String) {
    let top = heatmap.density.as_ref().map_or(0.0, |d| d.levels.top);
    match heatmap.request.params.kind {
        crate::heatmap::Kind::Scroll => ("0% reached".into(), "100% reached".into()),
        crate::heatmap::Kind::Attention => {
            ("0 s".into(), format!("{:.1} s per session", top / 1000.0))
        }
        _ => (
            "few".into(),
            format!(
                "{top:.2} per px ({})",
                heatmap.request.params.normalisation.label()
            ),
        ),
    }
}

/// The footer's lines (also used by the view's caption): what is shown, who exported it, and
/// where its data came from.
pub fn footer_lines(heatmap: &Heatmap, facts: &ExportFacts) -> [String; 3] {
    let r = &heatmap.request;
    [
        format!(
            "{} · {} · {} · {} · {} · {}",
            facts.dataset,
            r.page,
            r.viewport,
            r.params.kind.as_str(),
            r.segment.describe(),
            heatmap.count_label()
        ),
        format!(
            "Exported by {} at {} with Sightline · markers: {} (red), {} (grey){}",
            facts.user,
            facts.time,
            marker_count(heatmap, "rage", true),
            marker_count(heatmap, "dead", false),
            background_note(heatmap)
        ),
        format!("Source: {}", heatmap.sources().join("; ")),
    ]
}

/// " · page reconstructed from a recording, text masked" when the background was drawn.
fn background_note(heatmap: &Heatmap) -> String {
    match &heatmap.screenshot {
        Some(s) if s.reconstructed => {
            format!(" · page {}", crate::heatmap::figure::RECONSTRUCTED_LABEL)
        }
        _ => String::new(),
    }
}

/// "12 rage", or why a kind of marker is not drawn.
fn marker_count(heatmap: &Heatmap, kind: &'static str, rage: bool) -> String {
    if heatmap.markers_withheld.contains(&kind) {
        format!(
            "{kind} not marked, {}",
            crate::heatmap::k_floor::fewer_than(heatmap.k)
        )
    } else {
        let n = heatmap.markers.iter().filter(|m| m.rage == rage).count();
        format!("{n} {kind}")
    }
}

fn footer(canvas: &mut Canvas, heatmap: &Heatmap, facts: &ExportFacts, size: f32) {
    let max = canvas.width as f32 - 20.0;
    let lines: Vec<String> = footer_lines(heatmap, facts)
        .iter()
        .flat_map(|l| wrap(canvas, l, size, max))
        .collect();
    let line_h = size * 1.35;
    let band = line_h * lines.len() as f32 + 12.0;
    let y0 = canvas.height as f32 - band;
    canvas.fill_rect(
        0.0,
        y0,
        canvas.width as f32,
        canvas.height as f32,
        [20, 20, 28, 220],
    );
    for (i, l) in lines.iter().enumerate() {
        canvas.text(
            [10.0, y0 + 6.0 + line_h * i as f32],
            size,
            [255, 255, 255, 255],
            l,
        );
    }
}

/// Adds a white band under the image with `title` and `lines` (the top elements, a
/// comparison), wrapped to the image's width. Without lines the canvas is returned as it is.
pub fn with_table(canvas: Canvas, title: &str, lines: &[String]) -> Canvas {
    if lines.is_empty() {
        return canvas;
    }
    let size = font_size(canvas.width);
    let max = canvas.width as f32 - 20.0;
    let wrapped: Vec<String> = lines
        .iter()
        .flat_map(|l| wrap(&canvas, l, size, max))
        .collect();
    let line_h = size * 1.35;
    let band = (line_h * (wrapped.len() + 1) as f32 + 24.0).ceil() as usize;
    let (w, h) = (canvas.width, canvas.height);
    let mut pixels = canvas.pixels;
    pixels.resize(w * (h + band), [255, 255, 255, 255]);
    let mut out = Canvas::new(w, h + band, pixels);
    let y0 = h as f32 + 10.0;
    out.text([10.0, y0], size * 1.1, INK, title);
    for (i, l) in wrapped.iter().enumerate() {
        out.text([10.0, y0 + line_h * (i + 1) as f32 + 4.0], size, INK, l);
    }
    out
}

/// A parameter as people write it (0.65, not 0.6499999761581421).
fn round2(v: f32) -> f64 {
    (f64::from(v) * 100.0).round() / 100.0
}

/// The text chunks an export carries.
pub fn text_chunks(heatmap: &Heatmap, facts: &ExportFacts) -> Vec<(String, String)> {
    let r = &heatmap.request;
    let params = serde_json::json!({
        "kind": r.params.kind,
        "kernel": crate::heatmap::blur::KERNEL,
        "sigma_px": round2(r.params.sigma_px),
        "normalisation": r.params.normalisation,
        "colormap": r.params.colormap,
        "opacity": round2(r.params.opacity),
        "scale_top": heatmap.density.as_ref().map(|d| d.levels.top),
        "image_from_page": heatmap.image_from_page,
        "k_anonymity": heatmap.k,
    });
    [
        (
            "Title",
            format!("{} heatmap of {}", r.params.kind.as_str(), r.page),
        ),
        (
            "Software",
            format!("Sightline {}", env!("CARGO_PKG_VERSION")),
        ),
        ("Dataset", facts.dataset.clone()),
        ("Page", r.page.clone()),
        ("Viewport", r.viewport.clone()),
        ("Kind", r.params.kind.as_str().to_owned()),
        ("Segment", r.segment.describe()),
        ("Sessions", heatmap.count_label()),
        ("Source", heatmap.sources().join("; ")),
        ("Author", facts.user.clone()),
        ("Creation Time", facts.time.clone()),
        ("Render parameters", params.to_string()),
        ("Background", background(heatmap)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What the image under the heatmap is.
fn background(heatmap: &Heatmap) -> String {
    match &heatmap.screenshot {
        Some(s) if s.reconstructed => {
            format!("page {}", crate::heatmap::figure::RECONSTRUCTED_LABEL)
        }
        Some(_) => "page screenshot".to_owned(),
        None => "plain canvas (no screenshot)".to_owned(),
    }
}

/// Encodes the canvas as PNG with `chunks` as iTXt text chunks (UTF-8).
pub fn encode(canvas: &Canvas, chunks: &[(String, String)]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, canvas.width as u32, canvas.height as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let fail = |_| Error::Format("Could not encode the PNG.".into());
        for (k, v) in chunks {
            encoder.add_itxt_chunk(k.clone(), v.clone()).map_err(fail)?;
        }
        let mut writer = encoder.write_header().map_err(fail)?;
        writer
            .write_image_data(canvas.pixels.as_flattened())
            .map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}
