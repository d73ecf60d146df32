//! The sums over matchups: per deck, per faction, per faction pair, for the first seat, and
//! the extremes. Every one is a function of the matchup counts alone.

use ew_common::stats::{binomial_two_sided_half, score, wilson_z};
use serde::{Deserialize, Serialize};

use super::matchup::{MatchupResult, ratio};
use super::order::{deck_key, faction_names};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpponentRate {
    pub opponent: String,
    pub faction: String,
    pub win_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeckStats {
    pub deck: String,
    pub faction: String,
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub games_as_first: u64,
    pub wins_as_first: u64,
    pub draws_as_first: u64,
    pub turns: u64,
    pub avg_turns: f64,
    pub win_rate: f64,
    pub win_rate_ci95: [f64; 2],
    pub win_rate_as_first: f64,
    pub best_matchup: Option<OpponentRate>,
    pub worst_matchup: Option<OpponentRate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactionStats {
    pub faction: String,
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub win_rate: f64,
    pub win_rate_ci95: [f64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactionPairStats {
    pub faction_a: String,
    pub faction_b: String,
    pub games: u64,
    pub a_wins: u64,
    pub b_wins: u64,
    pub draws: u64,
    pub a_win_rate: f64,
    pub a_win_rate_ci95: [f64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FirstSeat {
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub win_rate: f64,
    pub ci95: [f64; 2],
    pub p_value: f64,
    pub test: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extremes {
    pub weakest_deck: Option<String>,
    pub strongest_deck: Option<String>,
    pub most_lopsided_matchup: Option<[String; 2]>,
}

/// One deck's view of a matchup.
struct Side<'a> {
    deck: &'a str,
    faction: &'a str,
    opponent: &'a str,
    opponent_faction: &'a str,
    wins: u64,
    losses: u64,
    draws: u64,
    games_as_first: u64,
    wins_as_first: u64,
    draws_as_first: u64,
}

fn sides(m: &MatchupResult) -> [Side<'_>; 2] {
    [
        Side {
            deck: &m.deck_a,
            faction: &m.faction_a,
            opponent: &m.deck_b,
            opponent_faction: &m.faction_b,
            wins: m.a_wins,
            losses: m.b_wins,
            draws: m.draws,
            games_as_first: m.a_games_as_first,
            wins_as_first: m.a_wins_as_first,
            draws_as_first: m.a_draws_as_first,
        },
        Side {
            deck: &m.deck_b,
            faction: &m.faction_b,
            opponent: &m.deck_a,
            opponent_faction: &m.faction_a,
            wins: m.b_wins,
            losses: m.a_wins,
            draws: m.draws,
            games_as_first: m.b_games_as_first,
            wins_as_first: m.b_wins_as_first,
            draws_as_first: m.b_draws_as_first,
        },
    ]
}

/// Every deck that plays a matchup, in canonical deck order.
pub fn deck_stats(matchups: &[MatchupResult], z: f64) -> Vec<DeckStats> {
    let mut decks: Vec<(&str, &str)> = matchups
        .iter()
        .flat_map(|m| {
            [
                (m.faction_a.as_str(), m.deck_a.as_str()),
                (m.faction_b.as_str(), m.deck_b.as_str()),
            ]
        })
        .collect();
    decks.sort_by_key(|(f, d)| deck_key(f, d));
    decks.dedup();
    decks
        .into_iter()
        .map(|(faction, deck)| {
            let mut s = DeckStats {
                deck: deck.to_string(),
                faction: faction.to_string(),
                games: 0,
                wins: 0,
                losses: 0,
                draws: 0,
                games_as_first: 0,
                wins_as_first: 0,
                draws_as_first: 0,
                turns: 0,
                avg_turns: 0.0,
                win_rate: 0.0,
                win_rate_ci95: [0.0, 1.0],
                win_rate_as_first: 0.0,
                best_matchup: None,
                worst_matchup: None,
            };
            // (opponent canonical key, rate) of each matchup, for best and worst.
            let mut rates: Vec<((usize, &[u8]), OpponentRate)> = Vec::new();
            for m in matchups {
                for side in sides(m) {
                    if side.deck != deck {
                        continue;
                    }
                    s.games += m.games;
                    s.wins += side.wins;
                    s.losses += side.losses;
                    s.draws += side.draws;
                    s.games_as_first += side.games_as_first;
                    s.wins_as_first += side.wins_as_first;
                    s.draws_as_first += side.draws_as_first;
                    s.turns += m.turns;
                    rates.push((
                        deck_key(side.opponent_faction, side.opponent),
                        OpponentRate {
                            opponent: side.opponent.to_string(),
                            faction: side.opponent_faction.to_string(),
                            win_rate: score(side.wins, side.draws, m.games),
                        },
                    ));
                }
            }
            s.avg_turns = ratio(s.turns, s.games);
            s.win_rate = score(s.wins, s.draws, s.games);
            s.win_rate_ci95 = wilson_z(s.win_rate, s.games, z);
            s.win_rate_as_first = score(s.wins_as_first, s.draws_as_first, s.games_as_first);
            rates.sort_by(|x, y| x.0.cmp(&y.0));
            s.best_matchup = pick(&rates, |r, best| r > best);
            s.worst_matchup = pick(&rates, |r, worst| r < worst);
            s
        })
        .collect()
}

/// The first entry (in canonical opponent order) that no later entry beats under `better`.
fn pick<K>(rates: &[(K, OpponentRate)], better: impl Fn(f64, f64) -> bool) -> Option<OpponentRate> {
    let mut chosen: Option<&OpponentRate> = None;
    for (_, r) in rates {
        if chosen.is_none_or(|c| better(r.win_rate, c.win_rate)) {
            chosen = Some(r);
        }
    }
    chosen.cloned()
}

/// Every faction that plays a matchup, in faction order.
pub fn faction_stats(matchups: &[MatchupResult], z: f64) -> Vec<FactionStats> {
    faction_names()
        .filter_map(|f| {
            let mut s = FactionStats {
                faction: f.to_string(),
                games: 0,
                wins: 0,
                losses: 0,
                draws: 0,
                win_rate: 0.0,
                win_rate_ci95: [0.0, 1.0],
            };
            for m in matchups {
                for side in sides(m) {
                    if side.faction == f {
                        s.games += m.games;
                        s.wins += side.wins;
                        s.losses += side.losses;
                        s.draws += side.draws;
                    }
                }
            }
            if s.games == 0 {
                return None;
            }
            s.win_rate = score(s.wins, s.draws, s.games);
            s.win_rate_ci95 = wilson_z(s.win_rate, s.games, z);
            Some(s)
        })
        .collect()
}

/// Every faction pair that appears, in canonical order (the matchups are sorted already).
pub fn faction_pair_stats(matchups: &[MatchupResult], z: f64) -> Vec<FactionPairStats> {
    let mut out: Vec<FactionPairStats> = Vec::new();
    for m in matchups {
        let same = out
            .last()
            .is_some_and(|p| p.faction_a == m.faction_a && p.faction_b == m.faction_b);
        if !same {
            out.push(FactionPairStats {
                faction_a: m.faction_a.clone(),
                faction_b: m.faction_b.clone(),
                games: 0,
                a_wins: 0,
                b_wins: 0,
                draws: 0,
                a_win_rate: 0.0,
                a_win_rate_ci95: [0.0, 1.0],
            });
        }
        let p = out.last_mut().expect("pushed above");
        p.games += m.games;
        p.a_wins += m.a_wins;
        p.b_wins += m.b_wins;
        p.draws += m.draws;
    }
    for p in &mut out {
        p.a_win_rate = score(p.a_wins, p.draws, p.games);
        p.a_win_rate_ci95 = wilson_z(p.a_win_rate, p.games, z);
    }
    out
}

/// The first seat over every matchup, with the exact sign test of its decisive games. This
/// is the only place the p-value is computed; every other tool reads it from `results.json`.
pub fn first_seat(matchups: &[MatchupResult], z: f64) -> FirstSeat {
    let games: u64 = matchups.iter().map(|m| m.games).sum();
    let wins: u64 = matchups.iter().map(|m| m.first_seat_wins).sum();
    let decisive: u64 = matchups.iter().map(|m| m.a_wins + m.b_wins).sum();
    let draws: u64 = matchups.iter().map(|m| m.draws).sum();
    let win_rate = score(wins, draws, games);
    FirstSeat {
        games,
        wins,
        losses: decisive - wins,
        draws,
        win_rate,
        ci95: wilson_z(win_rate, games, z),
        p_value: binomial_two_sided_half(wins, decisive),
        test: "exact_binomial_two_sided_decisive_games".into(),
    }
}

pub fn extremes(decks: &[DeckStats], matchups: &[MatchupResult]) -> Extremes {
    let mut weakest: Option<&DeckStats> = None;
    let mut strongest: Option<&DeckStats> = None;
    for d in decks {
        if weakest.is_none_or(|w| d.win_rate < w.win_rate) {
            weakest = Some(d);
        }
        if strongest.is_none_or(|s| d.win_rate > s.win_rate) {
            strongest = Some(d);
        }
    }
    let mut lopsided: Option<&MatchupResult> = None;
    for m in matchups {
        if lopsided.is_none_or(|l| (m.a_win_rate - 0.5).abs() > (l.a_win_rate - 0.5).abs()) {
            lopsided = Some(m);
        }
    }
    Extremes {
        weakest_deck: weakest.map(|d| d.deck.clone()),
        strongest_deck: strongest.map(|d| d.deck.clone()),
        most_lopsided_matchup: lopsided.map(|m| [m.deck_a.clone(), m.deck_b.clone()]),
    }
}
