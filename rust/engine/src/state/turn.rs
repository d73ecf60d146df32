//! Applying actions: playing cards, ending and starting turns, drawing, the end of the game.

use super::*;

impl GameState {
    /// Applies an action without checking it: the hot path for bots, which only pick from
    /// [`GameState::legal_actions`]. Most illegal actions are ignored, but that is a guard, not
    /// a contract; input from outside the engine goes through [`GameState::play`].
    pub fn apply(&mut self, data: &GameData, action: Action) {
        if self.is_terminal() {
            return;
        }
        match action {
            Action::EndTurn => self.end_turn(data),
            Action::Play { hand, lane, target } => {
                self.play_card(data, hand as usize, lane, target)
            }
            Action::Attack { lane, target } => self.attack(data, lane as usize, target),
        }
    }

    pub(super) fn play_card(&mut self, data: &GameData, hand: usize, lane: u8, target: u8) {
        let me = self.active as usize;
        let pl = &mut self.players[me];
        if hand >= pl.hand_len as usize || pl.ap == 0 {
            return;
        }
        let card = pl.hand[hand];
        let def = &data.cards[card];
        if def.cost > pl.essence {
            return;
        }
        match def.kind {
            CardKind::Creature => {
                let l = lane as usize;
                if l >= data.rules.lanes as usize || !pl.lanes[l].is_empty() {
                    return;
                }
                pl.remove_from_hand(hand);
                pl.ap -= 1;
                pl.essence -= def.cost;
                pl.lanes[l] = Creature::new(card, def);
                self.sync_lane(data, me, l);
                self.fire(data, card, Trigger::OnPlay, me, l as u8, NONE);
            }
            CardKind::Spell => {
                pl.remove_from_hand(hand);
                pl.ap -= 1;
                pl.essence -= def.cost;
                self.fire(data, card, Trigger::OnPlay, me, FACE, target);
            }
            CardKind::Support => {
                let slots = data.rules.support_slots as usize;
                let Some(slot) = pl.supports[..slots].iter().position(|s| s.card == NO_CARD) else {
                    return;
                };
                pl.remove_from_hand(hand);
                pl.ap -= 1;
                pl.essence -= def.cost;
                pl.supports[slot] = Support {
                    card,
                    turns_left: def.duration,
                };
                self.fire(data, card, Trigger::OnPlay, me, FACE, NONE);
            }
        }
        self.resolve_deaths(data);
        self.check_life();
    }

    pub(super) fn end_turn(&mut self, data: &GameData) {
        let me = self.active as usize;
        let mut any = false;
        let pl = &mut self.players[me];
        for lane in bits(pl.sets.occupied) {
            let c = &mut pl.lanes[lane as usize];
            if c.has(Keyword::Ephemeral) && !c.fresh {
                c.health = 0;
                any = true;
            }
        }
        if any {
            self.deaths_pending = true;
            self.resolve_deaths(data);
        }
        if self.check_life() {
            return;
        }
        if self.turn >= data.rules.turn_limit {
            let (a, b) = (self.players[0].life, self.players[1].life);
            self.status = if a > b {
                Status::Won(Seat::First)
            } else if b > a {
                Status::Won(Seat::Second)
            } else {
                Status::Draw
            };
            return;
        }
        self.active = 1 - self.active;
        self.turn += 1;
        self.start_turn(data);
        self.check_life();
    }

    /// Start of the active player's turn: essence, action points, readied creatures, the
    /// draw (not on the game's first turn), Regenerate, then start-of-turn triggers of
    /// creatures (lane order) and supports (slot order), supports ticking down.
    pub(super) fn start_turn(&mut self, data: &GameData) {
        let rules = &data.rules;
        let me = self.active as usize;
        let lanes = rules.lanes as usize;
        // Creatures with a start-of-turn trigger, noted before any fires (the draw cannot
        // change the board).
        let mut firing = [NO_CARD; MAX_LANES];
        let mut any_firing = false;
        {
            let pl = &mut self.players[me];
            pl.max_essence = (pl.max_essence + 1).min(rules.essence_cap);
            pl.essence = pl.max_essence;
            pl.ap = rules.action_points;
            let mut ready = 0u8;
            // Empty lanes are blank (never fresh, no attacks): only creatures need readying.
            for lane in bits(pl.sets.occupied) {
                let lane = lane as usize;
                let c = &mut pl.lanes[lane];
                c.fresh = false;
                c.attacks = 0;
                // Readied, not fresh and with no attacks made, it may attack when it has
                // attack power.
                ready |= ((attack_power(data, c) > 0) as u8) << lane;
                if c.has(Keyword::Regenerate) {
                    c.health = (c.health + rules.regenerate_amount as i8).min(c.max_health);
                }
                if data.cards.info(c.card).triggers & Trigger::StartOfTurn.bit() != 0 {
                    firing[lane] = c.card;
                    any_firing = true;
                }
            }
            // Readying changes only who may attack; occupancy and keywords stay.
            pl.sets.ready = ready;
        }
        if self.turn > 1 {
            self.draw(data, me);
        }
        if any_firing {
            for (lane, &card) in firing[..lanes].iter().enumerate() {
                if card != NO_CARD && self.players[me].lanes[lane].card == card {
                    self.fire(data, card, Trigger::StartOfTurn, me, lane as u8, NONE);
                    self.resolve_deaths(data);
                }
            }
        }
        for slot in 0..rules.support_slots as usize {
            let s = self.players[me].supports[slot];
            if s.card == NO_CARD {
                continue;
            }
            self.fire(data, s.card, Trigger::StartOfTurn, me, FACE, NONE);
            self.resolve_deaths(data);
            let s = &mut self.players[me].supports[slot];
            s.turns_left = s.turns_left.saturating_sub(1);
            if s.turns_left == 0 {
                *s = Support::EMPTY;
            }
        }
    }

    /// Draws one card: a full hand burns it, an empty deck deals fatigue damage instead.
    pub fn draw(&mut self, data: &GameData, p: usize) {
        let pl = &mut self.players[p];
        if pl.deck_pos >= pl.deck_len {
            pl.life -= data.rules.fatigue_damage as i16;
            return;
        }
        let card = pl.deck[pl.deck_pos as usize];
        pl.deck_pos += 1;
        pl.add_to_hand(card, data.rules.max_hand);
    }

    /// Sets the result when a player is at 0 life; returns whether the game is over.
    pub(super) fn check_life(&mut self) -> bool {
        if self.is_terminal() {
            return true;
        }
        let dead0 = self.players[0].life <= 0;
        let dead1 = self.players[1].life <= 0;
        self.status = match (dead0, dead1) {
            (true, true) => Status::Draw,
            (true, false) => Status::Won(Seat::Second),
            (false, true) => Status::Won(Seat::First),
            (false, false) => return false,
        };
        true
    }
}
