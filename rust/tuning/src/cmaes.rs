//! CMA-ES with full covariance, active (negative-weight) covariance update and a box
//! constraint, with the default parameters of Hansen's tutorial (2016).
//!
//! The search space is either free (`R^n`) or the unit box `[0, 1]^n`, in which callers express
//! their variables normalised to their bounds, so one step size fits all of them.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::normal::NormalRng;

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

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Generations,
    SigmaFloor,
    Stagnation,
    Target,
    MaxEvals,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Generations => "generations",
            StopReason::SigmaFloor => "sigma_floor",
            StopReason::Stagnation => "stagnation",
            StopReason::Target => "target",
            StopReason::MaxEvals => "max_evals",
        }
    }
}

/// The default population for `n` variables.
pub fn default_population(n: usize) -> usize {
    4 + (3.0 * (n as f64).ln()).floor() as usize
}

/// Strategy constants, fixed by `n` and the population.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Constants {
    n: usize,
    lambda: usize,
    mu: usize,
    /// Recombination weights of all `lambda` ranks (negative for the worse ones).
    weights: Vec<f64>,
    mueff: f64,
    cc: f64,
    cs: f64,
    c1: f64,
    cmu: f64,
    damps: f64,
    /// E||N(0, I)||.
    chi_n: f64,
    /// Generations between eigendecompositions.
    eigen_gap: u64,
}

impl Constants {
    fn new(n: usize, lambda: usize) -> Self {
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

/// The stagnation test: after at least `window` generations, the median of the last
/// `ceil(0.2 window)` generation-best values is no better (for minimisation: not lower) than
/// the median of the `ceil(0.2 window)` that started the last `window` generations.
pub fn stagnated(best_per_gen: &[f64], window: usize) -> bool {
    if window == 0 || best_per_gen.len() < window {
        return false;
    }
    let part = (0.2 * window as f64).ceil() as usize;
    let recent = &best_per_gen[best_per_gen.len() - part..];
    let start = best_per_gen.len() - window;
    let early = &best_per_gen[start..start + part];
    ew_common::stats::median(recent) >= ew_common::stats::median(early)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objectives::Objective;

    fn minimise(obj: Objective, n: usize, seed: u64, bounded: bool, target: f64) -> (u64, f64) {
        let (lo, hi) = (-5.0, 5.0);
        let mut init = NormalRng::seed_from_u64(seed ^ 0xABCD);
        let mean: Vec<f64> = (0..n)
            .map(|_| {
                let raw = -4.0 + 8.0 * init.uniform();
                if bounded { (raw - lo) / (hi - lo) } else { raw }
            })
            .collect();
        let sigma = if bounded { 0.2 } else { 2.0 };
        let mut es = Cmaes::new(CmaesParams {
            mean,
            sigma,
            population: None,
            seed,
            bounded,
        })
        .unwrap();
        let mut best = f64::INFINITY;
        while es.evaluations() < 200_000 {
            let xs = es.ask();
            let fs: Vec<f64> = xs
                .iter()
                .map(|x| {
                    let raw: Vec<f64> = if bounded {
                        x.iter().map(|v| lo + (hi - lo) * v).collect()
                    } else {
                        x.clone()
                    };
                    obj.eval(&raw)
                })
                .collect();
            best = fs.iter().cloned().fold(best, f64::min);
            es.tell(&fs).unwrap();
            if best <= target {
                break;
            }
        }
        (es.evaluations(), best)
    }

    #[test]
    fn default_population_follows_formula() {
        assert_eq!(default_population(10), 10);
        assert_eq!(default_population(28), 13);
        assert_eq!(default_population(2), 6);
    }

    #[test]
    fn weights_sum_to_one_over_the_best_half() {
        let k = Constants::new(10, 10);
        let pos: f64 = k.weights.iter().take(k.mu).sum();
        assert!((pos - 1.0).abs() < 1e-12);
        assert!(k.weights[k.mu..].iter().all(|w| *w <= 0.0));
        assert!(k.mueff > 1.0 && k.mueff < k.mu as f64);
    }

    #[test]
    fn converges_on_sphere_free_and_bounded() {
        for bounded in [false, true] {
            let (evals, best) = minimise(Objective::Sphere, 10, 1, bounded, 1e-10);
            assert!(best <= 1e-10, "bounded={bounded} best={best}");
            assert!(evals < 3_000, "bounded={bounded} evals={evals}");
        }
    }

    #[test]
    fn learns_ill_conditioned_ellipsoid() {
        let (evals, best) = minimise(Objective::Ellipsoid, 10, 2, true, 1e-8);
        assert!(best <= 1e-8, "best={best}");
        // A method without covariance learning needs far more on a 1e6 condition number.
        assert!(evals < 10_000, "evals={evals}");
    }

    #[test]
    fn follows_rosenbrock_valley() {
        let (evals, best) = minimise(Objective::Rosenbrock, 10, 3, true, 1e-8);
        assert!(best <= 1e-8, "best={best}");
        assert!(evals < 15_000, "evals={evals}");
    }

    #[test]
    fn rastrigin_improves_with_large_population() {
        let n = 5;
        let mut es = Cmaes::new(CmaesParams {
            mean: vec![0.8; n],
            sigma: 0.3,
            population: Some(100),
            seed: 4,
            bounded: true,
        })
        .unwrap();
        let f = |x: &Vec<f64>| {
            let raw: Vec<f64> = x.iter().map(|v| -5.0 + 10.0 * v).collect();
            Objective::Rastrigin.eval(&raw)
        };
        let start = f(&es.mean().to_vec());
        let mut best = f64::INFINITY;
        for _ in 0..150 {
            let xs = es.ask();
            let fs: Vec<f64> = xs.iter().map(f).collect();
            best = fs.iter().cloned().fold(best, f64::min);
            es.tell(&fs).unwrap();
        }
        assert!(best < 2.0 && best < start, "start={start} best={best}");
    }

    #[test]
    fn bounded_candidates_stay_in_box_and_spread_from_edges() {
        // Mean on a corner, large sigma: clipping would put about half of every coordinate
        // exactly on the face; mirroring must not.
        let mut es = Cmaes::new(CmaesParams {
            mean: vec![0.0; 6],
            sigma: 0.5,
            population: Some(50),
            seed: 9,
            bounded: true,
        })
        .unwrap();
        let xs = es.ask();
        let coords: Vec<f64> = xs.iter().flatten().copied().collect();
        assert!(coords.iter().all(|v| (0.0..=1.0).contains(v)));
        let on_face = coords.iter().filter(|v| **v == 0.0 || **v == 1.0).count();
        assert!(on_face * 20 < coords.len(), "{on_face} of {}", coords.len());
    }

    #[test]
    fn checkpoint_resumes_identically() {
        let obj = Objective::Rosenbrock;
        let params = CmaesParams {
            mean: vec![0.3; 8],
            sigma: 0.2,
            population: None,
            seed: 5,
            bounded: true,
        };
        let run = |es: &mut Cmaes, gens: usize| {
            for _ in 0..gens {
                let xs = es.ask();
                let fs: Vec<f64> = xs.iter().map(|x| obj.eval(x)).collect();
                es.tell(&fs).unwrap();
            }
        };
        let mut whole = Cmaes::new(params.clone()).unwrap();
        run(&mut whole, 40);
        let mut first = Cmaes::new(params).unwrap();
        run(&mut first, 17);
        let text = serde_json::to_string(&first).unwrap();
        let mut resumed: Cmaes = serde_json::from_str(&text).unwrap();
        assert_eq!(resumed, first);
        run(&mut resumed, 23);
        assert_eq!(resumed, whole);
    }

    #[test]
    fn tell_checks_its_input() {
        let mut es = Cmaes::new(CmaesParams {
            mean: vec![0.5; 3],
            sigma: 0.1,
            population: Some(4),
            seed: 1,
            bounded: true,
        })
        .unwrap();
        assert_eq!(es.tell(&[1.0; 4]), Err(CmaesError::NoPendingGeneration));
        es.ask();
        assert_eq!(
            es.tell(&[1.0; 3]),
            Err(CmaesError::FitnessCount {
                expected: 4,
                got: 3
            })
        );
        assert!(es.tell(&[1.0, f64::NAN, 0.0, 2.0]).is_ok());
    }

    #[test]
    fn rejects_bad_settings() {
        let p = |mean: Vec<f64>, sigma, population| CmaesParams {
            mean,
            sigma,
            population,
            seed: 0,
            bounded: true,
        };
        assert_eq!(
            Cmaes::new(p(vec![], 0.1, None)).err(),
            Some(CmaesError::NoDimensions)
        );
        assert_eq!(
            Cmaes::new(p(vec![0.5], 0.0, None)).err(),
            Some(CmaesError::Sigma(0.0))
        );
        assert_eq!(
            Cmaes::new(p(vec![0.5], 0.1, Some(1))).err(),
            Some(CmaesError::Population(1))
        );
        assert!(matches!(
            Cmaes::new(p(vec![0.5, 1.5], 0.1, None)),
            Err(CmaesError::MeanOutOfBox { index: 1, .. })
        ));
    }

    #[test]
    fn mirror_folds_into_unit_interval() {
        assert_eq!(mirror_into_unit(0.25), 0.25);
        assert_eq!(mirror_into_unit(1.25), 0.75);
        assert_eq!(mirror_into_unit(-0.25), 0.25);
        assert_eq!(mirror_into_unit(2.5), 0.5);
        assert_eq!(mirror_into_unit(f64::NAN), 0.5);
    }

    #[test]
    fn stagnation_needs_a_full_window_without_progress() {
        let improving: Vec<f64> = (0..50).map(|i| -(i as f64)).collect();
        assert!(!stagnated(&improving, 20));
        let flat = vec![1.0; 50];
        assert!(stagnated(&flat, 20));
        assert!(!stagnated(&flat[..10], 20));
        assert!(!stagnated(&flat, 0));
    }
}
