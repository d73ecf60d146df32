//! UCT search with greedy rollouts. A turn holds several actions, so the player to move
//! changes only at end turn; every node keeps its rewards from the point of view of the
//! player who made the move into it.

use crate::action::{Action, ActionBuf};
use crate::data::GameData;
use crate::eval::Evaluator;
use crate::seed::{self, Rng};
use crate::state::GameState;

use super::greedy::greedy_choose;

/// Search parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MctsParams {
    /// Simulations per decision.
    pub sims: u32,
    /// Actions a rollout plays before the evaluation scores the position.
    pub rollout_depth: u32,
    /// UCT exploration constant.
    pub exploration: f32,
    /// Evaluation difference that maps to a value of about 0.73 (logistic scale).
    pub eval_scale: f32,
    /// Probability that a rollout step plays a uniformly random action instead of greedy.
    pub rollout_epsilon: f32,
}

impl Default for MctsParams {
    fn default() -> Self {
        MctsParams {
            sims: 100,
            rollout_depth: 16,
            exploration: 0.7,
            eval_scale: 12.0,
            rollout_epsilon: 0.1,
        }
    }
}

const NO_NODE: u32 = u32::MAX;

struct Node {
    state: GameState,
    action: Action,
    /// The player who made `action` (whose point of view `value` takes).
    mover: u8,
    parent: u32,
    first_child: u32,
    next_sibling: u32,
    /// Untried actions: `actions[untried_start + untried_next .. untried_start + untried_len]`,
    /// ordered best-first by the evaluation.
    untried_start: u32,
    untried_len: u16,
    untried_next: u16,
    listed: bool,
    visits: u32,
    value: f32,
}

/// Buffers reused across the decisions of one game.
#[derive(Default)]
pub struct MctsScratch {
    nodes: Vec<Node>,
    actions: Vec<Action>,
    scored: Vec<(f32, Action)>,
    buf: Option<Box<ActionBuf>>,
}

impl MctsScratch {
    pub fn search(
        &mut self,
        data: &GameData,
        root: &GameState,
        eval: &Evaluator,
        p: &MctsParams,
        rng: &mut Rng,
    ) -> Action {
        let mut buf = self.buf.take().unwrap_or_default();
        let chosen = self.run(data, root, eval, p, rng, &mut buf);
        self.buf = Some(buf);
        chosen
    }

    fn run(
        &mut self,
        data: &GameData,
        root: &GameState,
        eval: &Evaluator,
        p: &MctsParams,
        rng: &mut Rng,
        buf: &mut ActionBuf,
    ) -> Action {
        root.legal_actions(data, buf);
        if buf.len() <= 1 {
            return buf.first().copied().unwrap_or(Action::EndTurn);
        }
        self.nodes.clear();
        self.actions.clear();
        self.nodes.push(Node {
            state: *root,
            action: Action::EndTurn,
            mover: root.active,
            parent: NO_NODE,
            first_child: NO_NODE,
            next_sibling: NO_NODE,
            untried_start: 0,
            untried_len: 0,
            untried_next: 0,
            listed: false,
            visits: 0,
            value: 0.0,
        });
        for _ in 0..p.sims.max(1) {
            let leaf = self.select_and_expand(data, eval, p, buf);
            let v0 = rollout(data, &self.nodes[leaf as usize].state, eval, p, rng, buf);
            let mut i = leaf;
            while i != NO_NODE {
                let n = &mut self.nodes[i as usize];
                n.visits += 1;
                n.value += if n.mover == 0 { v0 } else { 1.0 - v0 };
                i = n.parent;
            }
        }
        let mut best = Action::EndTurn;
        let mut best_visits = 0;
        let mut best_value = f32::NEG_INFINITY;
        let mut c = self.nodes[0].first_child;
        while c != NO_NODE {
            let n = &self.nodes[c as usize];
            let q = n.value / n.visits.max(1) as f32;
            if n.visits > best_visits || (n.visits == best_visits && q > best_value) {
                best = n.action;
                best_visits = n.visits;
                best_value = q;
            }
            c = n.next_sibling;
        }
        best
    }

    /// Walks down by UCT until a node with an untried action, expands it and returns the new
    /// node (or a terminal node).
    fn select_and_expand(
        &mut self,
        data: &GameData,
        eval: &Evaluator,
        p: &MctsParams,
        buf: &mut ActionBuf,
    ) -> u32 {
        let mut i = 0u32;
        loop {
            if self.nodes[i as usize].state.is_terminal() {
                return i;
            }
            if !self.nodes[i as usize].listed {
                self.list_actions(data, eval, i, buf);
            }
            let n = &self.nodes[i as usize];
            if n.untried_next < n.untried_len {
                let action = self.actions[(n.untried_start + n.untried_next as u32) as usize];
                let mut state = n.state;
                let mover = state.active;
                state.apply(data, action);
                let child = self.nodes.len() as u32;
                let first = n.first_child;
                self.nodes.push(Node {
                    state,
                    action,
                    mover,
                    parent: i,
                    first_child: NO_NODE,
                    next_sibling: first,
                    untried_start: 0,
                    untried_len: 0,
                    untried_next: 0,
                    listed: false,
                    visits: 0,
                    value: 0.0,
                });
                let n = &mut self.nodes[i as usize];
                n.untried_next += 1;
                n.first_child = child;
                return child;
            }
            let log_n = (n.visits.max(1) as f32).ln();
            let mut best = NO_NODE;
            let mut best_u = f32::NEG_INFINITY;
            let mut c = n.first_child;
            while c != NO_NODE {
                let ch = &self.nodes[c as usize];
                let visits = ch.visits.max(1) as f32;
                let u = ch.value / visits + p.exploration * (log_n / visits).sqrt();
                if u > best_u {
                    best_u = u;
                    best = c;
                }
                c = ch.next_sibling;
            }
            if best == NO_NODE {
                return i;
            }
            i = best;
        }
    }

    /// Lists a node's legal actions, best first by the mover's evaluation one step ahead.
    fn list_actions(&mut self, data: &GameData, eval: &Evaluator, i: u32, buf: &mut ActionBuf) {
        let node = &self.nodes[i as usize];
        node.state.legal_actions(data, buf);
        let me = node.state.active as usize;
        self.scored.clear();
        for &a in buf.iter() {
            let mut s = node.state;
            s.apply(data, a);
            self.scored.push((eval.evaluate(data, &s, me), a));
        }
        // Stable sort keeps the legal-action order among equal scores (determinism).
        self.scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let start = self.actions.len() as u32;
        self.actions.extend(self.scored.iter().map(|x| x.1));
        let n = &mut self.nodes[i as usize];
        n.untried_start = start;
        n.untried_len = self.scored.len() as u16;
        n.untried_next = 0;
        n.listed = true;
    }
}

/// Plays up to `rollout_depth` epsilon-greedy actions and returns the first player's value.
fn rollout(
    data: &GameData,
    start: &GameState,
    eval: &Evaluator,
    p: &MctsParams,
    rng: &mut Rng,
    buf: &mut ActionBuf,
) -> f32 {
    let mut s = *start;
    for _ in 0..p.rollout_depth {
        if s.is_terminal() {
            break;
        }
        let a = if p.rollout_epsilon > 0.0 && seed::unit(rng) < p.rollout_epsilon {
            s.legal_actions(data, buf);
            buf[seed::below(rng, buf.len())]
        } else {
            greedy_choose(data, &s, eval, buf)
        };
        s.apply(data, a);
    }
    eval.value_for_first(data, &s, p.eval_scale)
}
