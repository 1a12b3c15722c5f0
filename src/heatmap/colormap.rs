//! Colour maps and palettes: 256 colours with opacity baked in, so recolouring a region is one
//! table lookup per pixel.

use serde::{Deserialize, Serialize};

/// A colour scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ColorMap {
    /// Perceptually uniform, dark blue to yellow.
    #[default]
    Viridis,
    /// Perceptually uniform, black through red to pale yellow.
    Inferno,
    /// The classic heatmap ramp: blue, cyan, green, yellow, red.
    Classic,
    /// Diverging, for difference maps: blue (negative), clear (zero), red (positive).
    Diverging,
}

impl ColorMap {
    /// The maps offered for density (the diverging one is for differences).
    pub const SEQUENTIAL: [ColorMap; 3] = [ColorMap::Viridis, ColorMap::Inferno, ColorMap::Classic];

    /// Its name in the legend.
    pub fn label(self) -> &'static str {
        match self {
            ColorMap::Viridis => "viridis",
            ColorMap::Inferno => "inferno",
            ColorMap::Classic => "classic",
            ColorMap::Diverging => "diverging",
        }
    }

    /// The colour at `t` in `[0, 1]`, as straight RGB.
    pub fn rgb(self, t: f32) -> [u8; 3] {
        let t = t.clamp(0.0, 1.0);
        let c = match self {
            ColorMap::Viridis => poly(t, &VIRIDIS),
            ColorMap::Inferno => poly(t, &INFERNO),
            ColorMap::Classic => classic(t),
            ColorMap::Diverging => diverging(t),
        };
        c.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
    }
}

/// Polynomial fits of matplotlib's maps (after Matt Zucker's fits, within 2% of the published
/// tables); coefficients from degree 0 up.
type Poly = [[f32; 3]; 7];
const VIRIDIS: Poly = [
    [0.277_727_33, 0.005_407_344_5, 0.334_099_8],
    [0.105_093_04, 1.404_613_5, 1.384_590_2],
    [-0.330_861_83, 0.214_847_56, 0.095_095_16],
    [-4.634_230_6, -5.799_101, -19.332_441],
    [6.228_27, 14.179_933, 56.690_55],
    [4.776_385, -13.745_145, -65.353_03],
    [-5.435_456, 4.645_852_6, 26.312_435],
];
const INFERNO: Poly = [
    [0.000_218_940_37, 0.001_651_004_6, -0.019_480_899],
    [0.106_513_42, 0.563_956_4, 3.932_712_3],
    [11.602_493, -3.972_854, -15.942_394],
    [-41.703_995, 17.436_4, 44.354_145],
    [77.162_94, -33.402_36, -81.807_31],
    [-71.319_43, 32.626_064, 73.209_52],
    [25.131_126, -12.242_669, -23.070_325],
];

fn poly(t: f32, c: &Poly) -> [f32; 3] {
    let mut out = [0.0; 3];
    for (ch, o) in out.iter_mut().enumerate() {
        *o = c.iter().rev().fold(0.0, |acc, k| acc * t + k[ch]);
    }
    out
}

fn classic(t: f32) -> [f32; 3] {
    // Piecewise linear through blue, cyan, green, yellow, red.
    const STOPS: [[f32; 3]; 5] = [
        [0.0, 0.0, 1.0],
        [0.0, 1.0, 1.0],
        [0.0, 1.0, 0.0],
        [1.0, 1.0, 0.0],
        [1.0, 0.0, 0.0],
    ];
    let x = t * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
}

fn diverging(t: f32) -> [f32; 3] {
    // Blue (0.0) to near-white (0.5) to red (1.0), as in ColorBrewer's RdBu.
    let (blue, mid, red) = ([0.13, 0.40, 0.67], [0.97, 0.97, 0.97], [0.70, 0.09, 0.17]);
    let (a, b, f) = if t < 0.5 {
        (blue, mid, t * 2.0)
    } else {
        (mid, red, (t - 0.5) * 2.0)
    };
    [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
}

/// 256 RGBA colours for levels 0–255, with opacity and a fade-in at the faint end baked in.
#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    /// Straight (not premultiplied) RGBA per level.
    pub colors: [[u8; 4]; 256],
}

/// Levels below this fade in, so that the faintest density does not paint a hard edge.
const FADE_LEVELS: f32 = 48.0;

impl Palette {
    /// The palette of `map` at `opacity` (0–1).
    pub fn new(map: ColorMap, opacity: f32) -> Palette {
        let opacity = opacity.clamp(0.0, 1.0);
        let mut colors = [[0u8; 4]; 256];
        for (level, c) in colors.iter_mut().enumerate().skip(1) {
            let t = (level - 1) as f32 / 254.0;
            let [r, g, b] = map.rgb(t);
            let fade = if map == ColorMap::Diverging {
                // Zero is in the middle; strength grows towards both ends.
                ((level as f32 - 128.0).abs() / 127.0 * 3.0).min(1.0)
            } else {
                (level as f32 / FADE_LEVELS).min(1.0)
            };
            *c = [r, g, b, (opacity * fade * 255.0).round() as u8];
        }
        Palette { colors }
    }

    /// The same colours premultiplied by alpha, as GPU textures want them.
    pub fn premultiplied(&self) -> [[u8; 4]; 256] {
        self.colors.map(|[r, g, b, a]| {
            let m = |c: u8| ((u16::from(c) * u16::from(a) + 127) / 255) as u8;
            [m(r), m(g), m(b), a]
        })
    }
}

/// Colours the rectangle `[x0, x1) × [y0, y1)` of a `width`-wide level grid into `out` (row by
/// row, `(x1 - x0) * (y1 - y0)` pixels) with `colors`.
pub fn colorize_region(
    levels: &[u8],
    width: usize,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
    colors: &[[u8; 4]; 256],
    out: &mut Vec<[u8; 4]>,
) {
    out.clear();
    let x1 = x1.min(width);
    if x0 >= x1 {
        return;
    }
    out.reserve((x1 - x0) * y1.saturating_sub(y0));
    for row in levels.chunks(width).skip(y0).take(y1.saturating_sub(y0)) {
        out.extend(row[x0..x1].iter().map(|&l| colors[usize::from(l)]));
    }
}

/// Colours a whole level grid on every core.
pub fn colorize(levels: &[u8], width: usize, colors: &[[u8; 4]; 256]) -> Vec<[u8; 4]> {
    let mut out = vec![[0u8; 4]; levels.len()];
    super::grid::par_rows(&mut out, width, |row0, band| {
        let src = &levels[row0 * width..row0 * width + band.len()];
        for (o, &l) in band.iter_mut().zip(src) {
            *o = colors[usize::from(l)];
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [u8; 3], b: [u8; 3]) -> bool {
        a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 5)
    }

    #[test]
    fn maps_match_matplotlib_at_their_ends_and_middle() {
        assert!(
            close(ColorMap::Viridis.rgb(0.0), [68, 1, 84]),
            "{:?}",
            ColorMap::Viridis.rgb(0.0)
        );
        assert!(
            close(ColorMap::Viridis.rgb(0.5), [33, 145, 140]),
            "{:?}",
            ColorMap::Viridis.rgb(0.5)
        );
        assert!(
            close(ColorMap::Viridis.rgb(1.0), [253, 231, 37]),
            "{:?}",
            ColorMap::Viridis.rgb(1.0)
        );
        assert!(
            close(ColorMap::Inferno.rgb(0.0), [0, 0, 4]),
            "{:?}",
            ColorMap::Inferno.rgb(0.0)
        );
        assert!(
            close(ColorMap::Inferno.rgb(1.0), [252, 255, 164]),
            "{:?}",
            ColorMap::Inferno.rgb(1.0)
        );
        assert_eq!(ColorMap::Classic.rgb(0.0), [0, 0, 255]);
        assert_eq!(ColorMap::Classic.rgb(1.0), [255, 0, 0]);
    }

    #[test]
    fn palettes_are_clear_at_zero_and_carry_opacity() {
        let p = Palette::new(ColorMap::Viridis, 0.5);
        assert_eq!(p.colors[0][3], 0);
        assert_eq!(p.colors[255][3], 128);
        assert!(p.colors[10][3] < p.colors[200][3]);
        let pm = p.premultiplied();
        assert!(pm[255][0] <= p.colors[255][0]);
    }

    #[test]
    fn region_colouring_reads_the_right_cells() {
        let levels = [0u8, 1, 2, 3, 4, 5];
        let mut colors = [[0u8; 4]; 256];
        for (i, c) in colors.iter_mut().enumerate() {
            *c = [i as u8; 4];
        }
        let mut out = Vec::new();
        colorize_region(&levels, 3, (1, 1, 3, 2), &colors, &mut out);
        assert_eq!(out, vec![[4; 4], [5; 4]]);
        assert_eq!(colorize(&levels, 3, &colors)[5], [5; 4]);
    }
}
