//! Files the jobs write: atomic replacement, unique experiment directories, write checks.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The directory `path` lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `contents` atomically: readers see the old file or the new one, never a
/// part, and after a crash the file holds one of them. The temporary file lives in the same
/// directory so the rename cannot cross devices, and is deleted if any step fails; the file is
/// synced before the rename and the directory after it, so the rename itself is durable.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Set on the open file, so the umask does not narrow a replaced file's mode.
    #[cfg(unix)]
    tmp.as_file().set_permissions(permissions_for(path))?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// A replaced file keeps its permissions; a new one gets the usual `rw-r--r--` (a temporary
/// file alone would be private to its owner).
#[cfg(unix)]
fn permissions_for(path: &Path) -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| fs::Permissions::from_mode(0o644))
}

/// Makes a rename in `dir` durable. Windows cannot open a directory as a file; there the
/// rename is as durable as the platform allows.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(windows) {
        return Ok(());
    }
    File::open(dir)?.sync_all()
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
    // An unnamed file (or one deleted on drop): the probe never outlives the check.
    tempfile::tempfile_in(dir).map(drop)
}

/// Opens `path` for appending, creating it.
pub fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_keeps_or_sets_readable_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.toml");
        write_atomic(&p, b"a").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o664)).unwrap();
        write_atomic(&p, b"b").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o664
        );
    }

    #[test]
    fn atomic_write_into_missing_dir_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/a.json");
        assert!(write_atomic(&p, b"x").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn atomic_write_over_a_directory_fails_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a.json")).unwrap();
        assert!(write_atomic(&dir.path().join("a.json"), b"x").is_err());
        // Only the directory that was in the way: the temporary file is gone.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn unique_dirs_get_suffixes() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_unique_dir(dir.path(), "2024-01-01_0000", "t").unwrap();
        let b = create_unique_dir(dir.path(), "2024-01-01_0000", "t").unwrap();
        let c = create_unique_dir(dir.path(), "2024-01-01_0000", "t").unwrap();
        assert!(a.ends_with("2024-01-01_0000_t"));
        assert!(b.ends_with("2024-01-01_0000_t_2"));
        assert!(c.ends_with("2024-01-01_0000_t_3"));
    }

    #[test]
    fn writable_check_rejects_a_file_in_the_way_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        ensure_writable_dir(&dir.path().join("sub")).unwrap();
        assert_eq!(fs::read_dir(dir.path().join("sub")).unwrap().count(), 0);
        fs::write(dir.path().join("blocker"), "x").unwrap();
        assert!(ensure_writable_dir(&dir.path().join("blocker/sub")).is_err());
    }
}
