//! The game state and the rules that change it. `GameState` is `Copy` (about 220 bytes of
//! fixed arrays and `u8` card ids); card definitions stay in [`GameData`].

use crate::action::{Action, ActionBuf, ENEMY_FACE, NONE, OWN_FACE, OWN_LANE};
use crate::card::{
    CardDef, CardId, CardKind, Effect, EffectKind, Keyword, Keywords, Selector, SpellTarget,
    Trigger,
};
use crate::data::{Deck, GameData};
use crate::rules::{MAX_DECK, MAX_HAND, MAX_LANES, MAX_SUPPORTS};
use crate::seed;

/// Marks an empty lane, support slot or hand position.
pub const NO_CARD: CardId = u8::MAX;
/// Lane index standing for a player in effect targets.
const FACE: u8 = u8::MAX;
/// A chain of deaths (Volatile, on-death damage) resolves in at most this many waves.
const MAX_DEATH_WAVES: usize = 32;

/// A player's seat. `First` takes the first turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seat {
    First,
    Second,
}

impl Seat {
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    #[inline]
    pub fn from_index(i: usize) -> Seat {
        if i == 0 { Seat::First } else { Seat::Second }
    }

    #[inline]
    pub fn other(self) -> Seat {
        Seat::from_index(1 - self.index())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Seat::First => "first",
            Seat::Second => "second",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ongoing,
    Won(Seat),
    Draw,
}

/// A creature on the board, or an empty lane when `card == NO_CARD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Creature {
    pub card: CardId,
    pub attack: i8,
    pub health: i8,
    pub max_health: i8,
    pub keywords: Keywords,
    /// Attacks made this turn.
    pub attacks: u8,
    /// Entered the board since its owner's last turn start (cannot attack without Rush).
    pub fresh: bool,
}

impl Creature {
    pub const EMPTY: Creature = Creature {
        card: NO_CARD,
        attack: 0,
        health: 0,
        max_health: 0,
        keywords: Keywords::NONE,
        attacks: 0,
        fresh: false,
    };

    /// A freshly played or summoned creature of card `id`.
    pub fn new(id: CardId, def: &CardDef) -> Creature {
        Creature {
            card: id,
            attack: def.attack,
            health: def.health,
            max_health: def.health,
            keywords: def.keywords,
            attacks: 0,
            fresh: true,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.card == NO_CARD
    }

    #[inline]
    pub fn alive(&self) -> bool {
        self.card != NO_CARD && self.health > 0
    }

    #[inline]
    pub fn has(&self, k: Keyword) -> bool {
        self.keywords.has(k)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Support {
    pub card: CardId,
    pub turns_left: u8,
}

impl Support {
    pub const EMPTY: Support = Support {
        card: NO_CARD,
        turns_left: 0,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Player {
    pub life: i16,
    pub essence: u8,
    pub max_essence: u8,
    pub ap: u8,
    pub hand_len: u8,
    pub deck_len: u8,
    /// Index of the next card to draw in `deck`.
    pub deck_pos: u8,
    pub hand: [CardId; MAX_HAND],
    pub deck: [CardId; MAX_DECK],
    pub lanes: [Creature; MAX_LANES],
    pub supports: [Support; MAX_SUPPORTS],
}

impl Player {
    pub fn hand(&self) -> &[CardId] {
        &self.hand[..self.hand_len as usize]
    }

    pub fn deck_left(&self) -> usize {
        (self.deck_len - self.deck_pos) as usize
    }

    pub fn creature_count(&self) -> usize {
        self.lanes.iter().filter(|c| !c.is_empty()).count()
    }

    /// Adds a card to the hand if there is room; returns whether it was added.
    pub fn add_to_hand(&mut self, card: CardId, max_hand: u8) -> bool {
        if self.hand_len < max_hand {
            self.hand[self.hand_len as usize] = card;
            self.hand_len += 1;
            true
        } else {
            false
        }
    }

    fn remove_from_hand(&mut self, i: usize) -> CardId {
        let card = self.hand[i];
        let n = self.hand_len as usize;
        self.hand.copy_within(i + 1..n, i);
        self.hand_len -= 1;
        card
    }
}

/// Up to ten (player, lane) pairs an effect applies to; `FACE` as lane means the player.
struct Targets {
    len: usize,
    items: [(u8, u8); 2 * MAX_LANES],
}

impl Targets {
    fn new() -> Targets {
        Targets {
            len: 0,
            items: [(0, 0); 2 * MAX_LANES],
        }
    }

    fn push(&mut self, p: usize, lane: u8) {
        if self.len < self.items.len() {
            self.items[self.len] = (p as u8, lane);
            self.len += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameState {
    pub players: [Player; 2],
    /// Index of the player whose turn it is.
    pub active: u8,
    /// The current turn, from 1; each player's turn counts as one.
    pub turn: u16,
    pub status: Status,
    /// Some creature may be at 0 health: death resolution has work to do.
    deaths_pending: bool,
}

impl GameState {
    /// A new game: decks shuffled from `seed`, opening hands drawn (the second seat draws
    /// `second_seat_extra_cards` more), and the first player's first turn started.
    pub fn new(data: &GameData, first: &Deck, second: &Deck, seed: u64) -> GameState {
        let rules = &data.rules;
        let empty = Player {
            life: rules.starting_life,
            essence: 0,
            max_essence: 0,
            ap: 0,
            hand_len: 0,
            deck_len: 0,
            deck_pos: 0,
            hand: [NO_CARD; MAX_HAND],
            deck: [NO_CARD; MAX_DECK],
            lanes: [Creature::EMPTY; MAX_LANES],
            supports: [Support::EMPTY; MAX_SUPPORTS],
        };
        let mut s = GameState {
            players: [empty; 2],
            active: 0,
            turn: 1,
            status: Status::Ongoing,
            deaths_pending: false,
        };
        for (p, deck) in [first, second].into_iter().enumerate() {
            let pl = &mut s.players[p];
            let n = deck.cards.len().min(MAX_DECK);
            pl.deck[..n].copy_from_slice(&deck.cards[..n]);
            pl.deck_len = n as u8;
            let mut rng = seed::rng(seed, p as u64);
            for i in (1..n).rev() {
                let j = seed::below(&mut rng, i + 1);
                pl.deck.swap(i, j);
            }
            let opening = rules.starting_hand
                + if p == 1 {
                    rules.second_seat_extra_cards
                } else {
                    0
                };
            for _ in 0..opening {
                s.draw(data, p);
            }
        }
        s.start_turn(data);
        s
    }

    #[inline]
    pub fn is_terminal(&self) -> bool {
        self.status != Status::Ongoing
    }

    /// The winner once the game is over (`None` while ongoing or on a draw).
    pub fn winner(&self) -> Option<Seat> {
        match self.status {
            Status::Won(s) => Some(s),
            _ => None,
        }
    }

    #[inline]
    pub fn active_seat(&self) -> Seat {
        Seat::from_index(self.active as usize)
    }

    #[inline]
    pub fn active_player(&self) -> &Player {
        &self.players[self.active as usize]
    }

    // ----- legal actions -------------------------------------------------------------------

    /// Writes every legal action into `out` (empty when the game is over). Identical cards in
    /// hand give one set of actions, for the first copy.
    pub fn legal_actions(&self, data: &GameData, out: &mut ActionBuf) {
        out.clear();
        self.action_groups(data, |g| {
            g.expand(out);
            true
        });
    }

    /// The number of legal actions.
    pub fn legal_count(&self, data: &GameData) -> usize {
        let mut n = 0;
        self.action_groups(data, |g| {
            n += g.count();
            true
        });
        n
    }

    /// The `k`-th legal action in [`GameState::legal_actions`] order, without listing them all.
    pub fn nth_legal(&self, data: &GameData, mut k: usize) -> Option<Action> {
        let mut found = None;
        self.action_groups(data, |g| {
            let n = g.count();
            if k < n {
                found = Some(g.nth(k));
                false
            } else {
                k -= n;
                true
            }
        });
        found
    }

    /// A uniformly random legal action (`None` when the game is over).
    pub fn random_legal(&self, data: &GameData, rng: &mut seed::Rng) -> Option<Action> {
        let mut groups = [ActionGroup::END_TURN; MAX_GROUPS];
        let mut len = 0;
        let mut total = 0;
        self.action_groups(data, |g| {
            total += g.count();
            groups[len] = g;
            len += 1;
            true
        });
        if total == 0 {
            return None;
        }
        let mut k = seed::below(rng, total);
        for g in &groups[..len] {
            let n = g.count();
            if k < n {
                return Some(g.nth(k));
            }
            k -= n;
        }
        None
    }

    /// Calls `f` with every group of legal actions in a fixed order: hand cards (first copy of
    /// each card), attackers by lane, end turn. Stops early when `f` returns false.
    #[inline]
    fn action_groups(&self, data: &GameData, mut f: impl FnMut(ActionGroup) -> bool) {
        if self.is_terminal() {
            return;
        }
        let me = self.active as usize;
        let pl = &self.players[me];
        let opp = &self.players[1 - me];
        let lanes = data.rules.lanes as usize;
        let all = lane_mask(lanes);
        let own = masks(pl, lanes);
        let en = masks(opp, lanes);
        if pl.ap >= 1 {
            let mut seen = [0u64; 4];
            let support_free = pl.supports[..data.rules.support_slots as usize]
                .iter()
                .any(|s| s.card == NO_CARD);
            for (i, &card) in pl.hand().iter().enumerate() {
                let (word, bit) = ((card >> 6) as usize, 1u64 << (card & 63));
                if seen[word] & bit != 0 {
                    continue;
                }
                seen[word] |= bit;
                let info = data.cards.info(card);
                if info.cost > pl.essence {
                    continue;
                }
                let mut g = ActionGroup {
                    kind: GroupKind::Spell,
                    src: i as u8,
                    enemy: 0,
                    own: 0,
                    face: false,
                    none: false,
                };
                match info.kind {
                    CardKind::Creature => {
                        g.kind = GroupKind::Creature;
                        g.own = all & !own.occupied;
                    }
                    CardKind::Support => g.none = support_free,
                    CardKind::Spell => match info.target {
                        SpellTarget::None => g.none = true,
                        SpellTarget::EnemyCreature => g.enemy = en.targetable,
                        SpellTarget::AllyCreature => g.own = own.occupied,
                        SpellTarget::AnyCreature => {
                            g.enemy = en.targetable;
                            g.own = own.occupied;
                        }
                        SpellTarget::EnemyAny => {
                            g.enemy = en.targetable;
                            g.face = true;
                        }
                    },
                }
                if g.count() > 0 && !f(g) {
                    return;
                }
            }
        }
        for lane in bits(own.occupied) {
            let c = &pl.lanes[lane as usize];
            if !self.can_attack(data, c) {
                continue;
            }
            let reach = if c.has(Keyword::Ranged) {
                all
            } else {
                reach_mask(lane as usize) & all
            };
            let guards = en.guard & reach;
            let g = ActionGroup {
                kind: GroupKind::Attack,
                src: lane,
                enemy: if guards != 0 {
                    guards
                } else {
                    en.targetable & reach
                },
                own: 0,
                face: guards == 0 && reach & !en.occupied != 0,
                none: false,
            };
            if g.count() > 0 && !f(g) {
                return;
            }
        }
        f(ActionGroup::END_TURN);
    }

    #[inline]
    fn can_attack(&self, data: &GameData, c: &Creature) -> bool {
        if c.is_empty() || (c.fresh && !c.has(Keyword::Rush)) {
            return false;
        }
        let max = if c.has(Keyword::Frenzy) {
            data.rules.frenzy_attacks
        } else {
            1
        };
        c.attacks < max && attack_power(data, c) > 0
    }

    /// Whether `action` is legal now (slow path, for checking untrusted input).
    pub fn is_legal(&self, data: &GameData, action: Action) -> bool {
        let mut buf = ActionBuf::new();
        self.legal_actions(data, &mut buf);
        buf.contains(&action)
    }

    // ----- applying actions ----------------------------------------------------------------

    /// Applies a legal action (as listed by [`GameState::legal_actions`]). Anything else is
    /// ignored, so a bad caller cannot corrupt the state.
    pub fn apply(&mut self, data: &GameData, action: Action) {
        if self.is_terminal() {
            return;
        }
        match action {
            Action::EndTurn => self.end_turn(data),
            Action::Play { hand, lane, target } => self.play(data, hand as usize, lane, target),
            Action::Attack { lane, target } => self.attack(data, lane as usize, target),
        }
    }

    fn play(&mut self, data: &GameData, hand: usize, lane: u8, target: u8) {
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

    fn attack(&mut self, data: &GameData, lane: usize, target: u8) {
        let me = self.active as usize;
        let opp = 1 - me;
        let attacker = self.players[me].lanes[lane];
        if !self.can_attack(data, &attacker) {
            return;
        }
        let card = attacker.card;
        {
            let a = &mut self.players[me].lanes[lane];
            a.attacks += 1;
            a.keywords.remove(Keyword::Stealth);
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
    fn strike(&mut self, data: &GameData, me: usize, lane: usize, t: usize, power: i16) {
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
    fn counter(&mut self, data: &GameData, me: usize, lane: usize, t: usize, power: i16) {
        let opp = 1 - me;
        let d = self.players[opp].lanes[t];
        let dealt = self.damage_creature(data, me, lane, power, d.has(Keyword::Lethal));
        if d.has(Keyword::Lifesteal) {
            self.heal_player(data, opp, dealt);
        }
    }

    /// Deals damage to a creature; returns the damage actually dealt (0 when a Shield took it).
    fn damage_creature(
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

    fn heal_player(&mut self, data: &GameData, p: usize, amount: i16) {
        let pl = &mut self.players[p];
        if amount > 0 && pl.life < data.rules.starting_life {
            pl.life = (pl.life + amount).min(data.rules.starting_life);
        }
    }

    fn end_turn(&mut self, data: &GameData) {
        let me = self.active as usize;
        let lanes = data.rules.lanes as usize;
        let mut any = false;
        for c in &mut self.players[me].lanes[..lanes] {
            if !c.is_empty() && c.has(Keyword::Ephemeral) && !c.fresh {
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
    fn start_turn(&mut self, data: &GameData) {
        let rules = &data.rules;
        let me = self.active as usize;
        let lanes = rules.lanes as usize;
        {
            let pl = &mut self.players[me];
            pl.max_essence = (pl.max_essence + 1).min(rules.essence_cap);
            pl.essence = pl.max_essence;
            pl.ap = rules.action_points;
            for c in &mut pl.lanes[..lanes] {
                c.fresh = false;
                c.attacks = 0;
                if !c.is_empty() && c.has(Keyword::Regenerate) {
                    c.health = (c.health + rules.regenerate_amount as i8).min(c.max_health);
                }
            }
        }
        if self.turn > 1 {
            self.draw(data, me);
        }
        let mut firing = [NO_CARD; MAX_LANES];
        for (lane, c) in self.players[me].lanes[..lanes].iter().enumerate() {
            if !c.is_empty() && data.cards.info(c.card).triggers & Trigger::StartOfTurn.bit() != 0 {
                firing[lane] = c.card;
            }
        }
        for (lane, &card) in firing[..lanes].iter().enumerate() {
            if card != NO_CARD && self.players[me].lanes[lane].card == card {
                self.fire(data, card, Trigger::StartOfTurn, me, lane as u8, NONE);
                self.resolve_deaths(data);
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
    fn check_life(&mut self) -> bool {
        if self.status != Status::Ongoing {
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

    // ----- effects -------------------------------------------------------------------------

    /// Runs the effects of `card` for `trigger`. `lane` is the lane of the creature carrying
    /// them (`FACE` for spells and supports); `chosen` the target named in the action.
    #[inline]
    fn fire(
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

    fn run_effects(
        &mut self,
        data: &GameData,
        card: CardId,
        trigger: Trigger,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) {
        for eff in &data.cards[card].effects {
            if eff.trigger == trigger {
                self.apply_effect(data, eff, owner, lane, chosen);
            }
        }
    }

    fn apply_effect(&mut self, data: &GameData, eff: &Effect, owner: usize, lane: u8, chosen: u8) {
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
        let targets = self.select(data, eff.target, owner, lane, chosen);
        for &(p, l) in &targets.items[..targets.len] {
            let p = p as usize;
            if l == FACE {
                match eff.kind {
                    EffectKind::Damage(n) => self.players[p].life -= n as i16,
                    EffectKind::Heal(n) => self.heal_player(data, p, n as i16),
                    _ => {}
                }
                continue;
            }
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
                }
                EffectKind::Grant(k) => self.players[p].lanes[l].keywords.insert(k),
                EffectKind::Destroy => {
                    self.players[p].lanes[l].health = 0;
                    self.deaths_pending = true;
                }
                EffectKind::Draw(_) | EffectKind::Summon { .. } => {}
            }
        }
    }

    fn select(
        &self,
        data: &GameData,
        sel: Selector,
        owner: usize,
        lane: u8,
        chosen: u8,
    ) -> Targets {
        let lanes = data.rules.lanes as usize;
        let enemy = 1 - owner;
        let mut t = Targets::new();
        let alive = |p: usize, l: usize| self.players[p].lanes[l].alive();
        match sel {
            Selector::Target => match chosen {
                NONE => {}
                ENEMY_FACE => t.push(enemy, FACE),
                OWN_FACE => t.push(owner, FACE),
                c if c >= OWN_LANE => {
                    let l = (c - OWN_LANE) as usize;
                    if l < lanes && alive(owner, l) {
                        t.push(owner, l as u8);
                    }
                }
                c => {
                    if (c as usize) < lanes && alive(enemy, c as usize) {
                        t.push(enemy, c);
                    }
                }
            },
            Selector::Itself => {
                if lane != FACE && alive(owner, lane as usize) {
                    t.push(owner, lane);
                }
            }
            Selector::OwnPlayer => t.push(owner, FACE),
            Selector::EnemyPlayer => t.push(enemy, FACE),
            Selector::AllAllies | Selector::OtherAllies | Selector::AdjacentAllies => {
                for l in 0..lanes {
                    let keep = match sel {
                        Selector::OtherAllies => l as u8 != lane,
                        Selector::AdjacentAllies => {
                            lane != FACE && (l as i32 - lane as i32).abs() == 1
                        }
                        _ => true,
                    };
                    if keep && alive(owner, l) {
                        t.push(owner, l as u8);
                    }
                }
            }
            Selector::AllEnemies => {
                for l in 0..lanes {
                    if alive(enemy, l) {
                        t.push(enemy, l as u8);
                    }
                }
            }
            Selector::AllCreatures => {
                for p in [owner, enemy] {
                    for l in 0..lanes {
                        if alive(p, l) {
                            t.push(p, l as u8);
                        }
                    }
                }
            }
            Selector::OppositeEnemy => {
                if lane != FACE && alive(enemy, lane as usize) {
                    t.push(enemy, lane);
                }
            }
            Selector::StrongestEnemy | Selector::WeakestEnemy => {
                let mut best: Option<(usize, i8)> = None;
                for l in 0..lanes {
                    if !alive(enemy, l) {
                        continue;
                    }
                    let c = &self.players[enemy].lanes[l];
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
                    t.push(enemy, l as u8);
                }
            }
        }
        t
    }

    /// Puts a token in the owner's empty lane nearest to `origin` (lower lane on ties).
    fn summon(&mut self, data: &GameData, owner: usize, card: CardId, origin: usize) {
        let lanes = data.rules.lanes as usize;
        let pl = &mut self.players[owner];
        for d in 0..lanes {
            for l in [origin.wrapping_sub(d), origin + d] {
                if l < lanes && pl.lanes[l].is_empty() {
                    pl.lanes[l] = Creature::new(card, &data.cards[card]);
                    return;
                }
            }
        }
    }

    /// Removes every creature at 0 health or less, then runs their on-death effects and
    /// Volatile blasts; repeats while those kill more.
    fn resolve_deaths(&mut self, data: &GameData) {
        if !self.deaths_pending {
            return;
        }
        let lanes = data.rules.lanes as usize;
        for _ in 0..MAX_DEATH_WAVES {
            self.deaths_pending = false;
            let mut dead = [(0u8, 0u8, Creature::EMPTY); 2 * MAX_LANES];
            let mut n = 0;
            let first = self.active as usize;
            for p in [first, 1 - first] {
                for l in 0..lanes {
                    let c = self.players[p].lanes[l];
                    if !c.is_empty() && c.health <= 0 {
                        dead[n] = (p as u8, l as u8, c);
                        n += 1;
                        self.players[p].lanes[l] = Creature::EMPTY;
                    }
                }
            }
            if n == 0 {
                return;
            }
            for &(p, l, c) in &dead[..n] {
                let p = p as usize;
                self.fire(data, c.card, Trigger::OnDeath, p, l, NONE);
                if c.has(Keyword::Volatile) {
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
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GroupKind {
    /// Play creature `src` from hand into a lane of `own`.
    Creature,
    /// Play spell or support `src` at a target: `enemy` lanes, `own` lanes, the enemy face, or
    /// no target (`none`).
    Spell,
    /// The creature in lane `src` attacks an `enemy` lane or the face.
    Attack,
    EndTurn,
}

/// The legal actions sharing one source, as masks; expands in a fixed order: enemy lanes, own
/// lanes, face, no target.
#[derive(Clone, Copy)]
struct ActionGroup {
    kind: GroupKind,
    src: u8,
    enemy: u8,
    own: u8,
    face: bool,
    none: bool,
}

/// Hand cards, attackers and end turn.
const MAX_GROUPS: usize = MAX_HAND + MAX_LANES + 1;

impl ActionGroup {
    const END_TURN: ActionGroup = ActionGroup {
        kind: GroupKind::EndTurn,
        src: 0,
        enemy: 0,
        own: 0,
        face: false,
        none: true,
    };

    #[inline]
    fn count(&self) -> usize {
        (POPCOUNT[self.enemy as usize]
            + POPCOUNT[self.own as usize]
            + self.face as u8
            + self.none as u8) as usize
    }

    #[inline]
    fn make(&self, target: u8) -> Action {
        match self.kind {
            GroupKind::Creature => Action::Play {
                hand: self.src,
                lane: target - OWN_LANE,
                target: NONE,
            },
            GroupKind::Spell => Action::Play {
                hand: self.src,
                lane: NONE,
                target,
            },
            GroupKind::Attack => Action::Attack {
                lane: self.src,
                target,
            },
            GroupKind::EndTurn => Action::EndTurn,
        }
    }

    #[inline]
    fn expand(&self, out: &mut ActionBuf) {
        for t in bits(self.enemy) {
            out.push(self.make(t));
        }
        for t in bits(self.own) {
            out.push(self.make(OWN_LANE + t));
        }
        if self.face {
            out.push(self.make(ENEMY_FACE));
        }
        if self.none {
            out.push(self.make(NONE));
        }
    }

    /// The `k`-th action of the group (`k < count()`).
    #[inline]
    fn nth(&self, mut k: usize) -> Action {
        let ne = POPCOUNT[self.enemy as usize] as usize;
        if k < ne {
            return self.make(nth_bit(self.enemy, k));
        }
        k -= ne;
        let no = POPCOUNT[self.own as usize] as usize;
        if k < no {
            return self.make(OWN_LANE + nth_bit(self.own, k));
        }
        k -= no;
        if self.face && k == 0 {
            return self.make(ENEMY_FACE);
        }
        self.make(NONE)
    }
}

/// Bits set in each byte; a table, since the baseline x86-64 target has no popcount
/// instruction.
const POPCOUNT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).count_ones() as u8;
        i += 1;
    }
    t
};

#[inline]
fn nth_bit(mut m: u8, k: usize) -> u8 {
    for _ in 0..k {
        m &= m - 1;
    }
    m.trailing_zeros() as u8
}

/// Lane sets of one player as bit masks.
#[derive(Clone, Copy)]
struct Masks {
    occupied: u8,
    /// Creatures enemy attacks and spells may name (not in Stealth).
    targetable: u8,
    /// Targetable creatures with Guard.
    guard: u8,
}

/// Branch-free: an empty lane has no keywords, so only occupancy needs the card byte.
#[inline]
fn masks(p: &Player, lanes: usize) -> Masks {
    let mut occupied = 0u8;
    let mut stealth = 0u8;
    let mut guard = 0u8;
    for (l, c) in p.lanes[..lanes].iter().enumerate() {
        occupied |= ((c.card != NO_CARD) as u8) << l;
        stealth |= (((c.keywords.0 >> Keyword::Stealth as u16) & 1) as u8) << l;
        guard |= (((c.keywords.0 >> Keyword::Guard as u16) & 1) as u8) << l;
    }
    let targetable = occupied & !stealth;
    Masks {
        occupied,
        targetable,
        guard: targetable & guard,
    }
}

#[inline]
fn lane_mask(lanes: usize) -> u8 {
    ((1u16 << lanes) - 1) as u8
}

/// Lanes `lane - 1 ..= lane + 1` as a mask (before clipping to the lane count).
#[inline]
fn reach_mask(lane: usize) -> u8 {
    ((0b111u16 << lane) >> 1) as u8
}

/// The set bits of a mask, lowest first.
#[inline]
fn bits(mut m: u8) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if m == 0 {
            None
        } else {
            let b = m.trailing_zeros() as u8;
            m &= m - 1;
            Some(b)
        }
    })
}

/// The enemy lanes a creature in `lane` reaches (Ranged reaches all).
#[inline]
pub fn reach(c: &Creature, lane: usize, lanes: usize) -> (usize, usize) {
    if c.has(Keyword::Ranged) {
        (0, lanes - 1)
    } else {
        (lane.saturating_sub(1), (lane + 1).min(lanes - 1))
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
