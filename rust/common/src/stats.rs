//! Win-rate statistics of every report (arena, tune, validate). The formulas (and the order of
//! their operations, so that another implementation reproduces them bit for bit) are specified
//! in `docs/validate.md`.

/// The z value of a two-sided 95% interval, to the six decimals `docs/validate.md` specifies.
pub const Z95: f64 = 1.959964;

/// Wins plus half the draws, over games; 0 for no games.
pub fn score(wins: u64, draws: u64, games: u64) -> f64 {
    if games == 0 {
        return 0.0;
    }
    (wins as f64 + 0.5 * draws as f64) / games as f64
}

/// The Wilson score 95% interval of a proportion `p` observed over `n` trials.
pub fn wilson(p: f64, n: u64) -> [f64; 2] {
    wilson_z(p, n, Z95)
}

/// The Wilson score interval for a normal quantile `z`.
pub fn wilson_z(p: f64, n: u64, z: f64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let n = n as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// Newcombe's hybrid score interval (his method 10) for the difference `p1 - p2` of two
/// proportions observed on disjoint samples of `n1` and `n2` trials: the distance from each
/// estimate to the Wilson bounds (quantile `z`) of the two samples, combined in quadrature.
/// Unlike the simple Wald interval it stays inside `[-1, 1]` and keeps close to its nominal
/// coverage for small samples and rates near 0 or 1.
pub fn newcombe_diff_z(p1: f64, n1: u64, p2: f64, n2: u64, z: f64) -> [f64; 2] {
    let [l1, u1] = wilson_z(p1, n1, z);
    let [l2, u2] = wilson_z(p2, n2, z);
    let d = p1 - p2;
    let below = ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).sqrt();
    let above = ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).sqrt();
    [d - below, d + above]
}

/// Two-sided exact binomial test of `k` successes in `m` trials against probability 1/2:
/// `min(1, 2 P(X <= min(k, m - k)))`, summed in log space so large `m` neither overflows nor
/// underflows.
pub fn binomial_two_sided_half(k: u64, m: u64) -> f64 {
    if m == 0 {
        return 1.0;
    }
    let tail = k.min(m - k);
    let ln_total = ln_gamma(m as f64 + 1.0);
    let ln_half_m = m as f64 * std::f64::consts::LN_2;
    // Terms grow towards i = tail; sum from the largest term down, stopping once they vanish.
    let ln_pmf =
        |i: u64| ln_total - ln_gamma(i as f64 + 1.0) - ln_gamma((m - i) as f64 + 1.0) - ln_half_m;
    let ln_top = ln_pmf(tail);
    let mut sum = 0.0;
    let mut i = tail as i64;
    while i >= 0 {
        let rel = (ln_pmf(i as u64) - ln_top).exp();
        sum += rel;
        if rel < 1e-18 * sum {
            break;
        }
        i -= 1;
    }
    (2.0 * (ln_top.exp() * sum)).min(1.0)
}

/// Natural log of the gamma function for `x > 0` (Lanczos, g = 7, 9 terms; relative error
/// around 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Median of a non-empty slice (mean of the two middle values for even lengths).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn score_counts_draws_as_half() {
        assert_eq!(score(3, 2, 10), 0.4);
        assert_eq!(score(0, 0, 0), 0.0);
    }

    #[test]
    fn wilson_matches_known_values() {
        // 50 of 100: the textbook interval [0.4038, 0.5962].
        let [lo, hi] = wilson(0.5, 100);
        assert!(
            (lo - 0.403_831).abs() < 1e-5 && (hi - 0.596_169).abs() < 1e-5,
            "{lo} {hi}"
        );
        // 0 of 10: [0, 0.2775].
        let [lo, hi] = wilson(0.0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.277_533).abs() < 1e-5, "{hi}");
        assert_eq!(wilson(0.3, 0), [0.0, 1.0]);
    }

    #[test]
    fn wilson_contains_the_estimate() {
        for n in [1u64, 3, 17, 1000] {
            for k in 0..=n.min(17) {
                let p = k as f64 / n as f64;
                let [lo, hi] = wilson(p, n);
                // The bounds may miss an extreme estimate by a rounding error.
                assert!(lo <= p + 1e-12 && p <= hi + 1e-12 && lo >= 0.0 && hi <= 1.0);
            }
        }
    }

    #[test]
    fn binomial_test_matches_exact_small_cases() {
        // 0 of 5: 2 / 32.
        assert!(close(binomial_two_sided_half(0, 5), 2.0 / 32.0, 1e-12));
        // 2 of 10: 2 * (1 + 10 + 45) / 1024.
        assert!(close(binomial_two_sided_half(2, 10), 112.0 / 1024.0, 1e-12));
        assert!(close(binomial_two_sided_half(8, 10), 112.0 / 1024.0, 1e-12));
        assert_eq!(binomial_two_sided_half(5, 10), 1.0);
        assert_eq!(binomial_two_sided_half(0, 0), 1.0);
    }

    #[test]
    fn binomial_test_is_stable_for_large_counts() {
        // 5200 of 10000 decisive games: z = 4, normal approximation p ~ 6.3e-5.
        let p = binomial_two_sided_half(5200, 10_000);
        assert!(p > 5e-5 && p < 8e-5, "{p}");
        // Far in the tail: tiny (it underflows to 0 around 1e-308), never NaN.
        let p = binomial_two_sided_half(40_000, 100_000);
        assert!((0.0..1e-200).contains(&p), "{p}");
        let p = binomial_two_sided_half(49_000, 100_000);
        assert!(p > 1e-12 && p < 1e-8, "{p}");
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut fact = 1.0f64;
        for n in 1..30u32 {
            fact *= n as f64;
            assert!(close(ln_gamma(n as f64 + 1.0), fact.ln(), 1e-13), "{n}");
        }
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
    }

    #[test]
    fn newcombe_matches_his_published_examples() {
        // Newcombe (1998), Statistics in Medicine 17, table II, method 10, to four decimals.
        let cases = [
            ((56, 70), (48, 80), [0.0524, 0.3339]),
            ((9, 10), (3, 10), [0.1705, 0.8090]),
            ((6, 7), (2, 7), [0.0582, 0.8062]),
            ((5, 56), (0, 29), [-0.0381, 0.1926]),
            ((0, 10), (0, 20), [-0.1611, 0.2775]),
            ((10, 10), (0, 20), [0.6791, 1.0]),
        ];
        for ((k1, n1), (k2, n2), want) in cases {
            let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
            let got = newcombe_diff_z(p1, n1, p2, n2, Z95);
            for i in 0..2 {
                assert!(
                    (got[i] - want[i]).abs() < 6e-5,
                    "{k1}/{n1} - {k2}/{n2}: {got:?}"
                );
            }
        }
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
