//! The checked way to act: an action from outside the engine (a user, a file, another program)
//! is compared against the legal list before it touches the state, as a chess library checks a
//! move before playing it. Bots skip the check and call [`GameState::apply`].

use super::*;

/// Why [`GameState::play`] refused an action. The state is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IllegalAction {
    #[error("cannot {action}: the game is over")]
    GameOver { action: Action },
    #[error("cannot {action}: not a legal action in this position")]
    NotLegal { action: Action },
}

impl IllegalAction {
    /// The refused action.
    pub fn action(&self) -> Action {
        match *self {
            IllegalAction::GameOver { action } | IllegalAction::NotLegal { action } => action,
        }
    }
}

impl GameState {
    /// Applies `action` if it is legal now; otherwise returns why not and changes nothing.
    /// Costs one listing of the legal actions on top of [`GameState::apply`].
    pub fn play(&mut self, data: &GameData, action: Action) -> Result<(), IllegalAction> {
        if self.is_terminal() {
            return Err(IllegalAction::GameOver { action });
        }
        if !self.is_legal(data, action) {
            return Err(IllegalAction::NotLegal { action });
        }
        self.apply(data, action);
        Ok(())
    }
}
