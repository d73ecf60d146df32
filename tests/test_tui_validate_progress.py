"""`validate` without `--events`: progress lines on stderr when stderr is a terminal (a person is
watching), none otherwise (a log file or a pipe gets the report alone)."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from core.paths import Workspace

ARGS = ["--games", "2", "--bot", "greedy", "--matchup", "argentum-symbiote", "--no-timing"]


def _command(bin_dir: Path, ws: Workspace, out: str) -> list[str]:
    return [
        str(bin_dir / "validate"),
        *ARGS,
        "--data",
        str(ws.data_dir),
        "--experiment-dir",
        str(ws.root / out),
    ]


def test_progress_goes_to_a_terminal_only(real_bin_dir: Path, ws: Workspace) -> None:
    piped = subprocess.run(
        _command(real_bin_dir, ws, "piped"), capture_output=True, text=True, check=True
    )
    assert "progress:" not in piped.stderr

    main, child = pty.openpty()
    try:
        proc = subprocess.run(
            _command(real_bin_dir, ws, "tty"),
            stdout=subprocess.DEVNULL,
            stderr=child,
            check=True,
        )
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty reports EIO once the writer is gone and it is drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
    seen = b"".join(chunks).decode()
    assert proc.returncode == 0
    total = 16 * 2 * 2  # 16 deck pairs of argentum-symbiote x 2 seat orders x 2 games
    assert f"progress: {total}/{total} games (100%)" in seen
