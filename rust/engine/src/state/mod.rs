//! The game state. `GameState` is `Copy` (about 220 bytes of fixed arrays and `u8` card ids);
//! card definitions stay in [`GameData`]. Legal actions are listed in `legal` from the lane and
//! hand sets of `sets` (kept current by every rule that changes lanes or hands), actions applied
//! in `turn` and `combat`, card effects and deaths resolved in `effects`.

use crate::action::{Action, ActionBuf, ENEMY_FACE, NONE, OWN_FACE, OWN_LANE};
use crate::card::{
    CardDef, CardId, CardKind, Effect, EffectKind, Keyword, Keywords, Selector, Trigger,
};
use crate::data::{Deck, GameData};
use crate::rules::{MAX_DECK, MAX_HAND, MAX_LANES, MAX_SUPPORTS};
use crate::seed;

mod checked;
mod combat;
mod effects;
mod legal;
mod sets;
mod turn;

pub use checked::IllegalAction;
pub use combat::attack_power;
pub(crate) use sets::Sets;

/// Marks an empty lane, support slot or hand position.
pub const NO_CARD: CardId = u8::MAX;
/// Lane index standing for a player in effect targets.
const FACE: u8 = u8::MAX;
/// A chain of deaths (Volatile, on-death damage) resolves in at most this many waves.
const MAX_DEATH_WAVES: usize = 32;

/// A player's seat. `First` takes the first turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seat {
    First,
    Second,
}

impl Seat {
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    #[inline]
    pub fn from_index(i: usize) -> Seat {
        if i == 0 { Seat::First } else { Seat::Second }
    }

    #[inline]
    pub fn other(self) -> Seat {
        Seat::from_index(1 - self.index())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Seat::First => "first",
            Seat::Second => "second",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ongoing,
    Won(Seat),
    Draw,
}

/// A creature on the board, or an empty lane when `card == NO_CARD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Creature {
    pub card: CardId,
    pub attack: i8,
    pub health: i8,
    pub max_health: i8,
    pub keywords: Keywords,
    /// Attacks made this turn.
    pub attacks: u8,
    /// Entered the board since its owner's last turn start (cannot attack without Rush).
    pub fresh: bool,
}

impl Creature {
    pub const EMPTY: Creature = Creature {
        card: NO_CARD,
        attack: 0,
        health: 0,
        max_health: 0,
        keywords: Keywords::NONE,
        attacks: 0,
        fresh: false,
    };

    /// A freshly played or summoned creature of card `id`.
    pub fn new(id: CardId, def: &CardDef) -> Creature {
        Creature {
            card: id,
            attack: def.attack,
            health: def.health,
            max_health: def.health,
            keywords: def.keywords,
            attacks: 0,
            fresh: true,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.card == NO_CARD
    }

    #[inline]
    pub fn alive(&self) -> bool {
        self.card != NO_CARD && self.health > 0
    }

    #[inline]
    pub fn has(&self, k: Keyword) -> bool {
        self.keywords.has(k)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    pub card: CardId,
    pub turns_left: u8,
}

impl Support {
    pub const EMPTY: Support = Support {
        card: NO_CARD,
        turns_left: 0,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Player {
    pub life: i16,
    pub essence: u8,
    pub max_essence: u8,
    pub ap: u8,
    pub hand_len: u8,
    pub deck_len: u8,
    /// Index of the next card to draw in `deck`.
    pub deck_pos: u8,
    pub hand: [CardId; MAX_HAND],
    pub deck: [CardId; MAX_DECK],
    pub lanes: [Creature; MAX_LANES],
    pub supports: [Support; MAX_SUPPORTS],
    /// Lane and hand sets derived from `lanes` and `hand` for legal-action listing. Rules keep
    /// them current; code that edits `lanes` or `hand` directly calls [`GameState::refresh`].
    pub(crate) sets: Sets,
}

impl Player {
    pub fn hand(&self) -> &[CardId] {
        &self.hand[..self.hand_len as usize]
    }

    pub fn deck_left(&self) -> usize {
        (self.deck_len - self.deck_pos) as usize
    }

    pub fn creature_count(&self) -> usize {
        self.lanes.iter().filter(|c| !c.is_empty()).count()
    }

    /// Adds a card to the hand if there is room; returns whether it was added.
    pub fn add_to_hand(&mut self, card: CardId, max_hand: u8) -> bool {
        if self.hand_len < max_hand {
            let n = self.hand_len as usize;
            self.hand[n] = card;
            self.hand_len += 1;
            self.sets.hand_added(&self.hand[..n], card);
            true
        } else {
            false
        }
    }

    fn remove_from_hand(&mut self, i: usize) -> CardId {
        let card = self.hand[i];
        let n = self.hand_len as usize;
        // The ten hand bytes as a u64 and a u16, shifted down over position `i` without the
        // call `copy_within` makes to memmove (bytes past the hand's length are never read).
        const _: () = assert!(MAX_HAND == 10);
        let mut lo = u64::from_le_bytes([
            self.hand[0],
            self.hand[1],
            self.hand[2],
            self.hand[3],
            self.hand[4],
            self.hand[5],
            self.hand[6],
            self.hand[7],
        ]);
        let mut hi = u16::from_le_bytes([self.hand[8], self.hand[9]]);
        if i < 8 {
            let below = lo & ((1u64 << (8 * i)) - 1);
            let above = ((lo >> (8 * i)) >> 8) << (8 * i);
            lo = below | above | ((hi as u64 & 0xff) << 56);
            hi >>= 8;
        } else if i == 8 {
            hi >>= 8;
        }
        self.hand[..8].copy_from_slice(&lo.to_le_bytes());
        self.hand[8..].copy_from_slice(&hi.to_le_bytes());
        self.hand_len -= 1;
        self.sets.hand_removed(&self.hand[..n - 1], i, card);
        card
    }
}

/// The set bits of a mask, lowest first.
#[inline]
fn bits(mut m: u8) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if m == 0 {
            None
        } else {
            let b = m.trailing_zeros() as u8;
            m &= m - 1;
            Some(b)
        }
    })
}

/// Whom an effect applies to: a lane mask per player and a bit per player's face. Effects
/// on different targets do not interact (deaths wait for death resolution), so the order in
/// which they are applied (owner first, lanes in order) only has to be fixed.
#[derive(Default)]
struct Targets {
    lanes: [u8; 2],
    faces: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameState {
    pub players: [Player; 2],
    /// Index of the player whose turn it is.
    pub active: u8,
    /// The current turn, from 1; each player's turn counts as one.
    pub turn: u16,
    pub status: Status,
    /// Some creature may be at 0 health: death resolution has work to do.
    deaths_pending: bool,
}

impl GameState {
    /// A new game: decks shuffled from `seed`, opening hands drawn (the second seat draws
    /// `second_seat_extra_cards` more), and the first player's first turn started.
    pub fn new(data: &GameData, first: &Deck, second: &Deck, seed: u64) -> GameState {
        let rules = &data.rules;
        let empty = Player {
            life: rules.starting_life,
            essence: 0,
            max_essence: 0,
            ap: 0,
            hand_len: 0,
            deck_len: 0,
            deck_pos: 0,
            hand: [NO_CARD; MAX_HAND],
            deck: [NO_CARD; MAX_DECK],
            lanes: [Creature::EMPTY; MAX_LANES],
            supports: [Support::EMPTY; MAX_SUPPORTS],
            sets: Sets::EMPTY,
        };
        let mut s = GameState {
            players: [empty; 2],
            active: 0,
            turn: 1,
            status: Status::Ongoing,
            deaths_pending: false,
        };
        for (p, deck) in [first, second].into_iter().enumerate() {
            let pl = &mut s.players[p];
            let n = deck.cards.len().min(MAX_DECK);
            pl.deck[..n].copy_from_slice(&deck.cards[..n]);
            pl.deck_len = n as u8;
            let mut rng = seed::rng(seed, p as u64);
            for i in (1..n).rev() {
                let j = seed::below(&mut rng, i + 1);
                pl.deck.swap(i, j);
            }
            let opening = rules.starting_hand
                + if p == 1 {
                    rules.second_seat_extra_cards
                } else {
                    0
                };
            for _ in 0..opening {
                s.draw(data, p);
            }
        }
        s.start_turn(data);
        s
    }

    #[inline]
    pub fn is_terminal(&self) -> bool {
        // A pattern test: the derived `PartialEq` compares the payload too.
        !matches!(self.status, Status::Ongoing)
    }

    /// The winner once the game is over (`None` while ongoing or on a draw).
    pub fn winner(&self) -> Option<Seat> {
        match self.status {
            Status::Won(s) => Some(s),
            _ => None,
        }
    }

    #[inline]
    pub fn active_seat(&self) -> Seat {
        Seat::from_index(self.active as usize)
    }

    #[inline]
    pub fn active_player(&self) -> &Player {
        &self.players[self.active as usize]
    }
}
