//! Actions and the fixed-capacity buffer legal actions are written into.

use std::fmt;

/// Targets are encoded from the acting player's side: `0..5` enemy lanes, `8..13` own lanes,
/// then the two faces.
pub const OWN_LANE: u8 = 8;
pub const ENEMY_FACE: u8 = 16;
pub const OWN_FACE: u8 = 17;
pub const NONE: u8 = u8::MAX;

/// One step of a turn. Spells carry their target, creatures their lane, so bots can aim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    EndTurn,
    /// Play the card at `hand` index; `lane` for creatures, `target` for targeted spells.
    Play {
        hand: u8,
        lane: u8,
        target: u8,
    },
    /// The creature in own `lane` attacks enemy lane `target` or [`ENEMY_FACE`].
    Attack {
        lane: u8,
        target: u8,
    },
}

fn fmt_target(f: &mut fmt::Formatter<'_>, t: u8) -> fmt::Result {
    match t {
        ENEMY_FACE => write!(f, "enemy"),
        OWN_FACE => write!(f, "self"),
        t if t >= OWN_LANE => write!(f, "own lane {}", t - OWN_LANE),
        t => write!(f, "enemy lane {t}"),
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::EndTurn => write!(f, "end turn"),
            Action::Play { hand, lane, target } => {
                write!(f, "play hand {hand}")?;
                if lane != NONE {
                    write!(f, " in lane {lane}")?;
                }
                if target != NONE {
                    write!(f, " at ")?;
                    fmt_target(f, target)?;
                }
                Ok(())
            }
            Action::Attack { lane, target } => {
                write!(f, "lane {lane} attacks ")?;
                fmt_target(f, target)
            }
        }
    }
}

/// Upper bound of legal actions: 10 distinct hand cards with at most 12 targets each, 5
/// attackers with at most 6 targets each, and end turn.
pub const MAX_ACTIONS: usize = 192;

/// A reusable, allocation-free list of actions.
#[derive(Clone)]
pub struct ActionBuf {
    len: usize,
    items: [Action; MAX_ACTIONS],
}

impl Default for ActionBuf {
    fn default() -> Self {
        ActionBuf::new()
    }
}

impl ActionBuf {
    pub fn new() -> ActionBuf {
        ActionBuf {
            len: 0,
            items: [Action::EndTurn; MAX_ACTIONS],
        }
    }

    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    #[inline]
    pub fn push(&mut self, a: Action) {
        // The capacity bound above makes overflow impossible; keep release builds safe anyway.
        if self.len < MAX_ACTIONS {
            self.items[self.len] = a;
            self.len += 1;
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[Action] {
        &self.items[..self.len]
    }
}

impl std::ops::Deref for ActionBuf {
    type Target = [Action];
    #[inline]
    fn deref(&self) -> &[Action] {
        self.as_slice()
    }
}
