//! Seeded games stay identical: digests of 1,240 whole games (random, greedy, greedy against
//! random, MCTS against greedy) and of 3,000 random playouts (every position, legal list and
//! pick) are pinned. A speed change must leave them untouched; a rule change moves them and
//! has to update them here on purpose, together with `perft.toml`.

mod common;

use common::shipped_dir;
use ew_engine::action::{Action, ActionBuf};
use ew_engine::bots::{Bot, MctsParams};
use ew_engine::data::GameData;
use ew_engine::game::{GameOutcome, play_game};
use ew_engine::state::{GameState, Status};
use ew_engine::weights::Weights;

/// FNV-1a over bytes: stable across Rust versions, unlike the std hasher.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn n(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// The rules-visible fields of a position (never derived data the engine keeps for speed).
fn hash_state(h: &mut Fnv, s: &GameState) {
    for p in &s.players {
        for v in [
            p.life as i64,
            p.essence as i64,
            p.max_essence as i64,
            p.ap as i64,
        ] {
            h.n(v);
        }
        h.bytes(p.hand());
        h.bytes(&p.deck[..p.deck_len as usize]);
        h.n(p.deck_pos as i64);
        for c in &p.lanes {
            h.bytes(&[c.card, c.attack as u8, c.health as u8, c.max_health as u8]);
            h.bytes(&c.keywords.0.to_le_bytes());
            h.bytes(&[c.attacks, c.fresh as u8]);
        }
        for sp in &p.supports {
            h.bytes(&[sp.card, sp.turns_left]);
        }
    }
    h.n(s.active as i64);
    h.n(s.turn as i64);
    h.n(match s.status {
        Status::Ongoing => 0,
        Status::Won(seat) => 1 + seat.index() as i64,
        Status::Draw => 3,
    });
}

fn hash_action(h: &mut Fnv, a: Action) {
    match a {
        Action::EndTurn => h.bytes(&[0]),
        Action::Play { hand, lane, target } => h.bytes(&[1, hand, lane, target]),
        Action::Attack { lane, target } => h.bytes(&[2, lane, target]),
    }
}

fn hash_outcome(h: &mut Fnv, o: &GameOutcome) {
    h.n(o.winner.map_or(-1, |s| s.index() as i64));
    h.n(o.turns as i64);
    h.n(o.actions as i64);
    h.n(o.life[0] as i64);
    h.n(o.life[1] as i64);
}

fn data() -> GameData {
    GameData::load(&shipped_dir()).unwrap()
}

/// `games` games of `a` against `b` over every cross-faction pair, seats and decks swapped
/// every second round.
fn series_digest(data: &GameData, a: &Bot, b: &Bot, games: u64, salt: u64) -> u64 {
    let pairs = data.cross_faction_pairs();
    let mut h = Fnv::new();
    for i in 0..games {
        let (x, y) = pairs[i as usize % pairs.len()];
        let (x, y) = if (i as usize / pairs.len()).is_multiple_of(2) {
            (x, y)
        } else {
            (y, x)
        };
        let seed = salt.wrapping_mul(1_000_003) + i;
        let o = if i.is_multiple_of(2) {
            play_game(data, x, y, a, b, seed)
        } else {
            play_game(data, x, y, b, a, seed)
        };
        hash_outcome(&mut h, &o);
    }
    h.0
}

#[test]
fn seeded_games_unchanged() {
    let data = data();
    let w = Weights::default();
    let greedy = Bot::Greedy(w);
    let mcts = Bot::Mcts(
        w,
        MctsParams {
            sims: 12,
            ..MctsParams::default()
        },
    );
    let got = [
        series_digest(&data, &Bot::Random, &Bot::Random, 400, 1),
        series_digest(&data, &greedy, &greedy, 400, 2),
        series_digest(&data, &greedy, &Bot::Random, 400, 3),
        series_digest(&data, &mcts, &greedy, 40, 4),
    ];
    let got: Vec<String> = got.iter().map(|d| format!("{d:016x}")).collect();
    assert_eq!(got, GAMES_DIGESTS, "seeded game outcomes changed");
}

#[test]
fn random_playouts_unchanged() {
    let data = data();
    let n = data.decks.len();
    let mut h = Fnv::new();
    let mut buf = ActionBuf::new();
    for i in 0..3000u64 {
        let (a, b) = (i as usize % n, (i as usize * 7 + 3) % n);
        let mut s = GameState::new(&data, &data.decks[a], &data.decks[b], i);
        let mut player = Bot::Random.player(i ^ 0x5eed);
        while !s.is_terminal() {
            hash_state(&mut h, &s);
            s.legal_actions(&data, &mut buf);
            for &a in buf.iter() {
                hash_action(&mut h, a);
            }
            let pick = player.choose(&data, &s);
            hash_action(&mut h, pick);
            s.apply(&data, pick);
        }
        hash_state(&mut h, &s);
    }
    assert_eq!(
        format!("{:016x}", h.0),
        PLAYOUTS_DIGEST,
        "random playouts changed"
    );
}

/// Random, greedy, greedy-vs-random (400 games each) and MCTS-vs-greedy (40 games).
const GAMES_DIGESTS: [&str; 4] = [
    "6b8e3224db613e9a",
    "76f7f985a98d900f",
    "fd69d09a0b5601b5",
    "05cc1f77f1234a4a",
];
const PLAYOUTS_DIGEST: &str = "fd5cd089d20c6262";
