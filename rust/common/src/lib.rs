//! What the engine, the optimizer (ew-tuning) and the jobs (ew-jobs) must compute the same
//! way: confidence intervals and tests of game results ([`stats`]), and the derivation of every
//! game's and generator's seed from a run seed ([`seed`]).
//!
//! It is a crate of its own because the engine and ew-tuning do not depend on each other: the
//! engine knows nothing of optimization, ew-tuning nothing of the game.

pub mod seed;
pub mod stats;
