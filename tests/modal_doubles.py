"""Test doubles of Modal's transport, so the Modal backend and the function bodies of
`remote.app` run end to end on one machine (tests, benchmarks) with the transport as the only
change:

- `MemoryQueue`: an in-process stand-in for `modal.Queue`: the same `put.aio` / `get_many.aio`
  calls, the same partitions, `queue.Empty` on a timeout, and Modal's behaviour with a full
  partition (a blocking put waits, for ever without a timeout, then raises `queue.Full`); faults
  can be injected (`fail_puts`, `hang_puts`);
- `InProcessSpawner`: runs the app's function bodies here with `.local()`, each call an asyncio
  task;
- `MemorySource`: a client's view of a detached run (`remote.detached.RunSource`) over the
  memory queue and a directory standing in for the volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import queue
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remote.backend import CallHandle, Spec, SystemLog, function_for
from remote.runlog import EVENTS_FILE, RUN_FILE, clients_partition, pipeline_dir

# Modal's limits, enforced here too so a test notices a relay that would break them.
MAX_ITEM_BYTES = 1024 * 1024
MAX_PARTITION_ITEMS = 5000


class _Aio:
    """Exposes an async method as `obj.method.aio(...)`, as Modal's client objects do."""

    def __init__(self, fn: Callable[..., Awaitable[Any]]) -> None:
        self.aio = fn


class MemoryQueue:
    def __init__(self, *, capacity: int = MAX_PARTITION_ITEMS) -> None:
        self._parts: dict[str | None, deque[bytes]] = defaultdict(deque)
        self._cond: asyncio.Condition | None = None
        self.put = _Aio(self._put)
        self.get_many = _Aio(self._get_many)
        self.puts = 0
        self.capacity = capacity
        self.fail_puts: BaseException | None = None
        """Raised by every put while set (a network error, a server fault)."""
        self.hang_puts = False
        """Every put waits until its timeout (a connection that stopped answering)."""
        self.put_timeouts: list[float | None] = []

    def _condition(self) -> asyncio.Condition:
        # Created lazily so the queue can be built outside the event loop that uses it.
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def _put(
        self, v: Any, block: bool = True, timeout: float | None = None, *,
        partition: str | None = None, partition_ttl: int = 86400,
    ) -> None:  # fmt: skip
        self.put_timeouts.append(timeout)
        if self.fail_puts is not None:
            raise self.fail_puts
        # Pickled like Modal does, so an item that could not cross the wire fails here as well.
        data = pickle.dumps(v)
        if len(data) > MAX_ITEM_BYTES:
            raise ValueError(f"queue item of {len(data)} bytes is over Modal's 1 MiB limit")
        part = self._parts[partition]
        cond = self._condition()
        if self.hang_puts:
            await asyncio.sleep(timeout if timeout is not None else 3600 * 24)
            raise TimeoutError("put timed out")
        async with cond:
            if len(part) >= self.capacity:
                if not block:
                    raise queue.Full(f"partition {partition!r} holds {self.capacity} items")
                # Modal retries a put into a full partition until its timeout, or for ever.
                try:
                    await asyncio.wait_for(
                        cond.wait_for(lambda: len(part) < self.capacity), timeout
                    )
                except TimeoutError:
                    full = f"partition {partition!r} holds {self.capacity} items"
                    raise queue.Full(full) from None
            part.append(data)
            self.puts += 1
            cond.notify_all()

    async def _get_many(
        self, n_values: int, block: bool = True, timeout: float | None = None, *,
        partition: str | None = None,
    ) -> list[Any]:  # fmt: skip
        part = self._parts[partition]
        cond = self._condition()
        async with cond:
            if block and not part:
                try:
                    await asyncio.wait_for(cond.wait_for(lambda: bool(part)), timeout)
                except TimeoutError:
                    raise queue.Empty() from None
            out: list[Any] = []
            while part and len(out) < n_values:
                out.append(pickle.loads(part.popleft()))
            cond.notify_all()  # room for waiting puts
            return out


class _TaskCall:
    def __init__(self, task: asyncio.Task[dict[str, Any]], name: str) -> None:
        self._task = task
        self.object_id = name

    async def result(self) -> dict[str, Any]:
        return await asyncio.shield(self._task)

    async def cancel(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    def system_logs(self) -> AsyncIterator[SystemLog] | None:
        return None


@dataclass
class InProcessSpawner:
    """Runs the app's function bodies here with `.local()`, each call as an asyncio task: the
    same code as in a container, with this machine standing in for Modal."""

    train: Any
    validate_matchup: Any
    validate_all: Any
    calls: list[str] = field(default_factory=list)

    async def spawn(
        self, spec: Spec, snapshot: bytes, run_id: str, progress: Any, timeout_s: float | None
    ) -> CallHandle:
        fn = function_for(self, spec)
        name = f"local-call-{len(self.calls) + 1}"
        self.calls.append(name)
        coro = fn.local(spec.model_dump(mode="json"), snapshot, run_id, progress)
        return _TaskCall(asyncio.ensure_future(coro), name)


class MemorySource:
    """A client's view of a detached run, over the in-memory queue and the volume directory."""

    def __init__(self, q: MemoryQueue, volume: Path, run_id: str, task: asyncio.Future[Any]):
        self.q, self.volume, self.run_id, self.task = q, volume, run_id, task
        self.cancels = 0

    async def register(self, partition: str) -> None:
        await self.q.put.aio(partition, partition=clients_partition(self.run_id))

    async def receive(self, partition: str, timeout_s: float) -> list[Any]:
        try:
            return await self.q.get_many.aio(100, timeout=timeout_s, partition=partition)
        except queue.Empty:
            return []

    async def ended(self) -> bool:
        return self.task.done()

    async def events_file(self) -> str:
        path = pipeline_dir(self.volume, self.run_id) / EVENTS_FILE
        return path.read_text() if path.is_file() else ""

    async def cancel(self) -> None:
        self.cancels += 1
        self.task.cancel()

    async def info(self) -> dict[str, Any] | None:
        path = pipeline_dir(self.volume, self.run_id) / RUN_FILE
        return json.loads(path.read_text()) if path.is_file() else None
