//! The two jobs of ewtui: training the bot weights (`tune`) and balance validation
//! (`validate`). The binaries in `src/bin` only parse flags and call into here.

pub mod cli;
pub mod error;
pub mod events;
pub mod matchups;
pub mod reporter;
pub mod tune;
pub mod validate;

pub use error::JobError;
