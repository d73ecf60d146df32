//! Helpers for rule tests: the fixture data and hand-built positions.
#![allow(dead_code)]

use std::path::PathBuf;

use ew_engine::action::{Action, ActionBuf};
use ew_engine::card::CardId;
use ew_engine::data::GameData;
use ew_engine::state::{Creature, GameState, NO_CARD};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

pub fn shipped_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

pub fn fixture() -> GameData {
    GameData::load(&fixture_dir()).expect("fixture data loads")
}

/// A position built by hand on the fixture cards (direct edits of lanes or hands are followed
/// by `GameState::refresh`, which recomputes the sets legal-action listing keeps): player 0 to act on turn 3, both players at
/// full essence and action points, empty boards and hands.
pub struct Table {
    pub data: GameData,
    pub s: GameState,
}

impl Table {
    pub fn new() -> Table {
        let data = fixture();
        let deck = &data.decks[0];
        let mut s = GameState::new(&data, deck, deck, 1);
        for p in &mut s.players {
            p.hand_len = 0;
            p.hand = [NO_CARD; 10];
            p.essence = data.rules.essence_cap;
            p.max_essence = data.rules.essence_cap;
            p.ap = data.rules.action_points;
        }
        s.active = 0;
        s.turn = 3;
        s.refresh(&data);
        Table { data, s }
    }

    pub fn id(&self, name: &str) -> CardId {
        self.data
            .cards
            .id_of(name)
            .unwrap_or_else(|| panic!("no card {name}"))
    }

    /// Puts a creature that has been on the board since before this turn.
    pub fn put(&mut self, p: usize, lane: usize, name: &str) {
        let id = self.id(name);
        let mut c = Creature::new(id, &self.data.cards[id]);
        c.fresh = false;
        self.s.players[p].lanes[lane] = c;
        self.s.refresh(&self.data);
    }

    pub fn c(&self, p: usize, lane: usize) -> Creature {
        self.s.players[p].lanes[lane]
    }

    pub fn empty(&self, p: usize, lane: usize) -> bool {
        self.s.players[p].lanes[lane].is_empty()
    }

    /// Adds a card to a hand and returns its index.
    pub fn give(&mut self, p: usize, name: &str) -> u8 {
        let id = self.id(name);
        let pl = &mut self.s.players[p];
        assert!(pl.add_to_hand(id, self.data.rules.max_hand));
        pl.hand_len - 1
    }

    pub fn legal(&self) -> Vec<Action> {
        let mut buf = ActionBuf::new();
        self.s.legal_actions(&self.data, &mut buf);
        buf.to_vec()
    }

    pub fn is_legal(&self, a: Action) -> bool {
        self.legal().contains(&a)
    }

    /// Applies an action, which must be legal.
    pub fn act(&mut self, a: Action) {
        if let Err(e) = self.s.play(&self.data, a) {
            panic!("{e}: legal are {:?}", self.legal());
        }
    }

    pub fn attack(&mut self, lane: u8, target: u8) {
        self.act(Action::Attack { lane, target });
    }

    pub fn play(&mut self, hand: u8, lane: u8, target: u8) {
        self.act(Action::Play { hand, lane, target });
    }

    pub fn end_turn(&mut self) {
        self.act(Action::EndTurn);
    }

    pub fn life(&self, p: usize) -> i16 {
        self.s.players[p].life
    }

    pub fn set_life(&mut self, p: usize, life: i16) {
        self.s.players[p].life = life;
    }
}
