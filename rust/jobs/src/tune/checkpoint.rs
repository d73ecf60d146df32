//! A run's state on disk: `checkpoint.json` (everything a resumed run needs), `stats.csv`, and
//! the files of the experiment directory they live in.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ew_engine::Weights;
use ew_engine::weights::WEIGHT_SPEC;
use ew_tuning::cmaes::{Cmaes, CmaesParams, StopReason};
use ew_tuning::files::write_atomic;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::archive::Member;
use super::config::TuneConfig;
use super::space;
use crate::error::JobError;
use crate::events::Heldout;

/// One row of `stats.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsRow {
    pub generation: u64,
    pub evals: u64,
    pub games: u64,
    pub best_fitness: f64,
    pub mean_fitness: f64,
    pub worst_fitness: f64,
    pub best_fitness_ever: f64,
    pub win_rates: [Option<f64>; 3],
    pub sigma: f64,
    pub axis_ratio: f64,
    pub elapsed_s: f64,
    pub cpu_s: f64,
}

const STATS_HEADER: &str = "gen,evals,games,best_fitness,mean_fitness,worst_fitness,best_fitness_ever,win_rate_random,win_rate_greedy,win_rate_mcts,sigma,axis_ratio,elapsed_s,cpu_s";

pub(super) fn stats_csv(rows: &[StatsRow]) -> String {
    let mut s = String::from(STATS_HEADER);
    s.push('\n');
    for r in rows {
        let wr: Vec<String> = r
            .win_rates
            .iter()
            .map(|w| w.map(|v| v.to_string()).unwrap_or_default())
            .collect();
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{:.3},{:.3}",
            r.generation,
            r.evals,
            r.games,
            r.best_fitness,
            r.mean_fitness,
            r.worst_fitness,
            r.best_fitness_ever,
            wr[0],
            wr[1],
            wr[2],
            r.sigma,
            r.axis_ratio,
            r.elapsed_s,
            r.cpu_s
        );
    }
    s
}

/// The best candidate so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Best {
    pub fitness: f64,
    pub win_rates: [Option<f64>; 3],
    #[serde(rename = "gen")]
    pub generation: u64,
    /// The normalised point.
    pub x: Vec<f64>,
    pub weights: serde_json::Map<String, serde_json::Value>,
}

/// Everything a resumed run needs (`checkpoint.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub config: TuneConfig,
    /// Finished generations.
    #[serde(rename = "gen")]
    pub generation: u64,
    pub cma: Cmaes,
    pub best: Option<Best>,
    /// Best fitness of each generation, for the stagnation test.
    pub history: Vec<f64>,
    pub evals: u64,
    pub games: u64,
    pub elapsed_s: f64,
    pub cpu_s: f64,
    pub stats: Vec<StatsRow>,
    pub stop_reason: Option<StopReason>,
    /// The archive, best average first.
    #[serde(default)]
    pub archive: Vec<Member>,
    /// Whether the held-out evaluation has run (a resumed finished run reuses `heldout`).
    #[serde(default)]
    pub heldout_done: bool,
    #[serde(default)]
    pub heldout: Option<Heldout>,
}

impl Checkpoint {
    /// Generation 0 of a run: the search starts at the config's initial weights.
    pub(super) fn start(config: TuneConfig) -> Result<Self, ew_tuning::cmaes::CmaesError> {
        let cma = Cmaes::new(CmaesParams {
            mean: space::to_unit(&config.initial_weights()),
            sigma: config.sigma,
            population: Some(config.population),
            seed: ew_common::seed::derive(config.seed, 0xC3A),
            bounded: true,
        })?;
        Ok(Checkpoint {
            version: 1,
            config,
            generation: 0,
            cma,
            best: None,
            history: Vec::new(),
            evals: 0,
            games: 0,
            elapsed_s: 0.0,
            cpu_s: 0.0,
            stats: Vec::new(),
            stop_reason: None,
            archive: Vec::new(),
            heldout_done: false,
            heldout: None,
        })
    }

    /// Writes `checkpoint.json`.
    pub(super) fn save(&self, files: &Files) -> Result<(), JobError> {
        let mut ck = serde_json::to_string(self)
            .map_err(|e| JobError::Internal(format!("checkpoint does not serialise: {e}")))?;
        ck.push('\n');
        write(&files.checkpoint, &ck)
    }
}

/// The files of an experiment directory.
pub(super) struct Files {
    pub(super) config: PathBuf,
    pub(super) stats: PathBuf,
    pub(super) weights: PathBuf,
    pub(super) checkpoint: PathBuf,
    pub(super) summary: PathBuf,
}

impl Files {
    pub(super) fn new(dir: &Path) -> Self {
        Files {
            config: dir.join("config.toml"),
            stats: dir.join("stats.csv"),
            weights: dir.join("weights.toml"),
            checkpoint: dir.join("checkpoint.json"),
            summary: dir.join("summary.json"),
        }
    }
}

pub(super) fn write(path: &Path, text: &str) -> Result<(), JobError> {
    write_atomic(path, text.as_bytes()).map_err(|e| JobError::io(path, &e))
}

/// A candidate's weights by name, for `Best`.
pub(super) fn weights_map(w: &Weights) -> serde_json::Map<String, serde_json::Value> {
    w.values
        .iter()
        .zip(WEIGHT_SPEC)
        .map(|(v, d)| (d.name.to_string(), json!(f64::from(*v))))
        .collect()
}

/// `weights.toml` during training: the best in-training candidate so far.
pub(super) fn weights_file(best: &Best) -> String {
    let w = space::from_unit(&best.x);
    format!(
        "# Best in-training weights (noisy): fitness {} at generation {}\n{}",
        best.fitness,
        best.generation,
        w.to_toml_string()
    )
}
