//! Optimizer, statistics and job plumbing shared by the tune and validate binaries.
//!
//! Nothing here knows the game: the jobs in `ew-jobs` connect these pieces to the engine.

pub mod cmaes;
pub mod cpu;
pub mod events;
pub mod files;
pub mod normal;
pub mod objectives;
pub mod seeds;
pub mod stats;
pub mod time;

pub use cmaes::{Cmaes, CmaesError, CmaesParams, StopReason};
pub use events::EventSink;
