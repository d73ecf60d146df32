"""Workspace snapshots (what a remote container gets) and the safe extraction of archives that
come back."""

from __future__ import annotations

import fnmatch
import io
import os
import tarfile
from pathlib import Path, PurePosixPath

from core.errors import UnsafeArchive

EXCLUDED_DIRS = frozenset(
    {
        "target",
        "experiments",
        ".git",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".benchmarks",
        ".venv",
        "venv",
        "node_modules",
        ".history",
        ".coord",
    }
)
"""Build output, runtime output, history and caches: large, and rebuilt where needed."""

SECRET_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    ".modal.toml",
    ".netrc",
    ".pypirc",
    ".git-credentials",
    "credentials",
    "credentials.*",
    "*credentials*.json",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    ".npmrc",
)
"""Files that may hold credentials; they never leave the machine."""


def is_secret(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) for pat in SECRET_PATTERNS)


def _excluded_dir(name: str) -> bool:
    return name in EXCLUDED_DIRS or name.endswith(".egg-info")


def snapshot_files(root: Path) -> list[Path]:
    """The regular files a snapshot of ``root`` holds, relative to it, in sorted order.
    Links are left out: what they point to may lie outside the workspace."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not _excluded_dir(d) and not os.path.islink(os.path.join(dirpath, d))
        )
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if is_secret(name) or name.endswith(".pyc") or os.path.islink(full):
                continue
            if os.path.isfile(full):
                out.append(Path(full).relative_to(root))
    return out


def make_snapshot(root: Path) -> bytes:
    """A tar.gz of the workspace without build output, experiments, VCS data, caches and
    secrets."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel in snapshot_files(root):
            tar.add(root / rel, arcname=rel.as_posix(), recursive=False)
    return buf.getvalue()


def _check_member(member: tarfile.TarInfo) -> str | None:
    name = member.name
    path = PurePosixPath(name)
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
                    raise UnsafeArchive(f"archive rejected: member `{m.name}`: {problem}")
            dest.mkdir(parents=True, exist_ok=True)
            # The "data" filter re-checks every member on top of the checks above.
            tar.extractall(dest, members=members, filter="data")
            return [m.name for m in members if m.isfile()]
    except tarfile.TarError as exc:
        raise UnsafeArchive(f"archive rejected: not a readable tar: {exc}") from None
