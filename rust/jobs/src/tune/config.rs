//! The resolved configuration of a training run, as written to `config.toml` and carried in
//! `checkpoint.json` (a resumed run reads it back from there).

use std::path::{Path, PathBuf};

use ew_engine::weights::WEIGHT_SPEC;
use ew_engine::{Faction, Weights};
use serde::{Deserialize, Serialize};

use crate::error::JobError;
use crate::matchups::parse_faction;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Generalist,
    Specialist,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Generalist => "generalist",
            Mode::Specialist => "specialist",
        }
    }
}

/// Opponent types, in the order of `--fitness-weights` and of the game split.
pub const OPPONENTS: [&str; 3] = ["random", "greedy", "mcts"];

/// The default `--fitness-weights`.
pub const DEFAULT_FITNESS_WEIGHTS: [f64; 3] = [0.0, 1.0, 0.0];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneConfig {
    pub mode: Mode,
    pub faction: Option<String>,
    pub generations: u32,
    pub games: u32,
    pub mcts_sims: u32,
    pub population: usize,
    pub sigma: f64,
    pub sigma_floor: f64,
    pub stagnation: u32,
    /// Weights of the win rates against random, greedy and MCTS.
    pub fitness_weights: [f64; 3],
    /// Games per evaluation grow from `games` towards this as the search distribution
    /// shrinks; `games` (or 0, in configs written before the flag) means no growth.
    #[serde(default)]
    pub games_max: u32,
    /// Candidates carried in the archive (0 in configs written before the flag).
    #[serde(default)]
    pub archive: u32,
    /// Held-out games per finalist against the fitness mix.
    #[serde(default)]
    pub heldout_games: u32,
    /// Head-to-head games per finalist against the baseline; 0 skips the held-out evaluation.
    #[serde(default)]
    pub h2h_games: u32,
    /// The head-to-head baseline file; absent: the deployed file of the mode at the time of
    /// the evaluation (else the spec defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    pub seed: u64,
    pub tag: String,
    /// The file the initial weights came from, or `"spec defaults"`.
    pub initial_weights_source: String,
    pub data: String,
    pub created: String,
    /// Weight names, bounds and initial values, in spec order.
    pub weight_names: Vec<String>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub initial: Vec<f64>,
}

impl TuneConfig {
    pub fn faction(&self) -> Result<Option<Faction>, JobError> {
        self.faction
            .as_deref()
            .map(|f| parse_faction("faction", f))
            .transpose()
    }

    /// The weights of `initial`.
    pub fn initial_weights(&self) -> Weights {
        Weights::from_values(&self.initial).expect("initial has one value per weight")
    }

    /// Checks that a configuration read back from disk still fits this build's weight table.
    pub fn check_against_spec(&self, file: &Path) -> Result<(), JobError> {
        let names: Vec<&str> = WEIGHT_SPEC.iter().map(|d| d.name).collect();
        if self.weight_names != names || self.initial.len() != names.len() {
            return Err(JobError::Usage(format!(
                "{}: the weight names differ from this build's weight table; it cannot be resumed",
                file.display()
            )));
        }
        Ok(())
    }

    pub fn to_toml(&self) -> Result<String, JobError> {
        let body = toml::to_string(self)
            .map_err(|e| JobError::Internal(format!("config does not serialise: {e}")))?;
        Ok(format!(
            "# Resolved configuration of this training run\n{body}"
        ))
    }

    pub fn from_toml_file(path: &Path) -> Result<TuneConfig, JobError> {
        let text = std::fs::read_to_string(path).map_err(|e| JobError::io(path, &e))?;
        toml::from_str(&text).map_err(|e| {
            JobError::Usage(format!(
                "{}: not a training configuration: {}",
                path.display(),
                e.message()
            ))
        })
    }
}

/// Where the mode's weights are deployed (and, by default, where training starts).
pub fn deployed_weights_path(weights_dir: &Path, mode: Mode, faction: Option<Faction>) -> PathBuf {
    match (mode, faction) {
        (Mode::Specialist, Some(f)) => weights_dir
            .join("specialists")
            .join(format!("{}.toml", f.as_str())),
        _ => weights_dir.join("generalist.toml"),
    }
}

/// Parses `--fitness-weights R,G,M`.
pub fn parse_fitness_weights(s: &str) -> Result<[f64; 3], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let bad =
        || format!("expected three non-negative numbers R,G,M with a positive sum, got `{s}`");
    if parts.len() != 3 {
        return Err(bad());
    }
    let mut w = [0.0; 3];
    for (slot, p) in w.iter_mut().zip(&parts) {
        let v: f64 = p.parse().map_err(|_| bad())?;
        if !v.is_finite() || v < 0.0 {
            return Err(bad());
        }
        *slot = v;
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(bad());
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitness_weights_parse() {
        assert_eq!(parse_fitness_weights("0.1,0.4,0.5"), Ok([0.1, 0.4, 0.5]));
        assert_eq!(parse_fitness_weights("0, 1, 0"), Ok([0.0, 1.0, 0.0]));
        assert!(parse_fitness_weights("0,0,0").is_err());
        assert!(parse_fitness_weights("1,2").is_err());
        assert!(parse_fitness_weights("1,-2,3").is_err());
        assert!(parse_fitness_weights("a,b,c").is_err());
    }

    #[test]
    fn config_round_trips_through_toml() {
        let w = Weights::default();
        let cfg = TuneConfig {
            mode: Mode::Specialist,
            faction: Some("obsidion".into()),
            generations: 3,
            games: 12,
            mcts_sims: 5,
            population: 13,
            sigma: 0.2,
            sigma_floor: 1e-3,
            stagnation: 0,
            fitness_weights: DEFAULT_FITNESS_WEIGHTS,
            games_max: 24,
            archive: 3,
            heldout_games: 10,
            h2h_games: 20,
            baseline: Some("/x/base.toml".into()),
            seed: 7,
            tag: "t".into(),
            initial_weights_source: "spec defaults".into(),
            data: "/x/data".into(),
            created: "2024-01-01T00:00:00Z".into(),
            weight_names: WEIGHT_SPEC.iter().map(|d| d.name.to_string()).collect(),
            lower: WEIGHT_SPEC.iter().map(|d| f64::from(d.min)).collect(),
            upper: WEIGHT_SPEC.iter().map(|d| f64::from(d.max)).collect(),
            initial: w.values.iter().map(|v| f64::from(*v)).collect(),
        };
        let text = cfg.to_toml().unwrap();
        let back: TuneConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, cfg);
    }
}
