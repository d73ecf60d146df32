//! Card statistics: per (deck, card), the games in which the card was drawn and played, the
//! win rates of those games and the card's impact on its deck's win rate.
//!
//! Like the matchups, an entry holds counts a run measured and fields derived from them by
//! [`CardStats::finish`]; entries of the same (deck, card) from several parts add up in
//! [`card_stats`], so a merge gives exactly the numbers of one run over the union.

use ew_common::stats::{newcombe_diff_z, score, wilson_z};
use serde::{Deserialize, Serialize};

use super::matchup::ratio;
use super::order::deck_key;
use super::tallies::DeckStats;

/// One card of one deck.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardStats {
    pub deck: String,
    /// The deck's faction (a neutral card is counted under each deck that holds it).
    pub faction: String,
    pub card: String,
    /// Copies of the card in the deck.
    pub copies: u64,
    /// Games in which at least one copy left the deck (opening hand included).
    pub drawn_games: u64,
    pub drawn_wins: u64,
    pub drawn_draws: u64,
    /// Games in which at least one copy was played.
    pub played_games: u64,
    pub played_wins: u64,
    pub played_draws: u64,
    /// Copies played, over all games.
    pub plays: u64,
    /// Sum over the plays of the owner's own turn number (1 = the player's first turn).
    pub play_turns: u64,
    /// Derived: `score(played_wins, played_draws, played_games)`.
    #[serde(default)]
    pub played_win_rate: f64,
    /// Derived: Wilson interval of `played_win_rate` over `played_games`.
    #[serde(default)]
    pub played_win_rate_ci95: [f64; 2],
    /// Derived: `score(drawn_wins, drawn_draws, drawn_games)`.
    #[serde(default)]
    pub drawn_win_rate: f64,
    /// Derived: Wilson interval of `drawn_win_rate` over `drawn_games`.
    #[serde(default)]
    pub drawn_win_rate_ci95: [f64; 2],
    /// Derived: `play_turns / plays`.
    #[serde(default)]
    pub avg_play_turn: f64,
    /// Derived: `played_win_rate` minus the deck's win rate.
    #[serde(default)]
    pub impact: f64,
    /// Derived: see [`impact_interval`].
    #[serde(default)]
    pub impact_ci95: [f64; 2],
}

/// What one game adds to a card's counts, and the sums of many games.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardCounts {
    pub drawn_games: u64,
    pub drawn_wins: u64,
    pub drawn_draws: u64,
    pub played_games: u64,
    pub played_wins: u64,
    pub played_draws: u64,
    pub plays: u64,
    pub play_turns: u64,
}

impl CardCounts {
    pub fn add(&mut self, o: &CardCounts) {
        self.drawn_games += o.drawn_games;
        self.drawn_wins += o.drawn_wins;
        self.drawn_draws += o.drawn_draws;
        self.played_games += o.played_games;
        self.played_wins += o.played_wins;
        self.played_draws += o.played_draws;
        self.plays += o.plays;
        self.play_turns += o.play_turns;
    }
}

impl CardStats {
    /// An entry of these counts; the derived fields wait for [`CardStats::finish`].
    pub fn new(deck: &str, faction: &str, card: &str, copies: u64, c: &CardCounts) -> Self {
        CardStats {
            deck: deck.into(),
            faction: faction.into(),
            card: card.into(),
            copies,
            drawn_games: c.drawn_games,
            drawn_wins: c.drawn_wins,
            drawn_draws: c.drawn_draws,
            played_games: c.played_games,
            played_wins: c.played_wins,
            played_draws: c.played_draws,
            plays: c.plays,
            play_turns: c.play_turns,
            played_win_rate: 0.0,
            played_win_rate_ci95: [0.0, 1.0],
            drawn_win_rate: 0.0,
            drawn_win_rate_ci95: [0.0, 1.0],
            avg_play_turn: 0.0,
            impact: 0.0,
            impact_ci95: [-1.0, 1.0],
        }
    }

    pub fn counts(&self) -> CardCounts {
        CardCounts {
            drawn_games: self.drawn_games,
            drawn_wins: self.drawn_wins,
            drawn_draws: self.drawn_draws,
            played_games: self.played_games,
            played_wins: self.played_wins,
            played_draws: self.played_draws,
            plays: self.plays,
            play_turns: self.play_turns,
        }
    }

    fn set_counts(&mut self, c: &CardCounts) {
        self.drawn_games = c.drawn_games;
        self.drawn_wins = c.drawn_wins;
        self.drawn_draws = c.drawn_draws;
        self.played_games = c.played_games;
        self.played_wins = c.played_wins;
        self.played_draws = c.played_draws;
        self.plays = c.plays;
        self.play_turns = c.play_turns;
    }

    /// Recomputes every derived field from the counts and the deck's totals.
    pub fn finish(&mut self, deck: Option<&DeckStats>, z: f64) {
        self.played_win_rate = score(self.played_wins, self.played_draws, self.played_games);
        self.played_win_rate_ci95 = wilson_z(self.played_win_rate, self.played_games, z);
        self.drawn_win_rate = score(self.drawn_wins, self.drawn_draws, self.drawn_games);
        self.drawn_win_rate_ci95 = wilson_z(self.drawn_win_rate, self.drawn_games, z);
        self.avg_play_turn = ratio(self.play_turns, self.plays);
        let (games, wins, draws) = deck.map_or((0, 0, 0), |d| (d.games, d.wins, d.draws));
        let (impact, ci) = impact_interval(self, games, wins, draws, z);
        self.impact = impact;
        self.impact_ci95 = ci;
    }

    /// The first count that contradicts another (or the deck's `games`), as (field, reason).
    pub fn inconsistency(&self, deck_games: u64) -> Option<(&'static str, String)> {
        if self.copies == 0 {
            return Some(("copies", "0".into()));
        }
        if self.drawn_games > deck_games {
            return Some((
                "drawn_games",
                format!("exceeds the deck's games ({deck_games})"),
            ));
        }
        if self.drawn_wins + self.drawn_draws > self.drawn_games {
            return Some((
                "drawn_wins",
                "drawn_wins + drawn_draws > drawn_games".into(),
            ));
        }
        if self.played_wins + self.played_draws > self.played_games {
            return Some((
                "played_wins",
                "played_wins + played_draws > played_games".into(),
            ));
        }
        // A card is played only after it is drawn, so every played game is a drawn game.
        if self.played_games > self.drawn_games
            || self.played_wins > self.drawn_wins
            || self.played_draws > self.drawn_draws
        {
            return Some((
                "played_games",
                "a played count exceeds its drawn count".into(),
            ));
        }
        if self.plays < self.played_games || self.plays > self.copies * self.played_games {
            return Some((
                "plays",
                "not between played_games and copies * played_games".into(),
            ));
        }
        if self.play_turns < self.plays {
            return Some(("play_turns", "less than plays (turns count from 1)".into()));
        }
        None
    }
}

/// The impact of a card and its interval, from the card's counts and its deck's.
///
/// A deck's games split into those where the card was played (`n1` games, score `p1`) and the
/// rest (`n2`, `p2`), disjoint samples. The deck's score is `(n1 p1 + n2 p2) / N`, so the impact
/// `p1 - deck` equals `(n2 / N) (p1 - p2)`: the interval is Newcombe's interval for `p1 - p2`
/// scaled by `n2 / N`. A card played in every game has impact 0 exactly; a card never played
/// has impact 0 and the whole feasible range `[-deck, 1 - deck]` as its interval.
pub fn impact_interval(
    c: &CardStats,
    deck_games: u64,
    deck_wins: u64,
    deck_draws: u64,
    z: f64,
) -> (f64, [f64; 2]) {
    let deck = score(deck_wins, deck_draws, deck_games);
    let n1 = c.played_games;
    if n1 == 0 || deck_games < n1 {
        return (0.0, [-deck, 1.0 - deck]);
    }
    let impact = c.played_win_rate - deck;
    let n2 = deck_games - n1;
    if n2 == 0 {
        return (impact, [impact, impact]);
    }
    let p2 = score(
        deck_wins.saturating_sub(c.played_wins),
        deck_draws.saturating_sub(c.played_draws),
        n2,
    );
    let [lo, hi] = newcombe_diff_z(c.played_win_rate, n1, p2, n2, z);
    let share = n2 as f64 / deck_games as f64;
    (impact, [share * lo, share * hi])
}

/// Sums the entries of each (deck, card), sorts them into canonical deck order then card id
/// bytes, and derives their rates against `decks`.
pub fn card_stats(cards: Vec<CardStats>, decks: &[DeckStats], z: f64) -> Vec<CardStats> {
    let mut cards = cards;
    cards.sort_by(|x, y| {
        (deck_key(&x.faction, &x.deck), x.card.as_bytes())
            .cmp(&(deck_key(&y.faction, &y.deck), y.card.as_bytes()))
    });
    let mut out: Vec<CardStats> = Vec::with_capacity(cards.len());
    for c in cards {
        match out.last_mut() {
            Some(last) if last.deck == c.deck && last.card == c.card => {
                let mut sum = last.counts();
                sum.add(&c.counts());
                last.set_counts(&sum);
            }
            _ => out.push(c),
        }
    }
    for c in &mut out {
        let deck = decks.iter().find(|d| d.deck == c.deck);
        c.finish(deck, z);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ew_common::stats::Z95;

    fn card(played: (u64, u64), drawn: (u64, u64)) -> CardStats {
        let c = CardCounts {
            drawn_games: drawn.0,
            drawn_wins: drawn.1,
            drawn_draws: 0,
            played_games: played.0,
            played_wins: played.1,
            played_draws: 0,
            plays: played.0,
            play_turns: 3 * played.0,
        };
        CardStats::new("d", "argentum", "x", 2, &c)
    }

    #[test]
    fn impact_is_the_scaled_difference_of_disjoint_samples() {
        // Deck 100 games, 50 wins; card played in 40 games, 28 wins (70%): the other 60 games
        // score 22/60. Impact 0.7 - 0.5 = 0.2 = (60/100) (0.7 - 22/60).
        let mut c = card((40, 28), (70, 40));
        c.played_win_rate = score(28, 0, 40);
        let (impact, [lo, hi]) = impact_interval(&c, 100, 50, 0, Z95);
        assert!((impact - 0.2).abs() < 1e-12);
        let [nlo, nhi] = newcombe_diff_z(0.7, 40, 22.0 / 60.0, 60, Z95);
        assert!((lo - 0.6 * nlo).abs() < 1e-12 && (hi - 0.6 * nhi).abs() < 1e-12);
        assert!(lo > 0.0 && lo < impact && impact < hi);
    }

    #[test]
    fn never_and_always_played_cards_have_fixed_impacts() {
        let c = card((0, 0), (10, 4));
        assert_eq!(impact_interval(&c, 20, 5, 0, Z95), (0.0, [-0.25, 0.75]));
        let mut c = card((20, 5), (20, 5));
        c.played_win_rate = 0.25;
        assert_eq!(impact_interval(&c, 20, 5, 0, Z95), (0.0, [0.0, 0.0]));
    }

    #[test]
    fn entries_of_one_card_add_up_and_sort_canonically() {
        let mut a = card((4, 2), (6, 3));
        a.deck = "s1".into();
        a.faction = "symbiote".into();
        let b = card((1, 1), (2, 1));
        let mut c = card((3, 0), (5, 1));
        c.card = "a_card".into();
        let out = card_stats(vec![a.clone(), b.clone(), c, b], &[], Z95);
        let keys: Vec<(&str, &str)> = out
            .iter()
            .map(|c| (c.deck.as_str(), c.card.as_str()))
            .collect();
        assert_eq!(keys, [("d", "a_card"), ("d", "x"), ("s1", "x")]);
        assert_eq!((out[1].played_games, out[1].drawn_wins), (2, 2));
        assert_eq!(out[1].avg_play_turn, 3.0);
        assert_eq!(out[2].counts(), a.counts());
    }

    #[test]
    fn contradicting_counts_are_named() {
        let c = card((4, 2), (6, 3));
        assert_eq!(c.inconsistency(10), None);
        assert_eq!(c.inconsistency(5).unwrap().0, "drawn_games");
        let mut bad = c.clone();
        bad.played_wins = 4;
        assert_eq!(bad.inconsistency(10).unwrap().0, "played_games");
        let mut bad = c.clone();
        bad.plays = 9;
        assert_eq!(bad.inconsistency(10).unwrap().0, "plays");
        let mut bad = c;
        bad.copies = 0;
        assert_eq!(bad.inconsistency(10).unwrap().0, "copies");
    }
}
