//! The factions. A leaf: cards, decks, weights and reports all name factions, and none of
//! them should have to load data to do so.

use std::fmt;
use std::str::FromStr;

/// A faction. `Neutral` only ever describes cards; decks belong to one of [`Faction::PLAYABLE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Faction {
    Argentum,
    Symbiote,
    Obsidion,
    Neutral,
}

impl Faction {
    /// The playable factions, in the fixed order used by every report.
    pub const PLAYABLE: [Faction; 3] = [Faction::Argentum, Faction::Symbiote, Faction::Obsidion];
    /// Every card file, in loading order.
    pub const ALL: [Faction; 4] = [
        Faction::Argentum,
        Faction::Symbiote,
        Faction::Obsidion,
        Faction::Neutral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Faction::Argentum => "argentum",
            Faction::Symbiote => "symbiote",
            Faction::Obsidion => "obsidion",
            Faction::Neutral => "neutral",
        }
    }
}

impl fmt::Display for Faction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Faction::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown faction `{0}` (expected argentum, symbiote, obsidion or neutral)")]
pub struct UnknownFaction(pub String);

impl FromStr for Faction {
    type Err = UnknownFaction;
    fn from_str(s: &str) -> Result<Faction, UnknownFaction> {
        Faction::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFaction(s.to_string()))
    }
}
