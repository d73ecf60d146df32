//! One matchup: the counts its games add up to, and the rates derived from them.

use ew_common::stats::{score, wilson_z};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One finished matchup (both seat orders). The counts are what a run measured; the fields
/// marked derived are recomputed from them by [`MatchupResult::finish`], so a merge never
/// trusts a part's rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MatchupResult {
    pub deck_a: String,
    pub deck_b: String,
    pub faction_a: String,
    pub faction_b: String,
    pub games: u64,
    pub a_wins: u64,
    pub b_wins: u64,
    pub draws: u64,
    pub a_wins_as_first: u64,
    pub b_wins_as_first: u64,
    pub a_games_as_first: u64,
    pub b_games_as_first: u64,
    pub a_draws_as_first: u64,
    pub b_draws_as_first: u64,
    /// Derived: `a_wins_as_first + b_wins_as_first`.
    #[serde(default)]
    pub first_seat_wins: u64,
    pub turns: u64,
    /// Derived: `turns / games`.
    #[serde(default)]
    pub avg_turns: f64,
    /// Derived: `score(a_wins, draws, games)`.
    #[serde(default)]
    pub a_win_rate: f64,
    /// Derived: `wilson(a_win_rate, games, z)`.
    #[serde(default)]
    pub a_win_rate_ci95: [f64; 2],
    #[serde(default)]
    pub time_s: f64,
}

/// The result of one game, from the matchup's point of view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GameRecord {
    /// Deck a moved first.
    pub a_first: bool,
    /// `Some(true)` deck a won, `Some(false)` deck b won, `None` a draw.
    pub a_won: Option<bool>,
    pub turns: u32,
    pub time_s: f64,
}

impl MatchupResult {
    /// The counts of `games`, finished with the interval quantile `z`.
    pub fn from_games(
        deck_a: &str,
        faction_a: &str,
        deck_b: &str,
        faction_b: &str,
        games: &[GameRecord],
        z: f64,
    ) -> Self {
        let mut m = MatchupResult {
            deck_a: deck_a.into(),
            deck_b: deck_b.into(),
            faction_a: faction_a.into(),
            faction_b: faction_b.into(),
            games: games.len() as u64,
            a_wins: 0,
            b_wins: 0,
            draws: 0,
            a_wins_as_first: 0,
            b_wins_as_first: 0,
            a_games_as_first: 0,
            b_games_as_first: 0,
            a_draws_as_first: 0,
            b_draws_as_first: 0,
            first_seat_wins: 0,
            turns: 0,
            avg_turns: 0.0,
            a_win_rate: 0.0,
            a_win_rate_ci95: [0.0, 1.0],
            time_s: 0.0,
        };
        for g in games {
            if g.a_first {
                m.a_games_as_first += 1;
            } else {
                m.b_games_as_first += 1;
            }
            match (g.a_won, g.a_first) {
                (Some(true), first) => {
                    m.a_wins += 1;
                    m.a_wins_as_first += u64::from(first);
                }
                (Some(false), first) => {
                    m.b_wins += 1;
                    m.b_wins_as_first += u64::from(!first);
                }
                (None, true) => {
                    m.draws += 1;
                    m.a_draws_as_first += 1;
                }
                (None, false) => {
                    m.draws += 1;
                    m.b_draws_as_first += 1;
                }
            }
            m.turns += u64::from(g.turns);
            m.time_s += g.time_s;
        }
        m.finish(z);
        m
    }

    /// Recomputes every derived field from the counts.
    pub fn finish(&mut self, z: f64) {
        self.first_seat_wins = self.a_wins_as_first + self.b_wins_as_first;
        self.avg_turns = ratio(self.turns, self.games);
        self.a_win_rate = score(self.a_wins, self.draws, self.games);
        self.a_win_rate_ci95 = wilson_z(self.a_win_rate, self.games, z);
    }

    /// The first count that contradicts another, as (field, reason): a part that fails this
    /// cannot be merged.
    pub fn inconsistency(&self) -> Option<(&'static str, String)> {
        let g = self.games;
        if self.a_wins + self.b_wins + self.draws != g {
            return Some(("games", format!("a_wins + b_wins + draws != games ({g})")));
        }
        if self.a_games_as_first + self.b_games_as_first != g {
            return Some((
                "a_games_as_first",
                format!("a_games_as_first + b_games_as_first != games ({g})"),
            ));
        }
        if self.a_draws_as_first + self.b_draws_as_first != self.draws {
            return Some((
                "a_draws_as_first",
                "a_draws_as_first + b_draws_as_first != draws".into(),
            ));
        }
        if self.a_wins_as_first > self.a_wins || self.a_wins_as_first > self.a_games_as_first {
            return Some((
                "a_wins_as_first",
                "exceeds a_wins or a_games_as_first".into(),
            ));
        }
        if self.b_wins_as_first > self.b_wins || self.b_wins_as_first > self.b_games_as_first {
            return Some((
                "b_wins_as_first",
                "exceeds b_wins or b_games_as_first".into(),
            ));
        }
        if !(self.time_s.is_finite() && self.time_s >= 0.0) {
            return Some(("time_s", "not a finite number >= 0".into()));
        }
        None
    }
}

pub(crate) fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ew_common::stats::Z95;

    fn rec(a_first: bool, a_won: Option<bool>) -> GameRecord {
        GameRecord {
            a_first,
            a_won,
            turns: 10,
            time_s: 0.001,
        }
    }

    #[test]
    fn matchup_counts_add_up() {
        let games = [
            rec(true, Some(true)),
            rec(true, None),
            rec(false, Some(true)),
            rec(false, Some(false)),
        ];
        let m = MatchupResult::from_games("x", "argentum", "y", "symbiote", &games, Z95);
        assert_eq!((m.a_wins, m.b_wins, m.draws), (2, 1, 1));
        assert_eq!((m.a_wins_as_first, m.b_wins_as_first), (1, 1));
        assert_eq!(m.first_seat_wins, 2);
        assert_eq!((m.a_draws_as_first, m.b_draws_as_first), (1, 0));
        assert_eq!(m.a_win_rate, 2.5 / 4.0);
        assert_eq!(m.avg_turns, 10.0);
        assert_eq!(m.inconsistency(), None);
    }

    #[test]
    fn the_interval_follows_z() {
        let games = [rec(true, Some(true)), rec(false, Some(false))];
        let narrow = MatchupResult::from_games("x", "argentum", "y", "symbiote", &games, 1.0);
        let wide = MatchupResult::from_games("x", "argentum", "y", "symbiote", &games, 3.0);
        assert_eq!(narrow.a_win_rate_ci95, wilson_z(0.5, 2, 1.0));
        assert!(wide.a_win_rate_ci95[0] < narrow.a_win_rate_ci95[0]);
    }

    #[test]
    fn contradicting_counts_are_named() {
        let games = [rec(true, Some(true)), rec(false, None)];
        let mut m = MatchupResult::from_games("x", "argentum", "y", "symbiote", &games, Z95);
        m.a_wins += 1;
        assert_eq!(m.inconsistency().unwrap().0, "games");
        m.a_wins -= 1;
        m.b_draws_as_first = 0;
        m.a_draws_as_first = 1;
        assert_eq!(m.inconsistency(), None);
        m.a_wins_as_first = 2;
        assert_eq!(m.inconsistency().unwrap().0, "a_wins_as_first");
    }
}
