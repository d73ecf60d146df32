//! The training loop: generations of CMA-ES over game fitness, with a checkpoint after each
//! one so that a killed run resumes exactly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ew_engine::data::resolve_data_dir;
use ew_engine::weights::WEIGHT_SPEC;
use ew_engine::{GameData, Weights};
use ew_tuning::cmaes::{Cmaes, CmaesParams, StopReason, default_population, stagnated};
use ew_tuning::cpu::process_cpu_seconds;
use ew_tuning::files::{create_unique_dir, write_atomic};
use ew_tuning::time::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::archive::{self, Member};
use super::config::{Mode, OPPONENTS, TuneConfig, deployed_weights_path};
use super::deploy::deploy;
use super::fitness::{Evaluation, Opponents, deals, deck_pairs, evaluate_generation};
use super::heldout::{self, Entrant, Plan, default_h2h_games, h2h_pairs, load_baseline};
use super::space;
use crate::error::JobError;
use crate::events::{self, Done, Event, Generation, Heldout, JobKind, Start, Unit};
use crate::matchups::{all_decks_in_order, parse_faction};
use crate::reporter::Reporter;
use crate::validate::default_experiment_dir;

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

fn stats_csv(rows: &[StatsRow]) -> String {
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
    fn start(config: TuneConfig) -> Result<Self, ew_tuning::cmaes::CmaesError> {
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
}

/// What the binary reports at the end.
pub struct TuneOutcome {
    pub dir: PathBuf,
    pub summary: serde_json::Value,
}

struct Files {
    config: PathBuf,
    stats: PathBuf,
    weights: PathBuf,
    checkpoint: PathBuf,
    summary: PathBuf,
}

impl Files {
    fn new(dir: &Path) -> Self {
        Files {
            config: dir.join("config.toml"),
            stats: dir.join("stats.csv"),
            weights: dir.join("weights.toml"),
            checkpoint: dir.join("checkpoint.json"),
            summary: dir.join("summary.json"),
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), JobError> {
    write_atomic(path, text.as_bytes()).map_err(|e| JobError::io(path, &e))
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
    let decks = all_decks_in_order(&data);
    let pairs = deck_pairs(&decks, faction);
    if pairs.is_empty() {
        return Err(JobError::Usage(format!(
            "{}: no deck pairs to play for mode {}",
            data_dir.display(),
            cfg.mode.as_str()
        )));
    }
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
        let mut ck = serde_json::to_string(&state)
            .map_err(|e| JobError::Internal(format!("checkpoint does not serialise: {e}")))?;
        ck.push('\n');
        write(&files.checkpoint, &ck)?;

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
        let mut ck = serde_json::to_string(&state)
            .map_err(|e| JobError::Internal(format!("checkpoint does not serialise: {e}")))?;
        ck.push('\n');
        write(&files.checkpoint, &ck)?;
    }
    finish(args, rep, &dir, &files, &state, &data_dir)
}

/// The finalists of a finished run: the distribution mean, then the archive in rank order.
fn entrants(state: &Checkpoint) -> Vec<Entrant> {
    let mut out = vec![Entrant {
        name: "mean".into(),
        weights: space::from_unit(state.cma.mean()),
        train_fitness: None,
        train_gens: 0,
    }];
    out.extend(state.archive.iter().enumerate().map(|(i, m)| Entrant {
        name: format!("archive-{}", i + 1),
        weights: space::from_unit(&m.x),
        train_fitness: Some(m.average()),
        train_gens: u64::from(m.gens),
    }));
    out
}

/// Plays the held-out evaluation of the finalists; `None` when `h2h_games` is 0.
fn run_heldout(
    rep: &Reporter,
    state: &Checkpoint,
    data: &GameData,
    data_dir: &Path,
    pairs: &[(usize, usize)],
    pool: &rayon::ThreadPool,
) -> Result<Option<Heldout>, JobError> {
    let cfg = &state.config;
    if cfg.h2h_games == 0 {
        rep.info("held-out evaluation skipped (--h2h-games 0): weights.toml is the best in-training candidate");
        return Ok(None);
    }
    let cpu_before = process_cpu_seconds().unwrap_or(0.0);
    let baseline = load_baseline(
        cfg.baseline.as_deref().map(Path::new),
        data_dir,
        cfg.mode,
        cfg.faction()?,
    )?;
    let entrants = entrants(state);
    rep.info(&format!(
        "held-out evaluation of {} finalists: {} games against the fitness mix and {} head to head against {}",
        entrants.len(),
        cfg.heldout_games,
        cfg.h2h_games,
        baseline.name
    ));
    let plan = Plan {
        seed: cfg.seed,
        games: cfg.heldout_games,
        h2h_games: cfg.h2h_games,
        fitness_weights: cfg.fitness_weights,
        mcts_sims: cfg.mcts_sims,
        pairs,
    };
    let finalists = pool.install(|| heldout::evaluate(data, &plan, &entrants, &baseline.weights));
    let w = heldout::winner(&finalists);
    let top = finalists[w].clone();
    let cpu_s = process_cpu_seconds().unwrap_or(cpu_before) - cpu_before;
    let h = Heldout {
        games: u64::from(cfg.heldout_games),
        h2h_games: u64::from(cfg.h2h_games),
        baseline: baseline.name,
        baseline_sha256: baseline.sha256,
        winner: top.name.clone(),
        fitness: top.fitness,
        fitness_ci95: top.fitness_ci95,
        win_rates: top.win_rates,
        h2h: top.h2h,
        candidates: finalists,
        cpu_s,
    };
    for f in &h.candidates {
        rep.info(&format!(
            "  {:<10} held-out h2h {} fitness {}{}",
            f.name,
            pct_ci(f.h2h.score, f.h2h.ci95),
            f.fitness
                .zip(f.fitness_ci95)
                .map(|(p, ci)| pct_ci(p, ci))
                .unwrap_or_else(|| "not played".into()),
            f.train_fitness
                .map(|t| format!(
                    " (in-training average {t:.4} over {} generations)",
                    f.train_gens
                ))
                .unwrap_or_default()
        ));
    }
    Ok(Some(h))
}

fn pct_ci(p: f64, ci: [f64; 2]) -> String {
    format!(
        "{:.1}% [{:.1}, {:.1}]",
        100.0 * p,
        100.0 * ci[0],
        100.0 * ci[1]
    )
}

/// `finalists/<name>.toml`: every finalist, and `best-in-training.toml`, the best sample by
/// its one in-training evaluation (what `weights.toml` was before the held-out evaluation).
fn write_finalists(dir: &Path, state: &Checkpoint) -> Result<(), JobError> {
    let sub = dir.join("finalists");
    std::fs::create_dir_all(&sub).map_err(|e| JobError::io(&sub, &e))?;
    for e in entrants(state) {
        let note = match e.train_fitness {
            Some(f) => format!(
                "# Finalist {}: in-training fitness {f} averaged over {} generations\n",
                e.name, e.train_gens
            ),
            None => format!("# Finalist {}: the CMA-ES distribution mean\n", e.name),
        };
        let text = format!("{note}{}", e.weights.to_toml_string());
        write(&sub.join(format!("{}.toml", e.name)), &text)?;
    }
    if let Some(best) = &state.best {
        write(&sub.join("best-in-training.toml"), &weights_file(best))?;
    }
    Ok(())
}

/// `weights.toml` at the end: the held-out winner, or the best in-training candidate when the
/// held-out evaluation was skipped.
fn final_weights_file(state: &Checkpoint) -> Result<String, JobError> {
    let best = state
        .best
        .as_ref()
        .ok_or_else(|| JobError::Internal("run ended before its first generation".into()))?;
    let Some(h) = &state.heldout else {
        return Ok(weights_file(best));
    };
    let e = entrants(state)
        .into_iter()
        .find(|e| e.name == h.winner)
        .ok_or_else(|| JobError::Internal(format!("no finalist named {}", h.winner)))?;
    Ok(format!(
        "# Held-out winner {}: head to head {} over {} games against {}\n{}",
        h.winner,
        pct_ci(h.h2h.score, h.h2h.ci95),
        h.h2h.games,
        h.baseline,
        e.weights.to_toml_string()
    ))
}

fn weights_map(w: &Weights) -> serde_json::Map<String, serde_json::Value> {
    w.values
        .iter()
        .zip(WEIGHT_SPEC)
        .map(|(v, d)| (d.name.to_string(), json!(f64::from(*v))))
        .collect()
}

fn weights_file(best: &Best) -> String {
    let w = space::from_unit(&best.x);
    format!(
        "# Best in-training weights (noisy): fitness {} at generation {}\n{}",
        best.fitness,
        best.generation,
        w.to_toml_string()
    )
}

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

fn finish(
    args: &TuneArgs,
    rep: &Reporter,
    dir: &Path,
    files: &Files,
    state: &Checkpoint,
    data_dir: &Path,
) -> Result<TuneOutcome, JobError> {
    let cfg = &state.config;
    let best = state
        .best
        .as_ref()
        .ok_or_else(|| JobError::Internal("run ended before its first generation".into()))?;
    let mut deployed: Option<String> = None;
    if args.deploy {
        let weights_dir = data_dir.join("weights");
        let target = deployed_weights_path(&weights_dir, cfg.mode, cfg.faction()?);
        let label = match &cfg.faction {
            Some(f) => format!("specialist_{f}"),
            None => "generalist".into(),
        };
        let backup = deploy(
            &files.weights,
            &target,
            &weights_dir.join(".history"),
            &label,
        )?;
        rep.info(&format!(
            "deployed {} to {}{}",
            files.weights.display(),
            target.display(),
            backup
                .map(|b| format!(" (previous kept as {})", b.display()))
                .unwrap_or_default()
        ));
        deployed = Some(target.display().to_string());
    }
    let rates = &best.win_rates;
    let fw = &cfg.fitness_weights;
    let summary = json!({
        "version": 1,
        "mode": cfg.mode.as_str(),
        "faction": cfg.faction,
        "tag": cfg.tag,
        "seed": cfg.seed,
        "generations": state.generation,
        "generations_planned": cfg.generations,
        "population": cfg.population,
        "games_per_eval": cfg.games,
        "evaluations": state.evals,
        "games": state.games,
        "best_fitness": best.fitness,
        "best_gen": best.generation,
        "win_rates": {"random": rates[0], "greedy": rates[1], "mcts": rates[2]},
        "fitness_weights": {"random": fw[0], "greedy": fw[1], "mcts": fw[2]},
        "sigma": state.cma.sigma(),
        "elapsed_s": state.elapsed_s,
        "cpu_s": state.cpu_s,
        "stop_reason": state.stop_reason.map(|s| s.as_str()),
        "experiment_dir": dir.display().to_string(),
        "weights": files.weights.display().to_string(),
        "deployed": deployed,
        "archive": cfg.archive,
        "games_max": cfg.games_max.max(cfg.games),
        "heldout": state.heldout,
    });
    let mut text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    text.push('\n');
    write(&files.summary, &text)?;
    if let Some(h) = &state.heldout {
        rep.event(Event::Heldout(h.clone()));
    }
    let verdict = match &state.heldout {
        Some(h) => format!(
            "held-out winner {}: head to head {} against the baseline, held-out fitness {}",
            h.winner,
            pct_ci(h.h2h.score, h.h2h.ci95),
            h.fitness
                .zip(h.fitness_ci95)
                .map(|(p, ci)| pct_ci(p, ci))
                .unwrap_or_else(|| "not played".into())
        ),
        None => "no held-out evaluation".into(),
    };
    rep.info(&format!(
        "done after {} generations ({}): {verdict}; best in-training fitness {:.4} (noisy); weights in {}",
        state.generation,
        state.stop_reason.map(|s| s.as_str()).unwrap_or("?"),
        best.fitness,
        files.weights.display()
    ));
    rep.event(Event::Done(Done {
        summary: summary.as_object().cloned().unwrap_or_default(),
        outputs: BTreeMap::from([
            ("experiment_dir".into(), dir.display().to_string()),
            ("weights".into(), files.weights.display().to_string()),
            ("summary".into(), files.summary.display().to_string()),
        ]),
    }));
    Ok(TuneOutcome {
        dir: dir.to_path_buf(),
        summary,
    })
}

/// A fresh run: resolves the flags, creates the experiment directory, writes `config.toml`.
fn new_state(args: &TuneArgs) -> Result<(PathBuf, Checkpoint, PathBuf), JobError> {
    let mode = args.mode.unwrap_or(Mode::Generalist);
    let faction = match (mode, &args.faction) {
        (Mode::Specialist, Some(f)) => Some(parse_faction("--faction", f)?),
        (Mode::Specialist, None) => {
            return Err(JobError::Usage(format!(
                "--mode specialist needs --faction ({})",
                crate::matchups::faction_names()
            )));
        }
        (Mode::Generalist, Some(_)) => {
            return Err(JobError::Usage(
                "--faction only applies to --mode specialist".into(),
            ));
        }
        (Mode::Generalist, None) => None,
    };
    let data_dir = resolve_data_dir(args.data.as_deref())?;
    let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
    // Load once up front so that bad data fails before a directory is created.
    let data = GameData::load(&data_dir)?;
    let weights_dir = data_dir.join("weights");
    let (initial, source) = match &args.initial_weights {
        Some(p) => (Weights::load(p)?, p.display().to_string()),
        None => {
            let deployed = deployed_weights_path(&weights_dir, mode, faction);
            let fallback = weights_dir.join("generalist.toml");
            if deployed.is_file() {
                (Weights::load(&deployed)?, deployed.display().to_string())
            } else if fallback.is_file() {
                (Weights::load(&fallback)?, fallback.display().to_string())
            } else {
                (Weights::default(), "spec defaults".to_string())
            }
        }
    };
    if let Some(b) = &args.baseline {
        Weights::load(b)?;
    }
    let n = space::dim();
    let population = match args.population {
        Some(p) if p < 2 => {
            return Err(JobError::Usage(format!(
                "--population must be at least 2, got {p}"
            )));
        }
        Some(p) => p as usize,
        None => default_population(n),
    };
    let tag = match &args.tag {
        Some(t) => {
            if t.is_empty() || t.contains(['/', '\\']) {
                return Err(JobError::Usage(format!(
                    "--tag: `{t}` is not usable in a directory name"
                )));
            }
            t.clone()
        }
        None => match faction {
            Some(f) => format!("specialist_{}", f.as_str()),
            None => "generalist".into(),
        },
    };
    let config = TuneConfig {
        mode,
        faction: faction.map(|f| f.as_str().to_string()),
        generations: args.generations.unwrap_or(DEFAULT_GENERATIONS),
        games: args.games.unwrap_or(DEFAULT_GAMES),
        mcts_sims: args.mcts_sims.unwrap_or(DEFAULT_MCTS_SIMS),
        population,
        sigma: args.sigma.unwrap_or(DEFAULT_SIGMA),
        sigma_floor: args.sigma_floor.unwrap_or(DEFAULT_SIGMA_FLOOR),
        stagnation: args
            .stagnation
            .unwrap_or_else(|| default_stagnation(n, population)),
        fitness_weights: args
            .fitness_weights
            .unwrap_or(super::config::DEFAULT_FITNESS_WEIGHTS),
        games_max: args
            .games_max
            .unwrap_or(0)
            .max(args.games.unwrap_or(DEFAULT_GAMES)),
        archive: args.archive.unwrap_or(DEFAULT_ARCHIVE),
        heldout_games: args.heldout_games.unwrap_or(DEFAULT_HELDOUT_GAMES),
        h2h_games: match args.h2h_games {
            Some(g) => g,
            None => {
                default_h2h_games(h2h_pairs(&deck_pairs(&all_decks_in_order(&data), faction)).len())
            }
        },
        baseline: args.baseline.as_ref().map(|b| {
            std::path::absolute(b)
                .unwrap_or(b.clone())
                .display()
                .to_string()
        }),
        seed: args.seed.unwrap_or(DEFAULT_SEED),
        tag: tag.clone(),
        initial_weights_source: source,
        data: data_dir.display().to_string(),
        created: Utc::now().rfc3339(),
        weight_names: space::names(),
        lower: WEIGHT_SPEC.iter().map(|d| f64::from(d.min)).collect(),
        upper: WEIGHT_SPEC.iter().map(|d| f64::from(d.max)).collect(),
        initial: initial.values.iter().map(|v| f64::from(*v)).collect(),
    };
    let root = args
        .experiment_dir
        .clone()
        .unwrap_or_else(|| default_experiment_dir(&data_dir));
    let dir =
        create_unique_dir(&root, &Utc::now().minute_stamp(), &tag).map_err(|e| JobError::Io {
            path: root.clone(),
            msg: format!("cannot create the experiment directory here: {e}"),
        })?;
    write(&dir.join("config.toml"), &config.to_toml()?)?;
    let state = Checkpoint::start(config).map_err(|e| JobError::Usage(e.to_string()))?;
    Ok((dir, state, data_dir))
}

/// A resumed run: the checkpoint if one was written, else a fresh start from `config.toml`.
fn resume_state(dir: &Path, args: &TuneArgs) -> Result<(PathBuf, Checkpoint, PathBuf), JobError> {
    if !dir.is_dir() {
        return Err(JobError::Io {
            path: dir.to_path_buf(),
            msg: "--resume: not an experiment directory".into(),
        });
    }
    let files = Files::new(dir);
    let state = if files.checkpoint.is_file() {
        let text = std::fs::read_to_string(&files.checkpoint)
            .map_err(|e| JobError::io(&files.checkpoint, &e))?;
        let ck: Checkpoint = serde_json::from_str(&text).map_err(|e| {
            JobError::Usage(format!(
                "{}: not a checkpoint: {e}",
                files.checkpoint.display()
            ))
        })?;
        ck.config.check_against_spec(&files.checkpoint)?;
        ck
    } else if files.config.is_file() {
        let config = TuneConfig::from_toml_file(&files.config)?;
        config.check_against_spec(&files.config)?;
        Checkpoint::start(config)
            .map_err(|e| JobError::Usage(format!("{}: {e}", files.config.display())))?
    } else {
        return Err(JobError::Io {
            path: dir.to_path_buf(),
            msg: "--resume: neither checkpoint.json nor config.toml is here".into(),
        });
    };
    let data_dir = match &args.data {
        Some(d) => d.clone(),
        None => PathBuf::from(&state.config.data),
    };
    Ok((dir.to_path_buf(), state, data_dir))
}
