//! Essence Wars: rules, card data loading and bots.
//!
//! The rule book is `docs/rules.md`; every rule there has a test of the same name in
//! `tests/rules.rs`. Card definitions live in a [`data::GameData`] passed by reference, so the
//! [`state::GameState`] itself is a small `Copy` value that bots clone freely.

pub mod action;
pub mod arena;
pub mod bots;
pub mod card;
pub mod data;
pub mod eval;
pub mod faction;
pub mod game;
pub mod rules;
pub mod seed;
pub mod state;
pub mod weights;

pub use action::{Action, ActionBuf};
pub use bots::{Bot, BotSpec};
pub use data::{DataError, Deck, GameData};
pub use faction::Faction;
pub use game::{GameObserver, GameOutcome, Seat, play_game, play_observed};
pub use state::{GameState, Status};
pub use weights::{WEIGHT_SPEC, Weights};
