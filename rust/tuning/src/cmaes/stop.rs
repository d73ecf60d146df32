//! When a run stops: the reasons, and the stagnation test over the generation-best values.

use serde::{Deserialize, Serialize};

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Generations,
    SigmaFloor,
    Stagnation,
    Target,
    MaxEvals,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Generations => "generations",
            StopReason::SigmaFloor => "sigma_floor",
            StopReason::Stagnation => "stagnation",
            StopReason::Target => "target",
            StopReason::MaxEvals => "max_evals",
        }
    }
}

/// The stagnation test: after at least `window` generations, the median of the last
/// `ceil(0.2 window)` generation-best values is no better (for minimisation: not lower) than
/// the median of the `ceil(0.2 window)` that started the last `window` generations.
pub fn stagnated(best_per_gen: &[f64], window: usize) -> bool {
    if window == 0 || best_per_gen.len() < window {
        return false;
    }
    let part = (0.2 * window as f64).ceil() as usize;
    let recent = &best_per_gen[best_per_gen.len() - part..];
    let start = best_per_gen.len() - window;
    let early = &best_per_gen[start..start + part];
    ew_common::stats::median(recent) >= ew_common::stats::median(early)
}
