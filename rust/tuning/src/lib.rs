//! The optimizer (CMA-ES and its serialisable generator), test objectives and the file and
//! clock plumbing of the tune and validate binaries. Statistics and seeds are `ew_common`.
//!
//! Nothing here knows the game: the jobs in `ew-jobs` connect these pieces to the engine.

pub mod cmaes;
pub mod cpu;
pub mod files;
pub mod normal;
pub mod objectives;
pub mod time;

pub use cmaes::{Cmaes, CmaesError, CmaesParams, StopReason};
