//! The sample data shipped in `sample-data/`, built into the binary so that `sightline demo`
//! works from any folder: page layouts, screenshots, real rrweb recordings and their tables.

use serde::Deserialize;

/// Where the sample pages live (the recordings were made against this host).
pub const BASE_URL: &str = "http://app.parley.example/";
/// The sample pages.
pub const PAGES: [&str; 5] = [
    "inbox",
    "conversation",
    "signup",
    "settings-privacy",
    "pricing",
];
/// Screenshot widths, one per viewport class.
pub const WIDTHS: [u32; 3] = [1440, 768, 390];

macro_rules! per_page_width {
    ($name:ident, $ty:ty, $load:ident, $dir:literal, $ext:literal) => {
        /// The file of `page` at `width` from sample-data.
        pub fn $name(page: &str, width: u32) -> Option<$ty> {
            macro_rules! f {
                ($p:literal, $w:literal) => {
                    $load!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/sample-data/",
                        $dir,
                        "/",
                        $p,
                        "-",
                        $w,
                        $ext
                    ))
                };
            }
            Some(match (page, width) {
                ("inbox", 1440) => f!("inbox", "1440"),
                ("inbox", 768) => f!("inbox", "768"),
                ("inbox", 390) => f!("inbox", "390"),
                ("conversation", 1440) => f!("conversation", "1440"),
                ("conversation", 768) => f!("conversation", "768"),
                ("conversation", 390) => f!("conversation", "390"),
                ("signup", 1440) => f!("signup", "1440"),
                ("signup", 768) => f!("signup", "768"),
                ("signup", 390) => f!("signup", "390"),
                ("settings-privacy", 1440) => f!("settings-privacy", "1440"),
                ("settings-privacy", 768) => f!("settings-privacy", "768"),
                ("settings-privacy", 390) => f!("settings-privacy", "390"),
                ("pricing", 1440) => f!("pricing", "1440"),
                ("pricing", 768) => f!("pricing", "768"),
                ("pricing", 390) => f!("pricing", "390"),
                _ => return None,
            })
        }
    };
}

per_page_width!(layout_json, &'static str, include_str, "layouts", ".json");
per_page_width!(
    fidelity_json,
    &'static str,
    include_str,
    "fidelity",
    ".json"
);
per_page_width!(
    screenshot_png,
    &'static [u8],
    include_bytes,
    "screenshots",
    ".png"
);

macro_rules! sample_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/", $path))
    };
}

/// Real rrweb recordings of scripted visits, by file name.
pub const RECORDINGS: [(&str, &str); 8] = [
    (
        "desktop-inbox-conversation.json",
        sample_file!("recordings/desktop-inbox-conversation.json"),
    ),
    (
        "desktop-settings-privacy.json",
        sample_file!("recordings/desktop-settings-privacy.json"),
    ),
    (
        "desktop-signup-consent.json",
        sample_file!("recordings/desktop-signup-consent.json"),
    ),
    (
        "mobile-inbox-conversation.json",
        sample_file!("recordings/mobile-inbox-conversation.json"),
    ),
    (
        "mobile-pricing-trial.json",
        sample_file!("recordings/mobile-pricing-trial.json"),
    ),
    (
        "mobile-signup-heatmaps-only.json",
        sample_file!("recordings/mobile-signup-heatmaps-only.json"),
    ),
    (
        "tablet-conversation-checkout.json",
        sample_file!("recordings/tablet-conversation-checkout.json"),
    ),
    (
        "tablet-pricing-scroll.json",
        sample_file!("recordings/tablet-pricing-scroll.json"),
    ),
];
/// The recordings' manifest.
pub const MANIFEST: &str = sample_file!("manifest.csv");
/// Consent records.
pub const CONSENT: &str = sample_file!("consent.csv");
/// Survey answers.
pub const SURVEYS: &str = sample_file!("surveys.csv");

/// One element box of a layout.
#[derive(Debug, Clone, Deserialize)]
pub struct Element {
    /// CSS-like selector, e.g. `button#send`.
    pub selector: String,
    /// Tag name.
    pub tag: String,
    /// The element's id attribute, if any.
    #[serde(default)]
    pub id: Option<String>,
    /// Left, page CSS px.
    pub x: f64,
    /// Top, page CSS px.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Links, buttons, fields.
    pub interactive: bool,
}

/// The layout of one page at one width.
#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    /// The width it was rendered at.
    pub css_width: u32,
    /// Full page height.
    pub page_height: f64,
    /// Element boxes.
    pub elements: Vec<Element>,
}

impl Layout {
    /// The layout of `page` at `width`, if shipped (and well-formed).
    pub fn load(page: &str, width: u32) -> Option<Layout> {
        serde_json::from_str(layout_json(page, width)?).ok()
    }

    /// The element with this id.
    pub fn by_id(&self, id: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.id.as_deref() == Some(id))
    }
}
