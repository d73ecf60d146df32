//! Reading `data/cards/<faction>.toml` into a [`CardDb`].

use std::collections::HashMap;
use std::path::Path;

use toml::Table;

use super::DataError;
use super::toml_read::{Entry, read_table};
use crate::card::{
    CardDef, CardId, CardKind, Effect, EffectKind, Keyword, Keywords, PlayShape, Selector,
    SpellTarget, Trigger,
};
use crate::faction::Faction;

/// The few facts legal-action generation needs, packed together for the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardInfo {
    pub cost: u8,
    pub kind: CardKind,
    pub target: SpellTarget,
    pub shape: PlayShape,
    pub triggers: u8,
}

impl CardInfo {
    const UNUSED: CardInfo = CardInfo {
        cost: u8::MAX,
        kind: CardKind::Creature,
        target: SpellTarget::None,
        shape: PlayShape::Lane,
        triggers: 0,
    };
}

/// All card definitions, indexed by [`CardId`].
#[derive(Clone, Debug)]
pub struct CardDb {
    defs: Vec<CardDef>,
    /// One entry per possible id, so indexing by a `u8` needs no bounds check.
    infos: Box<[CardInfo; 256]>,
    /// The effects of each card for each trigger, in card order: entry
    /// `id * Trigger::ALL.len() + trigger`. Rules code walks only the effects that fire.
    on_trigger: Vec<Box<[Effect]>>,
    index: HashMap<String, CardId>,
}

impl Default for CardDb {
    fn default() -> Self {
        CardDb {
            defs: Vec::new(),
            infos: Box::new([CardInfo::UNUSED; 256]),
            on_trigger: Vec::new(),
            index: HashMap::new(),
        }
    }
}

const CARD_FIELDS: &[&str] = &[
    "id", "name", "kind", "cost", "attack", "health", "keywords", "duration", "target", "token",
    "text", "effects",
];
const EFFECT_FIELDS: &[&str] = &[
    "trigger", "effect", "target", "amount", "attack", "health", "keyword", "card", "count",
];
/// Ids must fit a `u8` with one value left for "no card".
const MAX_CARDS: usize = 255;

impl CardDb {
    /// Reads the four card files (argentum, symbiote, obsidion, neutral) from `dir`.
    pub fn load(dir: &Path) -> Result<CardDb, DataError> {
        let mut db = CardDb::default();
        let mut pending: Vec<PendingSummon> = Vec::new();
        for faction in Faction::ALL {
            let path = dir.join(format!("{}.toml", faction.as_str()));
            let table = read_table(&path)?;
            let file = Entry::new(&path, faction.as_str(), &table);
            file.only(&["card"])?;
            for (i, card) in file.tables("card")?.into_iter().enumerate() {
                db.read_card(&path, faction, i, card, &mut pending)?;
            }
        }
        for p in pending {
            let fail = |msg: String| DataError::field(&p.file, &p.entry, &p.field, msg);
            let Some(token) = db.index.get(&p.token).copied() else {
                return Err(fail(format!("unknown card `{}`", p.token)));
            };
            if !db.defs[token as usize].token {
                return Err(fail(format!("`{}` is not a token creature", p.token)));
            }
            if let EffectKind::Summon { card, .. } =
                &mut db.defs[p.card as usize].effects[p.effect].kind
            {
                *card = token;
            }
        }
        db.on_trigger = db
            .defs
            .iter()
            .flat_map(|d| {
                Trigger::ALL.map(|t| {
                    d.effects
                        .iter()
                        .filter(|e| e.trigger == t)
                        .copied()
                        .collect()
                })
            })
            .collect();
        Ok(db)
    }

    fn read_card(
        &mut self,
        path: &Path,
        faction: Faction,
        index: usize,
        table: &Table,
        pending: &mut Vec<PendingSummon>,
    ) -> Result<(), DataError> {
        let unnamed = format!("card[{index}]");
        let e = Entry::new(path, unnamed, table);
        let id = e.str("id")?;
        let e = Entry::new(path, id, table);
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(e.err("id", "must be non-empty lowercase letters, digits and _"));
        }
        e.only(CARD_FIELDS)?;
        if self.index.contains_key(id) {
            return Err(e.err("id", "duplicate card id"));
        }
        if self.defs.len() >= MAX_CARDS {
            return Err(e.err("id", format!("more than {MAX_CARDS} cards")));
        }
        let name = e.str("name")?.to_string();
        let kind = match e.str("kind")? {
            "creature" => CardKind::Creature,
            "spell" => CardKind::Spell,
            "support" => CardKind::Support,
            other => {
                return Err(e.err(
                    "kind",
                    format!("unknown kind `{other}` (expected creature, spell or support)"),
                ));
            }
        };
        let cost = e.int("cost", 0, 10)? as u8;
        let creature = kind == CardKind::Creature;
        for (field, ok) in [
            ("attack", creature),
            ("health", creature),
            ("keywords", creature),
            ("token", creature),
            ("duration", kind == CardKind::Support),
            ("target", kind == CardKind::Spell),
        ] {
            if !ok && e.has(field) {
                return Err(e.err(field, format!("not allowed on a {}", kind.as_str())));
            }
        }
        let (attack, health) = if creature {
            (e.int("attack", 0, 20)? as i8, e.int("health", 1, 30)? as i8)
        } else {
            (0, 0)
        };
        let mut keywords = Keywords::NONE;
        for (i, k) in e.str_list("keywords")?.into_iter().enumerate() {
            let kw = Keyword::parse(k).ok_or_else(|| {
                e.err(&format!("keywords[{i}]"), format!("unknown keyword `{k}`"))
            })?;
            if keywords.has(kw) {
                return Err(e.err(&format!("keywords[{i}]"), format!("keyword `{k}` repeated")));
            }
            keywords.insert(kw);
        }
        let duration = if kind == CardKind::Support {
            e.int("duration", 1, 10)? as u8
        } else {
            0
        };
        let target = match e.opt_str("target")? {
            None => SpellTarget::None,
            Some(t) => SpellTarget::ALL
                .into_iter()
                .find(|x| x.as_str() == t)
                .ok_or_else(|| {
                    e.err(
                        "target",
                        format!(
                            "unknown spell target `{t}` (expected none, ally_creature, enemy_creature, any_creature or enemy_any)"
                        ),
                    )
                })?,
        };
        let token = e.bool_or("token", false)?;
        let text = e.opt_str("text")?.unwrap_or("").to_string();
        let card_id = self.defs.len() as CardId;
        let mut effects = Vec::new();
        let mut triggers = 0u8;
        for (i, et) in e.tables("effects")?.into_iter().enumerate() {
            let ee = e.nested(format!("effects[{i}]"), et);
            let (effect, summon) = read_effect(&ee, kind, target)?;
            if let Some(token) = summon {
                pending.push(PendingSummon {
                    file: path.to_path_buf(),
                    entry: id.to_string(),
                    field: ee.field_name("card"),
                    token,
                    card: card_id,
                    effect: i,
                });
            }
            triggers |= effect.trigger.bit();
            effects.push(effect);
        }
        if token && triggers & Trigger::OnPlay.bit() != 0 {
            return Err(e.err(
                "effects",
                "a token is summoned, never played: `on_play` cannot fire",
            ));
        }
        if kind == CardKind::Spell && effects.is_empty() {
            return Err(e.err("effects", "a spell needs at least one effect"));
        }
        if kind == CardKind::Spell
            && target != SpellTarget::None
            && !effects.iter().any(|f| f.target == Selector::Target)
        {
            return Err(e.err(
                "target",
                "the spell names a target but no effect uses `target = \"target\"`",
            ));
        }
        self.index.insert(id.to_string(), card_id);
        self.infos[card_id as usize] = CardInfo {
            cost,
            kind,
            target,
            shape: PlayShape::of(kind, target),
            triggers,
        };
        self.defs.push(CardDef {
            id: id.to_string(),
            name,
            faction,
            kind,
            cost,
            attack,
            health,
            keywords,
            duration,
            target,
            effects,
            token,
            triggers,
            text,
        });
        Ok(())
    }

    #[inline]
    pub fn get(&self, id: CardId) -> &CardDef {
        &self.defs[id as usize]
    }

    #[inline]
    pub fn info(&self, id: CardId) -> CardInfo {
        self.infos[id as usize]
    }

    /// The packed facts of every possible id, for loops that look up many cards.
    #[inline]
    pub fn infos(&self) -> &[CardInfo; 256] {
        &self.infos
    }

    /// The effects of card `id` that `trigger` fires, in the card's order.
    #[inline]
    pub fn effects_on(&self, id: CardId, trigger: Trigger) -> &[Effect] {
        &self.on_trigger[id as usize * Trigger::ALL.len() + trigger as usize]
    }

    pub fn id_of(&self, name: &str) -> Option<CardId> {
        self.index.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &CardDef> {
        self.defs.iter()
    }
}

impl std::ops::Index<CardId> for CardDb {
    type Output = CardDef;
    #[inline]
    fn index(&self, id: CardId) -> &CardDef {
        &self.defs[id as usize]
    }
}

/// A summon whose token id is resolved once every file is read.
struct PendingSummon {
    file: std::path::PathBuf,
    entry: String,
    field: String,
    token: String,
    card: CardId,
    effect: usize,
}

fn read_effect(
    e: &Entry<'_>,
    kind: CardKind,
    spell_target: SpellTarget,
) -> Result<(Effect, Option<String>), DataError> {
    e.only(EFFECT_FIELDS)?;
    let t = e.str("trigger")?;
    let trigger = Trigger::ALL
        .into_iter()
        .find(|x| x.as_str() == t)
        .ok_or_else(|| {
            e.err(
                "trigger",
                format!("unknown trigger `{t}` (expected on_play, on_death, start_of_turn, on_attack or on_kill)"),
            )
        })?;
    let allowed = match kind {
        CardKind::Creature => true,
        CardKind::Spell => trigger == Trigger::OnPlay,
        CardKind::Support => matches!(trigger, Trigger::OnPlay | Trigger::StartOfTurn),
    };
    if !allowed {
        return Err(e.err(
            "trigger",
            format!("`{t}` cannot fire on a {}", kind.as_str()),
        ));
    }
    let name = e.str("effect")?;
    let mut fields: Vec<&str> = vec!["trigger", "effect"];
    let mut summon = None;
    let effect = match name {
        "damage" => {
            fields.extend(["amount", "target"]);
            EffectKind::Damage(e.int("amount", 1, 20)? as u8)
        }
        "heal" => {
            fields.extend(["amount", "target"]);
            EffectKind::Heal(e.int("amount", 1, 30)? as u8)
        }
        "buff" => {
            fields.extend(["attack", "health", "target"]);
            let attack = e.int_or("attack", -10, 10, 0)? as i8;
            let health = e.int_or("health", 0, 10, 0)? as i8;
            if attack == 0 && health == 0 {
                return Err(e.err("attack", "a buff needs a non-zero attack or health"));
            }
            EffectKind::Buff { attack, health }
        }
        "grant" => {
            fields.extend(["keyword", "target"]);
            let k = e.str("keyword")?;
            EffectKind::Grant(
                Keyword::parse(k)
                    .ok_or_else(|| e.err("keyword", format!("unknown keyword `{k}`")))?,
            )
        }
        "draw" => {
            fields.push("amount");
            EffectKind::Draw(e.int("amount", 1, 5)? as u8)
        }
        "summon" => {
            fields.extend(["card", "count"]);
            summon = Some(e.str("card")?.to_string());
            EffectKind::Summon {
                card: 0,
                count: e.int_or("count", 1, 5, 1)? as u8,
            }
        }
        "destroy" => {
            fields.push("target");
            EffectKind::Destroy
        }
        other => {
            return Err(e.err(
                "effect",
                format!("unknown effect `{other}` (expected damage, heal, buff, grant, draw, summon or destroy)"),
            ));
        }
    };
    if let Some(k) = e.table.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(e.err(k, format!("not used by a `{name}` effect")));
    }
    let target = if fields.contains(&"target") {
        let s = e.str("target")?;
        let sel = Selector::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| e.err("target", format!("unknown target `{s}`")))?;
        if sel == Selector::Target && (kind != CardKind::Spell || spell_target == SpellTarget::None)
        {
            return Err(e.err(
                "target",
                "`target` needs a spell whose action names a target",
            ));
        }
        if sel.needs_source_creature() && kind != CardKind::Creature {
            return Err(e.err("target", format!("`{s}` only works on a creature")));
        }
        let creature_only = matches!(
            effect,
            EffectKind::Buff { .. } | EffectKind::Grant(_) | EffectKind::Destroy
        );
        if creature_only && sel.is_player() {
            return Err(e.err(
                "target",
                format!("a `{name}` effect needs creatures, not `{s}`"),
            ));
        }
        if sel == Selector::Target && creature_only && spell_target == SpellTarget::EnemyAny {
            return Err(e.err(
                "target",
                format!("a `{name}` effect cannot take an `enemy_any` target"),
            ));
        }
        sel
    } else {
        Selector::OwnPlayer
    };
    Ok((
        Effect {
            trigger,
            kind: effect,
            target,
        },
        summon,
    ))
}
