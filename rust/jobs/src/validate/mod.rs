//! Balance validation: a round robin of cross-faction deck matchups in both seat orders,
//! played in parallel with results that depend only on the seeds.

pub mod card_tally;
pub mod merge;
pub mod output;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use ew_common::seed::{derive_path, fnv1a64};
use ew_engine::bots::{Bot, BotSpec};
use ew_engine::data::resolve_data_dir;
use ew_engine::{Faction, GameData, Seat, Weights, play_observed};
use ew_tuning::time::Utc;
use rayon::prelude::*;
use serde_json::json;

use crate::error::JobError;
use crate::events::{self, Event, JobKind, Start, Unit};
use crate::matchups::{Matchup, MatchupFilter, canonical_matchups};
use crate::reporter::Reporter;
use card_tally::{DeckCards, GameCards, MatchupCards};
use output::{Destination, non_empty, write_report};
use report::{CardStats, GameRecord, MatchupResult, Results, Thresholds};

/// The bot both decks use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotKind {
    Mcts,
    Greedy,
}

/// Flag values of a validation, before resolution.
#[derive(Clone, Debug)]
pub struct ValidateArgs {
    pub games: u32,
    pub output: Option<PathBuf>,
    pub matchup: Option<String>,
    pub run_id: Option<String>,
    pub seed: u64,
    pub threads: Option<usize>,
    pub bot: BotKind,
    pub mcts_sims: u32,
    pub weights_dir: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub experiment_dir: Option<PathBuf>,
    pub fail_on_imbalance: bool,
    /// Write 0 for every `time_s`, so two runs with the same flags write identical files.
    pub no_timing: bool,
}

/// The weights a faction's decks play with, and where they came from.
struct FactionWeights {
    faction: Faction,
    kind: &'static str,
    file: PathBuf,
    weights: Weights,
}

fn load_faction_weights(dir: &Path, faction: Faction) -> Result<FactionWeights, JobError> {
    let specialist = dir
        .join("specialists")
        .join(format!("{}.toml", faction.as_str()));
    let (kind, file) = if specialist.is_file() {
        ("specialist", specialist)
    } else {
        ("generalist", dir.join("generalist.toml"))
    };
    let weights = Weights::load(&file)?;
    Ok(FactionWeights {
        faction,
        kind,
        file,
        weights,
    })
}

/// What a finished validation hands back to the binary.
pub struct ValidateOutcome {
    pub results: Results,
}

pub fn run(args: &ValidateArgs, rep: &Reporter) -> Result<ValidateOutcome, JobError> {
    let started = Instant::now();
    let data_dir = resolve_data_dir(args.data.as_deref())?;
    let data = GameData::load(&data_dir)?;
    let filter = match &args.matchup {
        Some(m) => MatchupFilter::parse(m, &data)?,
        None => MatchupFilter::All,
    };
    let weights_dir = args
        .weights_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("weights"));
    let faction_weights: Vec<FactionWeights> = Faction::PLAYABLE
        .iter()
        .map(|f| load_faction_weights(&weights_dir, *f))
        .collect::<Result<_, _>>()?;

    let destination = prepare_destination(args, &data_dir)?;
    let pool = crate::cli::thread_pool(args.threads)?;

    let spec = match args.bot {
        BotKind::Greedy => BotSpec::Greedy,
        BotKind::Mcts => BotSpec::Mcts {
            sims: args.mcts_sims,
        },
    };
    let bots: Vec<(Faction, Bot)> = faction_weights
        .iter()
        .map(|fw| Ok((fw.faction, Bot::from_spec(&spec, &fw.weights)?)))
        .collect::<Result<_, JobError>>()?;
    let bot_of = |f: Faction| -> &Bot {
        &bots
            .iter()
            .find(|(x, _)| *x == f)
            .expect("every playable faction has a bot")
            .1
    };

    let matchups: Vec<Matchup<'_>> = canonical_matchups(&data)
        .into_iter()
        .filter(|m| filter.selects(m))
        .collect();
    if matchups.is_empty() {
        return Err(JobError::Usage(format!(
            "--matchup {filter}: selects no matchup"
        )));
    }

    let config = results_config(args, &filter, &faction_weights);
    let thresholds = Thresholds::default();
    let z = thresholds.z;
    let per_matchup = 2 * u64::from(args.games);
    let total = per_matchup * matchups.len() as u64;
    rep.event(Event::Start(Start {
        job: destination.job_name(),
        kind: JobKind::Validate,
        total,
        unit: Unit::Game,
        config: config.as_object().cloned().unwrap_or_default(),
    }));
    rep.info(&format!(
        "validating {} matchups x 2 seat orders x {} games with {} on {} threads",
        matchups.len(),
        args.games,
        spec,
        pool.current_num_threads()
    ));

    let slots: Vec<OnceLock<GameRecord>> = (0..total).map(|_| OnceLock::new()).collect();
    let remaining: Vec<AtomicU64> = matchups
        .iter()
        .map(|_| AtomicU64::new(per_matchup))
        .collect();
    let decks: Vec<[DeckCards; 2]> = matchups
        .iter()
        .map(|m| [DeckCards::new(m.a, &data), DeckCards::new(m.b, &data)])
        .collect();
    let card_counts: Vec<Mutex<MatchupCards>> = decks
        .iter()
        .map(|[a, b]| Mutex::new(MatchupCards::new(a, b)))
        .collect();
    let progress = Progress::new(total);
    let games_per_order = u64::from(args.games);

    pool.install(|| {
        (0..total).into_par_iter().for_each(|task| {
            let mi = (task / per_matchup) as usize;
            let within = task % per_matchup;
            let seat_order = within / games_per_order;
            let game = within % games_per_order;
            let m = matchups[mi];
            let seed = derive_path(
                args.seed,
                &[fnv1a64(&m.a.id), fnv1a64(&m.b.id), seat_order, game],
            );
            let a_first = seat_order == 0;
            let (first, second) = if a_first { (m.a, m.b) } else { (m.b, m.a) };
            let [da, db] = &decks[mi];
            let mut watch = if a_first {
                GameCards::new(da, db)
            } else {
                GameCards::new(db, da)
            };
            let t0 = Instant::now();
            let outcome = play_observed(
                &data,
                first,
                second,
                bot_of(first.faction),
                bot_of(second.faction),
                seed,
                &mut watch,
            );
            card_counts[mi]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add_game(&watch, a_first, outcome.winner);
            let a_seat = if a_first { Seat::First } else { Seat::Second };
            let record = GameRecord {
                a_first,
                a_won: outcome.winner.map(|w| w == a_seat),
                turns: outcome.turns,
                time_s: if args.no_timing {
                    0.0
                } else {
                    t0.elapsed().as_secs_f64()
                },
            };
            let _ = slots[task as usize].set(record);
            if remaining[mi].fetch_sub(1, Ordering::AcqRel) == 1 {
                let result = collect_matchup(&m, &slots, mi, per_matchup, z);
                rep.event(Event::Matchup(result));
            }
            progress.tick(rep);
        });
    });
    progress.finish(rep);

    let results_list: Vec<MatchupResult> = matchups
        .iter()
        .enumerate()
        .map(|(mi, m)| collect_matchup(m, &slots, mi, per_matchup, z))
        .collect();
    let time_s = if args.no_timing {
        0.0
    } else {
        started.elapsed().as_secs_f64()
    };
    let cards: Vec<CardStats> = decks
        .iter()
        .zip(&card_counts)
        .flat_map(|([a, b], counts)| counts.lock().unwrap_or_else(|e| e.into_inner()).stats(a, b))
        .collect();
    let results = Results::build(config, results_list, cards, thresholds, time_s);
    let settings = run_settings(args, &data_dir, &weights_dir);
    write_report(&destination, &results, settings, rep)?;
    Ok(ValidateOutcome { results })
}

fn collect_matchup(
    m: &Matchup<'_>,
    slots: &[OnceLock<GameRecord>],
    mi: usize,
    per_matchup: u64,
    z: f64,
) -> MatchupResult {
    let start = mi * per_matchup as usize;
    let games: Vec<GameRecord> = slots[start..start + per_matchup as usize]
        .iter()
        .map(|s| {
            *s.get()
                .expect("every game of a finished matchup is recorded")
        })
        .collect();
    MatchupResult::from_games(
        &m.a.id,
        m.a.faction.as_str(),
        &m.b.id,
        m.b.faction.as_str(),
        &games,
        z,
    )
}

/// `progress` events at most every 1% of the games or half a second.
struct Progress {
    total: u64,
    done: AtomicU64,
    step: u64,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            done: AtomicU64::new(0),
            step: (total / 100).max(1),
            last: Mutex::new(Instant::now()),
        }
    }

    fn tick(&self, rep: &Reporter) {
        let done = self.done.fetch_add(1, Ordering::AcqRel) + 1;
        if done == self.total {
            return; // `finish` reports the end
        }
        let on_step = done.is_multiple_of(self.step);
        if let Ok(mut last) = self.last.try_lock()
            && (on_step || last.elapsed().as_secs_f64() >= 0.5)
        {
            *last = Instant::now();
            rep.event(Event::Progress(events::Progress {
                done,
                total: self.total,
                unit: Unit::Game,
            }));
        }
    }

    fn finish(&self, rep: &Reporter) {
        rep.event(Event::Progress(events::Progress {
            done: self.done.load(Ordering::Acquire),
            total: self.total,
            unit: Unit::Game,
        }));
    }
}

fn prepare_destination(args: &ValidateArgs, data_dir: &Path) -> Result<Destination, JobError> {
    if let Some(out) = &args.output {
        return Destination::file(out);
    }
    let root = args
        .experiment_dir
        .clone()
        .unwrap_or_else(|| default_experiment_dir(data_dir));
    let run_id = match &args.run_id {
        Some(id) => {
            if id.is_empty() || id.contains(['/', '\\']) || id == "." || id == ".." {
                return Err(JobError::Usage(format!(
                    "--run-id: `{id}` is not a plain directory name"
                )));
            }
            id.clone()
        }
        None => Utc::now().second_stamp(),
    };
    Destination::dir(root.join("validation").join(run_id), non_empty)
}

/// `experiments/` beside `data/`.
pub fn default_experiment_dir(data_dir: &Path) -> PathBuf {
    let abs = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    abs.parent()
        .map(|p| p.join("experiments"))
        .unwrap_or_else(|| PathBuf::from("experiments"))
}

fn results_config(
    args: &ValidateArgs,
    filter: &MatchupFilter,
    weights: &[FactionWeights],
) -> serde_json::Value {
    let mut w = serde_json::Map::new();
    for fw in weights {
        w.insert(
            fw.faction.as_str().into(),
            json!({"kind": fw.kind, "file": fw.file.display().to_string()}),
        );
    }
    json!({
        "games": args.games,
        "seed": args.seed,
        "bot": match args.bot { BotKind::Mcts => "mcts", BotKind::Greedy => "greedy" },
        "mcts_sims": args.mcts_sims,
        "matchup": filter.to_json(),
        "weights": w,
    })
}

/// The entries of `config.toml` only a full run knows.
fn run_settings(args: &ValidateArgs, data_dir: &Path, weights_dir: &Path) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert(
        "threads".into(),
        toml::Value::Integer(args.threads.unwrap_or(0) as i64),
    );
    t.insert(
        "data".into(),
        toml::Value::String(data_dir.display().to_string()),
    );
    t.insert(
        "weights_dir".into(),
        toml::Value::String(weights_dir.display().to_string()),
    );
    t.insert(
        "fail_on_imbalance".into(),
        toml::Value::Boolean(args.fail_on_imbalance),
    );
    t.insert("no_timing".into(), toml::Value::Boolean(args.no_timing));
    t
}
