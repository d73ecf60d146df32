"""Detached runs, offline: the `pipeline` function's body runs here (its jobs through the
in-process spawner, its event stream through the in-memory queue), and clients follow it with
`DetachedBackend`: one that leaves part way (a closed laptop), one that attaches later and
deploys the weights here through the local pipeline's gate, exactly like a local run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from modal_doubles import InProcessSpawner, MemoryQueue, MemorySource

from core.config import load_project_config
from core.events import GenerationEvent, JobEvent, PipelineEvent
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from core.runner import run_pipeline
from remote.backend import ModalBackend, data_snapshot
from remote.detached import DetachedBackend, Follower
from remote.entry import run_in_container
from remote.runlog import EVENTS_FILE, clients_partition, pipeline_dir

pytestmark = pytest.mark.filterwarnings("ignore:The .* function is executing locally")


@pytest.fixture
def volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_bin_dir: Path) -> Path:
    vol = tmp_path / "volume"
    vol.mkdir()
    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(vol))
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    monkeypatch.setenv("EWTUI_CONTAINER_CORES", "2")
    return vol


def _plan(ws: Workspace, run_id: str) -> Plan:
    project = load_project_config(ws.configs_file)
    opts = RunOptions(backend="modal", preset="smoke", mode="train-only", single="generalist")
    return build_plan(project, opts, ws, run_id=run_id)


async def test_a_run_goes_on_without_its_client_and_the_next_one_deploys_it(
    ws: Workspace, volume: Path
) -> None:
    import remote.app as app

    plan = _plan(ws, "2030-01-01_000100-abcdef")
    jobs_q, runs_q = MemoryQueue(), MemoryQueue()
    spawner = InProcessSpawner(app.train, app.validate_matchup, app.validate_all)

    def backend(w: Workspace, p: Plan) -> ModalBackend:
        return ModalBackend(w, spawner=spawner, progress=jobs_q, run_id=p.run_id)

    async def nothing() -> None:
        return None

    remote_options = plan.options.model_copy(update={"deploy": False}).model_dump(mode="json")
    remote = asyncio.ensure_future(
        run_in_container(
            remote_options, plan.run_id, volume, backend, nothing,
            snapshot=data_snapshot(ws), queue=runs_q,
        )
    )  # fmt: skip
    source = MemorySource(runs_q, volume, plan.run_id, remote)

    # The first client sees a generation, then its laptop closes: its jobs end `interrupted`,
    # nothing is deployed here, and the run goes on.
    seen = asyncio.Event()

    def first_emit(ev: PipelineEvent) -> None:
        if isinstance(ev, JobEvent) and isinstance(ev.event, GenerationEvent):
            seen.set()

    first = DetachedBackend(plan.run_id, source=source)
    follow = asyncio.ensure_future(run_pipeline(plan, first, ws, first_emit))
    await asyncio.wait_for(seen.wait(), 120)
    follow.cancel()
    left = await follow
    assert left.state == "interrupted" and not left.deploys
    # The client leaving never cancels the run (a smoke run may already have ended by now, so
    # "still running" is not asserted: it would depend on the machine's speed).
    assert not remote.cancelled()

    out = await asyncio.wait_for(remote, 300)
    assert out["state"] == "ok"

    # A client that attaches after the end gets every event from the volume, then deploys the
    # trained weights here through the gate, as a local run would.
    events: list[PipelineEvent] = []
    second = DetachedBackend(plan.run_id, source=source)
    plan2 = plan.model_copy(update={"run_id": plan.run_id})
    record = await run_pipeline(plan2, second, ws, events.append)
    assert record.state == "ok", record.errors
    assert second.remote_record is not None and second.remote_record.state == "ok"
    gens = [
        e.event.gen
        for e in events
        if isinstance(e, JobEvent) and isinstance(e.event, GenerationEvent)
    ]
    assert gens == sorted(gens) and gens[0] == 1  # the whole history, in order, once
    assert record.deploy_decisions  # the local gate decided
    trained = out["record"]["jobs"][0]["result"]
    assert trained["state"] == "ok"


async def test_a_live_client_gets_the_history_first_and_every_event_once(
    tmp_path: Path,
) -> None:
    from core.events import LogEvent
    from remote.runlog import RunLog

    q = MemoryQueue()

    async def nothing() -> None:
        return None

    runlog = RunLog(tmp_path, "r1", q, nothing)
    await runlog.start()
    for i in range(5):
        runlog(JobEvent("j", None, LogEvent(msg=f"before {i}")))
    await runlog.flush()
    done = asyncio.get_running_loop().create_future()
    got: list[str] = []
    source = MemorySource(q, tmp_path, "r1", done)  # type: ignore[arg-type]
    follower = Follower(
        source, lambda ev: got.append(getattr(getattr(ev, "event", None), "msg", ""))
    )
    task = asyncio.ensure_future(follower.follow())
    await asyncio.sleep(0.2)
    for i in range(5):
        runlog(JobEvent("j", None, LogEvent(msg=f"after {i}")))
    await runlog.flush()
    await asyncio.sleep(2.5)
    # The run ends without a last event reaching this client: it reads the volume's file.
    runlog(JobEvent("j", None, LogEvent(msg="last")))
    await runlog.close()
    done.set_result(None)
    await asyncio.wait_for(task, 30)
    assert got == [f"before {i}" for i in range(5)] + [f"after {i}" for i in range(5)] + ["last"]


async def test_attach_collects_a_finished_run_once_and_cancel_reaches_the_run(
    ws: Workspace, volume: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import remote.app as app
    from remote import attach

    plan = _plan(ws, "2030-01-01_000200-fedcba")
    jobs_q, runs_q = MemoryQueue(), MemoryQueue()
    spawner = InProcessSpawner(app.train, app.validate_matchup, app.validate_all)

    def backend(w: Workspace, p: Plan) -> ModalBackend:
        return ModalBackend(w, spawner=spawner, progress=jobs_q, run_id=p.run_id)

    async def nothing() -> None:
        return None

    remote_options = plan.options.model_copy(update={"deploy": False}).model_dump(mode="json")
    remote = asyncio.ensure_future(
        run_in_container(
            remote_options, plan.run_id, volume, backend, nothing,
            snapshot=data_snapshot(ws), queue=runs_q,
        )
    )  # fmt: skip
    await asyncio.wait_for(asyncio.shield(remote), 300)
    source = MemorySource(runs_q, volume, plan.run_id, remote)
    monkeypatch.setattr(
        app, "attach_backend", lambda run_id: DetachedBackend(run_id, source=source)
    )

    # A record left by a client that detached does not count as collected.
    ws.runs_dir.mkdir(parents=True, exist_ok=True)
    left = ws.runs_dir / f"{plan.run_id}.json"
    left.write_text(
        json.dumps({"run_id": plan.run_id, "state": "interrupted", "backend": "modal", "plan": {},
                    "phases": {"deploy": {"state": "skipped"}},
                    "started": 1.0, "finished": 2.0, "estimate": {"core_hours": 0,
                    "price_per_core_hour": 0, "cost": 0}})
    )  # fmt: skip
    assert attach.collected_record(ws, plan.run_id) is None

    out = io.StringIO()
    code = await attach._attach(ws, plan.run_id, cancel=False, deploy=True, out=out)
    assert code == 0, out.getvalue()
    assert "attached to run" in out.getvalue()
    first = attach.collected_record(ws, plan.run_id)
    assert first is not None
    # A second attach (this client again, or after a crash) deploys nothing.
    again = io.StringIO()
    assert await attach._attach(ws, plan.run_id, cancel=False, deploy=True, out=again) == 0
    assert "already collected here" in again.getvalue()
    assert len(list(ws.runs_dir.glob(f"{plan.run_id}*.json"))) == 2  # the detached one, ours

    # Cancel from any client reaches the run's call.
    running = asyncio.ensure_future(asyncio.sleep(3600))
    source.task = running
    await attach._attach(ws, plan.run_id, cancel=True, deploy=True, out=io.StringIO())
    await asyncio.sleep(0)
    assert running.cancelled()


async def test_a_client_that_left_is_dropped_and_the_run_goes_on(tmp_path: Path) -> None:
    from core.events import LogEvent
    from remote.runlog import CLIENT_MAX_FAILURES, RunLog

    q = MemoryQueue(capacity=1)  # the client's partition fills: it stopped reading

    async def nothing() -> None:
        return None

    runlog = RunLog(tmp_path, "r2", q, nothing, put_timeout_s=0.05)
    await q.put.aio("gone-client", partition=clients_partition("r2"))
    for i in range(CLIENT_MAX_FAILURES + 2):
        runlog(JobEvent("j", None, LogEvent(msg=f"line {i}")))
        await runlog.flush()
    assert runlog._clients == {}  # dropped after its puts kept failing
    lines = (pipeline_dir(tmp_path, "r2") / EVENTS_FILE).read_text().splitlines()
    assert len(lines) == CLIENT_MAX_FAILURES + 2  # the volume's copy has every event


async def test_a_run_that_never_wrote_its_end_is_listed_by_its_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run.json` says running for ever when the run was cancelled or killed: the list asks the
    run's `pipeline` call instead."""
    import remote.app as app
    import remote.entry as entry

    status = {
        "fc-cancelled": {"state": "error", "error": "InputCancellation: cancelled"},
        "fc-going": {"state": "running"},
        "fc-ok": {"state": "ok", "record": {}},
    }

    async def call_status(call: Any) -> dict[str, Any]:
        return {"call_id": call, **status[call]}

    monkeypatch.setattr(entry, "call_status", call_status)
    monkeypatch.setattr(app.modal.FunctionCall, "from_id", staticmethod(lambda cid: cid))
    rows: list[dict[str, Any]] = [
        {"run_id": "a", "state": "running", "call_id": "fc-cancelled"},
        {"run_id": "b", "state": "running", "call_id": "fc-going"},
        {"run_id": "c", "state": "running", "call_id": "fc-ok"},
        {"run_id": "d", "state": "failed", "call_id": "fc-cancelled"},
    ]
    for row in rows:
        await app._true_state(row)
    assert [r["state"] for r in rows] == ["stopped", "running", "done", "failed"]
    assert "InputCancellation" in rows[0]["detail"]
