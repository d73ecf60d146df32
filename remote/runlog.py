"""The event stream of a run orchestrated on Modal (the `pipeline` function), for clients that
come and go: the machine that started the run, and any that attaches later (`ewtui attach`).

The `pipeline` function's emit is a `RunLog`. Every pipeline event gets a sequence number and is
kept in order:
- in memory, and sent to every client that registered, the history first, then each new batch;
  a client registers by putting the name of its own partition into the run's `.clients`
  partition of the named progress queue, so any number of clients each get every event;
- on the volume, appended to `experiments/<run_id>/pipeline/events.jsonl` (the file is opened,
  appended and closed at each flush, so a commit never meets an open file), for clients that
  attach after the run ended.

Besides the pipeline's own events, the stream carries each job's final result (`job_result`,
with its small outputs), so a client can deploy a finished run's weights here through the same
gate as a local run. Puts are bounded and a client that cannot be reached loses lines, never
the run. Nothing here imports `modal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.events import (
    JobEvent,
    JobStateChanged,
    PhaseChanged,
    PipelineEvent,
    RunFinished,
    dumps_line,
    parse_event,
)
from core.jobs import JobResult
from core.record import RunRecord
from remote.names import VOLUME_EXPERIMENTS

log = logging.getLogger(__name__)

PROGRESS_QUEUE = "essence-wars-runs"
"""The named queue that carries the events of detached runs to their clients."""
EVENTS_FILE = "events.jsonl"
RUN_FILE = "run.json"
FLUSH_S = 0.5
PUT_TIMEOUT_S = 5.0
MAX_ITEM_BYTES = 256 * 1024
CLIENT_MAX_FAILURES = 3
"""A client whose puts failed this many times in a row is dropped (it left, its partition is
full); one that comes back registers again and gets the whole history."""
HISTORY_LINES = 200_000
"""Events kept in memory for clients that register late (older ones stay on the volume)."""


def pipeline_dir(root: Path, run_id: str) -> Path:
    return root / VOLUME_EXPERIMENTS / run_id / "pipeline"


def clients_partition(run_id: str) -> str:
    return f"{run_id}.clients"


# --- the wire format ---------------------------------------------------------------------------


def encode(ev: PipelineEvent | JobResult, seq: int) -> dict[str, Any]:
    """A pipeline event (or a job's result) as plain data with its sequence number."""
    if isinstance(ev, JobEvent):
        obj = ev.event.model_dump(mode="json", exclude_unset=True)
        obj.setdefault("v", ev.event.v)
        obj.setdefault("event", ev.event.event)
        return {
            "seq": seq,
            "kind": "job",
            "job": ev.job_id,
            "container": ev.container_id,
            "line": obj,
        }
    if isinstance(ev, JobStateChanged):
        return {
            "seq": seq,
            "kind": "job_state",
            "job": ev.job_id,
            "state": ev.state,
            "detail": ev.detail,
        }
    if isinstance(ev, PhaseChanged):
        return {
            "seq": seq,
            "kind": "phase",
            "phase": ev.phase,
            "state": ev.state,
            "detail": ev.detail,
        }
    if isinstance(ev, RunFinished):
        return {"seq": seq, "kind": "run_finished", "record": ev.record.model_dump(mode="json")}
    return {"seq": seq, "kind": "job_result", "result": ev.model_dump(mode="json")}


def decode(obj: Any) -> PipelineEvent | JobResult | None:
    """The event of one encoded item; None for what this version does not know."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("kind")
    try:
        if kind == "job":
            ev = parse_event(obj["line"])
            return JobEvent(str(obj["job"]), obj.get("container"), ev) if ev is not None else None
        if kind == "job_state":
            return JobStateChanged(str(obj["job"]), obj["state"], str(obj.get("detail", "")))
        if kind == "phase":
            return PhaseChanged(obj["phase"], obj["state"], str(obj.get("detail", "")))
        if kind == "run_finished":
            return RunFinished(RunRecord.model_validate(obj["record"]))
        if kind == "job_result":
            return JobResult.model_validate(obj["result"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


def parse_events_file(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            obj = json.loads(line)
            if isinstance(obj, dict) and isinstance(obj.get("seq"), int):
                out.append(obj)
    return out


# --- the remote side ---------------------------------------------------------------------------


@dataclass
class RunLog:
    """The emit of a run's `pipeline` function: numbers, keeps, writes and fans out its events."""

    root: Path
    run_id: str
    queue: Any | None
    commit: Callable[[], Awaitable[None]]
    commit_every_s: float = 10.0
    put_timeout_s: float = PUT_TIMEOUT_S
    _history: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=HISTORY_LINES))
    _unwritten: list[str] = field(default_factory=list)
    _clients: dict[str, int] = field(default_factory=dict)  # partition -> last seq sent
    _failures: dict[str, int] = field(default_factory=dict)
    _seq: int = 0
    _task: asyncio.Task[None] | None = None
    _last_commit: float = 0.0
    put_failures: int = 0

    @property
    def events_file(self) -> Path:
        return pipeline_dir(self.root, self.run_id) / EVENTS_FILE

    def __call__(self, ev: PipelineEvent | JobResult) -> None:
        self._seq += 1
        line = dumps_line(encode(ev, self._seq))
        self._history.append((self._seq, line))
        self._unwritten.append(line)

    async def start(self) -> None:
        self.events_file.parent.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()

    async def flush(self, *, final: bool = False) -> None:
        if self._unwritten:
            lines, self._unwritten = self._unwritten, []
            try:
                self.events_file.parent.mkdir(parents=True, exist_ok=True)
                with self.events_file.open("a", encoding="utf-8") as f:
                    f.write("".join(line + "\n" for line in lines))
            except OSError as exc:  # a full volume: the clients still get them live
                log.warning("run events not written: %s", exc)
                self._unwritten = lines + self._unwritten
        await self._fan_out()
        if final or time.monotonic() - self._last_commit >= self.commit_every_s:
            self._last_commit = time.monotonic()
            try:
                await self.commit()
            except Exception as exc:  # the next flush commits again; the run goes on
                log.warning("run log not committed: %s", exc)

    async def _fan_out(self) -> None:
        if self.queue is None:
            return
        with contextlib.suppress(Exception):
            new = await self.queue.get_many.aio(
                100, block=False, partition=clients_partition(self.run_id)
            )
            for name in new:
                if isinstance(name, str) and name not in self._clients:
                    self._clients[name] = 0
        history = list(self._history)
        for name, last in list(self._clients.items()):
            # The lines this client has not had yet (the whole history for a new client).
            todo = [(seq, line) for seq, line in history if seq > last]
            batch: list[str] = []
            size = 0
            for i, (_seq, line) in enumerate(todo):
                if batch and size + len(line) > MAX_ITEM_BYTES:
                    if not await self._put(name, batch):
                        break
                    self._clients[name] = todo[i - 1][0]
                    batch, size = [], 0
                batch.append(line)
                size += len(line)
            else:
                if batch and await self._put(name, batch):
                    self._clients[name] = todo[-1][0]

    async def _put(self, partition: str, lines: list[str]) -> bool:
        assert self.queue is not None
        ok = await self._put_once(partition, lines)
        self._failures[partition] = 0 if ok else self._failures.get(partition, 0) + 1
        if self._failures[partition] >= CLIENT_MAX_FAILURES:
            self._clients.pop(partition, None)
            self._failures.pop(partition, None)
        return ok

    async def _put_once(self, partition: str, lines: list[str]) -> bool:
        assert self.queue is not None
        try:
            await asyncio.wait_for(
                self.queue.put.aio(
                    lines, timeout=self.put_timeout_s, partition=partition, partition_ttl=24 * 3600
                ),
                self.put_timeout_s + 1.0,
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            self.put_failures += 1  # this client gets these lines again at the next flush
            return False
        return True

    async def close(self) -> None:
        """Write, send and commit what is left; never raises."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.flush(final=True), 60.0)
