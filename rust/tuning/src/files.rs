//! Files the jobs write: atomic replacement, unique experiment directories, write checks.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

/// Replaces `path` with `contents` atomically: readers see the old file or the new one, never a
/// part. The temporary file lives in the same directory so the rename cannot cross devices.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = temp_path_for(path);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `parent/<stamp>_<tag>`, or `..._2`, `..._3`, … when the name is taken. The final
/// `create_dir` fails on an existing directory, so two runs never share one.
pub fn create_unique_dir(parent: &Path, stamp: &str, tag: &str) -> io::Result<PathBuf> {
    fs::create_dir_all(parent)?;
    let base = if tag.is_empty() {
        stamp.to_string()
    } else {
        format!("{stamp}_{tag}")
    };
    for i in 1u32.. {
        let name = if i == 1 {
            base.clone()
        } else {
            format!("{base}_{i}")
        };
        let dir = parent.join(name);
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("u32 suffixes exhausted")
}

/// Creates `dir` if needed and proves that a file can be written in it.
pub fn ensure_writable_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let probe = temp_path_for(&dir.join("write-probe"));
    File::create(&probe)?;
    fs::remove_file(&probe)
}

/// Opens `path` for appending, creating it.
pub fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ew-tuning-{name}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = scratch("atomic");
        let p = dir.join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_write_into_missing_dir_fails_cleanly() {
        let dir = scratch("missing");
        let p = dir.join("no/such/dir/a.json");
        assert!(write_atomic(&p, b"x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unique_dirs_get_suffixes() {
        let dir = scratch("unique");
        let a = create_unique_dir(&dir, "2024-01-01_0000", "t").unwrap();
        let b = create_unique_dir(&dir, "2024-01-01_0000", "t").unwrap();
        let c = create_unique_dir(&dir, "2024-01-01_0000", "t").unwrap();
        assert!(a.ends_with("2024-01-01_0000_t"));
        assert!(b.ends_with("2024-01-01_0000_t_2"));
        assert!(c.ends_with("2024-01-01_0000_t_3"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn writable_check_rejects_a_file_in_the_way() {
        let dir = scratch("writable");
        ensure_writable_dir(&dir.join("sub")).unwrap();
        fs::write(dir.join("blocker"), "x").unwrap();
        assert!(ensure_writable_dir(&dir.join("blocker/sub")).is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
