"""Live progress between containers and the machine that started the run.

A container wraps the job runner's `emit` in a `QueueRelay`: every event the binary prints (and
every line of its log) is appended to a buffer, and a flusher puts the buffer into the run's
`modal.Queue` partition as one item every `interval` seconds. Batching keeps the partition far
below Modal's limit of 5,000 items, and the interval bounds the relay latency.

The wire format is plain data (no classes), so either side can be upgraded alone:
``{"job": ID, "container": ID, "lines": [event line, ...], "end": bool, "sent": unix_s}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.events import Event, JobEvent, PipelineEvent, parse_event_line

# A queue item may hold at most 1 MiB; stay well under it whatever the lines hold.
MAX_BATCH_BYTES = 256 * 1024
DEFAULT_INTERVAL_S = 0.25
# The relay's items expire from the queue a day after the last put, like Modal's default.
PARTITION_TTL_S = 24 * 3600


class PutQueue(Protocol):
    """The part of `modal.Queue` a container uses (`put.aio`)."""

    @property
    def put(self) -> Any: ...


class GetQueue(Protocol):
    """The part of `modal.Queue` the backend uses (`get_many.aio`)."""

    @property
    def get_many(self) -> Any: ...


def event_line(event: Event) -> str:
    """The event as the binary wrote it: only the fields it sent, plus its type."""
    obj = event.model_dump(mode="json", exclude_unset=True)
    obj.setdefault("v", event.v)
    obj.setdefault("event", event.event)
    return json.dumps(obj, separators=(",", ":"))


def decode_item(item: Any) -> tuple[list[JobEvent], str | None]:
    """The job events of one queue item, plus the job id when the item says its job is
    finished. Items that are not relay batches are ignored (another writer, a newer version)."""
    if not isinstance(item, dict) or not isinstance(item.get("lines"), list):
        return [], None
    job = str(item.get("job", ""))
    container = item.get("container")
    cid = str(container) if container is not None else None
    out: list[JobEvent] = []
    for line in item["lines"]:
        if isinstance(line, str) and (ev := parse_event_line(line)) is not None:
            out.append(JobEvent(job_id=job, container_id=cid, event=ev))
    return out, (job if item.get("end") else None)


@dataclass
class QueueRelay:
    """Container side: buffers a job's events and puts them into the run's partition."""

    queue: PutQueue
    partition: str
    job_id: str
    container_id: str | None
    interval_s: float = DEFAULT_INTERVAL_S
    _buf: deque[str] = field(default_factory=deque)
    _buf_bytes: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _closing: bool = False
    sent_items: int = 0

    def emit(self, ev: PipelineEvent) -> None:
        """The `emit` callback handed to the job runner; never blocks."""
        if not isinstance(ev, JobEvent):
            return
        line = event_line(ev.event)
        self._buf.append(line)
        self._buf_bytes += len(line)
        if self._buf_bytes >= MAX_BATCH_BYTES:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flusher())

    async def _flusher(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            self._wake.clear()
            await self.flush()

    async def flush(self, *, end: bool = False) -> None:
        while self._buf or end:
            lines: list[str] = []
            size = 0
            while self._buf and (not lines or size + len(self._buf[0]) < MAX_BATCH_BYTES):
                line = self._buf.popleft()
                size += len(line)
                lines.append(line)
            self._buf_bytes -= size
            last = not self._buf
            item = {
                "job": self.job_id,
                "container": self.container_id,
                "lines": lines,
                "end": end and last,
                "sent": time.time(),
            }
            await self.queue.put.aio(item, partition=self.partition, partition_ttl=PARTITION_TTL_S)
            self.sent_items += 1
            if last:
                break

    async def close(self) -> None:
        """Stop the flusher and send what is left, marked as the job's last item."""
        # The flusher finishes the put it is in (cancelling it could drop that batch).
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush(end=True)
