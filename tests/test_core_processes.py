"""Processes under faults, with real processes: children die with a killed ewtui, training has
a local timeout, child output cannot drive the terminal, an overlong line costs one line."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import core.job_process as jp
from core.binaries import Binaries
from core.config import load_project_config
from core.events import JobEvent, LogEvent, PipelineEvent
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan
from core.record import RunRecord

REPO = Path(__file__).resolve().parents[1]


def _headless(ws: Workspace, fake_bin_dir: Path, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    full_env = {
        "EWTUI_BIN_DIR": str(fake_bin_dir),
        "PATH": "/usr/bin:/bin",
        "NO_COLOR": "1",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "-C", str(ws.root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=REPO,
    )  # fmt: skip


def _wait_for(proc: subprocess.Popen[str], needle: str, timeout: float = 60) -> list[str]:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(ln) for ln in proc.stdout or []], daemon=True
    ).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(needle in ln for ln in seen):
        try:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            proc.kill()
            pytest.fail(f"never saw {needle!r}: " + "".join(seen[-5:]))
    return seen


def _survivors(marker: str, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True).stdout
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_die_with_a_killed_ewtui_and_its_record_reads_interrupted(
    ws: Workspace, fake_bin_dir: Path
) -> None:
    proc = _headless(
        ws, fake_bin_dir, {"FAKE_HANG": "--matchup"},
        "--run", "validate-only", "--preset", "smoke", "--cores", "3", "--json",
    )  # fmt: skip
    _wait_for(proc, '"state":"running"')
    time.sleep(1.0)  # the children are past exec
    proc.kill()
    proc.wait(timeout=10)
    assert _survivors(str(fake_bin_dir)) == b"", "children outlived ewtui"
    (path,) = ws.runs_dir.glob("*.json")
    rec = RunRecord.model_validate_json(path.read_text())
    assert rec.state == "running"  # nobody could write more
    assert rec.effective_state() == "interrupted"
    assert rec.label() == "interrupted"


def _set_train_timeout(ws: Workspace, seconds: int) -> None:
    cfg = ws.configs_file.read_text()
    cfg, n = re.subn(r"(\[modal\.train\][^\[]*?timeout_s = )\d+", rf"\g<1>{seconds}", cfg)
    assert n == 1
    ws.configs_file.write_text(cfg)


def test_training_has_a_local_timeout(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[modal.train] timeout_s ends a hung `tune` on this machine too."""
    _set_train_timeout(ws, 2)
    monkeypatch.setenv("FAKE_HANG", "--mode generalist")
    project = load_project_config(ws.configs_file)
    plan = build_plan(
        project, RunOptions(mode="train-only", preset="smoke", single="generalist"), ws
    )
    assert plan.train_jobs()[0].timeout_s == 2
    backend = LocalBackend(ws, cores=2, bins=fake_bins)
    started = time.monotonic()
    rec = asyncio.run(Pipeline(plan, backend, ws, lambda _ev: None).run())
    assert time.monotonic() - started < 30
    (result,) = rec.results()
    assert result.state == "timeout", result
    assert rec.state == "failed"
    assert _survivors(str(fake_bins.tune.parent), timeout=5) == b""


def test_noisy_children_are_stripped_and_long_lines_skipped(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Escapes and control bytes never leave run_job; a line over the limit is skipped with a
    warning and the job goes on to finish."""
    monkeypatch.setenv("FAKE_NOISE", "--matchup argentum-symbiote")
    monkeypatch.setattr(jp, "LINE_LIMIT", 64 * 1024)
    project = load_project_config(ws.configs_file)
    plan = build_plan(project, RunOptions(mode="validate-only", preset="smoke"), ws)
    job = next(j for j in plan.validate_jobs() if j.matchup == "argentum-symbiote")
    events: list[PipelineEvent] = []
    res = asyncio.run(jp.run_job(job, ws, fake_bins, events.append))
    assert res.state == "ok", res.error
    logs = [e.event for e in events if isinstance(e, JobEvent) and isinstance(e.event, LogEvent)]
    text = "\n".join(e.msg for e in logs)
    assert "noisy" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    skipped = [e.msg for e in logs if "was skipped" in e.msg]
    assert sorted(m.split(":")[0] for m in skipped) == ["stderr", "stdout"]


def test_headless_output_carries_no_escapes(ws: Workspace, fake_bin_dir: Path) -> None:
    proc = _headless(
        ws, fake_bin_dir, {"FAKE_NOISE": "--matchup", "FAKE_FAIL": "--matchup argentum-obsidion"},
        "--run", "validate-only", "--preset", "smoke", "--cores", "3",
    )  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "pwned" not in err  # the title sequence is removed whole


def test_read_lines_survives_a_line_over_the_limit() -> None:
    async def go() -> list[bytes | None]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print('a'); print('b' * 5000); print('c')",
            stdout=asyncio.subprocess.PIPE, limit=1024,
        )  # fmt: skip
        assert proc.stdout is not None
        got = [line async for line in jp.read_lines(proc.stdout, 1024)]
        await proc.wait()
        return got

    assert asyncio.run(go()) == [b"a\n", None, b"c\n"]


def test_the_run_marker_names_the_run(ws: Workspace, fake_bins: Binaries) -> None:
    from core.experiments import RUN_MARKER, ExperimentStore

    project = load_project_config(ws.configs_file)
    plan = build_plan(
        project, RunOptions(mode="train-only", preset="smoke", single="generalist"), ws
    )
    backend = LocalBackend(ws, cores=2, bins=fake_bins)
    rec = asyncio.run(Pipeline(plan, backend, ws, lambda _ev: None).run())
    exps = [e for e in ExperimentStore(ws).list() if e.kind == "train"]
    (exp,) = exps
    marker = json.loads((Path(exp.path) / RUN_MARKER).read_text())
    assert marker["run_id"] == rec.run_id and marker["pid"] == os.getpid()
    assert (exp.state, exp.run_id) == ("done", rec.run_id)


def test_sigterm_before_any_job_exits_130_without_traceback(
    ws: Workspace, fake_bin_dir: Path
) -> None:
    proc = _headless(
        ws, fake_bin_dir, {"FAKE_HANG": "--mode"},
        "--run", "train-only", "--preset", "smoke", "--single", "generalist", "--json",
    )  # fmt: skip
    _wait_for(proc, '"state":"running"')
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (path,) = ws.runs_dir.glob("*.json")
    rec = RunRecord.model_validate_json(path.read_text())
    assert rec.state == "interrupted"
    assert {k: p.state for k, p in rec.phases.items()} == {
        "train": "interrupted",
        "deploy": "skipped",
        "validate": "skipped",
        "save": "done",
    }
    assert [r.state for r in rec.results()] == ["interrupted"]
