//! `tune --evaluate FILE`: the held-out evaluation of one weights file, without training (the
//! deploy gate uses it when the deployed file changed since a run was trained).

use std::path::{Path, PathBuf};

use ew_engine::{GameData, Weights};
use ew_tuning::cpu::process_cpu_seconds;
use serde::Serialize;

use super::config::{DEFAULT_FITNESS_WEIGHTS, Mode};
use super::heldout::{self, Entrant, Plan, default_h2h_games, h2h_pairs, load_baseline};
use super::start::{mode_faction_data, play_pairs};
use super::train::{DEFAULT_HELDOUT_GAMES, DEFAULT_MCTS_SIMS, DEFAULT_SEED};
use crate::error::JobError;
use crate::events::HeldoutCandidate;

/// Flag values of `tune --evaluate` (`None`: not given).
#[derive(Clone, Debug, Default)]
pub struct EvaluateArgs {
    pub candidate: PathBuf,
    pub baseline: Option<PathBuf>,
    pub mode: Option<Mode>,
    pub faction: Option<String>,
    pub seed: Option<u64>,
    pub h2h_games: Option<u32>,
    pub heldout_games: Option<u32>,
    pub mcts_sims: Option<u32>,
    pub fitness_weights: Option<[f64; 3]>,
    pub data: Option<PathBuf>,
    pub threads: Option<usize>,
}

/// The result: a finalist object (named by the candidate's path) with the baseline it was
/// played against and the CPU seconds spent.
#[derive(Clone, Debug, Serialize)]
pub struct EvaluateReport {
    #[serde(flatten)]
    pub candidate: HeldoutCandidate,
    pub games: u32,
    pub h2h_games: u32,
    pub seed: u64,
    pub baseline: String,
    pub baseline_sha256: String,
    pub cpu_s: f64,
}

pub fn evaluate_file(args: &EvaluateArgs) -> Result<EvaluateReport, JobError> {
    let cpu_before = process_cpu_seconds().unwrap_or(0.0);
    let (mode, faction, data_dir) =
        mode_faction_data(args.mode, args.faction.as_deref(), args.data.as_deref())?;
    let data = GameData::load(&data_dir)?;
    let candidate = Weights::load(&args.candidate)?;
    let baseline = load_baseline(args.baseline.as_deref(), &data_dir, mode, faction)?;
    let pairs = play_pairs(&data, &data_dir, mode, faction)?;
    let h2h_games = args
        .h2h_games
        .unwrap_or_else(|| default_h2h_games(h2h_pairs(&pairs).len()));
    if h2h_games == 0 {
        return Err(JobError::Usage(
            "--h2h-games must be positive with --evaluate".into(),
        ));
    }
    let seed = args.seed.unwrap_or(DEFAULT_SEED);
    let plan = Plan {
        seed,
        games: args.heldout_games.unwrap_or(DEFAULT_HELDOUT_GAMES),
        h2h_games,
        fitness_weights: args.fitness_weights.unwrap_or(DEFAULT_FITNESS_WEIGHTS),
        mcts_sims: args.mcts_sims.unwrap_or(DEFAULT_MCTS_SIMS),
        pairs: &pairs,
    };
    let entrant = Entrant {
        name: display(&args.candidate),
        weights: candidate,
        train_fitness: None,
        train_gens: 0,
    };
    let pool = crate::cli::thread_pool(args.threads)?;
    let mut results =
        pool.install(|| heldout::evaluate(&data, &plan, &[entrant], &baseline.weights));
    let cpu_s = process_cpu_seconds().unwrap_or(cpu_before) - cpu_before;
    Ok(EvaluateReport {
        candidate: results.remove(0),
        games: plan.games,
        h2h_games,
        seed,
        baseline: baseline.name,
        baseline_sha256: baseline.sha256,
        cpu_s,
    })
}

fn display(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}
