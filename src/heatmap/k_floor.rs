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

/// For each area, how many distinct subjects have a point in it. `points` yields each kept
/// point as (page x, page y, session ref).
pub fn area_subjects(
    areas: &[Area],
    image_from_page: f32,
    points: impl Iterator<Item = (f32, f32, u32)>,
    attrs: &HashMap<u32, SessionAttrs>,
) -> Vec<usize> {
    let mut seen: Vec<HashSet<u32>> = vec![HashSet::new(); areas.len()];
    // A session's points come together: its subject is looked up once, and an area that has
    // just counted that subject skips the set (two hashes a point were most of the time).
    let mut last: Option<(u32, Option<u32>)> = None;
    let mut last_counted: Vec<Option<u32>> = vec![None; areas.len()];
    for (x, y, r) in points {
        let (ix, iy) = (x * image_from_page, y * image_from_page);
        if !(ix >= 0.0 && iy >= 0.0) {
            continue;
        }
        let (ix, iy) = (ix as usize, iy as usize);
        let subject = match last {
            Some((at, subject)) if at == r => subject,
            _ => {
                let subject = attrs.get(&r).map(|a| a.subject);
                last = Some((r, subject));
                subject
            }
        };
        let Some(subject) = subject else {
            continue;
        };
        for ((area, set), counted) in areas.iter().zip(&mut seen).zip(&mut last_counted) {
            if *counted != Some(subject)
                && (area.x..area.x + area.size).contains(&ix)
                && (area.y..area.y + area.size).contains(&iy)
            {
                set.insert(subject);
                *counted = Some(subject);
            }
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
