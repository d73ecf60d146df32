//! Legal actions: listed, counted, indexed and sampled without allocating.

use super::*;
use crate::card::PlayShape;

impl GameState {
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

    /// A uniformly random legal action (`None` when the game is over): one draw in
    /// `0..legal_count`, mapped like [`GameState::nth_legal`]. Two passes over the groups, the
    /// first counting and the second walking to the drawn action, so nothing is stored; only
    /// the drawn group's word is built.
    pub fn random_legal(&self, data: &GameData, rng: &mut seed::Rng) -> Option<Action> {
        if self.is_terminal() {
            return None;
        }
        let o = Options::of(self, data);
        let pl = self.active_player();
        let infos = data.cards.infos();
        let mut total = 1;
        let mut hand = o.hand;
        while hand != 0 {
            let i = hand.trailing_zeros() as usize;
            hand &= hand - 1;
            let info = infos[pl.hand[i] as usize];
            if info.cost <= pl.essence {
                total += o.size(info.shape);
            }
        }
        for lane in bits(o.ready) {
            total += o.attack(lane).count();
        }
        let mut k = seed::below(rng, total);
        let mut hand = o.hand;
        while hand != 0 {
            let i = hand.trailing_zeros() as usize;
            hand &= hand - 1;
            let info = infos[pl.hand[i] as usize];
            if info.cost <= pl.essence {
                let n = o.size(info.shape);
                if k < n {
                    return Some(o.play(info.shape, i).nth(k));
                }
                k -= n;
            }
        }
        for lane in bits(o.ready) {
            let g = o.attack(lane);
            let n = g.count();
            if k < n {
                return Some(g.nth(k));
            }
            k -= n;
        }
        Some(Action::EndTurn)
    }

    /// Calls `f` with every non-empty group of legal actions, in a fixed order: hand cards
    /// (first copy of each card), attackers by lane, end turn. Stops early when `f` returns
    /// false.
    #[inline(always)]
    fn action_groups(&self, data: &GameData, mut f: impl FnMut(ActionGroup) -> bool) {
        if self.is_terminal() {
            return;
        }
        let o = Options::of(self, data);
        let pl = self.active_player();
        let infos = data.cards.infos();
        let mut hand = o.hand;
        while hand != 0 {
            let i = hand.trailing_zeros() as usize;
            hand &= hand - 1;
            let info = infos[pl.hand[i] as usize];
            if info.cost <= pl.essence && o.size(info.shape) > 0 && !f(o.play(info.shape, i)) {
                return;
            }
        }
        for lane in bits(o.ready) {
            let g = o.attack(lane);
            if g.count() > 0 && !f(g) {
                return;
            }
        }
        f(ActionGroup::END_TURN);
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

/// What the groups of one decision are made from, worked out once per decision from the kept
/// lane and hand sets: the hand positions worth looking at, the size of the group of each play
/// shape (the same for every card of that shape) and what attackers can reach. A group's word
/// is only built when it is listed or drawn.
struct Options {
    /// First copies in hand, when an action point is left (cost is checked per card).
    hand: u16,
    /// The number of actions of each [`PlayShape`], one byte each.
    sizes: u64,
    /// Lanes whose creature may attack.
    ready: u8,
    /// Own creatures with Ranged.
    ranged: u8,
    all: u8,
    /// Enemy creatures an attack or spell can name (not Stealth).
    targetable: u8,
    /// Targetable enemy Guards.
    guard: u8,
    /// Empty enemy lanes.
    open: u8,
    /// Own lanes holding a creature.
    occupied: u8,
    support_free: bool,
}

impl Options {
    #[inline(always)]
    fn of(s: &GameState, data: &GameData) -> Options {
        debug_assert!(
            s.sets_current(data),
            "kept lane and hand sets differ from a recomputation"
        );
        let me = s.active as usize;
        let pl = &s.players[me];
        let (own, en) = (&pl.sets, &s.players[1 - me].sets);
        let all = lane_mask(data.rules.lanes as usize);
        let targetable = en.occupied & !en.stealth;
        let hand = if pl.ap >= 1 { own.firsts } else { 0 };
        let mut support_free = false;
        let mut sizes = 0;
        if hand != 0 {
            support_free = pl.supports[..data.rules.support_slots as usize]
                .iter()
                .any(|s| s.card == NO_CARD);
            let lane = POPCOUNT[(all & !own.occupied) as usize] as u64;
            let enemy = POPCOUNT[targetable as usize] as u64;
            let ally = POPCOUNT[own.occupied as usize] as u64;
            sizes = lane << (8 * PlayShape::Lane as u64)
                | (support_free as u64) << (8 * PlayShape::Support as u64)
                | 1 << (8 * PlayShape::Untargeted as u64)
                | enemy << (8 * PlayShape::EnemyCreature as u64)
                | ally << (8 * PlayShape::AllyCreature as u64)
                | (enemy + ally) << (8 * PlayShape::AnyCreature as u64)
                | (enemy + 1) << (8 * PlayShape::EnemyAny as u64);
        }
        Options {
            hand,
            sizes,
            ready: own.ready,
            ranged: own.ranged,
            all,
            targetable,
            guard: en.guard & targetable,
            open: all & !en.occupied,
            occupied: own.occupied,
            support_free,
        }
    }

    /// The number of actions playing a card of `shape`.
    #[inline(always)]
    fn size(&self, shape: PlayShape) -> usize {
        ((self.sizes >> (8 * shape as u32)) & 0xff) as usize
    }

    /// The group of playing hand card `i`, of `shape`.
    #[inline(always)]
    fn play(&self, shape: PlayShape, i: usize) -> ActionGroup {
        let spell = |enemy: u8, own: u8, face: bool, none: bool| {
            ActionGroup::new(GroupKind::Spell, enemy, own, face, none)
        };
        let t = self.targetable;
        let g = match shape {
            PlayShape::Lane => ActionGroup::new(
                GroupKind::Creature,
                0,
                self.all & !self.occupied,
                false,
                false,
            ),
            PlayShape::Support => spell(0, 0, false, self.support_free),
            PlayShape::Untargeted => spell(0, 0, false, true),
            PlayShape::EnemyCreature => spell(t, 0, false, false),
            PlayShape::AllyCreature => spell(0, self.occupied, false, false),
            PlayShape::AnyCreature => spell(t, self.occupied, false, false),
            PlayShape::EnemyAny => spell(t, 0, true, false),
        };
        g.with_src(i as u8)
    }

    /// The attacks of the creature in `lane`: Guards in reach if any, otherwise every
    /// targetable creature in reach and the face when an empty lane is in reach.
    #[inline(always)]
    fn attack(&self, lane: u8) -> ActionGroup {
        let reach = if self.ranged & (1 << lane) != 0 {
            self.all
        } else {
            reach_mask(lane as usize) & self.all
        };
        let guards = self.guard & reach;
        let (enemy, face) = if guards != 0 {
            (guards, false)
        } else {
            (self.targetable & reach, reach & self.open != 0)
        };
        ActionGroup::new(GroupKind::Attack, enemy, 0, face, false).with_src(lane)
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
/// 8-15 the `own` lane mask, 16 the enemy face, 17 no target, 18-19 the kind, 20-23 the number
/// of actions, 24-31 the source (hand index or lane). Expands in a fixed order: enemy lanes,
/// own lanes, face, no target. Bits 0-16 read as one mask give the spell and attack targets
/// directly: enemy lane `t` is bit `t`, own lane `t` is bit `OWN_LANE + t`, the face is bit
/// `ENEMY_FACE`.
#[derive(Clone, Copy)]
struct ActionGroup(u32);

const FACE_BIT: u32 = 1 << ENEMY_FACE;
const NONE_BIT: u32 = 1 << 17;
const TARGET_BITS: u32 = FACE_BIT | (FACE_BIT - 1);
const KIND_SHIFT: u32 = 18;
/// Group sizes are at most 11 (5 enemy lanes, 5 own lanes, the face): four bits hold them.
const COUNT_SHIFT: u32 = 20;
const _: () = assert!(2 * MAX_LANES + 1 < 16 && MAX_LANES <= OWN_LANE as usize);
const _: () = assert!(OWN_LANE == 8 && ENEMY_FACE == 16);
const SRC_SHIFT: u32 = 24;

impl ActionGroup {
    const END_TURN: ActionGroup =
        ActionGroup(NONE_BIT | (GroupKind::EndTurn as u32) << KIND_SHIFT | 1 << COUNT_SHIFT);

    #[inline(always)]
    fn new(kind: GroupKind, enemy: u8, own: u8, face: bool, none: bool) -> ActionGroup {
        let n = POPCOUNT[enemy as usize] + POPCOUNT[own as usize] + face as u8 + none as u8;
        ActionGroup(
            enemy as u32
                | (own as u32) << 8
                | (face as u32) << ENEMY_FACE
                | (none as u32) << 17
                | (kind as u32) << KIND_SHIFT
                | (n as u32) << COUNT_SHIFT,
        )
    }

    #[inline(always)]
    fn with_src(self, src: u8) -> ActionGroup {
        ActionGroup(self.0 | (src as u32) << SRC_SHIFT)
    }

    #[inline(always)]
    fn src(self) -> u8 {
        (self.0 >> SRC_SHIFT) as u8
    }

    #[inline(always)]
    fn count(self) -> usize {
        ((self.0 >> COUNT_SHIFT) & 15) as usize
    }

    /// The action of this group at `target` (a bit index of the target mask, or `NONE`).
    #[inline(always)]
    fn make(self, target: u8) -> Action {
        match (self.0 >> KIND_SHIFT) & 3 {
            0 => Action::Play {
                hand: self.src(),
                lane: target.wrapping_sub(OWN_LANE),
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

    #[inline(always)]
    fn expand(self, out: &mut ActionBuf) {
        let src = self.src();
        let mut m = self.0 & TARGET_BITS;
        match (self.0 >> KIND_SHIFT) & 3 {
            0 => {
                while m != 0 {
                    let t = m.trailing_zeros() as u8;
                    m &= m - 1;
                    out.push(Action::Play {
                        hand: src,
                        lane: t - OWN_LANE,
                        target: NONE,
                    });
                }
            }
            1 => {
                while m != 0 {
                    let t = m.trailing_zeros() as u8;
                    m &= m - 1;
                    out.push(Action::Play {
                        hand: src,
                        lane: NONE,
                        target: t,
                    });
                }
                if self.0 & NONE_BIT != 0 {
                    out.push(Action::Play {
                        hand: src,
                        lane: NONE,
                        target: NONE,
                    });
                }
            }
            2 => {
                while m != 0 {
                    let t = m.trailing_zeros() as u8;
                    m &= m - 1;
                    out.push(Action::Attack {
                        lane: src,
                        target: t,
                    });
                }
            }
            _ => out.push(Action::EndTurn),
        }
    }

    /// The `k`-th action of the group (`k < count()`).
    #[inline(always)]
    fn nth(self, k: usize) -> Action {
        let mut m = self.0 & TARGET_BITS;
        for _ in 0..k {
            m &= m.wrapping_sub(1);
        }
        if m == 0 {
            self.make(NONE)
        } else {
            self.make(m.trailing_zeros() as u8)
        }
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
fn lane_mask(lanes: usize) -> u8 {
    ((1u16 << lanes) - 1) as u8
}

/// Lanes `lane - 1 ..= lane + 1` as a mask (before clipping to the lane count).
#[inline]
fn reach_mask(lane: usize) -> u8 {
    ((0b111u16 << lane) >> 1) as u8
}
