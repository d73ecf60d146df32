"""Atomic file writes: a temporary file in the same directory, then a rename, so a reader never
sees a half-written file and a crash never leaves one behind. The file keeps the mode of the
file it replaces (a new one gets the umask's), and temporary files a killed writer left are
removed by :func:`remove_stale_temps`."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 60.0
"""A temporary file older than this is a dead writer's: no write takes that long."""


def _temp_path(path: Path) -> Path:
    return path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = _temp_path(path)
    # 0o666 through the umask, as any new file; the replaced file's mode wins below.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def is_temp_name(name: str) -> bool:
    """A name :func:`atomic_write_bytes` gives its temporary files."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def remove_stale_temps(directory: Path, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Remove the temporary files a killed writer left in ``directory``; the removed paths."""
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for e in entries:
        if not is_temp_name(e.name):
            continue
        with contextlib.suppress(OSError):
            if e.is_file(follow_symlinks=False) and now - e.stat().st_mtime > older_than_s:
                os.unlink(e.path)
                removed.append(Path(e.path))
    return removed


def read_text(path: Path, what: str = "") -> str:
    """A UTF-8 text file, or a ``ConfigError`` naming it: missing, unreadable, a directory, not
    UTF-8."""
    from core.errors import ConfigError

    label = f"{path}: {what}: " if what else f"{path}: "
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{label}cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}not UTF-8 text (byte {exc.start})") from None


def overwrite_in_place(path: Path, data: bytes) -> None:
    """Rewrite an existing file in place (no temp file): the last resort of a full disk, where
    a file no longer than the old one still fits the blocks it holds. Not atomic."""
    with open(path, "r+b") as fh:
        fh.write(data)
        fh.truncate()
        fh.flush()
        os.fsync(fh.fileno())
