"""Workspace snapshots (what a remote container gets) and the safe extraction of archives that
come back."""

from __future__ import annotations

import errno
import fnmatch
import io
import os
import stat
import tarfile
from pathlib import Path, PurePosixPath

from core.errors import UnsafeArchive

DATA_FILES = (
    "rules.toml",
    "cards/*.toml",
    "decks/*/*.toml",
    "configs/*.toml",
    "weights/*.toml",
    "weights/spec.json",
    "weights/specialists/*.toml",
)
"""What the jobs read from data/, as paths relative to it: the only files a snapshot holds."""

RUST_FILES = ("Cargo.toml", "Cargo.lock", "*/Cargo.toml", "*/src/**/*.rs", "*/benches/*.rs")
"""What building the binaries reads from rust/: the manifests, the lock file and the sources.
Benchmarks are declared in the manifests, so cargo needs their files to load them."""

SECRET_PATTERNS = (
    ".*",
    "*secret*",
    "*token*",
    "*credential*",
    "*password*",
    "*passwd*",
    "*.env",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "*kubeconfig*",
    "*service-account*",
    "*service_account*",
)
"""Names that may hold credentials: refused even where the allow list would take them (a
`configs/secrets.toml`), compared in lower case."""


def is_secret(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, pat) for pat in SECRET_PATTERNS)


def _match_parts(parts: tuple[str, ...], pat: tuple[str, ...]) -> bool:
    if not pat:
        return not parts
    if pat[0] == "**":  # any number of directories, none included
        return any(_match_parts(parts[i:], pat[1:]) for i in range(len(parts) + 1))
    return (
        bool(parts) and fnmatch.fnmatchcase(parts[0], pat[0]) and _match_parts(parts[1:], pat[1:])
    )


def matches(rel: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    """Whether a relative path matches one of the patterns: `*` within one name, `**` for any
    number of directories."""
    return any(_match_parts(rel.parts, tuple(p.split("/"))) for p in patterns)


def allowed(root: Path, rel: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    """Whether ``root/rel`` may leave the machine: it matches the allow list, no part of its
    path looks like a secret, and it is a regular file with one name (a symlink or a hard link
    may be another file, anywhere on the disk)."""
    if (
        len(rel.parts) > MAX_MEMBER_DEPTH
        or not matches(rel, patterns)
        or any(is_secret(part) for part in rel.parts)
    ):
        return False
    try:
        st = os.lstat(root / rel)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1


def snapshot_files(root: Path, patterns: tuple[str, ...] = DATA_FILES) -> list[Path]:
    """The files under ``root`` the allow list takes, relative to it, in sorted order. Linked
    directories are not entered."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not is_secret(d) and d != "target" and not os.path.islink(os.path.join(dirpath, d))
        )
        for name in sorted(filenames):
            rel = Path(dirpath, name).relative_to(root)
            if allowed(root, PurePosixPath(rel.as_posix()), patterns):
                out.append(rel)
    return out


def make_snapshot(data_dir: Path) -> bytes:
    """A tar.gz of what the jobs read from ``data_dir`` (cards, decks, rules, configs, weights):
    an allow list, so nothing else leaves the machine (secrets, the deploy history, stray
    files)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel in snapshot_files(data_dir):
            tar.add(data_dir / rel, arcname=rel.as_posix(), recursive=False)
    return buf.getvalue()


_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.EPERM})

MAX_MEMBER_DEPTH = 64
"""Deeper paths are refused: no archive of ours nests this far, and very deep paths break
tools (recursion, path length limits) before they reach the disk."""


def _check_member(member: tarfile.TarInfo) -> str | None:
    name = member.name
    if not name.strip() or name.strip() in (".", "./"):
        return "empty name"
    if "\x00" in name:
        return "NUL in the name"
    path = PurePosixPath(name)
    if len(path.parts) > MAX_MEMBER_DEPTH or len(name) > 4096:
        return f"path deeper than {MAX_MEMBER_DEPTH} levels or longer than 4096 characters"
    if name.startswith(("/", "\\")) or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in path.parts or ".." in name.replace("\\", "/").split("/"):
        return "path leaves the destination (`..`)"
    if member.issym() or member.islnk():
        return "link"
    if not (member.isfile() or member.isdir()):
        return "not a regular file or directory"
    return None


def safe_extract(data: bytes, dest: Path) -> list[str]:
    """Extract a tar (optionally compressed) into ``dest`` after checking every member first:
    absolute paths, ``..`` and links reject the whole archive and nothing is written."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
            for m in members:
                problem = _check_member(m)
                if problem:
                    name = m.name if len(m.name) <= 80 else m.name[:77] + "..."
                    raise UnsafeArchive(f"archive rejected: member `{name}`: {problem}")
            dest.mkdir(parents=True, exist_ok=True)
            # The "data" filter re-checks every member on top of the checks above.
            tar.extractall(dest, members=members, filter="data")
            return [m.name for m in members if m.isfile()]
    except UnsafeArchive:
        raise
    except tarfile.TarError as exc:
        raise UnsafeArchive(f"archive rejected: not a readable tar: {exc}") from None
    except OSError as exc:
        if exc.errno in _DISK_ERRNOS:
            raise  # the destination's problem, not the archive's (the caller says which)
        why = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise UnsafeArchive(f"archive rejected: cannot be extracted: {why}") from None
    except (RecursionError, ValueError) as exc:
        # Whatever the checks above missed, the caller gets the same one-line refusal.
        why = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise UnsafeArchive(f"archive rejected: cannot be extracted: {why}") from None
