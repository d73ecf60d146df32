"""The run and experiment states every reader shows: a record left ``running`` by a dead writer
reads ``interrupted``, ``ok`` reads ``done``, a cancelled job leaves the run done."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import load_project_config
from core.events import JobStateChanged, PipelineEvent
from core.experiments import RUN_MARKER, ExperimentStore
from core.liveness import STALE_AFTER_S, Writer, hostname, process_start
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan
from core.record import RunRecord


def _record(**kw: object) -> RunRecord:
    base: dict[str, object] = {
        "run_id": "r",
        "backend": "local",
        "plan": {},
        "started": time.time(),
        "estimate": {"core_hours": 0.0, "price_per_core_hour": 0.0, "cost": 0.0},
    }
    return RunRecord.model_validate({**base, **kw})


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_ok_reads_done_and_a_live_writer_reads_running() -> None:
    me = Writer.me()
    assert _record(state="ok").effective_state() == "done"
    assert _record(state="ok").label() == "done"
    live = _record(pid=me.pid, host=me.host, pid_start=me.pid_start)
    assert live.effective_state() == "running" and live.label() == "running"


def test_running_record_of_a_dead_writer_reads_interrupted() -> None:
    rec = _record(pid=_dead_pid(), host=hostname())
    assert rec.state == "running"
    assert rec.effective_state() == "interrupted"
    assert rec.label() == "interrupted"


def test_reused_pid_is_not_taken_for_the_writer() -> None:
    me = Writer.me()
    assert me.pid_start is not None or not sys.platform.startswith("linux")
    rec = _record(pid=me.pid, host=me.host, pid_start=(me.pid_start or 0) + 1)
    assert rec.effective_state() == "interrupted"


def test_other_host_is_judged_by_its_heartbeat() -> None:
    now = time.time()
    fresh = _record(pid=1, host="elsewhere", heartbeat=now - 10)
    stale = _record(pid=1, host="elsewhere", heartbeat=now - STALE_AFTER_S - 1)
    assert fresh.effective_state(now) == "running"
    assert stale.effective_state(now) == "interrupted"


def test_an_old_record_without_writer_reads_interrupted_once_stale() -> None:
    old = _record(started=time.time() - STALE_AFTER_S - 60)
    assert old.pid is None
    assert old.effective_state() == "interrupted"


def test_label_counts_cancelled_jobs() -> None:
    job = {"spec": {}, "result": {"job_id": "a", "kind": "train", "state": "cancelled"}}
    ok = {"spec": {}, "result": {"job_id": "b", "kind": "train", "state": "ok"}}
    rec = _record(state="ok", jobs=[job, ok])
    assert rec.label() == "done (1 cancelled)"
    assert _record(state="failed", jobs=[job]).label() == "failed"


def test_process_start_tells_processes_apart() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("start times from /proc")
    a = process_start(os.getpid())
    assert a is not None and process_start(os.getpid()) == a
    assert process_start(_dead_pid()) is None


def _plan(ws: Workspace, **opts: object):  # type: ignore[no-untyped-def]
    project = load_project_config(ws.configs_file)
    return build_plan(project, RunOptions(preset="smoke", **opts), ws)  # type: ignore[arg-type]


def test_a_cancelled_job_leaves_the_run_done(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user cancels one hanging validation part: the run ends `ok`, labelled
    "done (1 cancelled)", and no phase stays pending."""
    monkeypatch.setenv("FAKE_HANG", "--matchup symbiote-obsidion")
    plan = _plan(ws, mode="validate-only", cores=3)
    backend = LocalBackend(ws, cores=3, bins=fake_bins)

    def emit(ev: PipelineEvent) -> None:
        if (
            isinstance(ev, JobStateChanged)
            and ev.job_id == "validate-symbiote-obsidion"
            and ev.state == "running"
        ):
            asyncio.get_running_loop().call_later(1.0, backend.cancel, ev.job_id)

    rec = asyncio.run(Pipeline(plan, backend, ws, emit).run())
    assert rec.state == "ok", rec.errors
    assert rec.label() == "done (1 cancelled)"
    assert rec.errors == []
    assert {p.state for p in rec.phases.values()} <= {"done", "skipped"}
    on_disk = RunRecord.model_validate_json(Path(rec.path).read_text())
    assert on_disk.label() == "done (1 cancelled)"
    assert on_disk.pid == os.getpid() and on_disk.host == hostname()


def test_headless_exits_0_when_a_job_was_cancelled() -> None:
    from core.errors import ExitCode

    assert ExitCode.of_run(_record(state="ok").state) == ExitCode.OK


# --- experiments ------------------------------------------------------------------------------


def _train_dir(ws: Workspace, name: str, marker: dict[str, object] | None) -> Path:
    d = ws.experiments_dir / name
    d.mkdir(parents=True)
    (d / "config.toml").write_text('mode = "generalist"\ntag = "t"\ngenerations = 3\n')
    if marker is not None:
        (d / RUN_MARKER).write_text(json.dumps(marker))
    return d


def _age(d: Path, seconds: float) -> None:
    t = time.time() - seconds
    for p in [d, *d.iterdir()]:
        os.utime(p, (t, t))


def test_experiment_states_and_run_ids(ws: Workspace) -> None:
    me = Writer.me()
    live = {"run_id": "run1", "state": "running", "pid": me.pid, "host": me.host,
            "pid_start": me.pid_start}  # fmt: skip
    _train_dir(ws, "2026-01-01_1200_live", live)
    _train_dir(ws, "2026-01-01_1201_dead", {**live, "pid": _dead_pid(), "pid_start": None})
    _train_dir(ws, "2026-01-01_1202_cancelled", {**live, "state": "cancelled"})
    _train_dir(ws, "2026-01-01_1203_timeout", {**live, "state": "timeout"})
    done = _train_dir(ws, "2026-01-01_1204_done", {**live, "state": "ok"})
    (done / "summary.json").write_text(json.dumps({"mode": "generalist", "tag": "t"}))
    by_hand_old = _train_dir(ws, "2026-01-01_1205_byhand", None)
    _age(by_hand_old, STALE_AFTER_S + 60)
    _train_dir(ws, "2026-01-01_1206_byhandnow", None)
    rows = {e.id: e for e in ExperimentStore(ws).list()}
    states = {k.split("_", 2)[2]: (e.state, e.run_id) for k, e in rows.items()}
    assert states == {
        "live": ("running", "run1"),
        "dead": ("interrupted", "run1"),
        "cancelled": ("cancelled", "run1"),
        "timeout": ("failed", "run1"),
        "done": ("done", "run1"),
        "byhand": ("interrupted", None),
        "byhandnow": ("running", None),
    }


def test_unfinished_validation_reads_its_run_record(ws: Workspace) -> None:
    for name, pid in (("2026-01-01_120000", _dead_pid()), ("2026-01-01_130000", os.getpid())):
        (ws.validation_dir / name / "parts").mkdir(parents=True)
        ws.runs_dir.mkdir(parents=True, exist_ok=True)
        me = Writer.me()
        rec = _record(run_id=name, pid=pid, host=me.host)
        (ws.runs_dir / f"{name}.json").write_text(rec.model_dump_json())
    rows = {e.id: (e.state, e.run_id) for e in ExperimentStore(ws).list()}
    assert rows["2026-01-01_120000"] == ("interrupted", "2026-01-01_120000")
    assert rows["2026-01-01_130000"] == ("running", "2026-01-01_130000")


def test_run_finished_line_carries_the_label() -> None:
    from core.events import RunFinished, pipeline_event_to_json

    job = {"spec": {}, "result": {"job_id": "a", "kind": "train", "state": "cancelled"}}
    line = json.loads(pipeline_event_to_json(RunFinished(_record(state="ok", jobs=[job]))))
    assert (line["state"], line["label"]) == ("ok", "done (1 cancelled)")


def test_a_running_pipeline_beats(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is rewritten while the run goes on, with a fresh heartbeat."""
    import core.pipeline as pipeline_mod

    monkeypatch.setattr(pipeline_mod, "HEARTBEAT_S", 0.2)
    monkeypatch.setenv("FAKE_SLOW", "0.3")
    plan = _plan(ws, mode="train-only", single="generalist")
    started = time.time()
    rec = asyncio.run(
        Pipeline(plan, LocalBackend(ws, cores=2, bins=fake_bins), ws, lambda _ev: None).run()
    )
    assert rec.heartbeat is not None and started < rec.heartbeat <= (rec.finished or 0)
