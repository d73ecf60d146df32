//! Card counts gathered while the validation games are played. The engine's game loop hands
//! each action and the final state to a [`GameCards`] observer; from those alone (the card a
//! `Play` action takes from the active hand, and how far each shuffled deck was drawn) it
//! knows which cards each seat drew and played, and on which of its own turns.

use ew_engine::action::Action;
use ew_engine::card::CardId;
use ew_engine::rules::MAX_DECK;
use ew_engine::{Deck, GameData, GameObserver, GameState, Seat};

use super::report::{CardCounts, CardStats};

/// Marks a card id the deck does not hold.
const NOT_IN_DECK: u8 = u8::MAX;

// A deck's distinct cards are bits of a u64 mask.
const _: () = assert!(MAX_DECK <= 64);

/// A deck's distinct cards, each with a slot (its bit in the masks of [`GameCards`]).
pub struct DeckCards {
    pub deck: String,
    pub faction: &'static str,
    /// Per slot: card id, card name, copies in the deck.
    cards: Vec<(CardId, String, u64)>,
    slot_of: [u8; 256],
}

impl DeckCards {
    pub fn new(deck: &Deck, data: &GameData) -> DeckCards {
        let mut cards: Vec<(CardId, String, u64)> = Vec::new();
        let mut slot_of = [NOT_IN_DECK; 256];
        for &id in deck.cards.iter().take(MAX_DECK) {
            match slot_of[id as usize] {
                NOT_IN_DECK => {
                    slot_of[id as usize] = cards.len() as u8;
                    cards.push((id, data.cards[id].id.clone(), 1));
                }
                slot => cards[slot as usize].2 += 1,
            }
        }
        DeckCards {
            deck: deck.id.clone(),
            faction: deck.faction.as_str(),
            cards,
            slot_of,
        }
    }

    fn slot(&self, card: CardId) -> Option<usize> {
        match self.slot_of[card as usize] {
            NOT_IN_DECK => None,
            s => Some(s as usize),
        }
    }
}

/// What one seat drew and played in one game, by slot of its deck.
#[derive(Clone, Copy)]
struct SeatCards {
    drawn: u64,
    played: u64,
    plays: [u8; MAX_DECK],
    play_turns: [u16; MAX_DECK],
}

/// The observer of one game: the decks by seat (first, second) and what each seat did.
pub struct GameCards<'a> {
    decks: [&'a DeckCards; 2],
    seats: [SeatCards; 2],
}

impl<'a> GameCards<'a> {
    pub fn new(first: &'a DeckCards, second: &'a DeckCards) -> GameCards<'a> {
        let empty = SeatCards {
            drawn: 0,
            played: 0,
            plays: [0; MAX_DECK],
            play_turns: [0; MAX_DECK],
        };
        GameCards {
            decks: [first, second],
            seats: [empty; 2],
        }
    }
}

impl GameObserver for GameCards<'_> {
    #[inline]
    fn action(&mut self, state: &GameState, action: Action) {
        let Action::Play { hand, .. } = action else {
            return;
        };
        let p = state.active as usize;
        let card = state.players[p].hand[hand as usize];
        // Cards reach a hand only from its own deck, so a slot always exists.
        let Some(slot) = self.decks[p].slot(card) else {
            debug_assert!(false, "played card {card} is not in the deck");
            return;
        };
        // The first seat plays the odd turns, the second the even ones.
        let own_turn = (state.turn + 1 - p as u16) / 2;
        let s = &mut self.seats[p];
        s.played |= 1 << slot;
        s.plays[slot] += 1;
        s.play_turns[slot] += own_turn;
    }

    fn end(&mut self, state: &GameState) {
        for (p, seat) in self.seats.iter_mut().enumerate() {
            let pl = &state.players[p];
            for &card in &pl.deck[..pl.deck_pos as usize] {
                if let Some(slot) = self.decks[p].slot(card) {
                    seat.drawn |= 1 << slot;
                }
            }
            debug_assert_eq!(seat.played & !seat.drawn, 0, "played but never drawn");
        }
    }
}

/// The card counts of one matchup: per side (deck a, deck b), per slot.
pub struct MatchupCards {
    sides: [Vec<CardCounts>; 2],
}

impl MatchupCards {
    pub fn new(a: &DeckCards, b: &DeckCards) -> MatchupCards {
        MatchupCards {
            sides: [
                vec![CardCounts::default(); a.cards.len()],
                vec![CardCounts::default(); b.cards.len()],
            ],
        }
    }

    /// Adds a finished game; `a_first` says which seat deck a held.
    pub fn add_game(&mut self, game: &GameCards<'_>, a_first: bool, winner: Option<Seat>) {
        for (p, seat) in game.seats.iter().enumerate() {
            let side = usize::from(a_first == (p == 1));
            let won = u64::from(winner == Some(Seat::from_index(p)));
            let drew = u64::from(winner.is_none());
            for (slot, c) in self.sides[side].iter_mut().enumerate() {
                let bit = 1u64 << slot;
                if seat.drawn & bit != 0 {
                    c.drawn_games += 1;
                    c.drawn_wins += won;
                    c.drawn_draws += drew;
                }
                if seat.played & bit != 0 {
                    c.played_games += 1;
                    c.played_wins += won;
                    c.played_draws += drew;
                    c.plays += u64::from(seat.plays[slot]);
                    c.play_turns += u64::from(seat.play_turns[slot]);
                }
            }
        }
    }

    /// The entries of both decks, counts only (the report derives the rates).
    pub fn stats(&self, a: &DeckCards, b: &DeckCards) -> Vec<CardStats> {
        [a, b]
            .into_iter()
            .zip(&self.sides)
            .flat_map(|(deck, counts)| {
                deck.cards.iter().zip(counts).map(|((_, name, copies), c)| {
                    CardStats::new(&deck.deck, deck.faction, name, *copies, c)
                })
            })
            .collect()
    }
}
