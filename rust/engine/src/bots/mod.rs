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

/// A bot as named on the command line: `random`, `greedy`, `greedy:PATH.toml`, `mcts:SIMS`.
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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad bot `{0}`: expected random, greedy, greedy:PATH.toml or mcts:SIMS (SIMS 1..=1000000)")]
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
            Some(("mcts", n)) => match n.parse::<u32>() {
                Ok(sims) if (1..=1_000_000).contains(&sims) => Ok(BotSpec::Mcts { sims }),
                _ => Err(bad()),
            },
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
    /// Builds the bot of `spec`; `weights` serve `greedy` and `mcts` (a `greedy:PATH` spec
    /// reads its own file).
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
