//! The end of a run: the held-out evaluation of the finalists, their files, `weights.toml`,
//! the optional deploy and `summary.json`.

use std::collections::BTreeMap;
use std::path::Path;

use ew_engine::GameData;
use ew_tuning::cpu::process_cpu_seconds;
use serde_json::json;

use super::checkpoint::{Checkpoint, Files, weights_file, write};
use super::config::deployed_weights_path;
use super::deploy::deploy;
use super::heldout::{self, Entrant, Plan, load_baseline};
use super::space;
use super::train::{TuneArgs, TuneOutcome};
use crate::error::JobError;
use crate::events::{Done, Event, Heldout};
use crate::reporter::Reporter;

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
pub(super) fn run_heldout(
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
            fitness_ci(f.fitness, f.fitness_ci95),
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

/// A held-out fitness with its interval, or why there is none (`--heldout-games 0`).
fn fitness_ci(fitness: Option<f64>, ci: Option<[f64; 2]>) -> String {
    fitness
        .zip(ci)
        .map(|(p, ci)| pct_ci(p, ci))
        .unwrap_or_else(|| "not played".into())
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
pub(super) fn write_finalists(dir: &Path, state: &Checkpoint) -> Result<(), JobError> {
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
pub(super) fn final_weights_file(state: &Checkpoint) -> Result<String, JobError> {
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
        "# Held-out winner {}: head to head {} over {} games against {} (sha256 {})\n{}",
        h.winner,
        pct_ci(h.h2h.score, h.h2h.ci95),
        h.h2h.games,
        // The file name and content hash, not the absolute path: the same run gives the same
        // file wherever its workspace sits (a Modal container, a resumed attempt).
        Path::new(&h.baseline)
            .file_name()
            .map_or_else(|| h.baseline.clone(), |n| n.to_string_lossy().into_owned()),
        h.baseline_sha256.get(..12).unwrap_or(&h.baseline_sha256),
        e.weights.to_toml_string()
    ))
}

/// Deploys if asked, writes `summary.json` and reports the verdict.
pub(super) fn finish(
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
            fitness_ci(h.fitness, h.fitness_ci95)
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
