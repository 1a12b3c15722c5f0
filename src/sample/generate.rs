//! A deterministic generator of realistic rrweb sessions against the sample layouts: human-like
//! pointer paths, scrolling, taps on mobile, typing, navigation between pages, a broken
//! "Attach file" button that draws rage clicks, A/B variants that behave differently, consent
//! that varies by region, and survey answers. Its output goes through the normal importer.

use serde_json::{Value, json};

use crate::clock::parse_ms;
use crate::sample::assets::{BASE_URL, Element, Layout};
use crate::sample::rng::Rng;

/// One generated session.
#[derive(Debug, Clone)]
pub struct GeneratedSession {
    /// File-like name; also the manifest's `session`.
    pub name: String,
    /// The rrweb events.
    pub events: Vec<Value>,
    /// The manifest row (CSV, no header).
    pub manifest_row: String,
    /// A survey row (CSV, no header), for some sessions.
    pub survey_row: Option<String>,
}

const REGIONS: [(&str, f64, f64); 7] = [
    // (region, weight, heatmap consent rate)
    ("EU-DE", 0.20, 0.62),
    ("EU-FR", 0.15, 0.58),
    ("UK", 0.12, 0.70),
    ("US-CA", 0.18, 0.86),
    ("US-NY", 0.15, 0.88),
    ("BR", 0.10, 0.80),
    ("IN", 0.10, 0.90),
];

const JOURNEYS: [(&[&str], f64); 7] = [
    (&["inbox", "conversation"], 0.25),
    (&["inbox", "conversation", "inbox"], 0.12),
    (&["pricing", "signup"], 0.18),
    (&["pricing"], 0.12),
    (&["inbox", "settings-privacy"], 0.10),
    (&["signup", "inbox"], 0.13),
    (&["conversation", "pricing"], 0.10),
];

const COMMENTS_LOW: [&str; 4] = [
    "The attach button does nothing",
    "Could not attach a file, clicked it again and again",
    "Slow and confusing. Call me on +1 555 0100 if you want details",
    "Pricing is unclear",
];
const COMMENTS_HIGH: [&str; 4] = [
    "Clean and calm",
    "Love the new inbox",
    "Easy to sign up",
    "Does what it says",
];

/// Writes rrweb events for one visit.
struct Writer {
    events: Vec<Value>,
    t: i64,
    pointer: (f64, f64),
    scroll_y: f64,
    viewport: (u32, u32),
    touch: bool,
    pending_moves: Vec<(i64, f64, f64)>,
}

impl Writer {
    fn emit(&mut self, kind: i64, data: Value) {
        self.events
            .push(json!({"type": kind, "data": data, "timestamp": self.t}));
    }

    fn flush_moves(&mut self) {
        if self.pending_moves.is_empty() {
            return;
        }
        let flush_t = self.pending_moves.last().map_or(self.t, |m| m.0);
        let positions: Vec<Value> = self
            .pending_moves
            .drain(..)
            .map(|(t, x, y)| json!({"x": x.round(), "y": y.round(), "id": 3, "timeOffset": t - flush_t}))
            .collect();
        let source = if self.touch { 6 } else { 1 };
        self.events.push(json!({"type": 3, "timestamp": flush_t, "data": {"source": source, "positions": positions}}));
    }

    /// Moves the pointer along a curved, slightly shaky path to `(x, y)` (viewport coordinates).
    fn move_to(&mut self, rng: &mut Rng, x: f64, y: f64) {
        let (x0, y0) = self.pointer;
        let distance = ((x - x0).powi(2) + (y - y0).powi(2)).sqrt();
        let steps = (distance / 40.0).clamp(3.0, 25.0) as usize;
        let bend = rng.normal() * distance * 0.15;
        for i in 1..=steps {
            let s = i as f64 / steps as f64;
            let ease = s * s * (3.0 - 2.0 * s);
            let (nx, ny) = (-(y - y0), x - x0);
            let norm = distance.max(1.0);
            let arc = (std::f64::consts::PI * ease).sin() * bend;
            let px = x0 + (x - x0) * ease + nx / norm * arc + rng.normal() * 1.5;
            let py = y0 + (y - y0) * ease + ny / norm * arc + rng.normal() * 1.5;
            self.t += rng.int(35, 60);
            self.pending_moves.push((self.t, px, py));
            if self.pending_moves.len() >= 10 {
                self.flush_moves();
            }
        }
        self.flush_moves();
        self.pointer = (x, y);
    }

    fn scroll_to(&mut self, rng: &mut Rng, target_y: f64, max_scroll: f64) {
        let target = target_y.clamp(0.0, max_scroll.max(0.0));
        let steps = ((target - self.scroll_y).abs() / 120.0).ceil().min(60.0) as usize;
        let start = self.scroll_y;
        for i in 1..=steps {
            self.t += rng.int(60, 140);
            let y = start + (target - start) * i as f64 / steps as f64;
            if self.touch && i % 3 == 1 {
                let (px, py) = self.pointer;
                self.pending_moves.push((
                    self.t,
                    px,
                    (py + 80.0).min(f64::from(self.viewport.1) - 20.0),
                ));
                self.flush_moves();
            }
            self.emit(3, json!({"source": 3, "id": 1, "x": 0, "y": y.round()}));
        }
        self.scroll_y = target;
    }

    fn click(&mut self, rng: &mut Rng, node: i64, x: f64, y: f64) {
        let vy = y - self.scroll_y;
        self.t += rng.int(80, 300);
        if self.touch {
            self.emit(
                3,
                json!({"source": 2, "type": 7, "id": node, "x": x.round(), "y": vy.round()}),
            );
            self.t += rng.int(40, 110);
            self.emit(
                3,
                json!({"source": 2, "type": 9, "id": node, "x": x.round(), "y": vy.round()}),
            );
            self.t += 2;
            self.emit(3, json!({"source": 2, "type": 2, "id": node, "x": x.round(), "y": vy.round(), "pointerType": 2}));
        } else {
            self.emit(
                3,
                json!({"source": 2, "type": 1, "id": node, "x": x, "y": vy}),
            );
            self.t += rng.int(60, 120);
            self.emit(
                3,
                json!({"source": 2, "type": 0, "id": node, "x": x, "y": vy}),
            );
            self.t += 2;
            self.emit(3, json!({"source": 2, "type": 2, "id": node, "x": x.round(), "y": vy.round(), "pointerType": 0}));
        }
    }
}

fn snapshot(layout: &Layout) -> Value {
    let children: Vec<Value> = layout
        .elements
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut attributes = serde_json::Map::new();
            if let Some(id) = &e.id {
                attributes.insert("id".into(), id.clone().into());
            }
            json!({"type": 2, "id": 10 + i as i64, "tagName": e.tag, "attributes": attributes, "childNodes": []})
        })
        .collect();
    json!({"type": 0, "id": 1, "childNodes": [
        {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": children}
        ]}
    ]})
}

fn weight(e: &Element, page: &str, variant_b: bool) -> f64 {
    let id = e.id.as_deref().unwrap_or("");
    match id {
        "start-trial" if variant_b => 9.0,
        "start-trial" => 4.0,
        "send" | "compose" | "signup-submit" | "search" | "new-message" => 5.0,
        "attach" => 2.0,
        _ if id.starts_with("thread-") && page == "inbox" => 3.0,
        _ if id.starts_with("nav-") || id.starts_with("foot-") => 0.4,
        _ if e.tag == "input" || e.tag == "textarea" => 2.0,
        _ => 1.0,
    }
}

/// Generates `count` sessions from `seed`, one at a time, so a caller that serialises each
/// as it comes never holds thousands of event trees at once.
pub fn generate(seed: u64, count: usize) -> impl Iterator<Item = GeneratedSession> {
    let mut rng = Rng::new(seed);
    let base_ms = parse_ms("2026-10-30T00:00:00Z").unwrap_or(0);
    (0..count).filter_map(move |i| session(&mut rng, i, base_ms))
}

fn session(rng: &mut Rng, index: usize, base_ms: i64) -> Option<GeneratedSession> {
    let (width, height) = [(1440, 900), (768, 1024), (390, 844)][rng.weighted(&[0.55, 0.12, 0.33])];
    let (region, _, consent_rate) = REGIONS[rng.weighted(&REGIONS.map(|r| r.1))];
    let heatmaps = rng.chance(consent_rate);
    let recordings = heatmaps && rng.chance(0.85);
    let variant_b = rng.chance(0.5);
    let cohort = if rng.chance(0.6) { "trial" } else { "paid" };
    let subject = format!("u-{}", 2000 + rng.int(0, (index as i64 / 2).max(50)));
    let day = rng.int(0, 29);
    let hour = 7 + rng.weighted(&[
        1.0, 2.0, 3.0, 3.0, 2.0, 3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.5,
    ]) as i64;
    let started_ms = base_ms + day * 86_400_000 + hour * 3_600_000 + rng.int(0, 3_599_999);
    let journey = JOURNEYS[rng.weighted(&JOURNEYS.map(|j| j.1))].0;
    let mut w = Writer {
        events: Vec::new(),
        t: started_ms,
        pointer: (f64::from(width) / 2.0, f64::from(height) / 2.0),
        scroll_y: 0.0,
        viewport: (width, height),
        touch: width < 600,
        pending_moves: Vec::new(),
    };
    let mut raged = false;
    for (p, page) in journey.iter().enumerate() {
        let layout = Layout::load(page, width)?;
        w.scroll_y = 0.0;
        w.emit(
            4,
            json!({"href": format!("{BASE_URL}{page}.html"), "width": width, "height": height}),
        );
        w.t += 3;
        w.emit(
            2,
            json!({"node": snapshot(&layout), "initialOffset": {"top": 0, "left": 0}}),
        );
        let max_scroll = layout.page_height - f64::from(height);
        let targets: Vec<(usize, &Element)> = layout
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.interactive)
            .collect();
        let actions = rng.int(2, 6);
        for _ in 0..actions {
            // Read a little: scroll down part of the page.
            if rng.chance(0.5) {
                let depth =
                    rng.unit().powf(if *page == "pricing" { 0.7 } else { 1.3 }) * max_scroll;
                w.scroll_to(rng, depth, max_scroll);
            }
            let weights: Vec<f64> = targets
                .iter()
                .map(|(_, e)| weight(e, page, variant_b))
                .collect();
            let (i, e) = targets[rng.weighted(&weights)];
            let (cx, cy) = (e.x + e.width / 2.0, e.y + e.height / 2.0);
            if cy < w.scroll_y + 40.0 || cy > w.scroll_y + f64::from(height) - 40.0 {
                let frac = rng.range(0.3, 0.6);
                w.scroll_to(rng, cy - f64::from(height) * frac, max_scroll);
            }
            let x = cx + rng.normal() * (e.width / 6.0).min(20.0);
            let y = cy + rng.normal() * (e.height / 6.0).min(10.0);
            if !w.touch {
                w.move_to(rng, x, y - w.scroll_y);
            }
            let node = 10 + i as i64;
            w.click(rng, node, x, y);
            if e.tag == "input" || e.tag == "textarea" {
                let text = [
                    "hello team",
                    "ada@parley.example",
                    "+1 555 0142",
                    "See you at 3pm",
                ][rng.int(0, 3) as usize];
                for n in 1..=text.len().min(12) {
                    w.t += rng.int(90, 220);
                    w.emit(
                        3,
                        json!({"source": 5, "id": node, "text": &text[..n], "isChecked": false}),
                    );
                }
            }
            // The broken button: nothing happens, so people click again, fast.
            if e.id.as_deref() == Some("attach")
                || (*page == "conversation" && !raged && rng.chance(0.3))
            {
                if let Some((ai, a)) = targets
                    .iter()
                    .find(|(_, e)| e.id.as_deref() == Some("attach"))
                {
                    let (ax, ay) = (a.x + a.width / 2.0, a.y + a.height / 2.0);
                    if !w.touch {
                        w.move_to(rng, ax, ay - w.scroll_y);
                    }
                    for _ in 0..rng.int(3, 5) {
                        let (jx, jy) = (rng.normal() * 3.0, rng.normal() * 3.0);
                        w.click(rng, 10 + *ai as i64, ax + jx, ay + jy);
                        w.t += rng.int(60, 160);
                    }
                    raged = true;
                }
            } else {
                // Something responds to a working control.
                w.t += rng.int(100, 400);
                w.emit(
                    3,
                    json!({"source": 0, "texts": [], "attributes": [], "removes": [], "adds": []}),
                );
            }
            w.t += rng.int(400, 2500);
        }
        if p + 1 < journey.len() {
            w.t += rng.int(300, 900);
        }
    }
    let name = format!("generated-{index:05}.json");
    let started = crate::clock::rfc3339(started_ms);
    let yes = |b: bool| if b { "yes" } else { "no" };
    let manifest_row = format!(
        "{name},{subject},{started},{region},{},{},{},{cohort}",
        yes(heatmaps),
        yes(recordings),
        if variant_b { "B" } else { "A" }
    );
    let survey_row = rng.chance(0.12).then(|| {
        let (score, comment) = if raged {
            (rng.int(1, 2), COMMENTS_LOW[rng.int(0, 3) as usize])
        } else {
            (
                rng.int(3, 5) - i64::from(!variant_b && rng.chance(0.3)),
                COMMENTS_HIGH[rng.int(0, 3) as usize],
            )
        };
        format!("{subject},{name},{score},\"{comment}\"")
    });
    Some(GeneratedSession {
        name,
        events: w.events,
        manifest_row,
        survey_row,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_plausible() {
        let a: Vec<_> = generate(7, 40).collect();
        let b: Vec<_> = generate(7, 40).collect();
        assert_eq!(a.len(), 40);
        assert_eq!(
            serde_json::to_string(&a[5].events).ok(),
            serde_json::to_string(&b[5].events).ok()
        );
        let taps = a
            .iter()
            .flat_map(|s| &s.events)
            .filter(|e| e["data"]["pointerType"] == 2)
            .count();
        let clicks = a
            .iter()
            .flat_map(|s| &s.events)
            .filter(|e| e["data"]["pointerType"] == 0)
            .count();
        assert!(taps > 10 && clicks > 10, "taps {taps}, clicks {clicks}");
        let consented = a
            .iter()
            .filter(|s| s.manifest_row.contains(",yes,"))
            .count();
        assert!(
            (20..=38).contains(&consented),
            "{consented} of 40 consented"
        );
    }
}
