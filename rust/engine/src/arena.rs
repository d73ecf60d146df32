//! Bot-against-bot series over decks, played in parallel with per-game seeds so the report is
//! the same on any number of threads.

use rayon::prelude::*;
use serde::Serialize;

use crate::bots::Bot;
use crate::data::{Deck, GameData};
use crate::faction::Faction;
use crate::game::{GameOutcome, play_game};
use crate::seed;
use crate::state::Seat;
use ew_common::stats::{score, wilson};

/// What one arena game was: which decks, which seat bot A took.
#[derive(Clone, Copy, Debug)]
pub struct Pairing<'a> {
    pub deck_a: &'a Deck,
    pub deck_b: &'a Deck,
    pub a_first: bool,
}

/// The pairing of game `index`: seats alternate every game; with `swap_decks`, the two bots
/// also trade decks every second game; then the next deck pair follows.
pub fn pairing<'a>(pairs: &[(&'a Deck, &'a Deck)], swap_decks: bool, index: u64) -> Pairing<'a> {
    let a_first = index.is_multiple_of(2);
    let (per_pair, swapped) = if swap_decks {
        (4, !(index / 2).is_multiple_of(2))
    } else {
        (2, false)
    };
    let (x, y) = pairs[((index / per_pair) % pairs.len() as u64) as usize];
    let (deck_a, deck_b) = if swapped { (y, x) } else { (x, y) };
    Pairing {
        deck_a,
        deck_b,
        a_first,
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FactionScore {
    pub faction: String,
    pub games: u64,
    pub wins: u64,
    pub draws: u64,
    pub score: f64,
    pub score_ci95: [f64; 2],
}

/// The arena report; field names are fixed by the design (extra fields are free).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ArenaReport {
    pub bot_a: String,
    pub bot_b: String,
    pub seed: u64,
    pub games: u64,
    pub a_wins: u64,
    pub b_wins: u64,
    pub draws: u64,
    /// Wins plus half the draws, over games.
    pub a_score: f64,
    pub a_score_ci95: [f64; 2],
    pub a_wins_as_first: u64,
    pub a_wins_as_second: u64,
    pub avg_turns: f64,
    pub avg_actions: f64,
    pub first_seat_wins: u64,
    pub first_seat_score: f64,
    pub first_seat_score_ci95: [f64; 2],
    /// Score of each faction over the games its decks played (both bots counted).
    pub factions: Vec<FactionScore>,
    pub deck_pairs: usize,
    pub time_s: f64,
}

/// Plays `games` games of `bot_a` against `bot_b` over `pairs` and summarises them.
#[allow(clippy::too_many_arguments)]
pub fn run_arena(
    data: &GameData,
    bot_a: &Bot,
    bot_b: &Bot,
    names: (&str, &str),
    pairs: &[(&Deck, &Deck)],
    swap_decks: bool,
    games: u64,
    seed_value: u64,
) -> ArenaReport {
    let start = std::time::Instant::now();
    let results: Vec<(Pairing<'_>, GameOutcome)> = (0..games)
        .into_par_iter()
        .map(|i| {
            let p = pairing(pairs, swap_decks, i);
            let s = seed::derive(seed_value, i);
            let out = if p.a_first {
                play_game(data, p.deck_a, p.deck_b, bot_a, bot_b, s)
            } else {
                play_game(data, p.deck_b, p.deck_a, bot_b, bot_a, s)
            };
            (p, out)
        })
        .collect();
    summarise(
        names,
        seed_value,
        pairs.len(),
        &results,
        start.elapsed().as_secs_f64(),
    )
}

fn summarise(
    names: (&str, &str),
    seed_value: u64,
    deck_pairs: usize,
    results: &[(Pairing<'_>, GameOutcome)],
    time_s: f64,
) -> ArenaReport {
    let n = results.len() as u64;
    let (mut a_wins, mut b_wins, mut draws, mut a_first_w, mut a_second_w, mut first_w) =
        (0, 0, 0, 0, 0, 0);
    let (mut turns, mut actions) = (0u64, 0u64);
    let mut fac = [(0u64, 0u64, 0u64); 3];
    let fidx = |f: Faction| Faction::PLAYABLE.iter().position(|&x| x == f).unwrap_or(0);
    for (p, out) in results {
        turns += out.turns as u64;
        actions += out.actions as u64;
        let (fa, fb) = (fidx(p.deck_a.faction), fidx(p.deck_b.faction));
        fac[fa].0 += 1;
        fac[fb].0 += 1;
        match out.winner {
            None => {
                draws += 1;
                fac[fa].2 += 1;
                fac[fb].2 += 1;
            }
            Some(seat) => {
                if seat == Seat::First {
                    first_w += 1;
                }
                let a_won = (seat == Seat::First) == p.a_first;
                if a_won {
                    a_wins += 1;
                    fac[fa].1 += 1;
                    if p.a_first {
                        a_first_w += 1;
                    } else {
                        a_second_w += 1;
                    }
                } else {
                    b_wins += 1;
                    fac[fb].1 += 1;
                }
            }
        }
    }
    let factions = Faction::PLAYABLE
        .iter()
        .zip(fac)
        .filter(|(_, (g, _, _))| *g > 0)
        .map(|(f, (g, w, d))| FactionScore {
            faction: f.as_str().to_string(),
            games: g,
            wins: w,
            draws: d,
            score: score(w, d, g),
            score_ci95: wilson(score(w, d, g), g),
        })
        .collect();
    ArenaReport {
        bot_a: names.0.to_string(),
        bot_b: names.1.to_string(),
        seed: seed_value,
        games: n,
        a_wins,
        b_wins,
        draws,
        a_score: score(a_wins, draws, n),
        a_score_ci95: wilson(score(a_wins, draws, n), n),
        a_wins_as_first: a_first_w,
        a_wins_as_second: a_second_w,
        avg_turns: if n == 0 { 0.0 } else { turns as f64 / n as f64 },
        avg_actions: if n == 0 {
            0.0
        } else {
            actions as f64 / n as f64
        },
        first_seat_wins: first_w,
        first_seat_score: score(first_w, draws, n),
        first_seat_score_ci95: wilson(score(first_w, draws, n), n),
        factions,
        deck_pairs,
        time_s,
    }
}
