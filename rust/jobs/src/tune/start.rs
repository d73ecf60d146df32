//! The start of a run: a fresh experiment directory from the flags, or a resumed one.

use std::path::{Path, PathBuf};

use ew_engine::data::resolve_data_dir;
use ew_engine::weights::WEIGHT_SPEC;
use ew_engine::{Faction, GameData, Weights};
use ew_tuning::cmaes::default_population;
use ew_tuning::files::create_unique_dir;
use ew_tuning::time::Utc;

use super::checkpoint::{Checkpoint, Files, write};
use super::config::{Mode, TuneConfig, deployed_weights_path};
use super::fitness::deck_pairs;
use super::heldout::{default_h2h_games, h2h_pairs};
use super::space;
use super::train::{
    DEFAULT_ARCHIVE, DEFAULT_GAMES, DEFAULT_GENERATIONS, DEFAULT_HELDOUT_GAMES, DEFAULT_MCTS_SIMS,
    DEFAULT_SEED, DEFAULT_SIGMA, DEFAULT_SIGMA_FLOOR, TuneArgs, default_stagnation,
};
use crate::error::JobError;
use crate::matchups::{all_decks_in_order, parse_faction};
use crate::validate::default_experiment_dir;

/// The `--mode`, `--faction` and `--data` flags checked together: a specialist needs a faction,
/// a generalist takes none; the data directory comes back absolute.
pub(super) fn mode_faction_data(
    mode: Option<Mode>,
    faction: Option<&str>,
    data: Option<&Path>,
) -> Result<(Mode, Option<Faction>, PathBuf), JobError> {
    let mode = mode.unwrap_or(Mode::Generalist);
    let faction = match (mode, faction) {
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
    let data_dir = resolve_data_dir(data)?;
    let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
    Ok((mode, faction, data_dir))
}

/// The deck pairs a run of this mode plays; none is a usage error naming the data directory.
pub(super) fn play_pairs(
    data: &GameData,
    data_dir: &Path,
    mode: Mode,
    faction: Option<Faction>,
) -> Result<Vec<(usize, usize)>, JobError> {
    let pairs = deck_pairs(&all_decks_in_order(data), faction);
    if pairs.is_empty() {
        return Err(JobError::Usage(format!(
            "{}: no deck pairs to play for mode {}",
            data_dir.display(),
            mode.as_str()
        )));
    }
    Ok(pairs)
}

/// A fresh run: resolves the flags, creates the experiment directory, writes `config.toml`.
pub(super) fn new_state(args: &TuneArgs) -> Result<(PathBuf, Checkpoint, PathBuf), JobError> {
    let (mode, faction, data_dir) =
        mode_faction_data(args.mode, args.faction.as_deref(), args.data.as_deref())?;
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
pub(super) fn resume_state(
    dir: &Path,
    args: &TuneArgs,
) -> Result<(PathBuf, Checkpoint, PathBuf), JobError> {
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
