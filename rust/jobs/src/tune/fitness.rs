//! Fitness of candidate weights: games against random, default greedy and MCTS opponents,
//! both seats, with the same deals for every candidate of a generation.

use ew_common::seed::derive_path;
use ew_common::stats::score;
use ew_engine::bots::{Bot, MctsParams};
use ew_engine::{Deck, Faction, GameData, Seat, Weights, play_game};
use ew_tuning::normal::NormalRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matchups::all_decks_in_order;

/// One game of an evaluation, the same for every candidate of the generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deal {
    /// Index into `OPPONENTS` (0 random, 1 greedy, 2 mcts).
    pub opponent: usize,
    pub candidate_first: bool,
    pub candidate_deck: usize,
    pub opponent_deck: usize,
    pub seed: u64,
}

/// The ordered (candidate deck, opponent deck) pairs a mode plays, as indices into
/// `all_decks_in_order`.
pub fn deck_pairs(decks: &[&Deck], specialist: Option<Faction>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, c) in decks.iter().enumerate() {
        if specialist.is_some_and(|f| c.faction != f) {
            continue;
        }
        for (j, o) in decks.iter().enumerate() {
            if o.faction != c.faction {
                out.push((i, j));
            }
        }
    }
    out
}

/// The seed of the deck-pair shuffle of opponent type `t` in generation `generation`.
pub fn training_perm_seed(seed: u64, generation: u64, t: usize) -> u64 {
    derive_path(seed, &[generation, t as u64])
}

/// The deals of generation `gen` (1-based); see "What a candidate plays" in docs/tune.md.
pub fn deals(
    seed: u64,
    generation: u64,
    games: u32,
    pairs: &[(usize, usize)],
    types: &[usize],
) -> Vec<Deal> {
    let k = types.len() as u64;
    let perms: Vec<Vec<usize>> = types
        .iter()
        .map(|&t| {
            let mut p: Vec<usize> = (0..pairs.len()).collect();
            NormalRng::seed_from_u64(training_perm_seed(seed, generation, t)).shuffle(&mut p);
            p
        })
        .collect();
    (0..u64::from(games))
        .map(|i| {
            let slot = (i % k) as usize;
            let j = i / k;
            let pair = pairs[perms[slot][(j / 2) as usize % pairs.len()]];
            Deal {
                opponent: types[slot],
                candidate_first: j.is_multiple_of(2),
                candidate_deck: pair.0,
                opponent_deck: pair.1,
                seed: derive_path(seed, &[generation, i]),
            }
        })
        .collect()
}

/// Results of one candidate against one opponent type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub games: u64,
    pub wins: u64,
    pub draws: u64,
}

impl Tally {
    pub fn rate(&self) -> Option<f64> {
        (self.games > 0).then(|| score(self.wins, self.draws, self.games))
    }
}

/// A candidate's evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub fitness: f64,
    /// Against random, greedy, mcts (`games == 0` for a type not played).
    pub tallies: [Tally; 3],
}

impl Evaluation {
    pub fn win_rates(&self) -> [Option<f64>; 3] {
        self.tallies.map(|t| t.rate())
    }

    /// Wins plus half draws over all its games.
    pub fn overall_rate(&self) -> f64 {
        let (g, w, d) = self.tallies.iter().fold((0, 0, 0), |(g, w, d), t| {
            (g + t.games, w + t.wins, d + t.draws)
        });
        score(w, d, g)
    }
}

/// The opponents' bots, built once per run; `Deal::opponent` indexes them.
pub struct Opponents {
    bots: Vec<Bot>,
}

impl Opponents {
    /// The fitness opponents, in the order of `OPPONENTS`.
    pub fn new(mcts_sims: u32) -> Self {
        let defaults = Weights::default();
        Self {
            bots: vec![
                Bot::Random,
                Bot::Greedy(defaults),
                Bot::Mcts(
                    defaults,
                    MctsParams {
                        sims: mcts_sims,
                        ..MctsParams::default()
                    },
                ),
            ],
        }
    }

    /// One greedy opponent with these weights (index 0), for head-to-head games.
    pub fn greedy(weights: Weights) -> Self {
        Self {
            bots: vec![Bot::Greedy(weights)],
        }
    }
}

/// Plays every (candidate, deal) pair of a generation in parallel (on the current rayon pool)
/// and scores each candidate. The result depends only on the arguments.
pub fn evaluate_generation(
    data: &GameData,
    candidates: &[Weights],
    deals: &[Deal],
    opponents: &Opponents,
    fitness_weights: &[f64; 3],
) -> Vec<Evaluation> {
    let decks = all_decks_in_order(data);
    let bots: Vec<Bot> = candidates.iter().map(|w| Bot::Greedy(*w)).collect();
    let g = deals.len();
    let outcomes: Vec<(bool, Option<bool>)> = (0..candidates.len() * g)
        .into_par_iter()
        .map(|task| {
            let (c, d) = (task / g, task % g);
            let deal = &deals[d];
            let cand_deck = decks[deal.candidate_deck];
            let opp_deck = decks[deal.opponent_deck];
            let opp_bot = &opponents.bots[deal.opponent];
            let outcome = if deal.candidate_first {
                play_game(data, cand_deck, opp_deck, &bots[c], opp_bot, deal.seed)
            } else {
                play_game(data, opp_deck, cand_deck, opp_bot, &bots[c], deal.seed)
            };
            let cand_seat = if deal.candidate_first {
                Seat::First
            } else {
                Seat::Second
            };
            (deal.candidate_first, outcome.winner.map(|w| w == cand_seat))
        })
        .collect();
    (0..candidates.len())
        .map(|c| {
            let mut tallies = [Tally::default(); 3];
            for (d, deal) in deals.iter().enumerate() {
                let t = &mut tallies[deal.opponent];
                t.games += 1;
                match outcomes[c * g + d].1 {
                    Some(true) => t.wins += 1,
                    Some(false) => {}
                    None => t.draws += 1,
                }
            }
            let mut num = 0.0;
            let mut den = 0.0;
            for (t, w) in tallies.iter().zip(fitness_weights) {
                if let Some(r) = t.rate() {
                    num += w * r;
                    den += w;
                }
            }
            Evaluation {
                fitness: if den > 0.0 { num / den } else { 0.0 },
                tallies,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_split_opponents_and_seats_evenly() {
        let pairs: Vec<(usize, usize)> = (0..20).map(|i| (i, i + 1)).collect();
        let d = deals(5, 1, 100, &pairs, &[0, 1, 2]);
        assert_eq!(d.len(), 100);
        let count = |t: usize| d.iter().filter(|x| x.opponent == t).count();
        assert_eq!((count(0), count(1), count(2)), (34, 33, 33));
        for t in 0..3 {
            let first = d
                .iter()
                .filter(|x| x.opponent == t && x.candidate_first)
                .count();
            let n = count(t);
            assert!(first == n.div_ceil(2), "type {t}: {first} of {n}");
        }
        // Consecutive games of a type share the deck pair, in opposite seats.
        let of0: Vec<&Deal> = d.iter().filter(|x| x.opponent == 0).collect();
        assert_eq!(of0[0].candidate_deck, of0[1].candidate_deck);
        assert_ne!(of0[0].candidate_first, of0[1].candidate_first);
    }

    #[test]
    fn deals_are_common_and_vary_by_generation() {
        let pairs: Vec<(usize, usize)> = (0..30).map(|i| (i, 0)).collect();
        assert_eq!(
            deals(1, 3, 50, &pairs, &[0, 1, 2]),
            deals(1, 3, 50, &pairs, &[0, 1, 2])
        );
        assert_ne!(
            deals(1, 3, 50, &pairs, &[0, 1, 2]),
            deals(1, 4, 50, &pairs, &[0, 1, 2])
        );
        let seeds: std::collections::HashSet<u64> = deals(1, 3, 50, &pairs, &[0, 1, 2])
            .iter()
            .map(|d| d.seed)
            .collect();
        assert_eq!(seeds.len(), 50);
    }

    #[test]
    fn skipped_types_get_no_games() {
        let pairs = vec![(0, 1), (1, 0)];
        let d = deals(1, 1, 10, &pairs, &[1, 2]);
        assert!(d.iter().all(|x| x.opponent != 0));
        assert_eq!(d.iter().filter(|x| x.opponent == 1).count(), 5);
    }
}
