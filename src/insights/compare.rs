//! Comparing two segments with statistics: for each element (and each page-level signal) the
//! share of sessions in A and in B, their difference with a 95% interval, and a two-sided
//! p-value from the two-proportion z-test, adjusted for the number of comparisons (Holm).

use serde::Serialize;

use crate::insights::elements::ElementTable;

/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// One share compared between segments A and B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareTest {
    /// Sessions with it in A, and sessions in A.
    pub a: (u64, u64),
    /// The same in B.
    pub b: (u64, u64),
    /// B's share minus A's (−1…1).
    pub difference: f64,
    /// 95% interval of the difference (unpooled standard error).
    pub interval: (f64, f64),
    /// Two-sided p-value (pooled z-test), before adjustment.
    pub p: f64,
    /// The p-value adjusted for every comparison made with it (Holm).
    pub p_adjusted: f64,
}

impl ShareTest {
    /// A's share.
    pub fn share_a(&self) -> f64 {
        ratio(self.a)
    }

    /// B's share.
    pub fn share_b(&self) -> f64 {
        ratio(self.b)
    }

    /// "12.1% of sessions vs 8.3% (+3.8 pts, 95% CI 1.2 to 6.4, p = 0.005)", B first.
    pub fn sentence(&self) -> String {
        let pts = |v: f64| v * 100.0;
        format!(
            "{:.1}% of sessions vs {:.1}% ({:+.1} pts, 95% CI {:+.1} to {:+.1}, p {})",
            pts(self.share_b()),
            pts(self.share_a()),
            pts(self.difference),
            pts(self.interval.0),
            pts(self.interval.1),
            p_text(self.p_adjusted)
        )
    }

    /// Whether the adjusted p-value is below 0.05.
    pub fn significant(&self) -> bool {
        self.p_adjusted < 0.05
    }
}

fn ratio((x, n): (u64, u64)) -> f64 {
    if n == 0 { 0.0 } else { x as f64 / n as f64 }
}

/// "= 0.032" or "< 0.001".
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {p:.3}")
    }
}

/// The two-proportion test of `b` against `a` (each: sessions with it, sessions).
pub fn two_proportions(a: (u64, u64), b: (u64, u64)) -> ShareTest {
    let (pa, pb) = (ratio(a), ratio(b));
    let (na, nb) = (a.1.max(1) as f64, b.1.max(1) as f64);
    let difference = pb - pa;
    let se = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    let pooled = (a.0 + b.0) as f64 / (na + nb);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let p = if se_pooled > 0.0 {
        erfc((difference / se_pooled).abs() / std::f64::consts::SQRT_2)
    } else {
        1.0
    };
    ShareTest {
        a,
        b,
        difference,
        interval: (difference - Z_95 * se, difference + Z_95 * se),
        p,
        p_adjusted: p,
    }
}

/// Holm's step-down adjustment of the tests' p-values, in place.
pub fn holm(tests: &mut [&mut ShareTest]) {
    let m = tests.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| tests[i].p.total_cmp(&tests[j].p));
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let adjusted = ((m - rank) as f64 * tests[i].p).min(1.0);
        running = running.max(adjusted);
        tests[i].p_adjusted = running;
    }
}

/// The complementary error function (Numerical Recipes' `erfcc`, fractional error below
/// 1.2e-7), enough for p-values.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// One element's share of sessions compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementShare {
    /// The masked selector.
    pub selector: String,
    /// Its share in A and B.
    pub test: ShareTest,
}

/// Compares the elements shown in both tables (each already under the k floor in its own
/// segment; an element hidden in either is not compared), most different first.
pub fn elements(a: &ElementTable, b: &ElementTable) -> Vec<ElementShare> {
    let mut out: Vec<ElementShare> = a
        .rows
        .iter()
        .filter_map(|ra| {
            let rb = b.rows.iter().find(|rb| rb.selector == ra.selector)?;
            Some(ElementShare {
                selector: ra.selector.clone(),
                test: two_proportions(
                    (ra.sessions, a.page_sessions),
                    (rb.sessions, b.page_sessions),
                ),
            })
        })
        .collect();
    holm(&mut out.iter_mut().map(|e| &mut e.test).collect::<Vec<_>>());
    out.sort_by(|x, y| {
        x.test
            .p_adjusted
            .total_cmp(&y.test.p_adjusted)
            .then(x.selector.cmp(&y.selector))
    });
    out
}

/// One session's signals, for the page-level comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionSignalRow {
    /// Rage click bursts.
    pub rage: u32,
    /// Dead clicks.
    pub dead: u32,
    /// Error clicks.
    pub error: u32,
    /// Quick backs.
    pub quick_backs: u32,
    /// Excessive scrolling.
    pub excessive: bool,
    /// Frustration score.
    pub frustration: u8,
    /// The k-floor subject bucket.
    pub subject: u32,
}

/// One page-level signal's share of sessions compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalShare {
    /// "rage clicks", "frustration 50+", …
    pub signal: &'static str,
    /// Its share in A and B.
    pub test: ShareTest,
}

/// Compares the share of sessions with each signal between the sessions of A and of B. A
/// signal seen in fewer than k people of either segment is left out: its count would be
/// theirs.
pub fn signals(a: &[SessionSignalRow], b: &[SessionSignalRow], k: usize) -> Vec<SignalShare> {
    type Has = fn(&SessionSignalRow) -> bool;
    let kinds: [(&'static str, Has); 6] = [
        ("rage clicks", |s| s.rage > 0),
        ("dead clicks", |s| s.dead > 0),
        ("error clicks", |s| s.error > 0),
        ("quick backs", |s| s.quick_backs > 0),
        ("excessive scrolling", |s| s.excessive),
        ("frustration 50+", |s| {
            s.frustration >= crate::insights::signals::FRUSTRATED
        }),
    ];
    let count = |rows: &[SessionSignalRow], has: Has| {
        (
            rows.iter().filter(|s| has(s)).count() as u64,
            rows.len() as u64,
        )
    };
    let people = |rows: &[SessionSignalRow], has: Has| {
        rows.iter()
            .filter(|s| has(s))
            .map(|s| s.subject)
            .collect::<std::collections::HashSet<u32>>()
            .len()
    };
    let mut out: Vec<SignalShare> = kinds
        .iter()
        .filter(|&&(_, has)| people(a, has) >= k && people(b, has) >= k)
        .map(|&(signal, has)| SignalShare {
            signal,
            test: two_proportions(count(a, has), count(b, has)),
        })
        .collect();
    holm(&mut out.iter_mut().map(|e| &mut e.test).collect::<Vec<_>>());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_proportion_test_matches_a_hand_computed_example() {
        // B: 121 of 1000 sessions; A: 83 of 1000.
        // Difference 0.038. Unpooled SE = sqrt(.121·.879/1000 + .083·.917/1000) = 0.0135082,
        // so the 95% interval is 0.038 ± 0.0264757 = [0.0115243, 0.0644757].
        // Pooled p = 0.102, SE = sqrt(.102·.898·(2/1000)) = 0.0135349, z = 2.80755,
        // two-sided p = 2·(1 − Φ(2.80755)) = 0.004992.
        let t = two_proportions((83, 1000), (121, 1000));
        assert!((t.difference - 0.038).abs() < 1e-12);
        assert!(
            (t.interval.0 - 0.011_524_3).abs() < 1e-6,
            "{:?}",
            t.interval
        );
        assert!(
            (t.interval.1 - 0.064_475_7).abs() < 1e-6,
            "{:?}",
            t.interval
        );
        assert!((t.p - 0.004_992).abs() < 2e-5, "{}", t.p);
        assert_eq!(
            t.sentence(),
            "12.1% of sessions vs 8.3% (+3.8 pts, 95% CI +1.2 to +6.4, p = 0.005)"
        );
    }

    #[test]
    fn holm_multiplies_the_smallest_p_by_the_number_of_tests_and_keeps_the_order() {
        let mut a = two_proportions((10, 100), (30, 100));
        let mut b = two_proportions((10, 100), (12, 100));
        let mut c = two_proportions((10, 100), (20, 100));
        let (pa, pc) = (a.p, c.p);
        holm(&mut [&mut a, &mut b, &mut c]);
        assert!((a.p_adjusted - 3.0 * pa).abs() < 1e-12);
        assert!((c.p_adjusted - (2.0 * pc).max(a.p_adjusted)).abs() < 1e-12);
        assert!(b.p_adjusted >= c.p_adjusted && b.p_adjusted <= 1.0);
    }

    #[test]
    fn a_signal_seen_in_fewer_than_k_people_of_a_segment_is_not_compared() {
        let row = |subject: u32, rage: u32, dead: u32| SessionSignalRow {
            rage,
            dead,
            subject,
            ..SessionSignalRow::default()
        };
        // A: 6 people, all with dead clicks, 5 with rage; B: 6 people, 6 dead, 2 rage.
        let a: Vec<_> = (0..6).map(|s| row(s, u32::from(s < 5), 1)).collect();
        let b: Vec<_> = (10..16).map(|s| row(s, u32::from(s < 12), 1)).collect();
        let shown: Vec<&str> = signals(&a, &b, 5).iter().map(|s| s.signal).collect();
        assert_eq!(shown, ["dead clicks"], "B's rage is two people's");
    }

    #[test]
    fn erfc_is_close_to_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }
}
