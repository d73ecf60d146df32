//! The weighted board evaluation shared by the greedy and MCTS bots.

use crate::data::GameData;
use crate::state::{GameState, Status};
use crate::weights::{W, Weights};

/// Weights prepared for fast scoring: keyword values are looked up per byte of the keyword
/// mask instead of summed bit by bit.
#[derive(Clone, Debug)]
pub struct Evaluator {
    pub weights: Weights,
    kw_low: [f32; 256],
    kw_high: [f32; 256],
}

impl Evaluator {
    pub fn new(weights: &Weights) -> Evaluator {
        let kw = |bits: u16| -> f32 {
            (0..16)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| weights.values[W::KwRush as usize + i])
                .sum()
        };
        let mut kw_low = [0.0; 256];
        let mut kw_high = [0.0; 256];
        for b in 0..256u16 {
            kw_low[b as usize] = kw(b);
            kw_high[b as usize] = kw(b << 8);
        }
        Evaluator {
            weights: *weights,
            kw_low,
            kw_high,
        }
    }

    #[inline]
    fn keyword_value(&self, bits: u16) -> f32 {
        self.kw_low[(bits & 0xff) as usize] + self.kw_high[(bits >> 8) as usize]
    }

    /// Score of `s` from the point of view of player `me` (0 or 1); higher is better.
    #[inline]
    pub fn evaluate(&self, data: &GameData, s: &GameState, me: usize) -> f32 {
        match s.status {
            Status::Won(seat) if seat.index() == me => return self.weights[W::WinBonus],
            Status::Won(_) => return -self.weights[W::LossPenalty],
            _ => {}
        }
        self.position_score(data, s, me)
    }

    /// The evaluation without the win bonus or loss penalty.
    #[inline]
    pub fn position_score(&self, data: &GameData, s: &GameState, me: usize) -> f32 {
        let own = &s.players[me];
        let en = &s.players[1 - me];
        let v = &self.weights.values;
        let (own_occ, en_occ) = (own.occupied_lanes(), en.occupied_lanes());
        let (mut own_att, mut own_hp) = (0i32, 0i32);
        let (mut en_att, mut en_hp) = (0i32, 0i32);
        let mut kw = 0.0f32;
        // Only lanes holding a creature on either side: an empty lane holds zero attack,
        // health and keywords, so it adds nothing (the keyword sum takes the same steps, in
        // lane order, as over every lane).
        let mut occ = own_occ | en_occ;
        while occ != 0 {
            let l = occ.trailing_zeros() as usize;
            occ &= occ - 1;
            let a = &own.lanes[l];
            let b = &en.lanes[l];
            own_att += a.attack as i32;
            own_hp += a.health as i32;
            en_att += b.attack as i32;
            en_hp += b.health as i32;
            kw += self.keyword_value(a.keywords.0) - self.keyword_value(b.keywords.0);
        }
        let own_n = own_occ.count_ones() as i32;
        let en_n = en_occ.count_ones() as i32;
        let open =
            (own_occ & !en_occ).count_ones() as i32 - (en_occ & !own_occ).count_ones() as i32;
        let own_turn = s.active as usize == me;
        let spare_ap = if own_turn { own.ap as f32 } else { 0.0 };
        // The own-turn terms stand in for what one-step greedy cannot see, the rest of its
        // turn: attacks not yet made, and cards that still fit. Each is skipped at weight 0
        // (the files without it), which scores exactly as before the weight existed.
        let (ready_att_w, ready_n_w) = (v[W::ReadyAttack as usize], v[W::ReadyCreatures as usize]);
        let (mut ready_att, mut ready_n) = (0.0f32, 0.0f32);
        if own_turn && (ready_att_w != 0.0 || ready_n_w != 0.0) {
            let ready = own.ready_lanes();
            let mut r = ready;
            let mut att = 0i32;
            while r != 0 {
                let l = r.trailing_zeros() as usize;
                r &= r - 1;
                att += own.lanes[l].attack as i32;
            }
            ready_att = att as f32;
            ready_n = ready.count_ones() as f32;
        }
        let playable_w = v[W::PlayableCards as usize];
        let playable = if own_turn && playable_w != 0.0 && own.ap >= 1 {
            own.hand()
                .iter()
                .filter(|&&c| data.cards.get(c).cost <= own.essence)
                .count() as f32
        } else {
            0.0
        };
        v[W::OwnLife as usize] * own.life as f32
            + v[W::EnemyLifeLost as usize] * (data.rules.starting_life - en.life) as f32
            + v[W::OwnAttack as usize] * own_att as f32
            + v[W::OwnHealth as usize] * own_hp as f32
            - v[W::EnemyAttack as usize] * en_att as f32
            - v[W::EnemyHealth as usize] * en_hp as f32
            + v[W::OwnCreatures as usize] * own_n as f32
            - v[W::EnemyCreatures as usize] * en_n as f32
            + v[W::BoardAdvantage as usize] * open as f32
            + v[W::HandSize as usize] * own.hand_len as f32
            + v[W::SpareAp as usize] * spare_ap
            + ready_att_w * ready_att
            + ready_n_w * ready_n
            + playable_w * playable
            + kw
    }

    /// The first player's prospects in `[0, 1]`: 1/0/0.5 for a finished game, otherwise the
    /// logistic of the evaluation difference divided by `scale`.
    #[inline]
    pub fn value_for_first(&self, data: &GameData, s: &GameState, scale: f32) -> f32 {
        match s.status {
            Status::Won(seat) => {
                if seat.index() == 0 {
                    1.0
                } else {
                    0.0
                }
            }
            Status::Draw => 0.5,
            Status::Ongoing => {
                let d = self.position_score(data, s, 0) - self.position_score(data, s, 1);
                1.0 / (1.0 + (-d / scale).exp())
            }
        }
    }
}
