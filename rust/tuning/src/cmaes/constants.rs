//! The strategy constants of CMA-ES (learning rates, damping, recombination weights), fixed by
//! the dimension and the population, with the defaults of Hansen's tutorial.

use serde::{Deserialize, Serialize};

/// The default population for `n` variables.
pub fn default_population(n: usize) -> usize {
    4 + (3.0 * (n as f64).ln()).floor() as usize
}

/// Strategy constants, fixed by `n` and the population.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct Constants {
    pub(super) n: usize,
    pub(super) lambda: usize,
    pub(super) mu: usize,
    /// Recombination weights of all `lambda` ranks (negative for the worse ones).
    pub(super) weights: Vec<f64>,
    pub(super) mueff: f64,
    pub(super) cc: f64,
    pub(super) cs: f64,
    pub(super) c1: f64,
    pub(super) cmu: f64,
    pub(super) damps: f64,
    /// E||N(0, I)||.
    pub(super) chi_n: f64,
    /// Generations between eigendecompositions.
    pub(super) eigen_gap: u64,
}

impl Constants {
    pub(super) fn new(n: usize, lambda: usize) -> Self {
        let nf = n as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=lambda)
            .map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln())
            .collect();
        let pos_sum: f64 = raw.iter().filter(|w| **w > 0.0).sum();
        let pos_sq: f64 = raw.iter().filter(|w| **w > 0.0).map(|w| w * w).sum();
        let neg_sum: f64 = raw.iter().filter(|w| **w < 0.0).map(|w| -w).sum();
        let neg_sq: f64 = raw.iter().filter(|w| **w < 0.0).map(|w| w * w).sum();
        let mueff = pos_sum * pos_sum / pos_sq;
        let mueff_neg = if neg_sq > 0.0 {
            neg_sum * neg_sum / neg_sq
        } else {
            0.0
        };

        let cc = (4.0 + mueff / nf) / (nf + 4.0 + 2.0 * mueff / nf);
        let cs = (mueff + 2.0) / (nf + mueff + 5.0);
        let alpha_cov = 2.0;
        let c1 = alpha_cov / ((nf + 1.3).powi(2) + mueff);
        let cmu = (1.0 - c1).min(
            alpha_cov * (0.25 + mueff + 1.0 / mueff - 2.0)
                / ((nf + 2.0).powi(2) + alpha_cov * mueff / 2.0),
        );
        let damps = 1.0 + 2.0 * (((mueff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + cs;
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));

        // Negative weights are scaled so that the covariance stays positive definite and the
        // negative update does not outweigh the positive one.
        let alpha_mu_neg = 1.0 + c1 / cmu;
        let alpha_mueff_neg = 1.0 + 2.0 * mueff_neg / (mueff + 2.0);
        let alpha_posdef_neg = (1.0 - c1 - cmu) / (nf * cmu);
        let neg_scale = alpha_mu_neg.min(alpha_mueff_neg).min(alpha_posdef_neg);
        let weights = raw
            .iter()
            .map(|&w| {
                if w >= 0.0 {
                    w / pos_sum
                } else {
                    neg_scale * w / neg_sum
                }
            })
            .collect();
        let eigen_gap = (1.0 / ((c1 + cmu) * nf * 10.0)).floor().max(1.0) as u64;
        Self {
            n,
            lambda,
            mu,
            weights,
            mueff,
            cc,
            cs,
            c1,
            cmu,
            damps,
            chi_n,
            eigen_gap,
        }
    }
}
