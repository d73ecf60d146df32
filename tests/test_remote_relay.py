"""The progress relay: batching within Modal's queue limits, order, the end marker, and
decoding that ignores what it does not understand."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from modal_doubles import MAX_ITEM_BYTES, MemoryQueue

from core.events import JobEvent, JobStateChanged, LogEvent, ProgressEvent
from remote.relay import (
    MAX_BATCH_BYTES,
    MAX_BUFFER_BYTES,
    QueueRelay,
    decode_item,
    dropped_count,
    event_line,
)


async def _all(q: MemoryQueue, partition: str) -> list[Any]:
    out: list[Any] = []
    while batch := await q.get_many.aio(100, block=False, partition=partition):
        out += batch
    return out


async def test_events_arrive_in_order_in_few_items_with_one_end_marker() -> None:
    q = MemoryQueue()
    relay = QueueRelay(q, "run-1", "train-a", "ta-123", interval_s=0.05)
    await relay.start()
    for i in range(2000):
        relay.emit(JobEvent("train-a", "ta-123", ProgressEvent(done=i, total=2000, unit="game")))
    relay.emit(JobStateChanged("train-a", "running"))  # not an event line: stays local
    await relay.close()

    items = await _all(q, "run-1")
    assert len(items) < 50  # batched: far fewer queue items than events
    assert [i["end"] for i in items] == [False] * (len(items) - 1) + [True]
    events: list[JobEvent] = []
    for item in items:
        evs, ended = decode_item(item)
        events += evs
        assert ended == ("train-a" if item["end"] else None)
    assert [e.event.done for e in events] == list(range(2000))  # type: ignore[union-attr]
    assert {(e.job_id, e.container_id) for e in events} == {("train-a", "ta-123")}
    assert await _all(q, "other-run") == []  # partitions are separate


async def test_large_logs_are_split_below_the_item_limit() -> None:
    q = MemoryQueue()  # refuses items over 1 MiB, as Modal does
    relay = QueueRelay(q, "run-2", "validate-all", None)
    big = "x" * 50_000
    for _ in range(100):  # about 5 MB of log lines
        relay.emit(JobEvent("validate-all", None, LogEvent(msg=big)))
    await relay.close()
    items = await _all(q, "run-2")
    assert len(items) >= 100 * 50_000 // MAX_BATCH_BYTES
    assert all(sum(len(x) for x in i["lines"]) <= MAX_BATCH_BYTES for i in items)
    assert MAX_BATCH_BYTES < MAX_ITEM_BYTES
    assert sum(len(decode_item(i)[0]) for i in items) == 100


async def test_a_job_with_no_events_still_ends() -> None:
    q = MemoryQueue()
    relay = QueueRelay(q, "run-3", "j", "ta-1")
    await relay.start()
    await relay.close()
    [item] = await _all(q, "run-3")
    assert item["lines"] == [] and item["end"] is True


def test_decoding_keeps_the_binary_fields_and_skips_garbage() -> None:
    ev = LogEvent(level="warn", msg="hello", t=time.time())
    line = event_line(ev)
    assert '"event":"log"' in line and '"msg":"hello"' in line
    unknown = '{"v":1,"event":"future_kind","t":1,"novel":[1,2]}'
    item = {"job": "j", "container": "ta-9", "lines": [line, "not json", "", unknown], "end": False}
    evs, ended = decode_item(item)
    assert ended is None
    assert [e.event.event for e in evs] == ["log", "future_kind"]
    assert evs[1].event.model_dump()["novel"] == [1, 2]  # unknown types are kept whole
    for junk in (None, "text", {"lines": "nope"}, {"job": "j"}):
        assert decode_item(junk) == ([], None)


# --- a relay that can only lose progress, never the job ------------------------------------------


def _log(i: int) -> JobEvent:
    return JobEvent("j", "ta-1", LogEvent(msg=f"line {i}"))


async def test_a_full_queue_drops_and_counts_lines_and_close_returns() -> None:
    # Nobody drains and the partition holds 3 items: Modal would retry these puts for ever.
    q = MemoryQueue(capacity=3)
    relay = QueueRelay(q, "run-f", "j", "ta-1", interval_s=0.01, put_timeout_s=0.05)
    await relay.start()
    for i in range(10):
        relay.emit(_log(i))
        await asyncio.sleep(0.03)  # one batch per flush
    started = time.monotonic()
    await relay.close()
    assert time.monotonic() - started < 2.0
    assert all(t == relay.put_timeout_s for t in q.put_timeouts)  # every put is bounded
    items = await _all(q, "run-f")
    assert len(items) == 3
    delivered = sum(len(decode_item(i)[0]) for i in items)
    assert relay.dropped_lines == 10 - delivered > 0
    # The count travels with each later item, so the client learns what it missed.
    assert [dropped_count(i) for i in items] == sorted(dropped_count(i) for i in items)


async def test_a_failing_put_never_ends_the_flusher_or_raises_from_close() -> None:
    q = MemoryQueue()
    q.fail_puts = ConnectionError("network is unreachable")
    relay = QueueRelay(q, "run-e", "j", "ta-1", interval_s=0.01)
    await relay.start()
    for i in range(5):
        relay.emit(_log(i))
    await asyncio.sleep(0.05)
    q.fail_puts = None  # the network is back: later lines get through, with the count
    relay.emit(_log(5))
    await relay.close()
    items = await _all(q, "run-e")
    assert relay.dropped_lines == 5
    assert [e.event.msg for i in items for e in decode_item(i)[0]] == ["line 5"]  # type: ignore[union-attr]
    assert items[-1]["end"] is True and dropped_count(items[-1]) == 5


async def test_close_is_bounded_when_puts_hang() -> None:
    q = MemoryQueue()
    q.hang_puts = True  # a connection that stopped answering
    relay = QueueRelay(
        q, "run-h", "j", "ta-1", interval_s=0.01, put_timeout_s=0.1, close_timeout_s=0.5
    )
    await relay.start()
    for i in range(3):
        relay.emit(_log(i))
    started = time.monotonic()
    await relay.close()  # no exception
    assert time.monotonic() - started < 1.5
    assert relay.dropped_lines == 3


def test_the_buffer_is_bounded() -> None:
    relay = QueueRelay(MemoryQueue(), "run-b", "j", None)
    big = "x" * 100_000
    n = MAX_BUFFER_BYTES // 100_000 + 50
    for _ in range(n):
        relay.emit(JobEvent("j", None, LogEvent(msg=big)))
    assert relay._buf_bytes <= MAX_BUFFER_BYTES
    assert relay.dropped_lines >= 50 and relay.dropped_lines + len(relay._buf) == n
