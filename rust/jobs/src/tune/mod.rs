//! Training the greedy bot's weights with CMA-ES, and the optimizer's test-function mode.

pub mod archive;
pub mod checkpoint;
pub mod config;
pub mod deploy;
pub mod evaluate;
mod finish;
pub mod fitness;
pub mod heldout;
pub mod objective;
pub mod space;
mod start;
pub mod train;
