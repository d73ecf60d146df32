//! Random and greedy playouts from many seeds keep the state invariants and list the same legal
//! actions from the incrementally kept lane and hand sets as from recomputed ones (listing,
//! counting, indexing and the random draw agree); games are
//! deterministic in their seed whatever thread plays them.

mod common;

use common::shipped_dir;
use ew_engine::action::ActionBuf;
use ew_engine::arena::run_arena;
use ew_engine::bots::{Bot, MctsParams};
use ew_engine::data::GameData;
use ew_engine::game::play_game;
use ew_engine::seed;
use ew_engine::state::GameState;
use ew_engine::weights::Weights;
use proptest::prelude::*;
use std::sync::OnceLock;

fn data() -> &'static GameData {
    static DATA: OnceLock<GameData> = OnceLock::new();
    DATA.get_or_init(|| GameData::load(&shipped_dir()).unwrap())
}

fn check_invariants(data: &GameData, s: &GameState) {
    let r = &data.rules;
    assert!(s.turn <= r.turn_limit, "turn {}", s.turn);
    for p in &s.players {
        assert!(p.life <= r.starting_life, "life {}", p.life);
        assert!(p.lanes.iter().filter(|c| !c.is_empty()).count() <= r.lanes as usize);
        assert!(p.lanes[r.lanes as usize..].iter().all(|c| c.is_empty()));
        assert!(p.essence <= p.max_essence && p.max_essence <= r.essence_cap);
        assert!(p.ap <= r.action_points);
        assert!(p.hand_len <= r.max_hand);
        assert!(p.deck_pos <= p.deck_len);
        for c in p.lanes.iter().filter(|c| c.is_empty()) {
            assert_eq!(
                *c,
                ew_engine::state::Creature::EMPTY,
                "empty lanes are blank"
            );
        }
        for c in p.lanes.iter().filter(|c| !c.is_empty()) {
            assert!(c.health > 0 && c.health <= c.max_health, "{c:?}");
            assert!(c.attack >= 0);
        }
    }
}

/// Plays a whole game with `bot` on both sides, checking every position.
fn checked_playout(bot: &Bot, seed: u64, deck_a: usize, deck_b: usize) -> u32 {
    let data = data();
    let mut s = GameState::new(data, &data.decks[deck_a], &data.decks[deck_b], seed);
    let mut players = [bot.player(seed), bot.player(seed ^ 1)];
    let mut buf = ActionBuf::new();
    let mut fresh = ActionBuf::new();
    let mut draws = seed::rng(seed, 99);
    let mut actions = 0;
    while !s.is_terminal() {
        check_invariants(data, &s);
        s.legal_actions(data, &mut buf);
        assert!(!buf.is_empty(), "an ongoing game always has an action");
        assert_eq!(s.legal_count(data), buf.len());
        for (k, a) in buf.iter().enumerate() {
            assert_eq!(s.nth_legal(data, k), Some(*a), "nth_legal({k})");
        }
        assert_eq!(s.nth_legal(data, buf.len()), None);
        // The random bot's two-pass draw maps one draw in 0..count like nth_legal.
        let mut a = draws.clone();
        let mut b = draws.clone();
        let drawn = s.random_legal(data, &mut a);
        assert_eq!(drawn, s.nth_legal(data, seed::below(&mut b, buf.len())));
        seed::below(&mut draws, 7);
        // The kept lane and hand sets against a recomputation, and the listing they give
        // against the listing from recomputed sets.
        assert!(s.sets_current(data), "kept sets are stale");
        let mut scratch = s;
        scratch.refresh(data);
        scratch.legal_actions(data, &mut fresh);
        assert_eq!(buf.as_slice(), fresh.as_slice(), "incremental vs scratch");
        let a = players[s.active as usize].choose(data, &s);
        assert!(buf.contains(&a), "bot chose illegal {a}");
        s.apply(data, a);
        actions += 1;
        assert!(actions < 5000, "game does not end");
    }
    check_invariants(data, &s);
    actions
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_playouts_keep_invariants(seed in any::<u64>(), a in 0usize..11, b in 0usize..11) {
        checked_playout(&Bot::Random, seed, a, b);
    }

    #[test]
    fn greedy_playouts_keep_invariants(seed in any::<u64>(), a in 0usize..11, b in 0usize..11) {
        checked_playout(&Bot::Greedy(Weights::default()), seed, a, b);
    }
}

#[test]
fn mcts_playout_keeps_invariants() {
    let bot = Bot::Mcts(
        Weights::default(),
        MctsParams {
            sims: 20,
            ..MctsParams::default()
        },
    );
    checked_playout(&bot, 5, 0, 6);
}

#[test]
fn same_seed_same_game() {
    let data = data();
    let w = Weights::default();
    let mcts = Bot::Mcts(
        w,
        MctsParams {
            sims: 30,
            ..MctsParams::default()
        },
    );
    let greedy = Bot::Greedy(w);
    let (a, b) = (&data.decks[1], &data.decks[9]);
    let one = play_game(data, a, b, &mcts, &greedy, 77);
    let from_thread = std::thread::spawn(move || {
        let data = self::data();
        play_game(data, &data.decks[1], &data.decks[9], &mcts, &greedy, 77)
    })
    .join()
    .unwrap();
    assert_eq!(one, from_thread);
    let outcomes: Vec<_> = (0..8)
        .map(|s| play_game(data, a, b, &Bot::Random, &Bot::Random, s))
        .collect();
    assert!(outcomes.windows(2).any(|w| w[0] != w[1]), "seeds matter");
}

#[test]
fn arena_report_independent_of_thread_count() {
    let data = data();
    let pairs = data.cross_faction_pairs();
    let (a, b) = (Bot::Greedy(Weights::default()), Bot::Random);
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut r = pool.install(|| run_arena(data, &a, &b, ("a", "b"), &pairs, true, 96, 5));
        r.time_s = 0.0;
        r
    };
    assert_eq!(run(1), run(2));
}
