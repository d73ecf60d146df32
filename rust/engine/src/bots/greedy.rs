//! Greedy: try every legal action one step ahead and keep the best-scored position.

use crate::action::{Action, ActionBuf};
use crate::data::GameData;
use crate::eval::Evaluator;
use crate::state::GameState;

/// The legal action whose resulting position scores best for the mover (first one on ties).
pub fn greedy_choose(
    data: &GameData,
    state: &GameState,
    eval: &Evaluator,
    buf: &mut ActionBuf,
) -> Action {
    state.legal_actions(data, buf);
    if buf.len() <= 1 {
        return buf.first().copied().unwrap_or(Action::EndTurn);
    }
    let me = state.active as usize;
    let mut best = buf[0];
    let mut best_v = f32::NEG_INFINITY;
    for &a in buf.iter() {
        let mut s = *state;
        s.apply(data, a);
        let v = eval.evaluate(data, &s, me);
        if v > best_v {
            best_v = v;
            best = a;
        }
    }
    best
}
