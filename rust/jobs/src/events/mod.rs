//! The event lines of `tune` and `validate`: one JSON object per line, the envelope `v` (format
//! version) and `t` (Unix seconds, millisecond precision) plus one [`Event`], tagged by its
//! `event` field.
//!
//! This enum is the one definition of the lines. `docs/events.schema.json` is generated from it
//! ([`json_schema`]; a test fails when the file is stale) and the Python reader's models
//! (`core/events.py`) are tested against that file.

mod sink;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use sink::EventSink;

use crate::validate::report::MatchupResult;

/// The `v` of every line. Readers ignore fields they do not know, so adding a field or an event
/// keeps the version; renaming or retyping one bumps it.
pub const EVENT_FORMAT_VERSION: u32 = 1;

/// One line as written: the envelope and the event's own fields side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Event line of the tune and validate binaries")]
pub struct EventLine {
    /// Format version: 1 until a field is renamed or retyped.
    pub v: u32,
    /// When the line was written, Unix seconds rounded to the millisecond.
    pub t: f64,
    #[serde(flatten)]
    pub event: Event,
}

impl EventLine {
    /// The line of `event` at time `t`.
    pub fn new(event: Event, t: f64) -> Self {
        Self {
            v: EVENT_FORMAT_VERSION,
            t: (t * 1000.0).round() / 1000.0,
            event,
        }
    }

    /// The JSON text, without a newline.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// First line of a job.
    Start(Start),
    /// A finished generation of `tune`; its checkpoint is already on disk.
    Generation(Generation),
    /// Games played so far by `validate`.
    Progress(Progress),
    /// One finished matchup of `validate` (both seat orders), as it appears in `results.json`.
    Matchup(MatchupResult),
    /// A checkpoint of `tune` was written.
    Checkpoint(Checkpoint),
    /// A line of the human log.
    Log(Log),
    /// The held-out evaluation of `tune`'s finalists, sent once before `done`.
    Heldout(Heldout),
    /// Last line of a successful job.
    Done(Done),
    /// Last line of a failed job.
    Error(ErrorEvent),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Train,
    Validate,
}

/// What `total` and `done` count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Generation,
    Game,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Start {
    /// The experiment directory's or run's name.
    pub job: String,
    pub kind: JobKind,
    pub total: u64,
    pub unit: Unit,
    /// The job's resolved settings, as the job's own files record them.
    pub config: Map<String, Value>,
}

/// Win rates against the three opponent types of the fitness (`None`: not played).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WinRates {
    pub random: Option<f64>,
    pub greedy: Option<f64>,
    pub mcts: Option<f64>,
}

impl From<[Option<f64>; 3]> for WinRates {
    fn from([random, greedy, mcts]: [Option<f64>; 3]) -> Self {
        Self {
            random,
            greedy,
            mcts,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Generation {
    #[serde(rename = "gen")]
    pub generation: u64,
    pub generations: u32,
    /// In-training fitness of this generation's best candidate (noisy: its own deals).
    pub best_fitness: f64,
    pub best_fitness_ever: f64,
    pub mean_fitness: f64,
    pub best_win_rate: f64,
    pub win_rates: WinRates,
    pub sigma: f64,
    pub evals: u64,
    pub games: u64,
    pub elapsed_s: f64,
    /// CPU seconds of this generation; `cpu_s_total` of the run so far.
    pub cpu_s: f64,
    pub cpu_s_total: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub unit: Unit,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checkpoint {
    pub path: String,
    #[serde(rename = "gen")]
    pub generation: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Log {
    pub level: Level,
    pub msg: String,
}

/// Games, score and interval of a series played against the baseline weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeadToHead {
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    /// `(wins + draws / 2) / games`.
    pub score: f64,
    /// Wilson 95% interval of `score`.
    pub ci95: [f64; 2],
}

/// One finalist of the held-out evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeldoutCandidate {
    /// `mean` (the optimizer's mean) or `archive-K`.
    pub name: String,
    /// Average in-training fitness over the generations it was seen in (`None` for the mean).
    pub train_fitness: Option<f64>,
    pub train_gens: u64,
    /// Held-out fitness (`None` with `--heldout-games 0`).
    pub fitness: Option<f64>,
    pub fitness_ci95: Option<[f64; 2]>,
    pub win_rates: WinRates,
    pub h2h: HeadToHead,
}

/// The held-out evaluation: `summary.json`'s `heldout` object and the `heldout` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Heldout {
    /// Held-out fitness games per finalist.
    pub games: u64,
    /// Head-to-head games per finalist.
    pub h2h_games: u64,
    /// The weights file the head-to-head is played against, and its sha256.
    pub baseline: String,
    pub baseline_sha256: String,
    /// The finalist written to `weights.toml`; the fields below are its own.
    pub winner: String,
    pub fitness: Option<f64>,
    pub fitness_ci95: Option<[f64; 2]>,
    pub win_rates: WinRates,
    pub h2h: HeadToHead,
    pub candidates: Vec<HeldoutCandidate>,
    pub cpu_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Done {
    /// `tune`: the content of `summary.json`; `validate`: the verdict and counts.
    pub summary: Map<String, Value>,
    /// The files written, by role.
    pub outputs: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad flags (exit code 2).
    Usage,
    /// A data, weights or checkpoint file that cannot be read or is invalid (exit code 2).
    Data,
    /// A file the job must write or read cannot be (exit code 2).
    Io,
    /// A bug (exit code 1).
    Internal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEvent {
    pub msg: String,
    pub kind: ErrorKind,
}

/// The JSON Schema of [`EventLine`], as checked in at `docs/events.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(EventLine);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
