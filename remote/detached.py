"""`DetachedBackend`: a run orchestrated on Modal (the `pipeline` function), followed from here.

The `pipeline` function runs the whole plan on Modal (train, gate, validate, merge) and keeps
going when this machine sleeps or loses the network. This backend is what the local pipeline
runs its jobs on in that mode: it starts the remote run (or attaches to one that is going or
has ended), follows its event stream (`remote.runlog`), hands each job's events to the local
pipeline's emitter and returns each job's result when the remote run reports it. The local
pipeline does the rest as for any run: the deploy gate, the deploy here (with its diff and
backup), saving the validation report and the run record. So the weights of a detached run are
deployed by the client that follows it to the end, through the same code as a local run.

Leaving (Ctrl-C, closing the TUI, a lost network) detaches: the jobs end here as `interrupted`
and the run goes on; `ewtui attach RUN_ID` follows it again. `cancel` and `cancel_all` (the
TUI's cancel) cancel the remote run itself, from any client. The transport (`RunSource`) is
injected; `remote.app` provides Modal's, tests an in-memory one. No `modal` import here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.events import Emit, JobEvent, JobStateChanged, LogEvent, PipelineEvent, RunFinished
from core.jobs import Job, JobResult, JobState
from core.record import RunRecord
from remote.backend import STARTING_APP, app_line
from remote.runlog import decode, parse_events_file

RECEIVE_WAIT_S = 2.0
STATUS_EVERY_S = 10.0
"""Without events for this long, the run's state is asked directly (it may have ended)."""


class RunSource(Protocol):
    """How a client reaches a detached run."""

    async def register(self, partition: str) -> None:
        """Ask the run to send its events (history first) to this partition."""

    async def receive(self, partition: str, timeout_s: float) -> list[Any]:
        """Items sent to this partition (each a list of event lines); [] after the timeout."""

    async def ended(self) -> bool:
        """Whether the run's `pipeline` call has finished (also by failure or cancel)."""

    async def events_file(self) -> str:
        """The run's events as committed on the volume ('' when there are none)."""

    async def cancel(self) -> None:
        """Cancel the run's `pipeline` call and its jobs."""


Start = Callable[[contextlib.AsyncExitStack], Awaitable[RunSource]]
"""Starts the remote run (detached) and returns its source; what it opens goes on the stack
the backend closes (closing it leaves the run going)."""


@dataclass
class _Waiting:
    emit: Emit | None = None
    result: asyncio.Future[JobResult] | None = None


@dataclass
class Follower:
    """The client side of a run's event stream: sequence numbers dedupe what comes twice (the
    live history and the volume's file)."""

    source: RunSource
    on_event: Callable[[PipelineEvent | JobResult], None]
    partition: str = field(default_factory=lambda: f"client-{uuid.uuid4().hex[:12]}")
    last_seq: int = 0
    record: RunRecord | None = None

    def take(self, lines: list[Any]) -> None:
        for raw in lines:
            obj = raw if isinstance(raw, dict) else None
            if obj is None and isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    obj = json.loads(raw)
            seq = obj.get("seq") if isinstance(obj, dict) else None
            if not isinstance(seq, int) or seq <= self.last_seq:
                continue
            self.last_seq = seq
            ev = decode(obj)
            if ev is None:
                continue
            if isinstance(ev, RunFinished):
                self.record = ev.record
            self.on_event(ev)

    async def follow(self) -> RunRecord | None:
        """Every event of the run, from the first, until it ends; its final record (None when
        the run ended without one: cancelled or killed)."""
        await self.source.register(self.partition)
        quiet = 0.0
        while self.record is None:
            items = await self.source.receive(self.partition, RECEIVE_WAIT_S)
            for item in items:
                self.take(item if isinstance(item, list) else [item])
            quiet = 0.0 if items else quiet + RECEIVE_WAIT_S
            if quiet >= STATUS_EVERY_S:
                quiet = 0.0
                if await self.source.ended():
                    # Ended: whatever the live stream missed is in the committed file.
                    self.take(parse_events_file(await self.source.events_file()))
                    break
        return self.record


class DetachedBackend:
    name = "modal"

    def __init__(
        self,
        run_id: str,
        *,
        start: Start | None = None,
        source: RunSource | None = None,
        capacity_cores: int = 16,
    ) -> None:
        if (start is None) == (source is None):
            raise TypeError("DetachedBackend needs a start step or the source of a running run")
        self.run_id = run_id
        self._start = start
        self.source = source
        self.capacity_cores = capacity_cores
        self._lock = asyncio.Lock()
        self._follow: asyncio.Task[RunRecord | None] | None = None
        self._jobs: dict[str, _Waiting] = defaultdict(_Waiting)
        self._early: dict[str, list[PipelineEvent]] = defaultdict(list)
        self._results: dict[str, JobResult] = {}
        self.remote_record: RunRecord | None = None
        self._stack = contextlib.AsyncExitStack()

    async def check(self) -> None:
        return None

    async def __aenter__(self) -> DetachedBackend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following; the run itself goes on."""
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._follow
        await self._stack.aclose()

    def _on_event(self, ev: PipelineEvent | JobResult) -> None:
        if isinstance(ev, JobResult):
            self._results[ev.job_id] = ev
            fut = self._jobs[ev.job_id].result
            if fut is not None and not fut.done():
                fut.set_result(ev)
            return
        if isinstance(ev, JobEvent | JobStateChanged):
            # The job's own end state comes from the local pipeline, with the result.
            if isinstance(ev, JobStateChanged) and ev.state not in ("queued", "running"):
                return
            emit = self._jobs[ev.job_id].emit
            if emit is None:
                self._early[ev.job_id].append(ev)
            else:
                emit(ev)

    async def _ensure_following(self) -> None:
        async with self._lock:
            if self._follow is not None:
                return
            if self.source is None:
                assert self._start is not None
                self.source = await self._start(self._stack)
            follower = Follower(self.source, self._on_event)
            self._follow = asyncio.create_task(follower.follow(), name="modal-follow")
            self._follow.add_done_callback(self._followed)

    def _followed(self, task: asyncio.Task[RunRecord | None]) -> None:
        if not task.cancelled() and task.exception() is None:
            self.remote_record = task.result()
        # Jobs still waiting will never hear of their result.
        for job_id, waiting in self._jobs.items():
            if waiting.result is not None and not waiting.result.done():
                waiting.result.set_exception(LookupError(job_id))

    async def run(self, spec: Job, emit: Emit) -> JobResult:
        started = time.time()

        def finish(state: JobState, error: str) -> JobResult:
            emit(JobStateChanged(spec.id, state, error))
            return JobResult(
                job_id=spec.id, kind=spec.kind, state=state, error=error,
                started=started, finished=time.time(), cores=spec.cores,
            )  # fmt: skip

        waiting = self._jobs[spec.id]
        waiting.emit = emit
        loop = asyncio.get_running_loop()
        waiting.result = loop.create_future()
        emit(JobStateChanged(spec.id, "queued", f"on Modal, run {self.run_id}"))
        try:
            if self.source is None:
                emit(JobEvent(spec.id, None, LogEvent(msg=STARTING_APP, t=time.time())))
            await self._ensure_following()
            app_id = getattr(self.source, "app_id", None)
            if app_id:
                emit(JobEvent(spec.id, None, LogEvent(msg=app_line(app_id), t=time.time())))
            for ev in self._early.pop(spec.id, []):
                emit(ev)
            if spec.id in self._results:
                result = self._results[spec.id]
            else:
                result = await waiting.result
        except asyncio.CancelledError:
            # Leaving detaches: the remote run goes on.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                task.uncancel()
            return finish("interrupted", f"detached; the run goes on: ewtui attach {self.run_id}")
        except LookupError:
            return finish("failed", "the run on Modal ended without this job's result")
        except Exception as exc:  # the transport failed: the run itself may well go on
            return finish("failed", f"lost the run on Modal ({type(exc).__name__}: {exc})")
        emit(JobStateChanged(spec.id, result.state, result.error or ""))
        return result

    def cancel(self, job_id: str) -> None:
        """Stop following one job here (the pipeline's own deadline, say); the run goes on."""
        fut = self._jobs[job_id].result
        if fut is not None and not fut.done():
            fut.cancel()

    def cancel_all(self) -> None:
        """Stop following every job here: leaving (Ctrl-C, quitting the TUI) detaches, and the
        run goes on on Modal. `cancel_remote` is what stops the run."""
        for job_id in list(self._jobs):
            self.cancel(job_id)

    async def cancel_remote(self) -> None:
        """Cancel the run on Modal, its jobs included, from this client (any client)."""
        if self.source is None:
            await self._ensure_following()
        assert self.source is not None
        await self.source.cancel()
