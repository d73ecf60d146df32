//! The one error type of data loading. Its `Display` is always a single line.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// A field of an entry is missing, mistyped, unknown or out of range, or the entry is
    /// inconsistent with the rest of the data.
    #[error("{}: entry `{entry}`: field `{field}`: {msg}", file.display())]
    Field {
        file: PathBuf,
        entry: String,
        field: String,
        msg: String,
    },
    /// The file is not valid TOML.
    #[error("{}: {msg}", file.display())]
    Syntax { file: PathBuf, msg: String },
    /// The file or directory cannot be read.
    #[error("{}: {msg}", file.display())]
    Io { file: PathBuf, msg: String },
    /// No `data/` directory with a `rules.toml` above the start directory.
    #[error("{}: no data/ directory with rules.toml here or in any parent directory (use --data)", start.display())]
    NotFound { start: PathBuf },
}

impl DataError {
    pub fn field(file: &Path, entry: &str, field: &str, msg: impl Into<String>) -> DataError {
        DataError::Field {
            file: file.to_path_buf(),
            entry: entry.to_string(),
            field: field.to_string(),
            msg: msg.into(),
        }
    }

    pub fn io(file: &Path, err: &std::io::Error) -> DataError {
        DataError::Io {
            file: file.to_path_buf(),
            msg: err.to_string(),
        }
    }
}
