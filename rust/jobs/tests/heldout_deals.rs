//! The held-out deals never overlap the training deals: for a full-size configuration, every
//! game seed and deck-shuffle seed training could use is enumerated and compared with those of
//! the held-out fitness games and the head-to-head games.

mod common;

use std::collections::HashSet;

use common::data_dir;
use ew_engine::GameData;
use ew_jobs::matchups::all_decks_in_order;
use ew_jobs::tune::fitness::{deals, deck_pairs, training_perm_seed};
use ew_jobs::tune::heldout::{
    allot, default_h2h_games, h2h_deals, h2h_pairs, heldout_deals, heldout_perm_seed,
};

#[test]
fn heldout_seeds_are_disjoint_from_every_training_seed() {
    let data = GameData::load(&data_dir()).unwrap();
    let decks = all_decks_in_order(&data);
    for faction in [None, Some(ew_engine::Faction::PLAYABLE[2])] {
        let pairs = deck_pairs(&decks, faction);
        for seed in [0u64, 42, 7_777] {
            // 200 generations, up to 4,000 games each (a growing schedule never exceeds it),
            // every opponent type.
            let (generations, games) = (200u64, 4000u32);
            let mut train_games = HashSet::new();
            let mut train_perms = HashSet::new();
            for g in 1..=generations {
                for d in deals(seed, g, games, &pairs, &[0, 1, 2]) {
                    train_games.insert(d.seed);
                }
                for t in 0..3 {
                    train_perms.insert(training_perm_seed(seed, g, t));
                }
            }
            assert_eq!(train_games.len() as u64, generations * u64::from(games));
            let counts = allot(20_000, &[0.1, 0.4, 0.5]);
            let held = heldout_deals(seed, &counts, &pairs);
            let h2h_pairs = h2h_pairs(&pairs);
            let h2h = h2h_deals(seed, 10 * default_h2h_games(h2h_pairs.len()), &h2h_pairs);
            let mut seen = HashSet::new();
            for d in held.iter().chain(&h2h) {
                assert!(
                    !train_games.contains(&d.seed),
                    "seed {seed}: game seed reused"
                );
                assert!(
                    !train_perms.contains(&d.seed),
                    "seed {seed}: game seed is a shuffle seed"
                );
                assert!(seen.insert(d.seed), "seed {seed}: a held-out seed repeats");
            }
            for t in 0..3 {
                let p = heldout_perm_seed(seed, t);
                assert!(!train_perms.contains(&p) && !train_games.contains(&p));
            }
            // The head-to-head plays every deck pair of the mode equally in both seats.
            for first in [true, false] {
                let per_pair: HashSet<usize> = h2h_pairs
                    .iter()
                    .map(|p| {
                        h2h.iter()
                            .filter(|d| {
                                (d.candidate_deck, d.opponent_deck) == *p
                                    && d.candidate_first == first
                            })
                            .count()
                    })
                    .collect();
                assert_eq!(per_pair.len(), 1, "uneven head-to-head split");
            }
        }
    }
}
