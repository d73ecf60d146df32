//! Playing one whole game between two bots.

use crate::action::Action;
use crate::bots::Bot;
use crate::data::{Deck, GameData};
use crate::seed;
use crate::state::GameState;
pub use crate::state::Seat;

/// How a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameOutcome {
    /// `None` for a draw.
    pub winner: Option<Seat>,
    /// Turns played (each player's turn counts as one).
    pub turns: u32,
    /// Actions taken by both players, end turns included.
    pub actions: u32,
    /// Final life of the first and second seat.
    pub life: [i16; 2],
}

/// A safety net far beyond any real game: the turn limit ends games long before.
const MAX_ACTIONS_PER_GAME: u32 = 100_000;

/// Watches a game as [`play_observed`] plays it, without changing it: reports that need more
/// than the outcome (card statistics in `validate`) read the actions and the final state here,
/// so every game is played by the one loop below.
pub trait GameObserver {
    /// `action` is about to be applied to `state` (whose `active` player takes it).
    fn action(&mut self, state: &GameState, action: Action);
    /// The game is over (or stopped by the safety net); `state` is final.
    fn end(&mut self, state: &GameState);
}

/// Watches nothing: [`play_game`]'s observer, which compiles away.
impl GameObserver for () {
    #[inline(always)]
    fn action(&mut self, _: &GameState, _: Action) {}
    #[inline(always)]
    fn end(&mut self, _: &GameState) {}
}

/// Plays a game; the outcome depends only on the arguments, never on the thread.
pub fn play_game(
    data: &GameData,
    first_deck: &Deck,
    second_deck: &Deck,
    first_bot: &Bot,
    second_bot: &Bot,
    seed: u64,
) -> GameOutcome {
    play_observed(
        data,
        first_deck,
        second_deck,
        first_bot,
        second_bot,
        seed,
        &mut (),
    )
}

/// [`play_game`] with an observer; the game played is the same.
pub fn play_observed<O: GameObserver>(
    data: &GameData,
    first_deck: &Deck,
    second_deck: &Deck,
    first_bot: &Bot,
    second_bot: &Bot,
    seed: u64,
    observer: &mut O,
) -> GameOutcome {
    let mut state = GameState::new(data, first_deck, second_deck, seed::derive(seed, 0));
    let mut players = [
        first_bot.player(seed::derive(seed, 1)),
        second_bot.player(seed::derive(seed, 2)),
    ];
    let mut actions = 0;
    while !state.is_terminal() && actions < MAX_ACTIONS_PER_GAME {
        let a = players[state.active as usize].choose(data, &state);
        observer.action(&state, a);
        state.apply(data, a);
        actions += 1;
    }
    observer.end(&state);
    GameOutcome {
        winner: state.winner(),
        turns: state.turn as u32,
        actions,
        life: [state.players[0].life, state.players[1].life],
    }
}
