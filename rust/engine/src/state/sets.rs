//! The lane and hand sets legal-action listing reads, kept current as the state changes
//! instead of rebuilt at every decision. Every rule that edits a lane calls
//! [`GameState::sync_lane`]; hand edits go through `Player::add_to_hand` and
//! `Player::remove_from_hand`, which update the hand set themselves. Debug builds compare the
//! sets with a recomputation ([`GameState::refresh`]) whenever legal actions are listed.

use super::*;

/// One player's sets, bit `l` standing for lane `l` (or hand position `l`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sets {
    /// Lanes holding a creature.
    pub(super) occupied: u8,
    /// Creatures with Stealth (enemy attacks and spells cannot name them).
    pub(super) stealth: u8,
    /// Creatures with Guard.
    pub(super) guard: u8,
    /// Creatures that may attack now (see `GameState::can_attack`).
    pub(super) ready: u8,
    /// Creatures with Ranged (they reach every lane).
    pub(super) ranged: u8,
    /// Hand positions holding the first copy of their card: identical cards list one set of
    /// actions.
    pub(super) firsts: u16,
}

impl Sets {
    pub(super) const EMPTY: Sets = Sets {
        occupied: 0,
        stealth: 0,
        guard: 0,
        ready: 0,
        ranged: 0,
        firsts: 0,
    };

    /// `card` was appended to a hand that held `before`.
    #[inline]
    pub(super) fn hand_added(&mut self, before: &[CardId], card: CardId) {
        if !before.contains(&card) {
            self.firsts |= 1 << before.len();
        }
    }

    /// `card` was removed from position `i`; `after` is the hand now.
    #[inline]
    pub(super) fn hand_removed(&mut self, after: &[CardId], i: usize, card: CardId) {
        // The usual case: no two identical cards, every position a first copy, and still so.
        let full = (1u16 << after.len()) - 1;
        if self.firsts == (full << 1) | 1 {
            self.firsts = full;
            return;
        }
        let was_first = self.firsts & (1 << i) != 0;
        let below = self.firsts & ((1u16 << i) - 1);
        self.firsts = below | ((self.firsts >> (i + 1)) << i);
        if was_first && let Some(j) = after[i..].iter().position(|&c| c == card) {
            self.firsts |= 1 << (i + j);
        }
    }

    /// Lane `l` was emptied.
    #[inline]
    pub(super) fn clear_lane(&mut self, l: usize) {
        let keep = !(1u8 << l);
        self.occupied &= keep;
        self.stealth &= keep;
        self.guard &= keep;
        self.ready &= keep;
        self.ranged &= keep;
    }

    /// The sets of `p`, computed from its lanes and hand.
    fn of(data: &GameData, p: &Player) -> Sets {
        let mut s = Sets::EMPTY;
        for (l, c) in p.lanes.iter().enumerate() {
            s.set_lane(data, l, c);
        }
        let hand = p.hand();
        for (i, card) in hand.iter().enumerate() {
            s.hand_added(&hand[..i], *card);
        }
        s
    }

    #[inline(always)]
    fn set_lane(&mut self, data: &GameData, l: usize, c: &Creature) {
        let keep = !(1u8 << l);
        let put = |on: bool| (on as u8) << l;
        self.occupied = (self.occupied & keep) | put(!c.is_empty());
        self.stealth = (self.stealth & keep) | put(c.has(Keyword::Stealth));
        self.guard = (self.guard & keep) | put(c.has(Keyword::Guard));
        self.ranged = (self.ranged & keep) | put(c.has(Keyword::Ranged));
        self.ready = (self.ready & keep) | put(GameState::can_attack(data, c));
    }
}

impl Player {
    /// Lanes holding a creature, as a mask (bit `l` for lane `l`).
    #[inline]
    pub fn occupied_lanes(&self) -> u8 {
        self.sets.occupied
    }

    /// Lanes holding a creature that may attack now (see `GameState::can_attack`).
    #[inline]
    pub fn ready_lanes(&self) -> u8 {
        self.sets.ready
    }
}

impl GameState {
    /// Brings the sets of lane `l` of player `p` up to date after a change to that lane.
    #[inline(always)]
    pub(super) fn sync_lane(&mut self, data: &GameData, p: usize, l: usize) {
        let pl = &mut self.players[p];
        pl.sets.set_lane(data, l, &pl.lanes[l]);
    }

    /// Recomputes the derived sets from lanes and hands. Rules keep them current; call this
    /// after editing `lanes` or `hand` of a player directly (tests building positions by hand).
    pub fn refresh(&mut self, data: &GameData) {
        for p in &mut self.players {
            p.sets = Sets::of(data, p);
        }
    }

    /// Whether the kept sets equal a recomputation from lanes and hands.
    pub fn sets_current(&self, data: &GameData) -> bool {
        self.players.iter().all(|p| p.sets == Sets::of(data, p))
    }
}
