//! The held-out evaluation of a run's finalists: games on deals that no training generation
//! plays (see "Held-out evaluation" in docs/tune.md).

use std::path::{Path, PathBuf};

use ew_common::seed::derive_path;
use ew_common::stats::{score, wilson};
use ew_engine::{Faction, GameData, Weights};
use ew_tuning::normal::NormalRng;
use sha2::{Digest, Sha256};

use super::config::{Mode, deployed_weights_path};
use super::fitness::{Deal, Evaluation, Opponents, Tally, evaluate_generation};
use crate::error::JobError;
use crate::events::{HeadToHead, HeldoutCandidate, WinRates};

/// The second seed part of the held-out fitness deals. Training uses the generation number
/// there (1 to 2^32 - 1), so no training deal is derived from these parts.
pub const HELDOUT_STREAM: u64 = 0x4845_4C44_4F55_5400; // "HELDOUT"
/// The second seed part of the head-to-head deals.
pub const H2H_STREAM: u64 = 0x4832_4800_0000_0000; // "H2H"

/// The fewest head-to-head games whose 95% Wilson interval at a 50% score is at most ±2.5
/// points; the default rounds it up to whole cycles of the mode's deck pairs and seats.
pub const H2H_MIN_GAMES: u32 = 1600;

/// The default `--h2h-games` for a mode playing `pairs` ordered deck pairs: the smallest
/// multiple of `2 * pairs` (every pair in both seats) that is at least `H2H_MIN_GAMES`.
pub fn default_h2h_games(pairs: usize) -> u32 {
    let cycle = (2 * pairs.max(1)) as u32;
    H2H_MIN_GAMES.div_ceil(cycle) * cycle
}

/// Splits `games` over the opponent types in proportion to `weights` (largest remainder,
/// ties to the earlier type), so the held-out score is one plain proportion.
pub fn allot(games: u32, weights: &[f64; 3]) -> [u32; 3] {
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| f64::from(games) * w / total)
        .collect();
    let mut out = [0u32; 3];
    for (o, e) in out.iter_mut().zip(&exact) {
        *o = e.floor() as u32;
    }
    let mut left = games - out.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..3).filter(|&t| weights[t] > 0.0).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for t in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[*t] += 1;
        left -= 1;
    }
    out
}

/// The seed of the deck-pair shuffle of opponent type `t` in held-out deals.
pub fn heldout_perm_seed(seed: u64, t: usize) -> u64 {
    derive_path(seed, &[HELDOUT_STREAM, t as u64])
}

/// The held-out fitness deals: `counts[t]` games against type `t`, both seats equally, deck
/// pairs from a shuffle per type, game `i` (over all types in order) seeded by
/// `derive_path(seed, [HELDOUT_STREAM, i])`.
pub fn heldout_deals(seed: u64, counts: &[u32; 3], pairs: &[(usize, usize)]) -> Vec<Deal> {
    let mut out = Vec::new();
    for (t, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let mut perm: Vec<usize> = (0..pairs.len()).collect();
        NormalRng::seed_from_u64(heldout_perm_seed(seed, t)).shuffle(&mut perm);
        for j in 0..u64::from(n) {
            let i = out.len() as u64;
            let pair = pairs[perm[(j / 2) as usize % pairs.len()]];
            out.push(Deal {
                opponent: t,
                candidate_first: j.is_multiple_of(2),
                candidate_deck: pair.0,
                opponent_deck: pair.1,
                seed: derive_path(seed, &[HELDOUT_STREAM, i]),
            });
        }
    }
    out
}

/// The deck pairs of the head-to-head: the mode's pairs, then the reverse of each that is not
/// already there. A specialist's pairs (its faction's decks against the others) are thus played
/// both ways, so two equal bots score 50% whatever the balance between the factions.
pub fn h2h_pairs(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = pairs.to_vec();
    for &(a, b) in pairs {
        if !pairs.contains(&(b, a)) {
            out.push((b, a));
        }
    }
    out
}

/// The head-to-head deals: `pairs` (see `h2h_pairs`) in order, each in both seats, game `i`
/// seeded by `derive_path(seed, [H2H_STREAM, i])`; opponent index 0 is the baseline.
pub fn h2h_deals(seed: u64, games: u32, pairs: &[(usize, usize)]) -> Vec<Deal> {
    (0..u64::from(games))
        .map(|i| {
            let pair = pairs[(i / 2) as usize % pairs.len()];
            Deal {
                opponent: 0,
                candidate_first: i.is_multiple_of(2),
                candidate_deck: pair.0,
                opponent_deck: pair.1,
                seed: derive_path(seed, &[H2H_STREAM, i]),
            }
        })
        .collect()
}

/// The head-to-head result of a tally against the baseline.
pub fn head_to_head(t: &Tally) -> HeadToHead {
    let s = score(t.wins, t.draws, t.games);
    HeadToHead {
        games: t.games,
        wins: t.wins,
        losses: t.games - t.wins - t.draws,
        draws: t.draws,
        score: s,
        ci95: wilson(s, t.games),
    }
}

/// The weights a head-to-head is played against.
pub struct Baseline {
    pub weights: Weights,
    /// The canonical path, or `spec defaults`.
    pub name: String,
    /// Of the file's bytes; for the spec defaults, of their TOML text (`Weights::to_toml_string`).
    pub sha256: String,
}

/// Loads `explicit`, or the deployed file of the mode under `data_dir/weights`, or the spec
/// defaults when that file does not exist.
pub fn load_baseline(
    explicit: Option<&Path>,
    data_dir: &Path,
    mode: Mode,
    faction: Option<Faction>,
) -> Result<Baseline, JobError> {
    let path: PathBuf = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let deployed = deployed_weights_path(&data_dir.join("weights"), mode, faction);
            if !deployed.is_file() {
                let weights = Weights::default();
                return Ok(Baseline {
                    weights,
                    name: "spec defaults".into(),
                    sha256: sha256_hex(weights.to_toml_string().as_bytes()),
                });
            }
            deployed
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| JobError::io(&path, &e))?;
    let weights = Weights::load(&path)?;
    let abs = std::fs::canonicalize(&path).unwrap_or(path);
    Ok(Baseline {
        weights,
        name: abs.display().to_string(),
        sha256: sha256_hex(&bytes),
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the held-out evaluation plays.
pub struct Plan<'a> {
    pub seed: u64,
    pub games: u32,
    pub h2h_games: u32,
    pub fitness_weights: [f64; 3],
    pub mcts_sims: u32,
    pub pairs: &'a [(usize, usize)],
}

/// A finalist before evaluation.
pub struct Entrant {
    pub name: String,
    pub weights: Weights,
    pub train_fitness: Option<f64>,
    pub train_gens: u64,
}

/// Plays every entrant on the same held-out and head-to-head deals (on the current rayon
/// pool) and returns their results in entrant order.
pub fn evaluate(
    data: &GameData,
    plan: &Plan<'_>,
    entrants: &[Entrant],
    baseline: &Weights,
) -> Vec<HeldoutCandidate> {
    let weights: Vec<Weights> = entrants.iter().map(|e| e.weights).collect();
    let counts = allot(plan.games, &plan.fitness_weights);
    let fit: Vec<Option<Evaluation>> = if plan.games > 0 {
        let deals = heldout_deals(plan.seed, &counts, plan.pairs);
        let opponents = Opponents::new(plan.mcts_sims);
        evaluate_generation(data, &weights, &deals, &opponents, &plan.fitness_weights)
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; entrants.len()]
    };
    let h2h_deals = h2h_deals(plan.seed, plan.h2h_games, &h2h_pairs(plan.pairs));
    let h2h = evaluate_generation(
        data,
        &weights,
        &h2h_deals,
        &Opponents::greedy(*baseline),
        &[1.0, 0.0, 0.0],
    );
    entrants
        .iter()
        .zip(fit)
        .zip(h2h)
        .map(|((e, f), h)| {
            let games = f
                .as_ref()
                .map_or(0, |f| f.tallies.iter().map(|t| t.games).sum());
            let fitness = f.as_ref().map(Evaluation::overall_rate);
            HeldoutCandidate {
                name: e.name.clone(),
                train_fitness: e.train_fitness,
                train_gens: e.train_gens,
                fitness,
                fitness_ci95: fitness.map(|p| wilson(p, games)),
                win_rates: WinRates::from(f.map_or([None; 3], |f| f.win_rates())),
                h2h: head_to_head(&h.tallies[0]),
            }
        })
        .collect()
}

/// The winner: the best head-to-head score; the first finalist wins ties (the mean comes
/// first, so a tie keeps the distribution mean).
pub fn winner(finalists: &[HeldoutCandidate]) -> usize {
    let mut top = 0;
    for (i, f) in finalists.iter().enumerate() {
        if f.h2h.score > finalists[top].h2h.score {
            top = i;
        }
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_h2h_is_within_two_and_a_half_points() {
        let [lo, hi] = wilson(0.5, u64::from(H2H_MIN_GAMES));
        assert!(hi - 0.5 <= 0.025 && 0.5 - lo <= 0.025, "{lo} {hi}");
        let [lo, _] = wilson(0.5, u64::from(H2H_MIN_GAMES) - 100);
        assert!(0.5 - lo > 0.025, "1600 is not far from the smallest size");
        assert_eq!(default_h2h_games(80), 1600);
        assert_eq!(default_h2h_games(56), 1680);
        assert_eq!(default_h2h_games(48), 1632);
    }

    #[test]
    fn games_are_allotted_in_proportion() {
        assert_eq!(allot(1000, &[0.1, 0.4, 0.5]), [100, 400, 500]);
        assert_eq!(allot(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        assert_eq!(allot(7, &[0.0, 1.0, 0.0]), [0, 7, 0]);
        assert_eq!(allot(5, &[0.0, 1.0, 1.0]), [0, 3, 2]);
        assert_eq!(allot(0, &[0.1, 0.4, 0.5]), [0, 0, 0]);
        for n in 0..50 {
            assert_eq!(allot(n, &[0.15, 0.35, 0.5]).iter().sum::<u32>(), n);
        }
    }

    #[test]
    fn h2h_deals_cover_every_pair_in_both_seats() {
        let pairs: Vec<(usize, usize)> = (0..5).map(|i| (i, i + 5)).collect();
        let d = h2h_deals(3, 20, &pairs);
        for p in &pairs {
            for first in [true, false] {
                let n = d
                    .iter()
                    .filter(|x| {
                        (x.candidate_deck, x.opponent_deck) == *p && x.candidate_first == first
                    })
                    .count();
                assert_eq!(n, 2);
            }
        }
    }

    #[test]
    fn heldout_deals_follow_the_allotment() {
        let pairs: Vec<(usize, usize)> = (0..7).map(|i| (i, 0)).collect();
        let d = heldout_deals(9, &[3, 0, 8], &pairs);
        assert_eq!(d.iter().filter(|x| x.opponent == 0).count(), 3);
        assert_eq!(d.iter().filter(|x| x.opponent == 2).count(), 8);
        assert_eq!(d.iter().filter(|x| x.candidate_first).count(), 2 + 4);
    }

    #[test]
    fn h2h_pairs_are_symmetric() {
        let both = vec![(0, 1), (1, 0), (0, 2), (2, 0)];
        assert_eq!(h2h_pairs(&both), both);
        assert_eq!(
            h2h_pairs(&[(0, 1), (0, 2)]),
            [(0, 1), (0, 2), (1, 0), (2, 0)]
        );
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
