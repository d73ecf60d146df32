//! The weighted board evaluation shared by the greedy and MCTS bots.

use crate::data::GameData;
use crate::state::{GameState, Status};
use crate::weights::{W, Weights};

/// Score of `s` from the point of view of player `me` (0 or 1); higher is better.
#[inline]
pub fn evaluate(data: &GameData, s: &GameState, me: usize, w: &Weights) -> f32 {
    match s.status {
        Status::Won(seat) if seat.index() == me => return w[W::WinBonus],
        Status::Won(_) => return -w[W::LossPenalty],
        _ => {}
    }
    position_score(data, s, me, w)
}

/// The evaluation without the win bonus or loss penalty.
#[inline]
pub fn position_score(data: &GameData, s: &GameState, me: usize, w: &Weights) -> f32 {
    let own = &s.players[me];
    let en = &s.players[1 - me];
    let v = &w.values;
    let lanes = data.rules.lanes as usize;
    let mut own_att = 0i32;
    let mut own_hp = 0i32;
    let mut own_n = 0i32;
    let mut en_att = 0i32;
    let mut en_hp = 0i32;
    let mut en_n = 0i32;
    let mut open = 0i32;
    let mut kw = 0.0f32;
    for l in 0..lanes {
        let a = &own.lanes[l];
        let b = &en.lanes[l];
        if !a.is_empty() {
            own_att += a.attack as i32;
            own_hp += a.health as i32;
            own_n += 1;
            kw += keyword_value(v, a.keywords.0);
            if b.is_empty() {
                open += 1;
            }
        }
        if !b.is_empty() {
            en_att += b.attack as i32;
            en_hp += b.health as i32;
            en_n += 1;
            kw -= keyword_value(v, b.keywords.0);
            if a.is_empty() {
                open -= 1;
            }
        }
    }
    let spare_ap = if s.active as usize == me {
        own.ap as f32
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
        + kw
}

#[inline]
fn keyword_value(v: &[f32], mut bits: u16) -> f32 {
    let mut sum = 0.0;
    while bits != 0 {
        sum += v[W::KwRush as usize + bits.trailing_zeros() as usize];
        bits &= bits - 1;
    }
    sum
}

/// The first player's prospects in `[0, 1]`: 1/0/0.5 for a finished game, otherwise the
/// logistic of the evaluation difference divided by `scale`.
#[inline]
pub fn value_for_first(data: &GameData, s: &GameState, w: &Weights, scale: f32) -> f32 {
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
            let d = position_score(data, s, 0, w) - position_score(data, s, 1, w);
            1.0 / (1.0 + (-d / scale).exp())
        }
    }
}
