//! Annotations drawn over a heatmap (rectangles, arrows, numbered pins, text notes), in
//! screenshot pixels, and the edit history that gives undo.

use serde::{Deserialize, Serialize};

/// One annotation's shape and place (screenshot pixels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Shape {
    /// An outlined rectangle.
    Rect {
        /// One corner.
        from: [f32; 2],
        /// The opposite corner.
        to: [f32; 2],
    },
    /// An arrow pointing at `to`.
    Arrow {
        /// The tail.
        from: [f32; 2],
        /// The head.
        to: [f32; 2],
    },
    /// A numbered pin.
    Pin {
        /// Where it points.
        at: [f32; 2],
        /// Its number.
        number: u32,
    },
    /// A text note.
    Note {
        /// Top-left corner of the text.
        at: [f32; 2],
        /// The text.
        text: String,
    },
}

impl Shape {
    /// Its kind in words.
    pub fn label(&self) -> &'static str {
        match self {
            Shape::Rect { .. } => "rectangle",
            Shape::Arrow { .. } => "arrow",
            Shape::Pin { .. } => "pin",
            Shape::Note { .. } => "note",
        }
    }

    /// Moves it by `(dx, dy)`.
    pub fn translate(&mut self, dx: f32, dy: f32) {
        let shift = |p: &mut [f32; 2]| {
            p[0] += dx;
            p[1] += dy;
        };
        match self {
            Shape::Rect { from, to } | Shape::Arrow { from, to } => {
                shift(from);
                shift(to);
            }
            Shape::Pin { at, .. } | Shape::Note { at, .. } => shift(at),
        }
    }

    /// Its bounding box `[x0, y0, x1, y1]` (a note's is estimated from its text length at the
    /// drawing size, 16 px per line).
    pub fn bounds(&self) -> [f32; 4] {
        let span = |a: [f32; 2], b: [f32; 2]| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[0].max(b[0]),
                a[1].max(b[1]),
            ]
        };
        match self {
            Shape::Rect { from, to } | Shape::Arrow { from, to } => span(*from, *to),
            Shape::Pin { at, .. } => [at[0] - 14.0, at[1] - 14.0, at[0] + 14.0, at[1] + 14.0],
            Shape::Note { at, text } => {
                let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
                let lines = text.lines().count().max(1);
                [
                    at[0],
                    at[1],
                    at[0] + 9.0 * longest as f32 + 12.0,
                    at[1] + 20.0 * lines as f32 + 8.0,
                ]
            }
        }
    }

    /// Whether `p` is on it, within `slack` pixels.
    pub fn hit(&self, p: [f32; 2], slack: f32) -> bool {
        let [x0, y0, x1, y1] = self.bounds();
        p[0] >= x0 - slack && p[0] <= x1 + slack && p[1] >= y0 - slack && p[1] <= y1 + slack
    }
}

/// The annotations of one page and viewport, with undo.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    /// The shapes, in drawing order.
    pub shapes: Vec<Shape>,
    undo: Vec<Vec<Shape>>,
}

/// How many edits undo remembers.
const UNDO_DEPTH: usize = 100;

impl Annotations {
    /// Wraps stored shapes.
    pub fn new(shapes: Vec<Shape>) -> Annotations {
        Annotations {
            shapes,
            undo: Vec::new(),
        }
    }

    /// Remembers the current state; call before each edit.
    pub fn checkpoint(&mut self) {
        if self.undo.len() == UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.undo.push(self.shapes.clone());
    }

    /// Undoes the last edit; false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some(previous) => {
                self.shapes = previous;
                true
            }
            None => false,
        }
    }

    /// Adds a shape (an edit).
    pub fn add(&mut self, shape: Shape) -> usize {
        self.checkpoint();
        self.shapes.push(shape);
        self.shapes.len() - 1
    }

    /// Removes a shape (an edit).
    pub fn remove(&mut self, index: usize) {
        if index < self.shapes.len() {
            self.checkpoint();
            self.shapes.remove(index);
        }
    }

    /// The number the next pin gets.
    pub fn next_pin(&self) -> u32 {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Pin { number, .. } => Some(*number),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The topmost shape under `p`.
    pub fn hit(&self, p: [f32; 2], slack: f32) -> Option<usize> {
        self.shapes.iter().rposition(|s| s.hit(p, slack))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_undo_in_order_and_pins_count_up() {
        let mut a = Annotations::default();
        a.add(Shape::Pin {
            at: [10.0, 10.0],
            number: a.next_pin(),
        });
        a.add(Shape::Pin {
            at: [50.0, 10.0],
            number: a.next_pin(),
        });
        assert_eq!(a.next_pin(), 3);
        a.checkpoint();
        a.shapes[0].translate(5.0, 5.0);
        assert_eq!(a.hit([15.0, 15.0], 0.0), Some(0));
        assert!(a.undo());
        assert_eq!(a.hit([15.0, 15.0], 0.0), Some(0), "still within the pin");
        assert_eq!(a.shapes[0].bounds()[0], -4.0);
        a.remove(1);
        assert_eq!(a.shapes.len(), 1);
        assert!(a.undo());
        assert!(a.undo());
        assert!(a.undo());
        assert!(a.shapes.is_empty());
        assert!(!a.undo());
    }

    #[test]
    fn shapes_round_trip_as_json() {
        let shapes = vec![
            Shape::Rect {
                from: [1.0, 2.0],
                to: [3.0, 4.0],
            },
            Shape::Note {
                at: [0.0, 0.0],
                text: "Broken button".into(),
            },
        ];
        let json = serde_json::to_string(&shapes).unwrap_or_default();
        assert!(json.contains("\"type\":\"rect\""));
        let back: Vec<Shape> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, shapes);
    }
}
