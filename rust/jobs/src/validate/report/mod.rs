//! `results.json` of a validation, built from the matchup counts alone, and `summary.txt`.
//!
//! Every formula and ordering here is specified in `docs/validate.md`. A full run and
//! `validate merge` both build their report with [`Results::build`], so partial runs merge
//! into exactly the report one run over their union writes.

pub mod cards;
pub mod matchup;
pub mod order;
pub mod summary;
pub mod tallies;
pub mod verdict;

use serde::{Deserialize, Serialize};

pub use cards::{CardCounts, CardStats};
pub use matchup::{GameRecord, MatchupResult};
pub use summary::{bot_label, summary_text};
pub use tallies::{DeckStats, Extremes, FactionPairStats, FactionStats, FirstSeat, OpponentRate};
pub use verdict::{Thresholds, Verdict, Warning};

/// The version of the `results.json` layout.
pub const VERSION: u32 = 1;

/// The whole `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub version: u32,
    pub config: serde_json::Value,
    pub matchups: Vec<MatchupResult>,
    pub decks: Vec<DeckStats>,
    pub factions: Vec<FactionStats>,
    pub faction_pairs: Vec<FactionPairStats>,
    pub first_seat: FirstSeat,
    pub verdict: Verdict,
    pub thresholds: Thresholds,
    pub warnings: Vec<Warning>,
    pub extremes: Extremes,
    /// Per (deck, card); empty in a report merged from parts that predate card statistics.
    pub cards: Vec<CardStats>,
    pub games: u64,
    pub time_s: f64,
}

impl Results {
    /// Builds every section from the matchup and card counts: the matchups are sorted into
    /// canonical order, the card entries of one (deck, card) summed, and every derived field
    /// recomputed with `thresholds.z`.
    pub fn build(
        config: serde_json::Value,
        mut matchups: Vec<MatchupResult>,
        cards: Vec<CardStats>,
        thresholds: Thresholds,
        time_s: f64,
    ) -> Results {
        let z = thresholds.z;
        matchups.sort_by(|x, y| order::matchup_key(x).cmp(&order::matchup_key(y)));
        for m in &mut matchups {
            m.finish(z);
        }
        let decks = tallies::deck_stats(&matchups, z);
        let factions = tallies::faction_stats(&matchups, z);
        let faction_pairs = tallies::faction_pair_stats(&matchups, z);
        let first_seat = tallies::first_seat(&matchups, z);
        let warnings = verdict::warnings(&thresholds, &first_seat, &factions, &decks, &matchups);
        let extremes = tallies::extremes(&decks, &matchups);
        let cards = cards::card_stats(cards, &decks, z);
        let games = matchups.iter().map(|m| m.games).sum();
        Results {
            version: VERSION,
            config,
            verdict: verdict::verdict(&warnings),
            matchups,
            decks,
            factions,
            faction_pairs,
            first_seat,
            thresholds,
            warnings,
            extremes,
            cards,
            games,
            time_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ew_common::stats::Z95;

    fn matchup(
        a: &str,
        fa: &str,
        b: &str,
        fb: &str,
        a_wins: usize,
        b_wins: usize,
        draws: usize,
    ) -> MatchupResult {
        // Alternate seats so both decks move first about equally.
        let outcomes = std::iter::repeat_n(Some(true), a_wins)
            .chain(std::iter::repeat_n(Some(false), b_wins))
            .chain(std::iter::repeat_n(None, draws));
        let games: Vec<GameRecord> = outcomes
            .enumerate()
            .map(|(i, a_won)| GameRecord {
                a_first: i % 2 == 0,
                a_won,
                turns: 10,
                time_s: 0.001,
            })
            .collect();
        MatchupResult::from_games(a, fa, b, fb, &games, Z95)
    }

    #[test]
    fn summaries_follow_canonical_order_and_sums() {
        let ms = vec![
            matchup("s1", "symbiote", "o1", "obsidion", 10, 10, 0),
            matchup("a2", "argentum", "s1", "symbiote", 30, 10, 0),
            matchup("a1", "argentum", "s1", "symbiote", 20, 20, 0),
        ];
        let r = Results::build(
            serde_json::Value::Null,
            ms,
            Vec::new(),
            Thresholds::default(),
            1.0,
        );
        let order: Vec<(&str, &str)> = r
            .matchups
            .iter()
            .map(|m| (m.deck_a.as_str(), m.deck_b.as_str()))
            .collect();
        assert_eq!(order, [("a1", "s1"), ("a2", "s1"), ("s1", "o1")]);
        let decks: Vec<&str> = r.decks.iter().map(|d| d.deck.as_str()).collect();
        assert_eq!(decks, ["a1", "a2", "s1", "o1"]);
        let s1 = &r.decks[2];
        assert_eq!((s1.games, s1.wins, s1.losses), (100, 40, 60));
        assert_eq!(s1.best_matchup.as_ref().unwrap().opponent, "a1"); // 0.5, ties to a1 before o1
        assert_eq!(s1.worst_matchup.as_ref().unwrap().opponent, "a2");
        let fac: Vec<(&str, u64)> = r
            .factions
            .iter()
            .map(|f| (f.faction.as_str(), f.games))
            .collect();
        assert_eq!(fac, [("argentum", 80), ("symbiote", 100), ("obsidion", 20)]);
        assert_eq!(r.faction_pairs.len(), 2);
        assert_eq!(r.games, 100);
        assert_eq!(r.first_seat.games, 100);
    }

    #[test]
    fn verdict_needs_significance_and_distance() {
        // 30-10 over 40 games: 75%, interval above 0.5 -> flagged, but inside the matchup
        // imbalanced band edge (not > 0.75), so a warning.
        let ms = vec![matchup("a1", "argentum", "s1", "symbiote", 30, 10, 0)];
        let r = Results::build(
            serde_json::Value::Null,
            ms,
            Vec::new(),
            Thresholds::default(),
            0.0,
        );
        let kinds: Vec<(&str, Verdict)> = r
            .warnings
            .iter()
            .map(|w| (w.kind.as_str(), w.level))
            .collect();
        assert!(kinds.contains(&("matchup", Verdict::Warning)), "{kinds:?}");
        assert!(kinds.contains(&("deck", Verdict::Imbalanced)), "{kinds:?}");
        assert_eq!(r.verdict, Verdict::Imbalanced);
        assert_eq!(r.warnings[0].kind, "faction");

        // 4-1: far from 0.5 but within noise -> nothing flagged.
        let ms = vec![matchup("a1", "argentum", "s1", "symbiote", 4, 1, 0)];
        let r = Results::build(
            serde_json::Value::Null,
            ms,
            Vec::new(),
            Thresholds::default(),
            0.0,
        );
        assert!(r.warnings.is_empty());
        assert_eq!(r.verdict, Verdict::Balanced);
    }

    #[test]
    fn every_reported_interval_uses_thresholds_z() {
        let ms = vec![matchup("a1", "argentum", "s1", "symbiote", 30, 10, 0)];
        let wide = Thresholds {
            z: 3.0,
            ..Thresholds::default()
        };
        // a1 played 40 games; its card was drawn in 30 and played in 20 of them.
        let counts = CardCounts {
            drawn_games: 30,
            drawn_wins: 24,
            played_games: 20,
            played_wins: 17,
            plays: 25,
            play_turns: 100,
            ..CardCounts::default()
        };
        let cards = vec![CardStats::new("a1", "argentum", "c", 2, &counts)];
        let a = Results::build(
            serde_json::Value::Null,
            ms.clone(),
            cards.clone(),
            Thresholds::default(),
            0.0,
        );
        let b = Results::build(serde_json::Value::Null, ms, cards, wide, 0.0);
        let width = |c: [f64; 2]| c[1] - c[0];
        for (x, y) in [
            (a.matchups[0].a_win_rate_ci95, b.matchups[0].a_win_rate_ci95),
            (a.decks[0].win_rate_ci95, b.decks[0].win_rate_ci95),
            (a.factions[0].win_rate_ci95, b.factions[0].win_rate_ci95),
            (
                a.faction_pairs[0].a_win_rate_ci95,
                b.faction_pairs[0].a_win_rate_ci95,
            ),
            (a.first_seat.ci95, b.first_seat.ci95),
            (
                a.cards[0].drawn_win_rate_ci95,
                b.cards[0].drawn_win_rate_ci95,
            ),
            (
                a.cards[0].played_win_rate_ci95,
                b.cards[0].played_win_rate_ci95,
            ),
            (a.cards[0].impact_ci95, b.cards[0].impact_ci95),
        ] {
            assert!(width(y) > width(x), "{x:?} {y:?}");
        }
    }

    #[test]
    fn any_order_of_the_matchups_gives_the_same_report() {
        let all = vec![
            matchup("a1", "argentum", "s1", "symbiote", 12, 8, 2),
            matchup("a1", "argentum", "o1", "obsidion", 5, 15, 0),
            matchup("s1", "symbiote", "o1", "obsidion", 9, 9, 4),
        ];
        let whole = Results::build(
            serde_json::Value::Null,
            all.clone(),
            Vec::new(),
            Thresholds::default(),
            0.0,
        );
        let shuffled = vec![all[2].clone(), all[0].clone(), all[1].clone()];
        let again = Results::build(
            serde_json::Value::Null,
            shuffled,
            Vec::new(),
            Thresholds::default(),
            0.0,
        );
        assert_eq!(whole, again);
        let text = serde_json::to_string(&whole).unwrap();
        let back: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(back, whole);
    }

    #[test]
    fn summary_text_has_every_section() {
        let ms = vec![
            matchup("a1", "argentum", "s1", "symbiote", 30, 10, 0),
            matchup("a1", "argentum", "s2", "symbiote", 20, 20, 0),
        ];
        let r = Results::build(
            serde_json::json!({"games": 20, "seed": 1, "bot": "mcts", "mcts_sims": 7}),
            ms,
            Vec::new(),
            Thresholds::default(),
            2.0,
        );
        let s = summary_text(&r);
        for needle in [
            "bot mcts:7 · 20 games per seat order · seed 1 · 2 matchups · 80 games · 2.0 s",
            "verdict: IMBALANCED",
            "Factions",
            "First seat",
            "Decks (best first)",
            "argentum vs symbiote",
            "Warnings",
            "75.0%",
        ] {
            assert!(s.contains(needle), "missing {needle}:\n{s}");
        }
    }
}
