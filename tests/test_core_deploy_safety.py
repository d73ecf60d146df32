"""Deploy safety: incomplete experiments refused unless forced, identical weights a no-op, one
backup stamp per deploy, a rollback undoes exactly one deploy and survives a re-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import core.weights as W
from core.paths import Workspace

REPO = Path(__file__).resolve().parents[1]


def _cli(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "-C", str(ws.root), *args],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
        env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _weights(ws: Workspace, bump: float) -> str:
    """The deployed generalist with every weight moved by ``bump`` of its range (in bounds)."""
    spec = W.load_spec(ws)
    cur = W.load_weights(ws.weights_file("generalist"), spec)
    lines = []
    for b in spec.bounds:
        v = cur.values[b.name] + bump * (b.max - b.min)
        lines.append(f"{b.name} = {min(b.max, max(b.min, v))!r}")
    return "\n".join(lines) + "\n"


def test_an_incomplete_experiment_is_refused_unless_forced(ws: Workspace) -> None:
    d = ws.experiments_dir / "2026-01-01_0000_argentum-v1"
    d.mkdir(parents=True)
    (d / "weights.toml").write_text(_weights(ws, 0.05))
    before = ws.weights_file("generalist").read_bytes()
    proc = _cli(ws, "weights", "deploy", str(d))
    assert proc.returncode == 2 and "incomplete experiment" in proc.stderr, proc.stderr
    proc = _cli(ws, "weights", "deploy", str(d), "--force")
    assert proc.returncode == 2 and "give --target" in proc.stderr, proc.stderr
    assert ws.weights_file("generalist").read_bytes() == before
    proc = _cli(ws, "weights", "deploy", str(d), "--force", "--target", "argentum")
    assert proc.returncode == 0, proc.stderr
    assert ws.weights_file("generalist").read_bytes() == before
    assert (
        W.load_weights(ws.weights_file("argentum"), W.load_spec(ws)).values
        == W.parse_weights(_weights(ws, 0.05), W.load_spec(ws), "x").values
    )


def test_identical_weights_deploy_nothing(ws: Workspace) -> None:
    notes: list[str] = []
    text = ws.weights_file("generalist").read_text()
    assert W.deploy_many(ws, [("same", text, "generalist")], notes=notes) == []
    assert notes == ["identical: generalist"]
    assert W.history(ws) == []
    assert W.deploy(ws, ws.weights_file("generalist"), "generalist") is None


def test_two_deploys_in_one_second_roll_back_one_at_a_time(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(W, "_stamp_now", lambda: "20260101_120000")
    original = ws.weights_file("generalist").read_text()
    first, second = _weights(ws, 0.05), _weights(ws, -0.05)
    (a,) = W.deploy_many(ws, [("first", first, "generalist")])
    (b,) = W.deploy_many(ws, [("second", second, "generalist")])
    assert a.backup != b.backup
    spec = W.load_spec(ws)
    values = lambda text: W.parse_weights(text, spec, "x").values  # noqa: E731
    (undone,) = W.rollback(ws)
    assert undone.path == b.backup
    assert W.load_weights(ws.weights_file("generalist"), spec).values == values(first)
    W.rollback(ws)
    assert W.load_weights(ws.weights_file("generalist"), spec).values == values(original)


def test_an_interrupted_rollback_rerun_keeps_the_rolled_back_copy(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = W.load_spec(ws)
    deployed = _weights(ws, 0.05)
    (rec,) = W.deploy_many(ws, [("new", deployed, "generalist")])
    assert rec.backup is not None
    real_unlink = Path.unlink

    def killed(self: Path, missing_ok: bool = False) -> None:
        if str(self) == rec.backup:
            raise KeyboardInterrupt  # killed after restoring, before the backup left
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed)
    with pytest.raises(KeyboardInterrupt):
        W.rollback(ws)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    W.rollback(ws)  # the re-run
    kept = Path(rec.backup).with_suffix(".rolled-back")
    assert (
        W.parse_weights(kept.read_text(), spec, "k").values
        == W.parse_weights(deployed, spec, "d").values
    )


def test_a_deploy_names_its_experiment_and_diff(ws: Workspace) -> None:
    (rec,) = W.deploy_many(
        ws,
        [("exp/weights.toml", _weights(ws, 0.2), "generalist")],
        experiments={"generalist": ("experiments/2026-01-01_0000_g", "done")},
    )
    assert rec.experiment == "experiments/2026-01-01_0000_g" and rec.experiment_state == "done"
    assert rec.changed > 0 and rec.large
    (entry,) = W.history(ws)
    assert entry.source == "experiments/2026-01-01_0000_g"


def test_weights_deploy_of_identical_weights_says_so(ws: Workspace) -> None:
    d = ws.experiments_dir / "2026-01-01_0000_generalist-v1"
    d.mkdir(parents=True)
    (d / "weights.toml").write_bytes(ws.weights_file("generalist").read_bytes())
    (d / "config.toml").write_text('mode = "generalist"\ntag = "generalist-v1"\n')
    (d / "summary.json").write_text('{"mode": "generalist", "tag": "generalist-v1"}')
    proc = _cli(ws, "weights", "deploy", str(d), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "identical, nothing deployed" in proc.stdout
    assert W.history(ws) == []


def test_rollback_list_names_the_deploy_source(ws: Workspace) -> None:
    W.deploy_many(
        ws,
        [("exp/weights.toml", _weights(ws, 0.1), "generalist")],
        experiments={"generalist": ("experiments/2026-01-01_0000_g", "done")},
    )
    proc = _cli(ws, "weights", "rollback", "--list")
    assert proc.returncode == 0, proc.stderr
    assert "replaced by experiments/2026-01-01_0000_g" in proc.stdout
