"""Validation reports for tests, built by the real binary: made-up matchup counts go to
``validate merge`` as a part, and the binary writes the report exactly as a run would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from core.binaries import ensure_binaries
from core.paths import Workspace

REPO = Path(__file__).resolve().parents[1]


def write_report(
    out_dir: Path, config: dict[str, Any], matchups: list[dict[str, Any]], time_s: float
) -> Path:
    """``out_dir`` holding results.json, summary.txt and config.toml of these counts."""
    validate = ensure_binaries(Workspace(REPO)).validate
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    part = out_dir.parent / f".{out_dir.name}.counts.json"
    part.write_text(
        json.dumps({"version": 1, "config": config, "matchups": matchups, "time_s": time_s})
    )
    try:
        subprocess.run(
            [str(validate), "merge", str(part), "--output-dir", str(out_dir)],
            check=True,
            capture_output=True,
        )
    finally:
        part.unlink()
    return out_dir
