use ew_engine::bots::Bot;
use ew_engine::data::{GameData, resolve_data_dir};
use ew_engine::game::play_game;
use ew_engine::weights::Weights;
fn main() {
    let dir = resolve_data_dir(None).unwrap();
    let data = GameData::load(&dir).unwrap();
    let w = Weights::load(&dir.join("weights").join("generalist.toml")).unwrap();
    let pairs = data.cross_faction_pairs();
    let mode = std::env::args().nth(1).unwrap();
    if mode == "rand" {
        let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
        let mut t = 0u64;
        for i in 0..n {
            let (x, y) = pairs[i as usize % pairs.len()];
            t += play_game(
                &data,
                x,
                y,
                &Bot::Random,
                &Bot::Random,
                ew_engine::seed::derive(5, i),
            )
            .actions as u64;
        }
        println!("{t}");
        return;
    }
    if mode == "seq" {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut buf = ew_engine::action::ActionBuf::new();
        for i in 0..3000u64 {
            let (x, y) = pairs[i as usize % pairs.len()];
            let mut s = ew_engine::state::GameState::new(&data, x, y, i);
            let mut rng = ew_engine::seed::rng(i, 3);
            while !s.is_terminal() {
                s.legal_actions(&data, &mut buf);
                buf.as_slice().hash(&mut h);
                s.legal_count(&data).hash(&mut h);
                let a = s.random_legal(&data, &mut rng).unwrap();
                a.hash(&mut h);
                format!("{:?}", s).hash(&mut h);
                s.apply(&data, a);
            }
        }
        println!("{:x}", h.finish());
        return;
    }
    let (bots, n): (Vec<(Bot, Bot)>, u64) = match mode.as_str() {
        "rg" => (
            vec![
                (Bot::Random, Bot::Random),
                (Bot::Greedy(w), Bot::Greedy(w)),
                (Bot::Greedy(w), Bot::Random),
            ],
            400,
        ),
        _ => (
            vec![
                (
                    Bot::from_spec(&"mcts:30".parse().unwrap(), &w).unwrap(),
                    Bot::Random,
                ),
                (
                    Bot::from_spec(&"mcts:20".parse().unwrap(), &w).unwrap(),
                    Bot::Greedy(w),
                ),
            ],
            20,
        ),
    };
    for (bi, (a, b)) in bots.iter().enumerate() {
        for i in 0..n {
            let (x, y) = pairs[i as usize % pairs.len()];
            let o = play_game(&data, x, y, a, b, i * 7919 + bi as u64);
            println!(
                "{bi} {i} {:?} {} {} {:?}",
                o.winner, o.turns, o.actions, o.life
            );
        }
    }
}
