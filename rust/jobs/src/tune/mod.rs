//! Training the greedy bot's weights with CMA-ES, and the optimizer's test-function mode.

pub mod config;
pub mod deploy;
pub mod fitness;
pub mod objective;
pub mod space;
pub mod train;
