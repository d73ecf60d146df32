//! Card definitions: kinds, keywords, triggers and effects, as read from `data/cards/`.

use crate::faction::Faction;

/// Index of a card in [`crate::data::CardDb`]. The state stores these, never the definitions.
pub type CardId = u8;

/// The sixteen keywords. The order is the bit order in [`Keywords`] and the order of the
/// `kw_*` weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Keyword {
    Rush,
    Ranged,
    Piercing,
    Guard,
    Lifesteal,
    Lethal,
    Shield,
    Quick,
    Ephemeral,
    Regenerate,
    Stealth,
    Charge,
    Frenzy,
    Volatile,
    Fortify,
    Ward,
}

impl Keyword {
    pub const ALL: [Keyword; 16] = [
        Keyword::Rush,
        Keyword::Ranged,
        Keyword::Piercing,
        Keyword::Guard,
        Keyword::Lifesteal,
        Keyword::Lethal,
        Keyword::Shield,
        Keyword::Quick,
        Keyword::Ephemeral,
        Keyword::Regenerate,
        Keyword::Stealth,
        Keyword::Charge,
        Keyword::Frenzy,
        Keyword::Volatile,
        Keyword::Fortify,
        Keyword::Ward,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Rush => "rush",
            Keyword::Ranged => "ranged",
            Keyword::Piercing => "piercing",
            Keyword::Guard => "guard",
            Keyword::Lifesteal => "lifesteal",
            Keyword::Lethal => "lethal",
            Keyword::Shield => "shield",
            Keyword::Quick => "quick",
            Keyword::Ephemeral => "ephemeral",
            Keyword::Regenerate => "regenerate",
            Keyword::Stealth => "stealth",
            Keyword::Charge => "charge",
            Keyword::Frenzy => "frenzy",
            Keyword::Volatile => "volatile",
            Keyword::Fortify => "fortify",
            Keyword::Ward => "ward",
        }
    }

    pub fn parse(s: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.as_str() == s)
    }

    #[inline]
    pub const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of keywords as a 16-bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Keywords(pub u16);

impl Keywords {
    pub const NONE: Keywords = Keywords(0);

    #[inline]
    pub fn has(self, k: Keyword) -> bool {
        self.0 & k.bit() != 0
    }

    #[inline]
    pub fn insert(&mut self, k: Keyword) {
        self.0 |= k.bit();
    }

    #[inline]
    pub fn remove(&mut self, k: Keyword) {
        self.0 &= !k.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Keyword> {
        Keyword::ALL.into_iter().filter(move |k| self.has(*k))
    }
}

impl FromIterator<Keyword> for Keywords {
    fn from_iter<I: IntoIterator<Item = Keyword>>(iter: I) -> Self {
        let mut k = Keywords::NONE;
        for x in iter {
            k.insert(x);
        }
        k
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardKind {
    Creature,
    Spell,
    Support,
}

impl CardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Creature => "creature",
            CardKind::Spell => "spell",
            CardKind::Support => "support",
        }
    }
}

/// When an effect fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Trigger {
    OnPlay,
    OnDeath,
    StartOfTurn,
    OnAttack,
    OnKill,
}

impl Trigger {
    pub const ALL: [Trigger; 5] = [
        Trigger::OnPlay,
        Trigger::OnDeath,
        Trigger::StartOfTurn,
        Trigger::OnAttack,
        Trigger::OnKill,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::OnPlay => "on_play",
            Trigger::OnDeath => "on_death",
            Trigger::StartOfTurn => "start_of_turn",
            Trigger::OnAttack => "on_attack",
            Trigger::OnKill => "on_kill",
        }
    }

    #[inline]
    pub const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// What a spell's action must name as its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpellTarget {
    /// No target: the effects use fixed selectors.
    None,
    AllyCreature,
    EnemyCreature,
    AnyCreature,
    /// An enemy creature or the enemy player.
    EnemyAny,
}

impl SpellTarget {
    pub const ALL: [SpellTarget; 5] = [
        SpellTarget::None,
        SpellTarget::AllyCreature,
        SpellTarget::EnemyCreature,
        SpellTarget::AnyCreature,
        SpellTarget::EnemyAny,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpellTarget::None => "none",
            SpellTarget::AllyCreature => "ally_creature",
            SpellTarget::EnemyCreature => "enemy_creature",
            SpellTarget::AnyCreature => "any_creature",
            SpellTarget::EnemyAny => "enemy_any",
        }
    }
}

/// The shape of the legal actions that play a card from hand: what the action names. Every
/// card of one shape has the same targets in a given position, so legal-action listing works
/// out each shape's targets once per decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PlayShape {
    /// A creature: an empty own lane.
    Lane,
    /// A support: no target, when a support slot is free.
    Support,
    /// A spell without a target.
    Untargeted,
    /// A spell at an enemy creature.
    EnemyCreature,
    /// A spell at an own creature.
    AllyCreature,
    /// A spell at any creature.
    AnyCreature,
    /// A spell at an enemy creature or the enemy player.
    EnemyAny,
}

impl PlayShape {
    pub fn of(kind: CardKind, target: SpellTarget) -> PlayShape {
        match (kind, target) {
            (CardKind::Creature, _) => PlayShape::Lane,
            (CardKind::Support, _) => PlayShape::Support,
            (CardKind::Spell, SpellTarget::None) => PlayShape::Untargeted,
            (CardKind::Spell, SpellTarget::EnemyCreature) => PlayShape::EnemyCreature,
            (CardKind::Spell, SpellTarget::AllyCreature) => PlayShape::AllyCreature,
            (CardKind::Spell, SpellTarget::AnyCreature) => PlayShape::AnyCreature,
            (CardKind::Spell, SpellTarget::EnemyAny) => PlayShape::EnemyAny,
        }
    }
}

/// Whom an effect touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The target named in the spell's action.
    Target,
    /// The creature that carries the effect.
    Itself,
    OwnPlayer,
    EnemyPlayer,
    AllAllies,
    /// Allied creatures other than the one carrying the effect.
    OtherAllies,
    /// Allied creatures in the lanes beside the one carrying the effect.
    AdjacentAllies,
    AllEnemies,
    AllCreatures,
    /// The enemy creature in the same lane as the one carrying the effect.
    OppositeEnemy,
    /// The enemy creature with the highest attack (lowest lane on ties).
    StrongestEnemy,
    /// The enemy creature with the lowest health (lowest lane on ties).
    WeakestEnemy,
}

impl Selector {
    pub const ALL: [Selector; 12] = [
        Selector::Target,
        Selector::Itself,
        Selector::OwnPlayer,
        Selector::EnemyPlayer,
        Selector::AllAllies,
        Selector::OtherAllies,
        Selector::AdjacentAllies,
        Selector::AllEnemies,
        Selector::AllCreatures,
        Selector::OppositeEnemy,
        Selector::StrongestEnemy,
        Selector::WeakestEnemy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Selector::Target => "target",
            Selector::Itself => "self",
            Selector::OwnPlayer => "own_player",
            Selector::EnemyPlayer => "enemy_player",
            Selector::AllAllies => "all_allies",
            Selector::OtherAllies => "other_allies",
            Selector::AdjacentAllies => "adjacent_allies",
            Selector::AllEnemies => "all_enemies",
            Selector::AllCreatures => "all_creatures",
            Selector::OppositeEnemy => "opposite_enemy",
            Selector::StrongestEnemy => "strongest_enemy",
            Selector::WeakestEnemy => "weakest_enemy",
        }
    }

    /// Whether the selector names players (as opposed to creatures).
    pub fn is_player(self) -> bool {
        matches!(self, Selector::OwnPlayer | Selector::EnemyPlayer)
    }

    /// Whether the selector needs the lane of the creature that carries the effect.
    pub fn needs_source_creature(self) -> bool {
        matches!(
            self,
            Selector::Itself
                | Selector::OtherAllies
                | Selector::AdjacentAllies
                | Selector::OppositeEnemy
        )
    }
}

/// What an effect does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectKind {
    Damage(u8),
    Heal(u8),
    Buff {
        attack: i8,
        health: i8,
    },
    Grant(Keyword),
    /// The owner draws cards.
    Draw(u8),
    /// Token creatures enter the owner's empty lanes, nearest to the source lane first.
    Summon {
        card: CardId,
        count: u8,
    },
    Destroy,
}

impl EffectKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EffectKind::Damage(_) => "damage",
            EffectKind::Heal(_) => "heal",
            EffectKind::Buff { .. } => "buff",
            EffectKind::Grant(_) => "grant",
            EffectKind::Draw(_) => "draw",
            EffectKind::Summon { .. } => "summon",
            EffectKind::Destroy => "destroy",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub trigger: Trigger,
    pub kind: EffectKind,
    /// Ignored by `draw` and `summon`, which always act for the owner.
    pub target: Selector,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CardDef {
    pub id: String,
    pub name: String,
    pub faction: Faction,
    pub kind: CardKind,
    pub cost: u8,
    pub attack: i8,
    pub health: i8,
    pub keywords: Keywords,
    /// Supports: how many of the owner's turn starts it stays for.
    pub duration: u8,
    /// Spells: what the action must name.
    pub target: SpellTarget,
    pub effects: Vec<Effect>,
    /// Tokens are only summoned by effects; decks cannot hold them.
    pub token: bool,
    /// One bit per [`Trigger`] that some effect of this card uses.
    pub triggers: u8,
    pub text: String,
}

impl CardDef {
    #[inline]
    pub fn has_trigger(&self, t: Trigger) -> bool {
        self.triggers & t.bit() != 0
    }
}
