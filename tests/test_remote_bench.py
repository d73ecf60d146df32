"""Benchmarks of the Modal transport's targets: the delay from an event leaving a container's job
runner to the backend's emitter (target under 2 s), and the size of the data snapshot that goes
up with a run (target under 1 MB). The queue is the in-memory stand-in, so the figure is the
relay's own delay; a real `modal.Queue` adds its network round trips."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from modal_doubles import MemoryQueue

from core.events import JobEvent, LogEvent, PipelineEvent, ProgressEvent
from core.jobs import TrainJob
from core.paths import Workspace
from remote.backend import ModalBackend, data_snapshot
from remote.relay import QueueRelay

EVENTS = 40
SPACING_S = 0.05


class _Call:
    def __init__(self, task: asyncio.Task[dict[str, Any]]) -> None:
        self._task = task
        self.object_id = "bench-call"

    async def result(self) -> dict[str, Any]:
        return await self._task

    async def cancel(self) -> None:
        self._task.cancel()

    def system_logs(self) -> None:
        return None


class _EmittingContainer:
    """Spawns a stand-in container that relays timed events the way a function body does."""

    async def spawn(self, spec: Any, snapshot: bytes, run_id: str, progress: Any, _t: Any) -> _Call:
        async def body() -> dict[str, Any]:
            relay = QueueRelay(progress, run_id, spec.id, "ta-bench")
            await relay.start()
            started = time.time()
            for i in range(EVENTS):
                ev = ProgressEvent(done=i + 1, total=EVENTS, unit="game", t=time.time())
                relay.emit(JobEvent(spec.id, "ta-bench", ev))
                await asyncio.sleep(SPACING_S)
            await relay.close()
            now = time.time()
            return {"job_id": spec.id, "kind": "train", "state": "ok", "started": started,
                    "finished": now}  # fmt: skip

        return _Call(asyncio.create_task(body()))


async def _latencies(ws: Workspace) -> list[float]:
    spec = TrainJob.model_validate(
        {"id": "train-b", "cores": 16, "config": {"name": "b", "tag": "b", "mode": "generalist"}}
    )
    delays: list[float] = []

    def emit(ev: PipelineEvent) -> None:
        if isinstance(ev, JobEvent) and isinstance(ev.event, ProgressEvent):
            delays.append(time.time() - ev.event.t)

    async with ModalBackend(
        ws, spawner=_EmittingContainer(), progress=MemoryQueue(), run_id="bench"
    ) as backend:
        res = await backend.run(spec, emit)
    assert res.state == "ok" and len(delays) == EVENTS
    return delays


@pytest.mark.benchmark(group="remote")
def test_bench_event_relay_latency(benchmark: Any, ws: Workspace) -> None:
    delays = benchmark.pedantic(lambda: asyncio.run(_latencies(ws)), rounds=1, iterations=1)
    p50 = statistics.median(delays)
    worst = max(delays)
    benchmark.extra_info.update(relay_latency_p50_s=round(p50, 3), relay_latency_max_s=worst)
    print(f"relay latency: p50 {p50:.3f} s, max {worst:.3f} s over {EVENTS} events")
    assert worst < 2.0


@pytest.mark.benchmark(group="remote")
def test_bench_data_snapshot(benchmark: Any, ws: Workspace) -> None:
    data = benchmark(data_snapshot, ws)
    benchmark.extra_info["snapshot_bytes"] = len(data)
    print(f"data snapshot: {len(data):,} bytes")
    assert len(data) < 1_000_000


def test_relay_never_blocks_the_job_runner() -> None:
    relay = QueueRelay(MemoryQueue(), "r", "j", None)
    ev = JobEvent("j", None, LogEvent(msg="x"))
    # Without a running flusher the buffer just grows: emit is a plain append.
    for _ in range(10_000):
        relay.emit(ev)
    assert relay.sent_items == 0


@pytest.mark.benchmark(group="remote")
def test_bench_no_token_exit(benchmark: Any, tmp_path: Path) -> None:
    """`ewtui --run full --backend modal` without a token: exit 3 with the fix, measured; it is
    quick because the pre-flight check answers before `modal` (about a second) is imported,
    which is asserted from Python's own import log."""
    ewtui = Path(sys.executable).with_name("ewtui")
    if not ewtui.exists():
        pytest.skip("ewtui console script not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env.update(MODAL_CONFIG_PATH=str(tmp_path / "absent.toml"), HOME=str(tmp_path))
    env["PYTHONPROFILEIMPORTTIME"] = "1"  # every import, one line each, on stderr

    def run() -> tuple[float, subprocess.CompletedProcess[str]]:
        start = time.perf_counter()
        out = subprocess.run(
            [str(ewtui), "--run", "full", "--backend", "modal"],
            env=env, capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        return time.perf_counter() - start, out

    took, out = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["no_token_exit_s"] = took
    print(f"no-token exit: {took:.2f} s")
    assert out.returncode == 3 and "modal token new" in out.stderr + out.stdout
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in out.stderr.splitlines() if "|" in ln}
    assert "tui.backends" in imported  # the log is read right
    assert not {m for m in imported if m.split(".")[0] in ("modal", "textual")}
