//! Attacks: reach was checked by `legal`; here blows, keywords and on-attack/on-kill effects.

use super::*;

impl GameState {
    pub(super) fn attack(&mut self, data: &GameData, lane: usize, target: u8) {
        let me = self.active as usize;
        let opp = 1 - me;
        let pl = &mut self.players[me];
        let card = pl.lanes[lane].card;
        if (pl.sets.ready >> lane) & 1 == 0 {
            return;
        }
        {
            let a = &mut pl.lanes[lane];
            a.attacks += 1;
            a.keywords.remove(Keyword::Stealth);
            // It could attack, so it still may exactly when it has attacks left.
            let again = a.has(Keyword::Frenzy) && a.attacks < data.rules.frenzy_attacks;
            let bit = 1u8 << lane;
            pl.sets.stealth &= !bit;
            if !again {
                pl.sets.ready &= !bit;
            }
        }
        if data.cards.info(card).triggers & Trigger::OnAttack.bit() != 0 {
            self.fire(data, card, Trigger::OnAttack, me, lane as u8, NONE);
            self.resolve_deaths(data);
            if self.players[me].lanes[lane].card != card {
                self.check_life();
                return;
            }
        }
        let a = self.players[me].lanes[lane];
        let power = attack_power(data, &a) as i16;
        if target == ENEMY_FACE {
            self.players[opp].life -= power;
            if a.has(Keyword::Lifesteal) {
                self.heal_player(data, me, power);
            }
            self.check_life();
            return;
        }
        let t = target as usize;
        if self.players[opp].lanes[t].is_empty() {
            self.check_life();
            return;
        }
        let d = self.players[opp].lanes[t];
        let ranged = a.has(Keyword::Ranged);
        let a_first = a.has(Keyword::Quick) && !d.has(Keyword::Quick);
        let d_first = !ranged && d.has(Keyword::Quick) && !a.has(Keyword::Quick);
        let counter = d.attack as i16;
        if a_first {
            self.strike(data, me, lane, t, power);
            if !ranged && self.players[opp].lanes[t].health > 0 {
                self.counter(data, me, lane, t, counter);
            }
        } else if d_first {
            self.counter(data, me, lane, t, counter);
            if self.players[me].lanes[lane].health > 0 {
                self.strike(data, me, lane, t, power);
            }
        } else {
            self.strike(data, me, lane, t, power);
            if !ranged {
                self.counter(data, me, lane, t, counter);
            }
        }
        let killed = self.players[opp].lanes[t].health <= 0;
        self.resolve_deaths(data);
        if killed
            && self.players[me].lanes[lane].card == card
            && data.cards.info(card).triggers & Trigger::OnKill.bit() != 0
        {
            self.fire(data, card, Trigger::OnKill, me, lane as u8, NONE);
            self.resolve_deaths(data);
        }
        self.check_life();
    }

    /// The attacker's blow: Lethal, Piercing overflow and Lifesteal apply.
    pub(super) fn strike(&mut self, data: &GameData, me: usize, lane: usize, t: usize, power: i16) {
        let opp = 1 - me;
        let a = self.players[me].lanes[lane];
        let before = self.players[opp].lanes[t].health as i16;
        let dealt = self.damage_creature(data, opp, t, power, a.has(Keyword::Lethal));
        if a.has(Keyword::Piercing) && dealt > before {
            self.players[opp].life -= dealt - before.max(0);
        }
        if a.has(Keyword::Lifesteal) {
            self.heal_player(data, me, dealt);
        }
    }

    /// The defender's counter-blow: Lethal and Lifesteal apply, Piercing does not.
    pub(super) fn counter(
        &mut self,
        data: &GameData,
        me: usize,
        lane: usize,
        t: usize,
        power: i16,
    ) {
        let opp = 1 - me;
        let d = self.players[opp].lanes[t];
        let dealt = self.damage_creature(data, me, lane, power, d.has(Keyword::Lethal));
        if d.has(Keyword::Lifesteal) {
            self.heal_player(data, opp, dealt);
        }
    }

    /// Deals damage to a creature; returns the damage actually dealt (0 when a Shield took it).
    pub(super) fn damage_creature(
        &mut self,
        data: &GameData,
        p: usize,
        lane: usize,
        amount: i16,
        lethal: bool,
    ) -> i16 {
        let c = &mut self.players[p].lanes[lane];
        if amount <= 0 || c.is_empty() {
            return 0;
        }
        if c.has(Keyword::Shield) {
            c.keywords.remove(Keyword::Shield);
            return 0;
        }
        let dealt = if c.has(Keyword::Fortify) {
            amount - data.rules.fortify_reduction as i16
        } else {
            amount
        };
        if dealt <= 0 {
            return 0;
        }
        if lethal {
            c.health = 0;
        } else {
            c.health = (c.health as i16 - dealt).max(-99) as i8;
        }
        if c.health <= 0 {
            self.deaths_pending = true;
        }
        dealt
    }

    pub(super) fn heal_player(&mut self, data: &GameData, p: usize, amount: i16) {
        let pl = &mut self.players[p];
        if amount > 0 && pl.life < data.rules.starting_life {
            pl.life = (pl.life + amount).min(data.rules.starting_life);
        }
    }
}

/// Damage a creature deals when it attacks (Charge adds its bonus).
#[inline]
pub fn attack_power(data: &GameData, c: &Creature) -> i8 {
    if c.has(Keyword::Charge) {
        c.attack.saturating_add(data.rules.charge_bonus as i8)
    } else {
        c.attack
    }
}
