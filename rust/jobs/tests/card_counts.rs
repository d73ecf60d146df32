//! Card statistics on tiny fixed games: the counts `validate` gathers agree with an independent
//! count of the same games, and a seeded run's counts are pinned.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use ew_engine::action::Action;
use ew_engine::bots::{Bot, BotSpec};
use ew_engine::{GameData, GameObserver, GameState, Weights, play_observed};
use ew_jobs::validate::card_tally::{DeckCards, GameCards, MatchupCards};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_validate");

/// The engine's rule-test cards with 20-card decks, so a game draws some cards and not others.
fn tiny_data(dir: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/data");
    copy_dir(&fixture.join("cards"), &dir.join("cards"));
    copy_dir(&fixture.join("weights"), &dir.join("weights"));
    let rules = std::fs::read_to_string(fixture.join("rules.toml"))
        .unwrap()
        .replace("deck_size = 10", "deck_size = 20")
        .replace("starting_hand = 4", "starting_hand = 3")
        .replace("second_seat_extra_cards = 2", "second_seat_extra_cards = 1");
    std::fs::write(dir.join("rules.toml"), rules).unwrap();
    let decks: [(&str, &str, &str); 3] = [
        (
            "argentum",
            "arg_tiny",
            "f_argentum = 3\nt_wall = 3\nt_guard = 3\nt_costly = 3\nt_mend = 2\nt_draw2 = 2\nt_big = 2\nt_totem = 2\n",
        ),
        (
            "symbiote",
            "sym_tiny",
            "f_symbiote = 3\nt_rush = 3\nt_regen = 3\nt_frenzy = 3\nt_grow = 2\nt_swarm = 2\nt_costly = 2\nt_lifesteal = 2\n",
        ),
        (
            "obsidion",
            "obs_tiny",
            "f_obsidion = 3\nt_lethal = 3\nt_stealth = 3\nt_volatile = 3\nt_bolt = 2\nt_drain = 2\nt_costly = 2\nt_pierce = 2\n",
        ),
    ];
    for (faction, id, cards) in decks {
        let d = dir.join("decks").join(faction);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join(format!("{id}.toml")),
            format!("name = \"{id}\"\nplaystyle = \"fixture\"\n\n[cards]\n{cards}"),
        )
        .unwrap();
    }
}

/// Counts a game its own way, beside the observer `validate` uses.
struct Check<'a> {
    cards: GameCards<'a>,
    /// Per seat: names of the cards played, one entry per play, with the own turn.
    plays: [Vec<(String, u64)>; 2],
    /// Per seat: names of the cards seen in its hand.
    drawn: [BTreeSet<String>; 2],
    data: &'a GameData,
}

impl Check<'_> {
    /// A drawn card waits in its hand until played, so every hand seen adds to the drawn set
    /// (a card burned by a full hand would escape this count; these games never fill a hand).
    fn see_hands(&mut self, state: &GameState) {
        for p in 0..2 {
            for &c in state.players[p].hand() {
                self.drawn[p].insert(self.data.cards[c].id.clone());
            }
        }
    }
}

impl GameObserver for Check<'_> {
    fn action(&mut self, state: &GameState, action: Action) {
        self.see_hands(state);
        if let Action::Play { hand, .. } = action {
            let p = state.active as usize;
            let card = state.players[p].hand()[hand as usize];
            let own_turn = if p == 0 {
                state.turn.div_ceil(2)
            } else {
                state.turn / 2
            };
            self.plays[p].push((self.data.cards[card].id.clone(), u64::from(own_turn)));
        }
        self.cards.action(state, action);
    }

    fn end(&mut self, state: &GameState) {
        self.see_hands(state);
        self.cards.end(state);
    }
}

#[test]
fn card_counts_match_an_independent_count_of_the_same_games() {
    let s = Scratch::new("cards-tiny");
    tiny_data(s.path());
    let data = GameData::load(s.path()).unwrap();
    let weights = Weights::load(&s.path().join("weights/generalist.toml")).unwrap();
    let bot = Bot::from_spec(&BotSpec::Greedy, &weights).unwrap();
    let (a, b) = (&data.decks[0], &data.decks[1]);
    let (da, db) = (DeckCards::new(a, &data), DeckCards::new(b, &data));
    let mut tally = MatchupCards::new(&da, &db);
    // Per deck (a, b): per card name, (drawn games, drawn wins, played games, plays, turns).
    let mut expect: [std::collections::BTreeMap<String, [u64; 5]>; 2] = Default::default();
    let mut wins = [0u64; 2];
    let games = 6u64;
    for g in 0..games {
        let a_first = g % 2 == 0;
        let (first, second, df, ds) = if a_first {
            (a, b, &da, &db)
        } else {
            (b, a, &db, &da)
        };
        let mut check = Check {
            cards: GameCards::new(df, ds),
            plays: Default::default(),
            drawn: Default::default(),
            data: &data,
        };
        let out = play_observed(&data, first, second, &bot, &bot, 40 + g, &mut check);
        tally.add_game(&check.cards, a_first, out.winner);
        for seat in 0..2 {
            let side = if a_first { seat } else { 1 - seat };
            let won = u64::from(out.winner.is_some_and(|w| w.index() == seat));
            wins[side] += won;
            let e = &mut expect[side];
            for name in &check.drawn[seat] {
                let c = e.entry(name.clone()).or_default();
                c[0] += 1;
                c[1] += won;
            }
            let played: BTreeSet<&String> = check.plays[seat].iter().map(|(n, _)| n).collect();
            assert!(
                played.iter().all(|n| check.drawn[seat].contains(*n)),
                "a card was played without being drawn"
            );
            for name in played {
                e.entry(name.clone()).or_default()[2] += 1;
            }
            for (name, turn) in &check.plays[seat] {
                let c = e.entry(name.clone()).or_default();
                c[3] += 1;
                c[4] += turn;
            }
        }
    }
    let stats = tally.stats(&da, &db);
    assert_eq!(stats.len(), 16, "two decks of 8 distinct cards");
    let mut drawn_not_played = 0;
    for c in &stats {
        let side = usize::from(c.deck == b.id);
        let e = expect[side].get(&c.card).copied().unwrap_or_default();
        assert_eq!(
            [
                c.drawn_games,
                c.drawn_wins,
                c.played_games,
                c.plays,
                c.play_turns
            ],
            e,
            "{} of {}",
            c.card,
            c.deck
        );
        assert!(c.played_games <= c.drawn_games && c.drawn_games <= games);
        assert!(c.drawn_wins <= wins[side] && c.played_wins <= c.drawn_wins);
        assert_eq!(c.drawn_draws + c.played_draws, 0, "greedy games here end");
        drawn_not_played += c.drawn_games - c.played_games;
    }
    // The test means something only if some drawn cards stay in hand.
    assert!(drawn_not_played > 0);
    // Both decks drew every game; the deck sizes bound the cards counted.
    for (side, deck) in [(0, &da), (1, &db)] {
        let mine: Vec<_> = stats.iter().filter(|c| c.deck == deck.deck).collect();
        assert_eq!(mine.iter().map(|c| c.copies).sum::<u64>(), 20);
        let drawn: u64 = mine.iter().map(|c| c.drawn_games).sum();
        assert!(drawn >= games * 3 && drawn <= games * 8, "{side}: {drawn}");
    }
}

/// (deck, card, copies, drawn_games, drawn_wins, played_games, played_wins, plays, play_turns)
type Pinned = (
    &'static str,
    &'static str,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
);

/// The card counts of `validate --bot greedy --games 2 --seed 11` on the tiny data.
const PINNED: [Pinned; 24] = [
    ("arg_tiny", "f_argentum", 3, 8, 1, 8, 1, 18, 80),
    ("arg_tiny", "t_big", 2, 8, 1, 8, 1, 12, 55),
    ("arg_tiny", "t_costly", 3, 7, 1, 7, 1, 17, 124),
    ("arg_tiny", "t_draw2", 2, 8, 1, 8, 1, 12, 41),
    ("arg_tiny", "t_guard", 3, 8, 1, 8, 1, 16, 60),
    ("arg_tiny", "t_mend", 2, 8, 1, 8, 1, 12, 56),
    ("arg_tiny", "t_totem", 2, 8, 1, 4, 0, 6, 33),
    ("arg_tiny", "t_wall", 3, 8, 1, 8, 1, 18, 97),
    ("sym_tiny", "f_symbiote", 3, 8, 8, 4, 4, 7, 24),
    ("sym_tiny", "t_costly", 2, 3, 3, 1, 1, 1, 6),
    ("sym_tiny", "t_frenzy", 3, 8, 8, 7, 7, 10, 35),
    ("sym_tiny", "t_grow", 2, 8, 8, 8, 8, 11, 41),
    ("sym_tiny", "t_lifesteal", 2, 8, 8, 8, 8, 11, 66),
    ("sym_tiny", "t_regen", 3, 8, 8, 8, 8, 13, 37),
    ("sym_tiny", "t_rush", 3, 8, 8, 6, 6, 9, 40),
    ("sym_tiny", "t_swarm", 2, 7, 7, 7, 7, 8, 36),
    ("obs_tiny", "f_obsidion", 3, 7, 3, 7, 3, 14, 80),
    ("obs_tiny", "t_bolt", 2, 7, 3, 7, 3, 9, 61),
    ("obs_tiny", "t_costly", 2, 8, 3, 7, 3, 11, 72),
    ("obs_tiny", "t_drain", 2, 8, 3, 8, 3, 14, 81),
    ("obs_tiny", "t_lethal", 3, 7, 3, 7, 3, 14, 61),
    ("obs_tiny", "t_pierce", 2, 7, 3, 7, 3, 10, 26),
    ("obs_tiny", "t_stealth", 3, 5, 2, 5, 2, 8, 18),
    ("obs_tiny", "t_volatile", 3, 8, 3, 8, 3, 16, 79),
];

#[test]
fn a_seeded_run_pins_its_card_counts() {
    let s = Scratch::new("cards-pinned");
    let data = s.path().join("data");
    tiny_data(&data);
    let out_file = s.path().join("r.json");
    let out = run(
        BIN,
        &[
            "--data",
            data.to_str().unwrap(),
            "--bot",
            "greedy",
            "--games",
            "2",
            "--seed",
            "11",
            "--no-timing",
            "--output",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let u = |v: &Value, k: &str| v[k].as_u64().unwrap();
    let cards = r["cards"].as_array().unwrap();
    let got: Vec<(String, String, [u64; 7])> = cards
        .iter()
        .map(|c| {
            (
                c["deck"].as_str().unwrap().to_string(),
                c["card"].as_str().unwrap().to_string(),
                [
                    "copies",
                    "drawn_games",
                    "drawn_wins",
                    "played_games",
                    "played_wins",
                    "plays",
                    "play_turns",
                ]
                .map(|k| u(c, k)),
            )
        })
        .collect();
    // Every deck plays 2 matchups x 2 seat orders x 2 games.
    for d in r["decks"].as_array().unwrap() {
        assert_eq!(u(d, "games"), 8);
        let deck = d["deck"].as_str().unwrap();
        for c in cards.iter().filter(|c| c["deck"] == deck) {
            assert!(u(c, "played_games") <= u(c, "drawn_games"));
            assert!(u(c, "drawn_games") <= u(d, "games"));
            assert!(u(c, "drawn_wins") <= u(d, "wins"));
        }
    }
    let pinned: Vec<(String, String, [u64; 7])> = PINNED
        .iter()
        .map(|p| {
            (
                p.0.to_string(),
                p.1.to_string(),
                [p.2, p.3, p.4, p.5, p.6, p.7, p.8],
            )
        })
        .collect();
    assert_eq!(got, pinned);
}
