//! Legal actions: listed, counted, indexed and sampled without allocating.

use super::*;

impl GameState {
    /// Writes every legal action into `out` (empty when the game is over). Identical cards in
    /// hand give one set of actions, for the first copy.
    pub fn legal_actions(&self, data: &GameData, out: &mut ActionBuf) {
        out.clear();
        self.action_groups(data, |g, _| {
            g.expand(out);
            true
        });
    }

    /// The number of legal actions.
    pub fn legal_count(&self, data: &GameData) -> usize {
        let mut n = 0;
        self.action_groups(data, |_, count| {
            n += count;
            true
        });
        n
    }

    /// The `k`-th legal action in [`GameState::legal_actions`] order, without listing them all.
    pub fn nth_legal(&self, data: &GameData, mut k: usize) -> Option<Action> {
        let mut found = None;
        self.action_groups(data, |g, n| {
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

    /// A uniformly random legal action (`None` when the game is over): one draw in
    /// `0..legal_count`, mapped like [`GameState::nth_legal`].
    pub fn random_legal(&self, data: &GameData, rng: &mut seed::Rng) -> Option<Action> {
        if self.is_terminal() {
            return None;
        }
        let pl = self.active_player();
        if pl.ap == 0 && pl.sets.ready == 0 {
            // Only end turn is left; the draw still advances the stream.
            seed::below(rng, 1);
            return Some(Action::EndTurn);
        }
        // Each group with its size in the otherwise unused bits 20-23.
        let mut groups = [ActionGroup(0); MAX_GROUPS];
        let mut len = 0;
        let mut total = 0;
        self.action_groups(data, |g, n| {
            groups[len] = ActionGroup(g.0 | (n as u32) << COUNT_SHIFT);
            len += 1;
            total += n;
            true
        });
        let mut k = seed::below(rng, total);
        for g in &groups[..len] {
            let n = ((g.0 >> COUNT_SHIFT) & 15) as usize;
            if k < n {
                return Some(g.nth(k));
            }
            k -= n;
        }
        None
    }

    /// Calls `f` with every non-empty group of legal actions and its size, in a fixed order:
    /// hand cards (first copy of each card), attackers by lane, end turn. Stops early when `f`
    /// returns false. Reads the kept lane and hand sets, never scans the lanes.
    #[inline]
    fn action_groups(&self, data: &GameData, mut f: impl FnMut(ActionGroup, usize) -> bool) {
        if self.is_terminal() {
            return;
        }
        debug_assert!(
            self.sets_current(data),
            "kept lane and hand sets differ from a recomputation"
        );
        let me = self.active as usize;
        let pl = &self.players[me];
        let opp = &self.players[1 - me];
        let (own, en) = (pl.sets, opp.sets);
        let all = lane_mask(data.rules.lanes as usize);
        let targetable = en.occupied & !en.stealth;
        if pl.ap >= 1 {
            let support_free = pl.supports[..data.rules.support_slots as usize]
                .iter()
                .any(|s| s.card == NO_CARD);
            // Every creature card has the same targets (the empty own lanes), every support
            // the same single action.
            let creature =
                ActionGroup::new(GroupKind::Creature, 0, all & !own.occupied, false, false);
            let creature_n = creature.count();
            let support = ActionGroup::new(GroupKind::Spell, 0, 0, false, support_free);
            let mut firsts = own.firsts;
            while firsts != 0 {
                let i = firsts.trailing_zeros() as usize;
                firsts &= firsts - 1;
                let info = data.cards.info(pl.hand[i]);
                if info.cost > pl.essence {
                    continue;
                }
                let (g, n) = match info.kind {
                    CardKind::Creature => (creature, creature_n),
                    CardKind::Support => (support, support_free as usize),
                    CardKind::Spell => {
                        let (enemy, own, face, none) = match info.target {
                            SpellTarget::None => (0, 0, false, true),
                            SpellTarget::EnemyCreature => (targetable, 0, false, false),
                            SpellTarget::AllyCreature => (0, own.occupied, false, false),
                            SpellTarget::AnyCreature => (targetable, own.occupied, false, false),
                            SpellTarget::EnemyAny => (targetable, 0, true, false),
                        };
                        let g = ActionGroup::new(GroupKind::Spell, enemy, own, face, none);
                        (g, g.count())
                    }
                };
                if n > 0 && !f(g.with_src(i as u8), n) {
                    return;
                }
            }
        }
        let open = all & !en.occupied;
        let guard = en.guard & targetable;
        for lane in bits(own.ready) {
            let reach = if pl.lanes[lane as usize].has(Keyword::Ranged) {
                all
            } else {
                reach_mask(lane as usize) & all
            };
            let guards = guard & reach;
            let (enemy, face) = if guards != 0 {
                (guards, false)
            } else {
                (targetable & reach, reach & open != 0)
            };
            let g = ActionGroup::new(GroupKind::Attack, enemy, 0, face, false).with_src(lane);
            let n = g.count();
            if n > 0 && !f(g, n) {
                return;
            }
        }
        f(ActionGroup::END_TURN, 1);
    }

    /// Whether creature `c` may attack now: on the board since its owner's turn began (or
    /// Rush), attacks left this turn, and attack power above 0.
    #[inline]
    pub(super) fn can_attack(data: &GameData, c: &Creature) -> bool {
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
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
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

/// The legal actions sharing one source, packed in a word: bits 0-7 the `enemy` lane mask,
/// 8-15 the `own` lane mask, 16 the enemy face, 17 no target, 18-19 the kind, 20-23 free, 24-31 the
/// source (hand index or lane). Expands in a fixed order: enemy lanes, own lanes, face, no
/// target.
#[derive(Clone, Copy)]
struct ActionGroup(u32);

/// Hand cards, attackers and end turn.
const MAX_GROUPS: usize = MAX_HAND + MAX_LANES + 1;

const FACE_BIT: u32 = 1 << 16;
const NONE_BIT: u32 = 1 << 17;
const KIND_SHIFT: u32 = 18;
/// Group sizes are at most 11 (5 enemy lanes, 5 own lanes, the face): four bits hold them.
const COUNT_SHIFT: u32 = 20;
const _: () = assert!(2 * MAX_LANES + 1 < 16);
const SRC_SHIFT: u32 = 24;

impl ActionGroup {
    const END_TURN: ActionGroup = ActionGroup(NONE_BIT | (GroupKind::EndTurn as u32) << KIND_SHIFT);

    #[inline]
    fn new(kind: GroupKind, enemy: u8, own: u8, face: bool, none: bool) -> ActionGroup {
        ActionGroup(
            enemy as u32
                | (own as u32) << 8
                | (face as u32) << 16
                | (none as u32) << 17
                | (kind as u32) << KIND_SHIFT,
        )
    }

    #[inline]
    fn with_src(self, src: u8) -> ActionGroup {
        ActionGroup(self.0 | (src as u32) << SRC_SHIFT)
    }

    #[inline]
    fn enemy(self) -> u8 {
        self.0 as u8
    }

    #[inline]
    fn own(self) -> u8 {
        (self.0 >> 8) as u8
    }

    #[inline]
    fn face(self) -> bool {
        self.0 & FACE_BIT != 0
    }

    #[inline]
    fn none(self) -> bool {
        self.0 & NONE_BIT != 0
    }

    #[inline]
    fn src(self) -> u8 {
        (self.0 >> SRC_SHIFT) as u8
    }

    #[inline]
    pub(super) fn count(self) -> usize {
        POPCOUNT[self.enemy() as usize] as usize
            + POPCOUNT[self.own() as usize] as usize
            + ((self.0 >> 16) & 1) as usize
            + ((self.0 >> 17) & 1) as usize
    }

    #[inline]
    pub(super) fn make(self, target: u8) -> Action {
        match (self.0 >> KIND_SHIFT) & 3 {
            0 => Action::Play {
                hand: self.src(),
                lane: target - OWN_LANE,
                target: NONE,
            },
            1 => Action::Play {
                hand: self.src(),
                lane: NONE,
                target,
            },
            2 => Action::Attack {
                lane: self.src(),
                target,
            },
            _ => Action::EndTurn,
        }
    }

    #[inline]
    pub(super) fn expand(self, out: &mut ActionBuf) {
        for t in bits(self.enemy()) {
            out.push(self.make(t));
        }
        for t in bits(self.own()) {
            out.push(self.make(OWN_LANE + t));
        }
        if self.face() {
            out.push(self.make(ENEMY_FACE));
        }
        if self.none() {
            out.push(self.make(NONE));
        }
    }

    /// The `k`-th action of the group (`k < count()`).
    #[inline]
    pub(super) fn nth(self, mut k: usize) -> Action {
        let ne = POPCOUNT[self.enemy() as usize] as usize;
        if k < ne {
            return self.make(nth_bit(self.enemy(), k));
        }
        k -= ne;
        let no = POPCOUNT[self.own() as usize] as usize;
        if k < no {
            return self.make(OWN_LANE + nth_bit(self.own(), k));
        }
        k -= no;
        if self.face() && k == 0 {
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

#[inline]
fn lane_mask(lanes: usize) -> u8 {
    ((1u16 << lanes) - 1) as u8
}

/// Lanes `lane - 1 ..= lane + 1` as a mask (before clipping to the lane count).
#[inline]
fn reach_mask(lane: usize) -> u8 {
    ((0b111u16 << lane) >> 1) as u8
}
