//! The training loop: generations of CMA-ES over game fitness, with a checkpoint after each
//! one so that a killed run resumes exactly.

use std::path::PathBuf;
use std::time::Instant;

use ew_engine::{GameData, Weights};
use ew_tuning::cmaes::{StopReason, stagnated};
use ew_tuning::cpu::process_cpu_seconds;
use serde_json::json;

use super::archive;
pub use super::checkpoint::{Best, Checkpoint, StatsRow};
use super::checkpoint::{Files, stats_csv, weights_file, weights_map, write};
use super::config::{Mode, OPPONENTS, TuneConfig};
use super::finish::{final_weights_file, finish, run_heldout, write_finalists};
use super::fitness::{Evaluation, Opponents, deals, evaluate_generation};
use super::space;
use super::start::{new_state, play_pairs, resume_state};
use crate::error::JobError;
use crate::events::{self, Event, Generation, JobKind, Start, Unit};
use crate::reporter::Reporter;

/// Flag values of a training run (`None`: not given).
#[derive(Clone, Debug, Default)]
pub struct TuneArgs {
    pub mode: Option<Mode>,
    pub faction: Option<String>,
    pub generations: Option<u32>,
    pub games: Option<u32>,
    pub mcts_sims: Option<u32>,
    pub population: Option<u32>,
    pub sigma: Option<f64>,
    pub sigma_floor: Option<f64>,
    pub stagnation: Option<u32>,
    pub fitness_weights: Option<[f64; 3]>,
    pub games_max: Option<u32>,
    pub archive: Option<u32>,
    pub heldout_games: Option<u32>,
    pub h2h_games: Option<u32>,
    pub baseline: Option<PathBuf>,
    pub seed: Option<u64>,
    pub tag: Option<String>,
    pub experiment_dir: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub threads: Option<usize>,
    pub initial_weights: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub deploy: bool,
}

/// Defaults of the flags (documented in docs/tune.md and the flag help).
pub const DEFAULT_GENERATIONS: u32 = 150;
pub const DEFAULT_GAMES: u32 = 3000;
pub const DEFAULT_MCTS_SIMS: u32 = 50;
pub const DEFAULT_SIGMA: f64 = 0.2;
pub const DEFAULT_SIGMA_FLOOR: f64 = 1e-3;
pub const DEFAULT_SEED: u64 = 42;
pub const DEFAULT_ARCHIVE: u32 = 4;
pub const DEFAULT_HELDOUT_GAMES: u32 = 1000;

/// The defaults other programs estimate with, as one JSON object (`tune --print-defaults`):
/// ewtui's plan reads them from a file generated from this output (core/tune_defaults.py), and
/// a test fails when the two differ. `h2h_min_games` is the head-to-head's floor; the games
/// played round it up to whole cycles of the mode's deck pairs (`default_h2h_games`).
pub fn defaults_json() -> String {
    serde_json::json!({
        "generations": DEFAULT_GENERATIONS,
        "games": DEFAULT_GAMES,
        "mcts_sims": DEFAULT_MCTS_SIMS,
        "seed": DEFAULT_SEED,
        "archive": DEFAULT_ARCHIVE,
        "heldout_games": DEFAULT_HELDOUT_GAMES,
        "h2h_min_games": super::heldout::H2H_MIN_GAMES,
    })
    .to_string()
}

/// Games per evaluation in a generation whose search distribution has largest standard
/// deviation `max_std`: `games * (sigma / max_std)^2`, rounded up, within `[games, games_max]`.
/// Fitness differences between candidates shrink with the step size while the noise of an
/// evaluation does not, so the games grow to keep the ranking informative.
pub fn games_for(cfg: &TuneConfig, max_std: f64) -> u32 {
    let top = cfg.games_max.max(cfg.games);
    if top == cfg.games || max_std <= 0.0 {
        return top;
    }
    let grown = (f64::from(cfg.games) * (cfg.sigma / max_std).powi(2)).ceil();
    grown.clamp(f64::from(cfg.games), f64::from(top)) as u32
}

/// The default stagnation window: `ceil(120 + 30 n / population)` generations.
pub fn default_stagnation(n: usize, population: usize) -> u32 {
    (120.0 + 30.0 * n as f64 / population as f64).ceil() as u32
}

/// What the binary reports at the end.
pub struct TuneOutcome {
    pub dir: PathBuf,
    pub summary: serde_json::Value,
}

pub fn run(args: &TuneArgs, rep: &Reporter) -> Result<TuneOutcome, JobError> {
    let session = Instant::now();
    let cpu_at_start = process_cpu_seconds().unwrap_or(0.0);
    let (dir, mut state, data_dir) = match &args.resume {
        Some(dir) => resume_state(dir, args)?,
        None => new_state(args)?,
    };
    let files = Files::new(&dir);
    rep.attach_files(&dir.join("events.jsonl"), &dir.join("train.log"))?;
    let data = GameData::load(&data_dir)?;
    let cfg = state.config.clone();
    let faction = cfg.faction()?;
    let pairs = play_pairs(&data, &data_dir, cfg.mode, faction)?;
    let types: Vec<usize> = (0..OPPONENTS.len())
        .filter(|&t| cfg.fitness_weights[t] > 0.0)
        .collect();
    let opponents = Opponents::new(cfg.mcts_sims);
    let pool = crate::cli::thread_pool(args.threads)?;
    let job = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut config = match serde_json::to_value(&cfg) {
        Ok(serde_json::Value::Object(o)) => o,
        _ => serde_json::Map::new(),
    };
    config.insert("experiment_dir".into(), json!(dir.display().to_string()));
    config.insert("resumed_after_gen".into(), json!(state.generation));
    config.insert("threads".into(), json!(pool.current_num_threads()));
    rep.event(Event::Start(Start {
        job,
        kind: JobKind::Train,
        total: u64::from(cfg.generations),
        unit: Unit::Generation,
        config,
    }));
    if state.generation > 0 {
        rep.info(&format!(
            "resuming {} after generation {}",
            dir.display(),
            state.generation
        ));
    } else {
        rep.info(&format!(
            "training {} weights in {} ({} candidates x {} games per generation, {} threads)",
            match &cfg.faction {
                Some(f) => format!("{} {f}", cfg.mode.as_str()),
                None => cfg.mode.as_str().to_string(),
            },
            dir.display(),
            cfg.population,
            cfg.games,
            pool.current_num_threads()
        ));
    }

    let elapsed_base = state.elapsed_s;
    let cpu_base = state.cpu_s;
    while state.stop_reason.is_none() {
        let generation = state.generation + 1;
        let cpu_before = process_cpu_seconds().unwrap_or(0.0);
        let games = games_for(&cfg, state.cma.max_std());
        let deal_list = deals(cfg.seed, generation, games, &pairs, &types);
        let xs = state.cma.ask();
        // The archive's members replay this generation's deals after the samples.
        let candidates: Vec<Weights> = xs
            .iter()
            .chain(state.archive.iter().map(|m| &m.x))
            .map(|x| space::from_unit(x))
            .collect();
        let mut evals: Vec<Evaluation> = pool.install(|| {
            evaluate_generation(
                &data,
                &candidates,
                &deal_list,
                &opponents,
                &cfg.fitness_weights,
            )
        });
        let replayed: Vec<f64> = evals
            .split_off(xs.len())
            .iter()
            .map(|e| e.fitness)
            .collect();
        let fitness: Vec<f64> = evals.iter().map(|e| e.fitness).collect();
        let minimised: Vec<f64> = fitness.iter().map(|f| -f).collect();
        state
            .cma
            .tell(&minimised)
            .map_err(|e| JobError::Internal(e.to_string()))?;

        // First candidate wins ties, so the choice does not depend on anything but the values.
        let mut top = 0;
        for (i, f) in fitness.iter().enumerate() {
            if *f > fitness[top] {
                top = i;
            }
        }
        if state.best.as_ref().is_none_or(|b| fitness[top] > b.fitness) {
            state.best = Some(Best {
                fitness: fitness[top],
                win_rates: evals[top].win_rates(),
                generation,
                x: xs[top].clone(),
                weights: weights_map(&candidates[top]),
            });
        }
        let sampled: Vec<(Vec<f64>, f64)> = xs.iter().cloned().zip(fitness.clone()).collect();
        archive::update(
            &mut state.archive,
            &replayed,
            &sampled,
            deal_list.len() as u64,
            generation,
            cfg.archive as usize,
        );
        let best = state.best.clone().expect("set above");
        state.generation = generation;
        state.evals += candidates.len() as u64;
        state.games += (candidates.len() * deal_list.len()) as u64;
        state.history.push(fitness[top]);
        let cpu_after = process_cpu_seconds().unwrap_or(cpu_before);
        let gen_cpu = cpu_after - cpu_before;
        state.elapsed_s = elapsed_base + session.elapsed().as_secs_f64();
        state.cpu_s = cpu_base + (cpu_after - cpu_at_start);
        let mean = fitness.iter().sum::<f64>() / fitness.len() as f64;
        let worst = fitness.iter().cloned().fold(f64::INFINITY, f64::min);
        let row = StatsRow {
            generation,
            evals: state.evals,
            games: state.games,
            best_fitness: fitness[top],
            mean_fitness: mean,
            worst_fitness: worst,
            best_fitness_ever: best.fitness,
            win_rates: evals[top].win_rates(),
            sigma: state.cma.sigma(),
            axis_ratio: state.cma.axis_ratio(),
            elapsed_s: state.elapsed_s,
            cpu_s: state.cpu_s,
        };
        state.stats.push(row.clone());
        state.stop_reason = stop_check(&state, &cfg);

        // Files first, then the events: a `generation` event means its checkpoint is on disk.
        write(&files.stats, &stats_csv(&state.stats))?;
        write(&files.weights, &weights_file(&best))?;
        state.save(&files)?;

        rep.event(Event::Generation(Generation {
            generation,
            generations: cfg.generations,
            best_fitness: fitness[top],
            best_fitness_ever: best.fitness,
            mean_fitness: mean,
            best_win_rate: evals[top].overall_rate(),
            win_rates: evals[top].win_rates().into(),
            sigma: state.cma.sigma(),
            evals: state.evals,
            games: state.games,
            elapsed_s: state.elapsed_s,
            cpu_s: gen_cpu,
            cpu_s_total: state.cpu_s,
        }));
        rep.event(Event::Checkpoint(events::Checkpoint {
            path: files.checkpoint.display().to_string(),
            generation,
        }));
        rep.info(&format!(
            "gen {generation}/{}: in-training fitness best {:.4} (ever {:.4}) mean {:.4}, {games} games each, sigma {:.4} cpu {:.1}s",
            cfg.generations,
            fitness[top],
            best.fitness,
            mean,
            state.cma.sigma(),
            gen_cpu
        ));
    }

    if !state.heldout_done {
        state.heldout = run_heldout(rep, &state, &data, &data_dir, &pairs, &pool)?;
        state.heldout_done = true;
        if let Some(h) = &state.heldout {
            state.cpu_s += h.cpu_s;
        }
        state.elapsed_s = elapsed_base + session.elapsed().as_secs_f64();
        write(&files.weights, &final_weights_file(&state)?)?;
        write_finalists(&dir, &state)?;
        state.save(&files)?;
    }
    finish(args, rep, &dir, &files, &state, &data_dir)
}

/// Why the run stops after its latest generation, if it does.
fn stop_check(state: &Checkpoint, cfg: &TuneConfig) -> Option<StopReason> {
    if state.generation >= u64::from(cfg.generations) {
        return Some(StopReason::Generations);
    }
    if state.cma.max_std() < cfg.sigma_floor {
        return Some(StopReason::SigmaFloor);
    }
    // The stagnation test minimises.
    let negated: Vec<f64> = state.history.iter().map(|f| -f).collect();
    if stagnated(&negated, cfg.stagnation as usize) {
        return Some(StopReason::Stagnation);
    }
    None
}

#[cfg(test)]
mod defaults_tests {
    use super::*;

    #[test]
    fn defaults_json_holds_the_flag_defaults() {
        let v: serde_json::Value = serde_json::from_str(&defaults_json()).unwrap();
        assert_eq!(v["archive"], DEFAULT_ARCHIVE);
        assert_eq!(v["heldout_games"], DEFAULT_HELDOUT_GAMES);
        assert_eq!(v["h2h_min_games"], super::super::heldout::H2H_MIN_GAMES);
        assert_eq!(v["games"], DEFAULT_GAMES);
    }
}
