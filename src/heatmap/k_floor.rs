//! The k floor, counted in people: every figure a heatmap shows (the density, each kind of
//! marker, the depth curve, each top area, the counts) comes from at least k distinct
//! subjects, and two segments whose sessions differ by fewer than k people are not compared,
//! since their difference would be those people.

use std::collections::{HashMap, HashSet};

use crate::heatmap::areas::Area;
use crate::heatmap::segment::SessionAttrs;

/// How many distinct subjects the sessions `refs` come from.
pub fn subjects<'a>(
    refs: impl IntoIterator<Item = &'a u32>,
    attrs: &HashMap<u32, SessionAttrs>,
) -> usize {
    refs.into_iter()
        .filter_map(|r| attrs.get(r).map(|a| a.subject))
        .collect::<HashSet<u32>>()
        .len()
}

/// The words shown instead of a count under the floor.
pub fn fewer_than(k: usize) -> String {
    format!("fewer than {k} people")
}

/// Why two segments may not be compared, if they may not: the sessions in one and not the
/// other come from between 1 and k−1 people. Segments with the same sessions compare freely.
pub fn compare_refusal(
    a: &[u32],
    b: &[u32],
    attrs: &HashMap<u32, SessionAttrs>,
    k: usize,
) -> Option<String> {
    let a_set: HashSet<u32> = a.iter().copied().collect();
    let b_set: HashSet<u32> = b.iter().copied().collect();
    let differing = subjects(a_set.symmetric_difference(&b_set), attrs);
    (differing > 0 && differing < k).then(|| {
        format!(
            "Not compared: the two segments differ by {}, so their difference would show \
             those people. Choose segments that differ by at least {k} people.",
            fewer_than(k)
        )
    })
}

/// For each area, how many distinct subjects have a point in it. `runs` holds each kept
/// session's points together: (session ref, page xs, page ys).
pub fn area_subjects(
    areas: &[Area],
    image_from_page: f32,
    runs: &[(u32, &[f32], &[f32])],
    attrs: &HashMap<u32, SessionAttrs>,
) -> Vec<usize> {
    // Image-pixel bounds as floats: `x · scale` lies in [x0, x1) exactly when its pixel does.
    let bounds: Vec<[f32; 4]> = areas
        .iter()
        .map(|a| {
            let (x, y, size) = (a.x as f32, a.y as f32, a.size as f32);
            [x, x + size, y, y + size]
        })
        .collect();
    let parts = crate::heatmap::grid::par_ranges(runs.len(), |range| {
        let mut seen: Vec<HashSet<u32>> = vec![HashSet::new(); areas.len()];
        let mut hit = vec![false; areas.len()];
        // A session's subject is looked up once, and its points are only tested (no set is
        // touched per point): hashing per point was most of a cold heatmap's area counting.
        for &(r, xs, ys) in &runs[range] {
            let Some(subject) = attrs.get(&r).map(|a| a.subject) else {
                continue;
            };
            hit.fill(false);
            for (&x, &y) in xs.iter().zip(ys) {
                let (ix, iy) = (x * image_from_page, y * image_from_page);
                for (h, b) in hit.iter_mut().zip(&bounds) {
                    *h |= (ix >= b[0]) & (ix < b[1]) & (iy >= b[2]) & (iy < b[3]);
                }
            }
            for (set, _) in seen.iter_mut().zip(&hit).filter(|(_, h)| **h) {
                set.insert(subject);
            }
        }
        seen
    });
    let mut seen: Vec<HashSet<u32>> = vec![HashSet::new(); areas.len()];
    for part in parts {
        for (all, some) in seen.iter_mut().zip(part) {
            all.extend(some);
        }
    }
    seen.into_iter().map(|s| s.len()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(subjects: &[(u32, u32)]) -> HashMap<u32, SessionAttrs> {
        subjects
            .iter()
            .map(|&(r, subject)| {
                (
                    r,
                    SessionAttrs {
                        day: String::new(),
                        device: String::new(),
                        region: String::new(),
                        variant: String::new(),
                        cohort: String::new(),
                        survey_score: None,
                        subject,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn subjects_are_people_not_sessions() {
        let a = attrs(&[(1, 7), (2, 7), (3, 8)]);
        assert_eq!(subjects(&[1, 2, 3], &a), 2);
    }

    #[test]
    fn segments_differing_by_one_person_are_not_compared() {
        // Ten people; the second segment lacks person 9's three sessions.
        let a = attrs(&(0..12).map(|r| (r, r.min(9))).collect::<Vec<_>>());
        let all: Vec<u32> = (0..12).collect();
        let fewer: Vec<u32> = (0..9).collect();
        assert!(compare_refusal(&all, &fewer, &a, 5).is_some());
        assert!(compare_refusal(&all, &all, &a, 5).is_none());
        let half: Vec<u32> = (0..4).collect();
        assert!(
            compare_refusal(&all, &half, &a, 5).is_none(),
            "six people differ"
        );
    }
}
