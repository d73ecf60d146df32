//! Card effects, their selectors, summons and death resolution.

use super::*;

impl GameState {
    /// Runs the effects of `card` for `trigger`. `lane` is the lane of the creature carrying
    /// them (`FACE` for spells and supports); `chosen` the target named in the action.
    #[inline]
    pub(super) fn fire(
        &mut self,
        data: &GameData,
        card: CardId,
        trigger: Trigger,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) {
        if data.cards.info(card).triggers & trigger.bit() != 0 {
            self.run_effects(data, card, trigger, owner, lane, chosen);
        }
    }

    pub(super) fn run_effects(
        &mut self,
        data: &GameData,
        card: CardId,
        trigger: Trigger,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) {
        for eff in data.cards.effects_on(card, trigger) {
            self.apply_effect(data, eff, owner, lane, chosen);
        }
    }

    pub(super) fn apply_effect(
        &mut self,
        data: &GameData,
        eff: &Effect,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) {
        match eff.kind {
            EffectKind::Draw(n) => {
                for _ in 0..n {
                    self.draw(data, owner);
                }
                return;
            }
            EffectKind::Summon { card, count } => {
                for _ in 0..count {
                    self.summon(
                        data,
                        owner,
                        card,
                        if lane == FACE { 0 } else { lane as usize },
                    );
                }
                return;
            }
            _ => {}
        }
        let t = self.select(data, eff.target, owner, lane, chosen);
        for p in [owner, 1 - owner] {
            if t.faces & (1 << p) != 0 {
                match eff.kind {
                    EffectKind::Damage(n) => self.players[p].life -= n as i16,
                    EffectKind::Heal(n) => self.heal_player(data, p, n as i16),
                    _ => {}
                }
            }
            for l in bits(t.lanes[p]) {
                let l = l as usize;
                if p != owner && self.players[p].lanes[l].has(Keyword::Ward) {
                    self.players[p].lanes[l].keywords.remove(Keyword::Ward);
                    continue;
                }
                match eff.kind {
                    EffectKind::Damage(n) => {
                        self.damage_creature(data, p, l, n as i16, false);
                    }
                    EffectKind::Heal(n) => {
                        let c = &mut self.players[p].lanes[l];
                        c.health = (c.health as i16 + n as i16).min(c.max_health as i16) as i8;
                    }
                    EffectKind::Buff { attack, health } => {
                        let c = &mut self.players[p].lanes[l];
                        c.attack = (c.attack as i16 + attack as i16).clamp(0, 99) as i8;
                        c.health = (c.health as i16 + health as i16).min(99) as i8;
                        c.max_health = (c.max_health as i16 + health as i16).min(99) as i8;
                        // Attack power decides whether it may attack.
                        self.sync_lane(data, p, l);
                    }
                    EffectKind::Grant(k) => {
                        self.players[p].lanes[l].keywords.insert(k);
                        self.sync_lane(data, p, l);
                    }
                    EffectKind::Destroy => {
                        self.players[p].lanes[l].health = 0;
                        self.deaths_pending = true;
                    }
                    EffectKind::Draw(_) | EffectKind::Summon { .. } => {}
                }
            }
        }
    }

    /// Creatures with health left in the lanes of player `p`.
    #[inline]
    fn alive_lanes(&self, p: usize) -> u8 {
        let pl = &self.players[p];
        let mut m = 0;
        for l in bits(pl.sets.occupied) {
            m |= ((pl.lanes[l as usize].health > 0) as u8) << l;
        }
        m
    }

    /// Whom selector `sel` names, as lane masks and faces per player. Not inlined: inlined
    /// into the effect loop, the masks of every selector were computed before it on each call.
    #[inline(never)]
    pub(super) fn select(
        &self,
        data: &GameData,
        sel: Selector,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) -> Targets {
        let lanes = data.rules.lanes as usize;
        let enemy = 1 - owner;
        let mut t = Targets::default();
        let on = |l: usize| if l < lanes { 1u8 << l } else { 0 };
        match sel {
            Selector::Target => match chosen {
                NONE => {}
                ENEMY_FACE => t.faces = 1 << enemy,
                OWN_FACE => t.faces = 1 << owner,
                c if c >= OWN_LANE => {
                    t.lanes[owner] = on((c - OWN_LANE) as usize) & self.alive_lanes(owner);
                }
                c => t.lanes[enemy] = on(c as usize) & self.alive_lanes(enemy),
            },
            Selector::Itself => {
                if lane != FACE {
                    t.lanes[owner] = on(lane as usize) & self.alive_lanes(owner);
                }
            }
            Selector::OwnPlayer => t.faces = 1 << owner,
            Selector::EnemyPlayer => t.faces = 1 << enemy,
            Selector::AllAllies => t.lanes[owner] = self.alive_lanes(owner),
            Selector::OtherAllies => {
                let me = if lane == FACE { 0 } else { on(lane as usize) };
                t.lanes[owner] = self.alive_lanes(owner) & !me;
            }
            Selector::AdjacentAllies => {
                if lane != FACE {
                    let l = lane as usize;
                    let beside = on(l + 1) | if l > 0 { on(l - 1) } else { 0 };
                    t.lanes[owner] = self.alive_lanes(owner) & beside;
                }
            }
            Selector::AllEnemies => t.lanes[enemy] = self.alive_lanes(enemy),
            Selector::AllCreatures => {
                t.lanes[owner] = self.alive_lanes(owner);
                t.lanes[enemy] = self.alive_lanes(enemy);
            }
            Selector::OppositeEnemy => {
                if lane != FACE {
                    t.lanes[enemy] = on(lane as usize) & self.alive_lanes(enemy);
                }
            }
            Selector::StrongestEnemy | Selector::WeakestEnemy => {
                let mut best: Option<(u8, i8)> = None;
                for l in bits(self.alive_lanes(enemy)) {
                    let c = &self.players[enemy].lanes[l as usize];
                    let key = if sel == Selector::StrongestEnemy {
                        c.attack
                    } else {
                        -c.health
                    };
                    if best.is_none_or(|(_, k)| key > k) {
                        best = Some((l, key));
                    }
                }
                if let Some((l, _)) = best {
                    t.lanes[enemy] = 1 << l;
                }
            }
        }
        t
    }

    /// Puts a token in the owner's empty lane nearest to `origin` (lower lane on ties).
    pub(super) fn summon(&mut self, data: &GameData, owner: usize, card: CardId, origin: usize) {
        let lanes = data.rules.lanes as usize;
        let pl = &mut self.players[owner];
        for d in 0..lanes {
            for l in [origin.wrapping_sub(d), origin + d] {
                if l < lanes && pl.lanes[l].is_empty() {
                    pl.lanes[l] = Creature::new(card, &data.cards[card]);
                    self.sync_lane(data, owner, l);
                    return;
                }
            }
        }
    }

    /// Removes every creature at 0 health or less, then runs their on-death effects and
    /// Volatile blasts; repeats while those kill more. Inlined: most calls find nothing to do.
    #[inline]
    pub(super) fn resolve_deaths(&mut self, data: &GameData) {
        if self.deaths_pending {
            self.resolve_pending_deaths(data);
        }
    }

    #[inline(never)]
    fn resolve_pending_deaths(&mut self, data: &GameData) {
        let lanes = data.rules.lanes as usize;
        for _ in 0..MAX_DEATH_WAVES {
            self.deaths_pending = false;
            // (player, lane, card, Volatile) of each creature removed in this wave.
            let mut dead = [(0u8, 0u8, NO_CARD, false); 2 * MAX_LANES];
            let mut n = 0;
            let first = self.active as usize;
            for p in [first, 1 - first] {
                let pl = &mut self.players[p];
                for l in bits(pl.sets.occupied) {
                    let l = l as usize;
                    let c = &mut pl.lanes[l];
                    if c.health <= 0 {
                        dead[n] = (p as u8, l as u8, c.card, c.has(Keyword::Volatile));
                        n += 1;
                        *c = Creature::EMPTY;
                        pl.sets.clear_lane(l);
                    }
                }
            }
            if n == 0 {
                return;
            }
            // When no death effect runs, the board only lost the dead and the next wave would
            // find nothing.
            let mut acted = false;
            for &(p, l, card, volatile) in &dead[..n] {
                let p = p as usize;
                if data.cards.info(card).triggers & Trigger::OnDeath.bit() != 0 {
                    acted = true;
                    self.run_effects(data, card, Trigger::OnDeath, p, l, NONE);
                }
                if volatile {
                    acted = true;
                    let enemy = 1 - p;
                    let lo = (l as usize).saturating_sub(1);
                    let hi = (l as usize + 1).min(lanes - 1);
                    for t in lo..=hi {
                        if self.players[enemy].lanes[t].alive() {
                            if self.players[enemy].lanes[t].has(Keyword::Ward) {
                                self.players[enemy].lanes[t].keywords.remove(Keyword::Ward);
                                continue;
                            }
                            self.damage_creature(
                                data,
                                enemy,
                                t,
                                data.rules.volatile_damage as i16,
                                false,
                            );
                        }
                    }
                }
            }
            if !acted {
                return;
            }
        }
    }
}
