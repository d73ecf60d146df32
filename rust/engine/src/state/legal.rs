//! Legal actions: listed, counted, indexed and sampled without allocating.

use super::*;

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
    pub(super) fn can_attack(&self, data: &GameData, c: &Creature) -> bool {
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
    pub(super) fn count(&self) -> usize {
        (POPCOUNT[self.enemy as usize]
            + POPCOUNT[self.own as usize]
            + self.face as u8
            + self.none as u8) as usize
    }

    #[inline]
    pub(super) fn make(&self, target: u8) -> Action {
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
    pub(super) fn expand(&self, out: &mut ActionBuf) {
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
    pub(super) fn nth(&self, mut k: usize) -> Action {
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
