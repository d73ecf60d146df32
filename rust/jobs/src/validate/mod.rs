//! Balance validation: a round robin of cross-faction deck matchups in both seat orders,
//! played in parallel with results that depend only on the seeds.

pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use ew_common::seed::{derive_path, fnv1a64};
use ew_engine::bots::{Bot, BotSpec};
use ew_engine::data::resolve_data_dir;
use ew_engine::{Faction, GameData, Seat, Weights, play_game};
use ew_tuning::files::{ensure_writable_dir, write_atomic};
use ew_tuning::time::Utc;
use rayon::prelude::*;
use serde_json::json;

use crate::error::JobError;
use crate::events::{self, Done, Event, JobKind, Start, Unit};
use crate::matchups::{Matchup, MatchupFilter, canonical_matchups};
use crate::reporter::Reporter;
use report::{GameRecord, MatchupResult, Results, Thresholds, summary_text};

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
}

/// Where the results go.
enum Destination {
    /// `--output F`: the JSON alone.
    File(PathBuf),
    /// `experiments/validation/<run_id>/`.
    Dir { dir: PathBuf, run_id: String },
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
    let per_matchup = 2 * u64::from(args.games);
    let total = per_matchup * matchups.len() as u64;
    rep.event(Event::Start(Start {
        job: job_name(&destination),
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
            let t0 = Instant::now();
            let outcome = play_game(
                &data,
                first,
                second,
                bot_of(first.faction),
                bot_of(second.faction),
                seed,
            );
            let a_seat = if a_first { Seat::First } else { Seat::Second };
            let record = GameRecord {
                a_first,
                a_won: outcome.winner.map(|w| w == a_seat),
                turns: outcome.turns,
                time_s: t0.elapsed().as_secs_f64(),
            };
            let _ = slots[task as usize].set(record);
            if remaining[mi].fetch_sub(1, Ordering::AcqRel) == 1 {
                let result = collect_matchup(&m, &slots, mi, per_matchup);
                rep.event(Event::Matchup(result));
            }
            progress.tick(rep);
        });
    });
    progress.finish(rep);

    let results_list: Vec<MatchupResult> = matchups
        .iter()
        .enumerate()
        .map(|(mi, m)| collect_matchup(m, &slots, mi, per_matchup))
        .collect();
    let results = Results::build(
        config,
        results_list,
        Thresholds::default(),
        started.elapsed().as_secs_f64(),
    );
    write_outputs(args, &destination, &data_dir, &weights_dir, &results, rep)?;
    Ok(ValidateOutcome { results })
}

fn job_name(d: &Destination) -> String {
    match d {
        Destination::File(p) => format!("validate:{}", p.display()),
        Destination::Dir { run_id, .. } => format!("validate:{run_id}"),
    }
}

fn collect_matchup(
    m: &Matchup<'_>,
    slots: &[OnceLock<GameRecord>],
    mi: usize,
    per_matchup: u64,
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
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if out.is_dir() {
            return Err(JobError::Io {
                path: out.clone(),
                msg: "--output names a directory; give a file path".into(),
            });
        }
        ensure_writable_dir(&parent).map_err(|e| cannot_write(&parent, &e))?;
        return Ok(Destination::File(out.clone()));
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
    let dir = root.join("validation").join(&run_id);
    if dir.is_dir()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(JobError::Io {
            path: dir,
            msg: "already holds a validation run; choose another --run-id".into(),
        });
    }
    ensure_writable_dir(&dir).map_err(|e| cannot_write(&dir, &e))?;
    Ok(Destination::Dir { dir, run_id })
}

fn cannot_write(dir: &Path, e: &std::io::Error) -> JobError {
    JobError::Io {
        path: dir.to_path_buf(),
        msg: format!("cannot write the output here: {e}"),
    }
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

fn bot_label(args: &ValidateArgs) -> String {
    match args.bot {
        BotKind::Mcts => format!("mcts:{}", args.mcts_sims),
        BotKind::Greedy => "greedy".into(),
    }
}

fn write_outputs(
    args: &ValidateArgs,
    destination: &Destination,
    data_dir: &Path,
    weights_dir: &Path,
    results: &Results,
    rep: &Reporter,
) -> Result<(), JobError> {
    let mut json_text = serde_json::to_string_pretty(results)
        .map_err(|e| JobError::Internal(format!("results do not serialise: {e}")))?;
    json_text.push('\n');
    let summary = json!({
        "verdict": results.verdict.as_str(),
        "games": results.games,
        "matchups": results.matchups.len(),
        "time_s": results.time_s,
        "first_seat_win_rate": results.first_seat.win_rate,
        "warnings": results.warnings.len(),
    });
    let summary = summary.as_object().cloned().unwrap_or_default();
    match destination {
        Destination::File(path) => {
            write_atomic(path, json_text.as_bytes()).map_err(|e| JobError::io(path, &e))?;
            rep.info(&format!(
                "verdict {}; results in {}",
                results.verdict.as_str(),
                path.display()
            ));
            rep.event(Event::Done(Done {
                summary,
                outputs: BTreeMap::from([("results".into(), path.display().to_string())]),
            }));
        }
        Destination::Dir { dir, run_id } => {
            let results_path = dir.join("results.json");
            let summary_path = dir.join("summary.txt");
            let config_path = dir.join("config.toml");
            let text = summary_text(results, &bot_label(args));
            let config = config_toml(args, run_id, data_dir, weights_dir, results);
            write_atomic(&config_path, config.as_bytes())
                .map_err(|e| JobError::io(&config_path, &e))?;
            write_atomic(&summary_path, text.as_bytes())
                .map_err(|e| JobError::io(&summary_path, &e))?;
            write_atomic(&results_path, json_text.as_bytes())
                .map_err(|e| JobError::io(&results_path, &e))?;
            // The report is the human output: stdout, unless stdout carries event lines.
            if rep.events_on_stdout() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            rep.info(&format!(
                "verdict {}; results in {}",
                results.verdict.as_str(),
                dir.display()
            ));
            rep.event(Event::Done(Done {
                summary,
                outputs: BTreeMap::from([
                    ("results".into(), results_path.display().to_string()),
                    ("summary_txt".into(), summary_path.display().to_string()),
                    ("config".into(), config_path.display().to_string()),
                ]),
            }));
        }
    }
    Ok(())
}

fn config_toml(
    args: &ValidateArgs,
    run_id: &str,
    data_dir: &Path,
    weights_dir: &Path,
    results: &Results,
) -> String {
    let mut t = toml::Table::new();
    let s = |v: &str| toml::Value::String(v.to_string());
    t.insert("run_id".into(), s(run_id));
    t.insert("created".into(), s(&Utc::now().rfc3339()));
    t.insert("games".into(), toml::Value::Integer(i64::from(args.games)));
    t.insert("seed".into(), toml::Value::Integer(args.seed as i64));
    t.insert("bot".into(), s(&bot_label(args)));
    t.insert(
        "mcts_sims".into(),
        toml::Value::Integer(i64::from(args.mcts_sims)),
    );
    t.insert(
        "matchup".into(),
        s(args.matchup.as_deref().unwrap_or("all")),
    );
    t.insert(
        "threads".into(),
        toml::Value::Integer(args.threads.unwrap_or(0) as i64),
    );
    t.insert("data".into(), s(&data_dir.display().to_string()));
    t.insert("weights_dir".into(), s(&weights_dir.display().to_string()));
    t.insert(
        "fail_on_imbalance".into(),
        toml::Value::Boolean(args.fail_on_imbalance),
    );
    if let Some(w) = results.config.get("weights").and_then(|w| w.as_object()) {
        let mut wt = toml::Table::new();
        for (f, v) in w {
            let mut e = toml::Table::new();
            for k in ["kind", "file"] {
                if let Some(x) = v.get(k).and_then(|x| x.as_str()) {
                    e.insert(k.into(), s(x));
                }
            }
            wt.insert(f.clone(), toml::Value::Table(e));
        }
        t.insert("weights".into(), toml::Value::Table(wt));
    }
    let mut text = String::from("# Resolved configuration of this validation run\n");
    text.push_str(&toml::to_string(&t).unwrap_or_default());
    text
}
