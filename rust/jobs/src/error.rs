//! The error type of both jobs, with the exit code and event `kind` of each case.

use std::io;
use std::path::{Path, PathBuf};

use ew_engine::DataError;

use crate::events::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A flag value that cannot be used (unknown name, bad count, conflicting flags).
    #[error("{0}")]
    Usage(String),
    /// A data, weights or checkpoint file that cannot be read or is invalid.
    #[error("{0}")]
    Data(#[from] DataError),
    /// A file the job must write or read cannot be.
    #[error("{}: {msg}", path.display())]
    Io { path: PathBuf, msg: String },
    /// An input file whose content cannot be used (a part given to `validate merge`); `msg`
    /// names the field.
    #[error("{}: {msg}", path.display())]
    Input { path: PathBuf, msg: String },
    /// A bug: an internal invariant failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl JobError {
    pub fn io(path: &Path, err: &io::Error) -> Self {
        JobError::Io {
            path: path.to_path_buf(),
            msg: err.to_string(),
        }
    }

    /// Bad input of any kind is 2; a failed job is 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            JobError::Usage(_)
            | JobError::Data(_)
            | JobError::Io { .. }
            | JobError::Input { .. } => 2,
            JobError::Internal(_) => 1,
        }
    }

    /// The `kind` of the `error` event.
    pub fn kind(&self) -> ErrorKind {
        match self {
            JobError::Usage(_) => ErrorKind::Usage,
            JobError::Data(_) | JobError::Input { .. } => ErrorKind::Data,
            JobError::Io { .. } => ErrorKind::Io,
            JobError::Internal(_) => ErrorKind::Internal,
        }
    }
}
