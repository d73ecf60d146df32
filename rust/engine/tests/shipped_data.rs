//! The shipped data covers what the game promises: card counts, kinds, every keyword, trigger
//! and effect, and the 4/4/3 decks.

mod common;

use std::collections::BTreeSet;

use common::shipped_dir;
use ew_engine::card::{CardKind, Keyword, Trigger};
use ew_engine::{Faction, GameData};

fn data() -> GameData {
    GameData::load(&shipped_dir()).unwrap()
}

#[test]
fn card_counts_and_kinds_per_faction() {
    let data = data();
    for f in Faction::ALL {
        let cards: Vec<_> = data
            .cards
            .iter()
            .filter(|c| c.faction == f && !c.token)
            .collect();
        let want = if f == Faction::Neutral { 10 } else { 24 };
        assert!(cards.len() >= want, "{f}: {} cards", cards.len());
        for kind in [CardKind::Creature, CardKind::Spell, CardKind::Support] {
            assert!(
                cards.iter().any(|c| c.kind == kind),
                "{f} has no {}",
                kind.as_str()
            );
        }
    }
}

#[test]
fn every_keyword_trigger_and_effect_is_used() {
    let data = data();
    let mut keywords = BTreeSet::new();
    let mut triggers = BTreeSet::new();
    let mut effects = BTreeSet::new();
    for c in data.cards.iter() {
        keywords.extend(c.keywords.iter().map(|k| k.as_str()));
        for e in &c.effects {
            triggers.insert(e.trigger.as_str());
            effects.insert(e.kind.as_str());
            if let ew_engine::card::EffectKind::Grant(k) = e.kind {
                keywords.insert(k.as_str());
            }
        }
    }
    assert_eq!(keywords.len(), Keyword::ALL.len(), "{keywords:?}");
    assert_eq!(triggers.len(), Trigger::ALL.len(), "{triggers:?}");
    assert_eq!(effects.len(), 7, "{effects:?}");
}

#[test]
fn decks_four_four_three_and_forty_matchups() {
    let data = data();
    let counts: Vec<usize> = Faction::PLAYABLE
        .iter()
        .map(|&f| data.decks_of(f).count())
        .collect();
    assert_eq!(counts, vec![4, 4, 3]);
    assert_eq!(data.cross_faction_pairs().len(), 40);
    for d in &data.decks {
        assert_eq!(d.cards.len(), data.rules.deck_size as usize);
        assert!(!d.name.is_empty() && !d.playstyle.is_empty());
        assert_eq!(data.deck(&d.id).unwrap().id, d.id);
    }
}
