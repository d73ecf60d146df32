//! Perft goldens: from the fixed positions of `tests/perft.toml`, the number of legal action
//! sequences of each length from 1 to 4 must match the pinned counts. Any change to what is
//! legal or to what an action does moves them; accept such a change on purpose with
//! `UPDATE_PERFT=1 cargo test -p ew-engine --test perft` (see docs/perft.md).

mod common;

use common::shipped_dir;
use ew_engine::action::ActionBuf;
use ew_engine::bots::Bot;
use ew_engine::data::GameData;
use ew_engine::state::GameState;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerftFile {
    position: Vec<Position>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    name: String,
    first: String,
    second: String,
    seed: u64,
    moves: u32,
    perft: Vec<u64>,
}

const HEADER: &str = "\
# Perft goldens of the engine (docs/perft.md). Each position is a new game of deck `first`
# against deck `second` from `seed`, after `moves` actions of a random player whose stream is
# `seed`; `perft[d - 1]` is the number of legal action sequences of length d from there
# (a sequence that ends the game early does not count). Regenerate only on purpose:
# UPDATE_PERFT=1 cargo test -p ew-engine --test perft
";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/perft.toml")
}

/// Sequences of `depth` legal actions from `s`; the last level is counted, not applied.
fn perft(data: &GameData, s: &GameState, depth: u32) -> u64 {
    match depth {
        0 => 1,
        1 => s.legal_count(data) as u64,
        _ => {
            let mut buf = ActionBuf::new();
            s.legal_actions(data, &mut buf);
            buf.iter()
                .map(|&a| {
                    let mut next = *s;
                    next.apply(data, a);
                    perft(data, &next, depth - 1)
                })
                .sum()
        }
    }
}

fn position(data: &GameData, p: &Position) -> GameState {
    let deck = |id: &str| {
        data.decks
            .iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| panic!("{}: no deck {id}", p.name))
    };
    let mut s = GameState::new(data, deck(&p.first), deck(&p.second), p.seed);
    let mut player = Bot::Random.player(p.seed);
    for _ in 0..p.moves {
        assert!(
            !s.is_terminal(),
            "{}: the game ends before the position",
            p.name
        );
        let a = player.choose(data, &s);
        s.apply(data, a);
    }
    s
}

#[test]
fn perft_counts_match() {
    let data = GameData::load(&shipped_dir()).unwrap();
    let text = std::fs::read_to_string(path()).unwrap();
    let file: PerftFile = toml::from_str(&text).unwrap();
    assert!(
        file.position.len() >= 9,
        "start, mid and late game of each faction"
    );
    let mut out = String::from(HEADER);
    let mut wrong = Vec::new();
    for p in &file.position {
        let s = position(&data, p);
        let got: Vec<u64> = (1..=4).map(|d| perft(&data, &s, d)).collect();
        if got != p.perft {
            wrong.push(format!("{}: pinned {:?}, now {:?}", p.name, p.perft, got));
        }
        out.push_str(&format!(
            "\n[[position]]\nname = \"{}\"\nfirst = \"{}\"\nsecond = \"{}\"\nseed = {}\nmoves = {}\nperft = {:?}\n",
            p.name, p.first, p.second, p.seed, p.moves, got
        ));
    }
    if std::env::var_os("UPDATE_PERFT").is_some() {
        let tmp = path().with_extension("toml.tmp");
        std::fs::write(&tmp, &out).unwrap();
        std::fs::rename(&tmp, path()).unwrap();
        return;
    }
    assert!(
        wrong.is_empty(),
        "perft changed (accept with UPDATE_PERFT=1 cargo test -p ew-engine --test perft):\n{}",
        wrong.join("\n")
    );
}
