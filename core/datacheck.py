"""The check of ``data/`` before a run starts any job: every faction has a deck, and the real
``validate`` binary loads the rules, cards, decks and weights and plays each deck matchup once
with greedy bots (80 games, well under a second). A bad file is then one ``ConfigError`` (exit
2) naming it, instead of one failure per job."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from core.errors import ConfigError, JobFailed
from core.events import ErrorEvent, parse_event_line
from core.paths import Workspace

CHECK_TIMEOUT_S = 120.0


def check_decks(ws: Workspace) -> None:
    """Every faction has at least one deck: a round robin needs every faction, and training
    plays against each."""
    for faction, n in ws.deck_counts().items():
        if n == 0:
            raise ConfigError(
                f"{ws.decks_dir / faction}: no decks for faction {faction} "
                "(every faction needs at least one *.toml deck)"
            )


def check_weights(ws: Workspace) -> None:
    """The weight spec and every deployed weights file load (names, bounds, finite values)."""
    from core.weights import TARGETS, load_spec, load_weights

    spec = load_spec(ws)
    for target in TARGETS:
        path = ws.weights_file(target)
        if path.exists():
            load_weights(path, spec)


def check_data(ws: Workspace, validate: Path | None) -> None:
    """Refuse a run over bad data: the deck count, the weights, then (given the ``validate``
    binary) a load and one greedy game per matchup and seat order. Raises ``ConfigError``
    naming the file."""
    check_decks(ws)
    check_weights(ws)
    if validate is None:
        return
    with tempfile.TemporaryDirectory(prefix="ewtui-datacheck-") as tmp:
        argv = [
            str(validate), "--games", "1", "--bot", "greedy", "--threads", "1",
            "--data", str(ws.data_dir), "--output", str(Path(tmp) / "check.json"),
            "--events", "jsonl",
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                argv, capture_output=True, timeout=CHECK_TIMEOUT_S, check=False, cwd=tmp
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise JobFailed(f"{validate}: the check of {ws.data_dir} did not run: {exc}") from None
    if proc.returncode == 0:
        return
    events = (parse_event_line(ln) for ln in proc.stdout.splitlines())
    errors = [ev for ev in events if isinstance(ev, ErrorEvent)]
    if errors:
        err = errors[-1]
        if err.kind in ("data", "usage"):
            raise ConfigError(err.msg)
        raise JobFailed(f"the check of {ws.data_dir} failed: {err.msg}")
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"]
    raise ConfigError(f"{ws.data_dir}: the data check failed: {tail[-1]}")
