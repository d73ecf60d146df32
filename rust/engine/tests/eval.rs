//! The evaluation's terms that depend on whose turn it is: each adds exactly its weight times
//! its count, and nothing at weight 0, so files without an optional weight play as before.

mod common;

use common::Table;
use ew_engine::eval::Evaluator;
use ew_engine::weights::{W, Weights};

/// The score `me` gets from the term of weight `which` alone, at weight 1.
fn term(t: &Table, which: W, me: usize) -> f32 {
    let without = Evaluator::new(&Weights::default());
    let mut w = Weights::default();
    w.values[which as usize] = 1.0;
    let with = Evaluator::new(&w);
    with.position_score(&t.data, &t.s, me) - without.position_score(&t.data, &t.s, me)
}

fn playable_term(t: &Table, me: usize) -> f32 {
    term(t, W::PlayableCards, me)
}

#[test]
fn ready_terms_count_own_creatures_that_may_still_attack_this_turn() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    t.put(0, 2, "t_wall");
    t.put(1, 3, "t_grunt");
    let grunt = t.c(0, 1).attack as f32;
    let wall = t.c(0, 2).attack as f32;
    let ready: Vec<f32> = [grunt, wall].into_iter().filter(|&a| a > 0.0).collect();
    assert_eq!(term(&t, W::ReadyAttack, 0), ready.iter().sum::<f32>());
    assert_eq!(term(&t, W::ReadyCreatures, 0), ready.len() as f32);
    assert_eq!(term(&t, W::ReadyCreatures, 1), 0.0, "only on the own turn");
    // After its attack the grunt no longer counts.
    t.attack(1, ew_engine::action::ENEMY_FACE);
    assert_eq!(
        term(&t, W::ReadyAttack, 0),
        ready.iter().sum::<f32>() - grunt
    );
    // A creature that entered this turn waits (no Rush).
    let h = t.give(0, "t_grunt");
    t.play(h, 4, ew_engine::action::NONE);
    assert_eq!(term(&t, W::ReadyCreatures, 0), ready.len() as f32 - 1.0);
}

#[test]
fn playable_cards_counts_the_hand_cards_affordable_now() {
    let mut t = Table::new();
    t.give(0, "t_grunt");
    t.give(0, "t_wall");
    t.give(0, "t_costly");
    t.s.players[0].essence = 4;
    assert_eq!(
        playable_term(&t, 0),
        2.0,
        "two 1-cost cards fit in 4 essence, the 5-cost not"
    );
    t.s.players[0].essence = 5;
    assert_eq!(playable_term(&t, 0), 3.0);
    t.s.players[0].essence = 0;
    assert_eq!(playable_term(&t, 0), 0.0);
}

#[test]
fn playable_cards_needs_an_action_point_and_the_own_turn() {
    let mut t = Table::new();
    t.give(0, "t_grunt");
    t.give(1, "t_grunt");
    assert_eq!(playable_term(&t, 0), 1.0);
    assert_eq!(
        playable_term(&t, 1),
        0.0,
        "player 1's cards count only on its own turn"
    );
    t.s.players[0].ap = 0;
    assert_eq!(playable_term(&t, 0), 0.0);
}

#[test]
fn playable_cards_defaults_to_zero_and_may_be_left_out_of_a_file() {
    let d = ew_engine::WEIGHT_SPEC[W::PlayableCards as usize];
    assert_eq!(
        (d.name, d.default, d.optional),
        ("playable_cards", 0.0, true)
    );
    let text: String = Weights::default()
        .to_toml_string()
        .lines()
        .filter(|l| !l.starts_with("playable_cards"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = std::env::temp_dir().join(format!("ew-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.toml");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(Weights::load(&path).unwrap(), Weights::default());
    // A weight that is not optional is still required.
    let no_life: String = text
        .lines()
        .filter(|l| !l.starts_with("own_life"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, no_life).unwrap();
    let err = Weights::load(&path).unwrap_err().to_string();
    assert!(err.contains("own_life"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
