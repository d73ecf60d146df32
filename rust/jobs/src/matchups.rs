//! Deck matchups in their canonical order, and the `--matchup` / `--faction` names.
//!
//! The order (faction pairs argentum-symbiote, argentum-obsidion, symbiote-obsidion; decks by
//! id within a faction) is specified in `docs/validate.md`; merges of partial runs rely on it.

use std::fmt;

use ew_engine::{Deck, Faction, GameData};

use crate::error::JobError;

/// The faction pairs in canonical order.
pub fn faction_pairs() -> [(Faction, Faction); 3] {
    let [a, s, o] = Faction::PLAYABLE;
    [(a, s), (a, o), (s, o)]
}

/// Position of a playable faction in the fixed order.
pub fn faction_rank(f: Faction) -> usize {
    Faction::PLAYABLE
        .iter()
        .position(|p| *p == f)
        .unwrap_or(usize::MAX)
}

/// The decks of `faction`, in id order.
pub fn decks_in_order(data: &GameData, faction: Faction) -> Vec<&Deck> {
    let mut decks: Vec<&Deck> = data.decks_of(faction).collect();
    decks.sort_by(|x, y| x.id.as_bytes().cmp(y.id.as_bytes()));
    decks
}

/// Every deck in canonical order (faction order, then id).
pub fn all_decks_in_order(data: &GameData) -> Vec<&Deck> {
    Faction::PLAYABLE
        .iter()
        .flat_map(|f| decks_in_order(data, *f))
        .collect()
}

/// A matchup: deck `a` belongs to the faction that comes first in the faction order.
#[derive(Clone, Copy, Debug)]
pub struct Matchup<'a> {
    pub a: &'a Deck,
    pub b: &'a Deck,
}

/// Every cross-faction matchup, in canonical order.
pub fn canonical_matchups(data: &GameData) -> Vec<Matchup<'_>> {
    let mut out = Vec::new();
    for (fa, fb) in faction_pairs() {
        let (da, db) = (decks_in_order(data, fa), decks_in_order(data, fb));
        for a in &da {
            for b in &db {
                out.push(Matchup { a, b });
            }
        }
    }
    out
}

/// Which matchups a `--matchup` value selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchupFilter {
    All,
    /// A faction pair, in faction order.
    Pair(Faction, Faction),
    Faction(Faction),
    Deck(String),
}

impl fmt::Display for MatchupFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchupFilter::All => f.write_str("all"),
            MatchupFilter::Pair(a, b) => write!(f, "{a}-{b}"),
            MatchupFilter::Faction(x) => f.write_str(x.as_str()),
            MatchupFilter::Deck(id) => f.write_str(id),
        }
    }
}

impl MatchupFilter {
    pub fn parse(s: &str, data: &GameData) -> Result<Self, JobError> {
        if let Some(f) = playable_faction(s) {
            return Ok(MatchupFilter::Faction(f));
        }
        if data.deck(s).is_some() {
            return Ok(MatchupFilter::Deck(s.to_string()));
        }
        if let Some((x, y)) = s.split_once('-')
            && let (Some(fx), Some(fy)) = (playable_faction(x), playable_faction(y))
            && fx != fy
        {
            let (a, b) = if faction_rank(fx) < faction_rank(fy) {
                (fx, fy)
            } else {
                (fy, fx)
            };
            return Ok(MatchupFilter::Pair(a, b));
        }
        let pairs: Vec<String> = faction_pairs()
            .iter()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        let decks: Vec<&str> = all_decks_in_order(data)
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        Err(JobError::Usage(format!(
            "--matchup: unknown matchup `{s}` (valid: a faction pair {}; a faction {}; or a deck id {})",
            pairs.join(", "),
            faction_names(),
            decks.join(", ")
        )))
    }

    pub fn selects(&self, m: &Matchup<'_>) -> bool {
        match self {
            MatchupFilter::All => true,
            MatchupFilter::Pair(a, b) => m.a.faction == *a && m.b.faction == *b,
            MatchupFilter::Faction(f) => m.a.faction == *f || m.b.faction == *f,
            MatchupFilter::Deck(id) => m.a.id == *id || m.b.id == *id,
        }
    }

    /// The `config.matchup` value: `null` for everything.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            MatchupFilter::All => serde_json::Value::Null,
            other => serde_json::Value::String(other.to_string()),
        }
    }
}

fn playable_faction(s: &str) -> Option<Faction> {
    Faction::PLAYABLE.into_iter().find(|f| f.as_str() == s)
}

/// `argentum, symbiote, obsidion`.
pub fn faction_names() -> String {
    Faction::PLAYABLE
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `--faction` value: a playable faction.
pub fn parse_faction(flag: &str, s: &str) -> Result<Faction, JobError> {
    playable_faction(s).ok_or_else(|| {
        JobError::Usage(format!(
            "{flag}: unknown faction `{s}` (valid: {})",
            faction_names()
        ))
    })
}
