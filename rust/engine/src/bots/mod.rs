//! The bots: `random`, `greedy` (one-step lookahead on the weighted evaluation) and `mcts`
//! (UCT with greedy rollouts).

mod greedy;
mod mcts;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use greedy::greedy_choose;
pub use mcts::{MctsParams, MctsScratch};

use crate::action::{Action, ActionBuf};
use crate::data::{DataError, GameData};
use crate::eval::Evaluator;
use crate::seed::{self, Rng};
use crate::state::GameState;
use crate::weights::Weights;

/// A bot as named on the command line: `random`, `greedy`, `greedy:PATH.toml`, `mcts:SIMS`,
/// `mcts:SIMS:PATH.toml`.
#[derive(Clone, Debug, PartialEq)]
pub enum BotSpec {
    Random,
    /// Greedy with the weights the caller supplies.
    Greedy,
    /// Greedy with the weights in this file.
    GreedyFile(PathBuf),
    /// MCTS with this many simulations per decision.
    Mcts {
        sims: u32,
    },
    /// MCTS with this many simulations per decision and the weights in this file.
    MctsFile {
        sims: u32,
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad bot `{0}`: expected random, greedy, greedy:PATH.toml, mcts:SIMS or mcts:SIMS:PATH.toml (SIMS 1..=1000000)"
)]
pub struct BadBotSpec(pub String);

impl FromStr for BotSpec {
    type Err = BadBotSpec;
    fn from_str(s: &str) -> Result<BotSpec, BadBotSpec> {
        let bad = || BadBotSpec(s.to_string());
        match s.split_once(':') {
            None => match s {
                "random" => Ok(BotSpec::Random),
                "greedy" => Ok(BotSpec::Greedy),
                "mcts" => Ok(BotSpec::Mcts {
                    sims: MctsParams::default().sims,
                }),
                _ => Err(bad()),
            },
            Some(("greedy", path)) if !path.is_empty() => Ok(BotSpec::GreedyFile(path.into())),
            Some(("mcts", rest)) => {
                let (n, path) = match rest.split_once(':') {
                    Some((n, p)) if !p.is_empty() => (n, Some(p)),
                    Some(_) => return Err(bad()),
                    None => (rest, None),
                };
                match (n.parse::<u32>(), path) {
                    (Ok(sims), None) if (1..=1_000_000).contains(&sims) => {
                        Ok(BotSpec::Mcts { sims })
                    }
                    (Ok(sims), Some(p)) if (1..=1_000_000).contains(&sims) => {
                        Ok(BotSpec::MctsFile {
                            sims,
                            path: p.into(),
                        })
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for BotSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BotSpec::Random => write!(f, "random"),
            BotSpec::Greedy => write!(f, "greedy"),
            BotSpec::GreedyFile(p) => write!(f, "greedy:{}", p.display()),
            BotSpec::Mcts { sims } => write!(f, "mcts:{sims}"),
            BotSpec::MctsFile { sims, path } => write!(f, "mcts:{sims}:{}", path.display()),
        }
    }
}

/// A configured bot. Immutable and `Sync`: one `Bot` can play many games at once, each
/// through its own [`BotPlayer`].
#[derive(Clone, Debug, PartialEq)]
pub enum Bot {
    Random,
    Greedy(Weights),
    Mcts(Weights, MctsParams),
}

impl Bot {
    /// Builds the bot of `spec`; `weights` serve `greedy` and `mcts` (a `greedy:PATH` or
    /// `mcts:SIMS:PATH` spec reads its own file).
    pub fn from_spec(spec: &BotSpec, weights: &Weights) -> Result<Bot, DataError> {
        Ok(match spec {
            BotSpec::Random => Bot::Random,
            BotSpec::Greedy => Bot::Greedy(*weights),
            BotSpec::GreedyFile(p) => Bot::Greedy(Weights::load(p)?),
            BotSpec::Mcts { sims } => Bot::Mcts(
                *weights,
                MctsParams {
                    sims: *sims,
                    ..MctsParams::default()
                },
            ),
            BotSpec::MctsFile { sims, path } => Bot::Mcts(
                Weights::load(path)?,
                MctsParams {
                    sims: *sims,
                    ..MctsParams::default()
                },
            ),
        })
    }

    /// The same bot with other weights (random ignores them).
    pub fn with_weights(&self, weights: &Weights) -> Bot {
        match self {
            Bot::Random => Bot::Random,
            Bot::Greedy(_) => Bot::Greedy(*weights),
            Bot::Mcts(_, p) => Bot::Mcts(*weights, *p),
        }
    }

    /// A player for one game; `seed` drives its random choices.
    pub fn player(&self, seed: u64) -> BotPlayer<'_> {
        BotPlayer {
            bot: self,
            rng: seed::rng(seed, 0),
            buf: None,
            eval: match self {
                Bot::Random => None,
                Bot::Greedy(w) | Bot::Mcts(w, _) => Some(Box::new(Evaluator::new(w))),
            },
            mcts: match self {
                Bot::Mcts(..) => Some(MctsScratch::default()),
                _ => None,
            },
        }
    }
}

/// A bot playing one game, with its random stream and reusable buffers.
pub struct BotPlayer<'a> {
    bot: &'a Bot,
    rng: Rng,
    /// Greedy's action list, made on its first decision (random and MCTS never need it).
    buf: Option<ActionBuf>,
    eval: Option<Box<Evaluator>>,
    mcts: Option<MctsScratch>,
}

impl BotPlayer<'_> {
    /// The action to take in `state` (which must not be over).
    pub fn choose(&mut self, data: &GameData, state: &GameState) -> Action {
        match self.bot {
            Bot::Random => state
                .random_legal(data, &mut self.rng)
                .unwrap_or(Action::EndTurn),
            Bot::Greedy(w) => {
                let eval = self.eval.get_or_insert_with(|| Box::new(Evaluator::new(w)));
                let buf = self.buf.get_or_insert_with(ActionBuf::new);
                greedy_choose(data, state, eval, buf)
            }
            Bot::Mcts(w, p) => {
                let eval = self.eval.get_or_insert_with(|| Box::new(Evaluator::new(w)));
                let scratch = self.mcts.get_or_insert_with(MctsScratch::default);
                scratch.search(data, state, eval, p, &mut self.rng)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for (text, spec) in [
            ("random", BotSpec::Random),
            ("greedy", BotSpec::Greedy),
            ("greedy:w.toml", BotSpec::GreedyFile("w.toml".into())),
            ("mcts:50", BotSpec::Mcts { sims: 50 }),
            (
                "mcts:100:dir/w.toml",
                BotSpec::MctsFile {
                    sims: 100,
                    path: "dir/w.toml".into(),
                },
            ),
        ] {
            assert_eq!(text.parse::<BotSpec>(), Ok(spec.clone()), "{text}");
            assert_eq!(spec.to_string(), text);
        }
        for bad in [
            "mcts:0:w.toml",
            "mcts:x:w.toml",
            "mcts:50:",
            "mcts:",
            "greedy:",
            "alpha",
        ] {
            assert!(bad.parse::<BotSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn mcts_with_a_file_uses_its_weights() {
        let dir = std::env::temp_dir().join(format!("ew-botspec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.toml");
        let mut w = Weights::default();
        w.values[0] = crate::weights::WEIGHT_SPEC[0].max;
        std::fs::write(&path, w.to_toml_string()).unwrap();
        let spec: BotSpec = format!("mcts:7:{}", path.display()).parse().unwrap();
        match Bot::from_spec(&spec, &Weights::default()).unwrap() {
            Bot::Mcts(got, p) => {
                assert_eq!(got, w);
                assert_eq!(p.sims, 7);
            }
            other => panic!("{other:?}"),
        }
        let missing: BotSpec = "mcts:7:/nonexistent/w.toml".parse().unwrap();
        assert!(Bot::from_spec(&missing, &Weights::default()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
