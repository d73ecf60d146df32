//! CMA-ES with full covariance, active (negative-weight) covariance update and a box
//! constraint, with the default parameters of Hansen's tutorial (2016).
//!
//! The search space is either free (`R^n`) or the unit box `[0, 1]^n`, in which callers express
//! their variables normalised to their bounds, so one step size fits all of them.

mod constants;
mod stop;
#[cfg(test)]
mod tests;

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::normal::NormalRng;
use constants::Constants;
pub use constants::default_population;
pub use stop::{StopReason, stagnated};

/// Settings of a new optimizer.
#[derive(Clone, Debug)]
pub struct CmaesParams {
    /// Start of the mean (inside the box when `bounded`).
    pub mean: Vec<f64>,
    /// Initial step size.
    pub sigma: f64,
    /// Candidates per generation; `None` for the default `4 + floor(3 ln n)`.
    pub population: Option<usize>,
    pub seed: u64,
    /// Keep every candidate in `[0, 1]^n`.
    pub bounded: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CmaesError {
    #[error("the search space needs at least one dimension")]
    NoDimensions,
    #[error("population must be at least 2, got {0}")]
    Population(usize),
    #[error("initial sigma must be positive and finite, got {0}")]
    Sigma(f64),
    #[error("initial mean component {index} = {value} lies outside [0, 1]")]
    MeanOutOfBox { index: usize, value: f64 },
    #[error("expected {expected} fitness values, got {got}")]
    FitnessCount { expected: usize, got: usize },
    #[error("tell() without a preceding ask()")]
    NoPendingGeneration,
}

/// The optimizer. Minimises: pass `-fitness` to maximise. Every field serialises, so a
/// checkpoint taken between generations restores the exact same future.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cmaes {
    k: Constants,
    bounded: bool,
    mean: DVector<f64>,
    sigma: f64,
    pc: DVector<f64>,
    ps: DVector<f64>,
    cov: DMatrix<f64>,
    /// Eigenvectors of `cov` (columns) and the square roots of its eigenvalues.
    basis: DMatrix<f64>,
    diag: DVector<f64>,
    /// Generation of the last eigendecomposition.
    eigen_gen: u64,
    /// Finished generations.
    generation_count: u64,
    evals: u64,
    rng: NormalRng,
    /// The steps `y` (with `x = mean + sigma * y`) of the candidates handed out by `ask`.
    pending: Option<Vec<DVector<f64>>>,
}

impl Cmaes {
    pub fn new(p: CmaesParams) -> Result<Self, CmaesError> {
        let n = p.mean.len();
        if n == 0 {
            return Err(CmaesError::NoDimensions);
        }
        let lambda = p.population.unwrap_or_else(|| default_population(n));
        if lambda < 2 {
            return Err(CmaesError::Population(lambda));
        }
        if !(p.sigma.is_finite() && p.sigma > 0.0) {
            return Err(CmaesError::Sigma(p.sigma));
        }
        if p.bounded
            && let Some((index, &value)) = p
                .mean
                .iter()
                .enumerate()
                .find(|(_, v)| !(0.0..=1.0).contains(*v))
        {
            return Err(CmaesError::MeanOutOfBox { index, value });
        }
        Ok(Self {
            k: Constants::new(n, lambda),
            bounded: p.bounded,
            mean: DVector::from_vec(p.mean),
            sigma: p.sigma,
            pc: DVector::zeros(n),
            ps: DVector::zeros(n),
            cov: DMatrix::identity(n, n),
            basis: DMatrix::identity(n, n),
            diag: DVector::from_element(n, 1.0),
            eigen_gen: 0,
            generation_count: 0,
            evals: 0,
            rng: NormalRng::seed_from_u64(p.seed),
            pending: None,
        })
    }

    pub fn dim(&self) -> usize {
        self.k.n
    }
    pub fn population(&self) -> usize {
        self.k.lambda
    }
    pub fn generation(&self) -> u64 {
        self.generation_count
    }
    pub fn evaluations(&self) -> u64 {
        self.evals
    }
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
    pub fn mean(&self) -> &[f64] {
        self.mean.as_slice()
    }

    /// The largest standard deviation of the search distribution along a coordinate.
    pub fn max_std(&self) -> f64 {
        let max_var = (0..self.k.n)
            .map(|i| self.cov[(i, i)])
            .fold(0.0f64, f64::max);
        self.sigma * max_var.sqrt()
    }

    /// Largest over smallest standard deviation along the principal axes.
    pub fn axis_ratio(&self) -> f64 {
        self.diag.max() / self.diag.min()
    }

    /// Draws this generation's candidates (inside `[0, 1]^n` when bounded).
    pub fn ask(&mut self) -> Vec<Vec<f64>> {
        let n = self.k.n;
        let mut steps = Vec::with_capacity(self.k.lambda);
        let mut points = Vec::with_capacity(self.k.lambda);
        for _ in 0..self.k.lambda {
            let z = DVector::from_fn(n, |_, _| self.rng.gaussian());
            let mut y = &self.basis * z.component_mul(&self.diag);
            if self.bounded {
                y = self.repair(y);
            }
            let x = &self.mean + self.sigma * &y;
            points.push(x.as_slice().to_vec());
            steps.push(y);
        }
        self.pending = Some(steps);
        points
    }

    /// Mirrors a step's point back into the box, then caps its Mahalanobis length so that a
    /// repaired point cannot inject a longer step than the distribution would draw.
    fn repair(&self, y: DVector<f64>) -> DVector<f64> {
        let x = &self.mean + self.sigma * &y;
        if x.iter().all(|v| (0.0..=1.0).contains(v)) {
            return y;
        }
        let mirrored = x.map(mirror_into_unit);
        let mut y = (mirrored - &self.mean) / self.sigma;
        let nf = self.k.n as f64;
        let cap = nf.sqrt() + 2.0 * nf / (nf + 2.0);
        let len = self.inv_sqrt_cov_times(&y).norm();
        if len > cap {
            // The mean is inside the box and the box is convex, so shortening keeps it inside.
            y *= cap / len;
        }
        y
    }

    /// `C^{-1/2} v`.
    fn inv_sqrt_cov_times(&self, v: &DVector<f64>) -> DVector<f64> {
        let t = self.basis.tr_mul(v).component_div(&self.diag);
        &self.basis * t
    }

    /// Updates the distribution from the fitness of the candidates of the last `ask`
    /// (lower is better; NaN counts as worst).
    pub fn tell(&mut self, fitness: &[f64]) -> Result<(), CmaesError> {
        let steps = self.pending.take().ok_or(CmaesError::NoPendingGeneration)?;
        if fitness.len() != steps.len() {
            let expected = steps.len();
            self.pending = Some(steps);
            return Err(CmaesError::FitnessCount {
                expected,
                got: fitness.len(),
            });
        }
        let k = &self.k;
        let n = k.n;
        let nf = n as f64;
        let mut order: Vec<usize> = (0..steps.len()).collect();
        let key = |i: usize| {
            if fitness[i].is_nan() {
                f64::INFINITY
            } else {
                fitness[i]
            }
        };
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));

        let mut y_w = DVector::zeros(n);
        for (rank, &i) in order.iter().take(k.mu).enumerate() {
            y_w.axpy(k.weights[rank], &steps[i], 1.0);
        }
        self.mean.axpy(self.sigma, &y_w, 1.0);

        let c_inv_sqrt_yw = self.inv_sqrt_cov_times(&y_w);
        self.ps.scale_mut(1.0 - k.cs);
        self.ps
            .axpy((k.cs * (2.0 - k.cs) * k.mueff).sqrt(), &c_inv_sqrt_yw, 1.0);
        let ps_norm = self.ps.norm();
        // The power vanishes long before the cap; the cap only keeps the exponent in range.
        let g = self.generation_count.min(1 << 20) as i32;
        let decay = 1.0 - (1.0 - k.cs).powi(2 * (g + 1));
        let hsig = ps_norm / decay.sqrt() < (1.4 + 2.0 / (nf + 1.0)) * k.chi_n;
        self.pc.scale_mut(1.0 - k.cc);
        if hsig {
            self.pc
                .axpy((k.cc * (2.0 - k.cc) * k.mueff).sqrt(), &y_w, 1.0);
        }

        let weight_sum: f64 = k.weights.iter().sum();
        let delta = if hsig { 0.0 } else { k.cc * (2.0 - k.cc) };
        let old_scale = 1.0 + k.c1 * delta - k.c1 - k.cmu * weight_sum;
        let mut rank_mu = DMatrix::zeros(n, n);
        for (rank, &i) in order.iter().enumerate() {
            let mut w = k.weights[rank];
            if w == 0.0 {
                continue;
            }
            if w < 0.0 {
                // Negative updates are normalised by the step's Mahalanobis length so that
                // long unlucky steps do not shrink the covariance too much.
                let len2 = self.inv_sqrt_cov_times(&steps[i]).norm_squared();
                w *= nf / len2.max(1e-300);
            }
            rank_mu.ger(w, &steps[i], &steps[i], 1.0);
        }
        self.cov.scale_mut(old_scale);
        self.cov.ger(k.c1, &self.pc, &self.pc, 1.0);
        self.cov += k.cmu * rank_mu;

        self.sigma *= ((k.cs / k.damps) * (ps_norm / k.chi_n - 1.0)).exp();

        self.generation_count += 1;
        self.evals += steps.len() as u64;
        if self.generation_count - self.eigen_gen >= k.eigen_gap {
            self.decompose();
        }
        Ok(())
    }

    fn decompose(&mut self) {
        // Symmetrise to remove rounding drift before the eigensolver.
        let sym = (&self.cov + self.cov.transpose()) * 0.5;
        self.cov = sym.clone();
        let eig = SymmetricEigen::new(sym);
        self.basis = eig.eigenvectors;
        self.diag = eig.eigenvalues.map(|v| v.max(1e-300).sqrt());
        self.eigen_gen = self.generation_count;
    }
}

/// Reflects a coordinate into `[0, 1]` as a triangle wave of period 2.
pub fn mirror_into_unit(v: f64) -> f64 {
    if !v.is_finite() {
        return 0.5;
    }
    let r = v.rem_euclid(2.0);
    if r > 1.0 { 2.0 - r } else { r }
}
