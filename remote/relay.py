"""Live progress between containers and the machine that started the run.

A container wraps the job runner's `emit` in a `QueueRelay`: every event the binary prints (and
every line of its log) is appended to a buffer, and a flusher puts the buffer into the run's
`modal.Queue` partition as one item every `interval` seconds. Batching keeps the partition far
below Modal's limit of 5,000 items, and the interval bounds the relay latency.

The relay can lose progress lines, never the job: a put waits at most `PUT_TIMEOUT_S` (Modal
retries a put into a full partition forever when no timeout is given), a batch that cannot be put
is dropped and counted, the buffer is bounded, and `close()` never raises. The count of dropped
lines travels with every later item, so the client can say how many it missed.

The wire format is plain data (no classes), so either side can be upgraded alone:
``{"job": ID, "container": ID, "lines": [event line, ...], "end": bool, "sent": unix_s,
"dropped": lines dropped so far}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.events import Event, JobEvent, PipelineEvent, parse_event_line

log = logging.getLogger(__name__)

# A queue item may hold at most 1 MiB; stay well under it whatever the lines hold.
MAX_BATCH_BYTES = 256 * 1024
DEFAULT_INTERVAL_S = 0.25
PUT_TIMEOUT_S = 5.0
"""How long one put may wait (a full partition, a slow network) before its batch is dropped."""
CLOSE_TIMEOUT_S = 30.0
"""How long `close()` may take in all: the last batches and the end marker."""
MAX_BUFFER_BYTES = 16 * 1024 * 1024
"""Lines waiting to be put beyond this are dropped (oldest first), so a queue that stays
unreachable cannot fill the container's memory."""
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


def dropped_count(item: Any) -> int:
    """How many lines the sender of a relay item had dropped when it sent it (0 when the item
    does not say)."""
    n = item.get("dropped") if isinstance(item, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 0


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
    put_timeout_s: float = PUT_TIMEOUT_S
    close_timeout_s: float = CLOSE_TIMEOUT_S
    _buf: deque[str] = field(default_factory=deque)
    _buf_bytes: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _closing: bool = False
    sent_items: int = 0
    dropped_lines: int = 0
    """Lines that never reached the queue (a full or unreachable queue, a bounded buffer)."""

    def emit(self, ev: PipelineEvent) -> None:
        """The `emit` callback handed to the job runner; never blocks."""
        if not isinstance(ev, JobEvent):
            return
        line = event_line(ev.event)
        self._buf.append(line)
        self._buf_bytes += len(line)
        while self._buf_bytes > MAX_BUFFER_BYTES and len(self._buf) > 1:
            self._buf_bytes -= len(self._buf.popleft())
            self.dropped_lines += 1
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

    async def _put(self, item: dict[str, Any]) -> bool:
        """One bounded put; False (never an exception) when the item did not get through."""
        try:
            # The client's own timeout bounds its retries; the outer one bounds everything else
            # (a connection that hangs before the client's timer starts).
            await asyncio.wait_for(
                self.queue.put.aio(
                    item,
                    timeout=self.put_timeout_s,
                    partition=self.partition,
                    partition_ttl=PARTITION_TTL_S,
                ),
                self.put_timeout_s + 1.0,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # queue.Full, TimeoutError, a network error: progress only
            log.debug("relay put dropped: %s: %s", type(exc).__name__, exc)
            return False
        return True

    async def flush(self, *, end: bool = False) -> None:
        """Put what is buffered, in batches below the item limit; a batch that cannot be put
        is dropped and counted."""
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
                "dropped": self.dropped_lines,
            }
            if await self._put(item):
                self.sent_items += 1
            else:
                self.dropped_lines += len(lines)
            if last:
                break

    async def close(self) -> None:
        """Stop the flusher and send what is left, marked as the job's last item. Never raises
        and returns within `close_timeout_s`: the job's result matters more than its progress."""
        # The flusher finishes the put it is in (cancelling it could drop that batch).
        self._closing = True
        self._wake.set()
        try:
            async with asyncio.timeout(self.close_timeout_s):
                if self._task is not None:
                    await asyncio.gather(self._task, return_exceptions=True)
                    self._task = None
                await self.flush(end=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the deadline, or anything the flusher left behind
            log.debug("relay close: %s", exc)
            if self._task is not None:
                self._task.cancel()
                self._task = None
            self.dropped_lines += len(self._buf)
            self._buf.clear()
            self._buf_bytes = 0
