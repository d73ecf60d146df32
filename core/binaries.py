"""The release binaries ``tune`` and ``validate``: prebuilt ones from ``$EWTUI_BIN_DIR``, or
built with cargo on first use and again whenever the Rust sources change."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, JobFailed
from core.fsutil import atomic_write_text
from core.paths import Workspace

BIN_DIR_ENV = "EWTUI_BIN_DIR"
NAMES = ("tune", "validate")
_STAMP = ".ewtui-sources"


@dataclass(frozen=True)
class Binaries:
    tune: Path
    validate: Path

    def path(self, name: str) -> Path:
        return self.tune if name == "tune" else self.validate


def _from_dir(d: Path, origin: str) -> Binaries:
    missing = [n for n in NAMES if not os.access(d / n, os.X_OK)]
    if missing:
        raise ConfigError(f"{origin}={d}: no executable {' or '.join(missing)} there")
    return Binaries(tune=d / "tune", validate=d / "validate")


def sources_fingerprint(rust_dir: Path) -> str:
    """A hash of the path, size and modification time of every Rust source, manifest and
    lock file under ``rust_dir`` (the build output is left out)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(rust_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "target" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".rs", ".toml", ".lock")):
                st = os.stat(os.path.join(dirpath, name))
                rel = os.path.relpath(os.path.join(dirpath, name), rust_dir)
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def target_dir(ws: Workspace) -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else ws.rust_dir / "target"


def needs_build(ws: Workspace) -> bool:
    """True when :func:`ensure_binaries` would run cargo (so a front end can say so first)."""
    if os.environ.get(BIN_DIR_ENV) or not (ws.rust_dir / "Cargo.toml").is_file():
        return False
    release = target_dir(ws) / "release"
    stamp = release / _STAMP
    have = all(os.access(release / n, os.X_OK) for n in NAMES)
    return not (
        have and stamp.is_file() and stamp.read_text().strip() == sources_fingerprint(ws.rust_dir)
    )


def _cargo_build(ws: Workspace, names: tuple[str, ...], log: list[str] | None) -> Path:
    """``cargo build --release`` of ``names`` unless the release directory holds them built from
    the current sources (a stamp per set of names); the release directory."""
    release = target_dir(ws) / "release"
    if not (ws.rust_dir / "Cargo.toml").is_file():
        raise ConfigError(
            f"{ws.rust_dir}: no Cargo.toml: set {BIN_DIR_ENV} to a directory holding "
            f"{' and '.join(names)}"
        )
    fingerprint = sources_fingerprint(ws.rust_dir)
    stamp = release / (_STAMP if names == NAMES else f"{_STAMP}-{'-'.join(names)}")
    have = all(os.access(release / n, os.X_OK) for n in names)
    if have and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return release
    cargo = shutil.which("cargo")
    if cargo is None:
        raise ConfigError(
            "cargo not found: install Rust (https://rustup.rs) or set "
            f"{BIN_DIR_ENV} to a directory holding prebuilt {' and '.join(names)}"
        )
    cmd = [cargo, "build", "--release"]
    for n in names:
        cmd += ["--bin", n]
    proc = subprocess.run(cmd, cwd=ws.rust_dir, capture_output=True, text=True, check=False)
    if log is not None:
        log.extend(proc.stderr.splitlines())
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error")]
        last = errors[0] if errors else (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise JobFailed(f"cargo build --release failed in {ws.rust_dir}: {last}")
    atomic_write_text(stamp, fingerprint + "\n")
    return release


def ensure_binaries(ws: Workspace, *, log: list[str] | None = None) -> Binaries:
    """Paths of the binaries, building them first when needed. Cargo's output is collected
    into ``log`` (when given) rather than printed."""
    env_dir = os.environ.get(BIN_DIR_ENV)
    if env_dir:
        # Resolved now: the jobs run in other working directories.
        return _from_dir(Path(env_dir).resolve(), BIN_DIR_ENV)
    return _from_dir(_cargo_build(ws, NAMES, log), "release dir")


def ensure_arena(ws: Workspace) -> Path:
    """The ``arena`` binary (the strength ladder plays its games), built on first use. Apart
    from the others: the Modal image has no use for it."""
    env_dir = os.environ.get(BIN_DIR_ENV)
    release = Path(env_dir).resolve() if env_dir else _cargo_build(ws, ("arena",), None)
    path = release / "arena"
    if not os.access(path, os.X_OK):
        raise ConfigError(f"{BIN_DIR_ENV}={env_dir}: no executable arena there")
    return path
