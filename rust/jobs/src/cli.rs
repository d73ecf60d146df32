//! Command-line helpers shared by both binaries: value parsers that explain themselves in one
//! line, parse errors reduced to one line, and the worker pool.

use std::ffi::OsString;

use clap::Parser;
use clap::error::ErrorKind;

use crate::error::JobError;

/// A positive integer flag value (`--games`, `--generations`, ...).
pub fn positive_u32(s: &str) -> Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(v) if v >= 1 && v <= i64::from(u32::MAX) => Ok(v as u32),
        Ok(v) => Err(format!("must be a positive integer, got {v}")),
        Err(_) => Err(format!("must be a positive integer, got `{s}`")),
    }
}

/// A positive, finite number.
pub fn positive_f64(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("must be a positive number, got `{s}`")),
    }
}

/// Parses the command line; help and version print as usual and exit 0, any other parse error
/// becomes one line (without the usage block) and exit code 2.
pub fn parse_or_exit<T: Parser>(bin: &str, args: impl IntoIterator<Item = OsString>) -> T {
    match T::try_parse_from(args) {
        Ok(v) => v,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
            _ => {
                let text = e.to_string();
                let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
                let mut line = lines
                    .next()
                    .unwrap_or("bad command line")
                    .trim_start_matches("error: ")
                    .to_string();
                // "the following required arguments were not provided:" names them below.
                if line.ends_with(':')
                    && let Some(next) = lines.next()
                {
                    line = format!("{line} {next}");
                }
                eprintln!("{bin}: error: {line}");
                std::process::exit(2);
            }
        },
    }
}

/// A worker pool of `threads` threads (0 or `None`: one per core). Jobs run inside it, so
/// `--threads` caps the cores they use.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, JobError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| JobError::Internal(format!("cannot start worker threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_must_be_positive_integers() {
        assert_eq!(positive_u32("5"), Ok(5));
        assert!(
            positive_u32("0")
                .unwrap_err()
                .contains("positive integer, got 0")
        );
        assert!(positive_u32("-3").unwrap_err().contains("got -3"));
        assert!(positive_u32("ten").unwrap_err().contains("`ten`"));
        assert!(positive_u32("1.5").is_err());
    }

    #[test]
    fn numbers_must_be_positive_and_finite() {
        assert_eq!(positive_f64("0.25"), Ok(0.25));
        assert!(positive_f64("0").is_err());
        assert!(positive_f64("inf").is_err());
        assert!(positive_f64("nan").is_err());
    }
}
