//! Depth maps: the share of sessions that reached each depth of a page (scroll) and the time
//! spent at each depth (attention), as one value per screenshot row.

use super::grid::Grid;

/// The CSS height of one attention bucket, as stored at import.
pub const ATTENTION_BUCKET_PX: f32 = 100.0;

/// One session's depth on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDepth {
    /// The lowest page y (CSS px) the viewport's bottom edge reached.
    pub max_bottom_px: f32,
    /// The viewport height (CSS px): where the fold is.
    pub viewport_height: f32,
    /// Milliseconds with the viewport centred in each 100 px bucket.
    pub attention_ms: Vec<u32>,
}

/// For each of `height` image rows, the share (0–1) of sessions whose viewport reached it.
pub fn scroll_reach(depths: &[SessionDepth], image_from_page: f32, height: usize) -> Vec<f32> {
    let mut bottoms: Vec<f32> = depths
        .iter()
        .map(|d| d.max_bottom_px * image_from_page)
        .filter(|b| b.is_finite())
        .collect();
    bottoms.sort_by(f32::total_cmp);
    let n = depths.len().max(1) as f32;
    let mut below = 0; // sessions whose bottom is above the current row
    (0..height)
        .map(|y| {
            while below < bottoms.len() && bottoms[below] < y as f32 {
                below += 1;
            }
            (bottoms.len() - below) as f32 / n
        })
        .collect()
}

/// The average fold (viewport height) in image pixels.
pub fn average_fold(depths: &[SessionDepth], image_from_page: f32) -> Option<f32> {
    if depths.is_empty() {
        return None;
    }
    let sum: f32 = depths.iter().map(|d| d.viewport_height).sum();
    Some(sum / depths.len() as f32 * image_from_page)
}

/// For each image row, the mean milliseconds per session spent with that row in view centre.
pub fn attention(depths: &[SessionDepth], image_from_page: f32, height: usize) -> Vec<f32> {
    let buckets = depths
        .iter()
        .map(|d| d.attention_ms.len())
        .max()
        .unwrap_or(0);
    let mut sum = vec![0f64; buckets];
    for d in depths {
        for (s, &ms) in sum.iter_mut().zip(&d.attention_ms) {
            *s += f64::from(ms);
        }
    }
    let n = depths.len().max(1) as f64;
    let per_row = ATTENTION_BUCKET_PX * image_from_page;
    (0..height)
        .map(|y| {
            let b = (y as f32 / per_row) as usize;
            sum.get(b).map_or(0.0, |s| (s / n) as f32)
        })
        .collect()
}

/// A grid whose every row holds that row's value.
pub fn rows_to_grid(rows: &[f32], width: usize) -> Grid {
    let mut grid = Grid::zeros(width, rows.len());
    for (row, &v) in grid.cells.chunks_mut(width.max(1)).zip(rows) {
        row.fill(v);
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(bottom: f32) -> SessionDepth {
        SessionDepth {
            max_bottom_px: bottom,
            viewport_height: 800.0,
            attention_ms: vec![1000, 500, 0, 100],
        }
    }

    #[test]
    fn reach_falls_as_sessions_stop_scrolling() {
        let d = [depth(1000.0), depth(2000.0), depth(3000.0), depth(4000.0)];
        let r = scroll_reach(&d, 0.5, 2500);
        assert_eq!(r[0], 1.0);
        assert_eq!(r[600], 0.75);
        assert_eq!(r[1200], 0.5);
        assert_eq!(r[2001], 0.0);
        assert_eq!(average_fold(&d, 0.5), Some(400.0));
    }

    #[test]
    fn attention_is_averaged_per_session_and_scaled_to_rows() {
        let d = [depth(1.0), depth(1.0)];
        let a = attention(&d, 2.0, 900);
        assert_eq!(a[0], 1000.0);
        assert_eq!(a[199], 1000.0);
        assert_eq!(a[200], 500.0);
        assert_eq!(a[650], 100.0);
        assert_eq!(a[899], 0.0);
    }
}
