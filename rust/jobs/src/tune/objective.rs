//! `tune --objective`: the training optimizer, unchanged, on a test function over the box
//! `[-5, 5]^n`, reporting the evaluations it needed to reach a target.

use ew_common::seed::derive;
use ew_tuning::cmaes::{Cmaes, CmaesParams, StopReason};
use ew_tuning::normal::NormalRng;
use ew_tuning::objectives::Objective;
use serde::Serialize;

use crate::error::JobError;

const LOWER: f64 = -5.0;
const UPPER: f64 = 5.0;
/// Initial step size: 2 in the box's units (a fifth of its width).
const SIGMA: f64 = 0.2;

#[derive(Clone, Debug, Serialize)]
pub struct ObjectiveRun {
    pub objective: String,
    pub dim: usize,
    pub seed: u64,
    pub population: usize,
    /// Evaluations up to and including the first one at or below the target (or all of them).
    pub evaluations: u64,
    pub generations: u64,
    pub best_f: f64,
    pub reached: bool,
    pub stop_reason: &'static str,
}

pub struct ObjectiveArgs {
    pub objective: Objective,
    pub dim: usize,
    pub seed: u64,
    pub target: f64,
    pub max_evals: u64,
    pub population: Option<usize>,
    pub sigma_floor: f64,
}

pub fn run_objective(a: &ObjectiveArgs) -> Result<ObjectiveRun, JobError> {
    if a.dim == 0 {
        return Err(JobError::Usage("--dim must be at least 1".into()));
    }
    let mut init = NormalRng::seed_from_u64(derive(a.seed, 1));
    // A start drawn in [-4, 4]^n, expressed in the normalised box.
    let mean: Vec<f64> = (0..a.dim)
        .map(|_| (-4.0 + 8.0 * init.uniform() - LOWER) / (UPPER - LOWER))
        .collect();
    let mut es = Cmaes::new(CmaesParams {
        mean,
        sigma: SIGMA,
        population: a.population,
        seed: derive(a.seed, 2),
        bounded: true,
    })
    .map_err(|e| JobError::Usage(e.to_string()))?;
    let mut best = f64::INFINITY;
    let mut evaluations = 0u64;
    let stop = loop {
        let xs = es.ask();
        let mut fs = Vec::with_capacity(xs.len());
        let mut hit = None;
        for x in &xs {
            let raw: Vec<f64> = x.iter().map(|u| LOWER + u * (UPPER - LOWER)).collect();
            let f = a.objective.eval(&raw);
            evaluations += 1;
            if f < best {
                best = f;
            }
            if hit.is_none() && f <= a.target {
                hit = Some(evaluations);
            }
            fs.push(f);
        }
        es.tell(&fs)
            .map_err(|e| JobError::Internal(e.to_string()))?;
        if let Some(at) = hit {
            evaluations = at;
            break StopReason::Target;
        }
        if evaluations >= a.max_evals {
            break StopReason::MaxEvals;
        }
        if es.max_std() < a.sigma_floor {
            break StopReason::SigmaFloor;
        }
    };
    Ok(ObjectiveRun {
        objective: a.objective.as_str().into(),
        dim: a.dim,
        seed: a.seed,
        population: es.population(),
        evaluations,
        generations: es.generation(),
        best_f: best,
        reached: stop == StopReason::Target,
        stop_reason: stop.as_str(),
    })
}
