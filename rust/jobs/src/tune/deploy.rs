//! Installing trained weights into `data/weights/`, keeping the replaced file for rollback.

use std::path::{Path, PathBuf};

use ew_engine::Weights;
use ew_tuning::files::write_atomic;
use ew_tuning::time::Utc;

use crate::error::JobError;

/// Replaces `target` with the weights file `source` (checked first) atomically. The previous
/// `target`, if any, is first copied to `history_dir/<label>_<YYYYMMDD_HHMMSS>.toml`; that
/// copy's path is returned.
pub fn deploy(
    source: &Path,
    target: &Path,
    history_dir: &Path,
    label: &str,
) -> Result<Option<PathBuf>, JobError> {
    Weights::load(source)?;
    let text = std::fs::read(source).map_err(|e| JobError::io(source, &e))?;
    let backup = if target.is_file() {
        let old = std::fs::read(target).map_err(|e| JobError::io(target, &e))?;
        std::fs::create_dir_all(history_dir).map_err(|e| JobError::io(history_dir, &e))?;
        let mut path = history_dir.join(format!("{label}_{}.toml", Utc::now().compact()));
        let mut n = 2;
        while path.exists() {
            path = history_dir.join(format!("{label}_{}_{n}.toml", Utc::now().compact()));
            n += 1;
        }
        write_atomic(&path, &old).map_err(|e| JobError::io(&path, &e))?;
        Some(path)
    } else {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| JobError::io(parent, &e))?;
        }
        None
    };
    write_atomic(target, &text).map_err(|e| JobError::io(target, &e))?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_keeps_the_previous_file() {
        let dir = std::env::temp_dir().join(format!("ew-deploy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("new.toml");
        let target = dir.join("weights/generalist.toml");
        let history = dir.join("weights/.history");
        let mut w = Weights::default();
        w.values[0] = 2.0;
        std::fs::write(&src, w.to_toml_string()).unwrap();
        assert_eq!(deploy(&src, &target, &history, "generalist").unwrap(), None);
        assert_eq!(Weights::load(&target).unwrap(), w);
        std::fs::write(&src, Weights::default().to_toml_string()).unwrap();
        let backup = deploy(&src, &target, &history, "generalist")
            .unwrap()
            .unwrap();
        assert_eq!(Weights::load(&backup).unwrap(), w);
        assert_eq!(Weights::load(&target).unwrap(), Weights::default());
        std::fs::write(&src, "own_life = 99\n").unwrap();
        assert!(deploy(&src, &target, &history, "generalist").is_err());
        assert_eq!(Weights::load(&target).unwrap(), Weights::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
