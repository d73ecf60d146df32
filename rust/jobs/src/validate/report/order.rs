//! The canonical orders of `docs/validate.md`, on the faction names a report carries.

use ew_engine::Faction;

use super::matchup::MatchupResult;

/// The playable faction names in the fixed order.
pub fn faction_names() -> impl Iterator<Item = &'static str> {
    Faction::PLAYABLE.into_iter().map(Faction::as_str)
}

/// Position of a faction name in the fixed order (`None`: not a playable faction).
pub fn faction_rank(name: &str) -> Option<usize> {
    faction_names().position(|f| f == name)
}

fn rank_or_last(name: &str) -> usize {
    faction_rank(name).unwrap_or(usize::MAX)
}

/// Canonical deck order: faction, then the id's bytes.
pub fn deck_key<'a>(faction: &str, deck: &'a str) -> (usize, &'a [u8]) {
    (rank_or_last(faction), deck.as_bytes())
}

/// Canonical matchup order: faction pair, then deck a id, then deck b id.
pub fn matchup_key(m: &MatchupResult) -> (usize, usize, &[u8], &[u8]) {
    (
        rank_or_last(&m.faction_a),
        rank_or_last(&m.faction_b),
        m.deck_a.as_bytes(),
        m.deck_b.as_bytes(),
    )
}
