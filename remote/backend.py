"""`ModalBackend`: core's Backend protocol over Modal containers.

Each job becomes one spawned function call (`train`, `validate_matchup` or `validate_all` of
`remote.app`). While it runs, its container relays the job's events into the run's partition of a
`modal.Queue`; one drain task here reads that partition in batches with `get_many.aio` and hands
every event to the emitter of its job. Modal's own log stream of each call adds the system
messages (preemption, OOM kill, retry) beside the job. Ctrl-C cancels the calls.

The transport is injected: a *spawner* (how a job becomes a call) and a *queue*. `remote.app`,
the composition root, builds this backend with its own functions (or a `connect` step that starts
an ephemeral app first); this module never imports the app. Tests pass an in-process spawner and
queue (tests/modal_doubles.py) and run the same function bodies on this machine.

Importing this module does not import `modal` (a second on its own): `check()` must answer
within milliseconds, offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue as stdlib_queue
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.config import ModalResources
from core.errors import BackendUnavailable
from core.events import Emit, JobEvent, JobStateChanged, LogEvent
from core.jobs import Job, JobResult, JobState, TrainJob, ValidateJob
from core.paths import Workspace
from core.plan import new_run_id
from core.snapshot import make_snapshot
from remote.preflight import (
    FIX_BUILD,
    FIX_TOKEN,
    FIX_VOLUME_FULL,
    fix_for_timeout,
    is_build_failure,
    is_volume_full,
    modal_problem,
)
from remote.relay import decode_item, dropped_count

DRAIN_BATCH = 100
"""Queue items read per `get_many` call (each item is a batch of event lines)."""
DRAIN_WAIT_S = 1.0
"""How long one blocking read waits before it checks whether it should stop."""
END_GRACE_S = 10.0
"""After a call returns, how long to wait for its last relayed events before giving up on them."""

Spec = Job

STARTING_APP = (
    "starting the Modal app: the first run builds its image (compiling rust/, about 15 min), "
    "later runs reuse it"
)


def dashboard_url(app_id: str) -> str:
    return f"https://modal.com/id/{app_id}"


def app_line(app_id: str) -> str:
    """Where a user watches a run's app: its dashboard page and the command for its logs."""
    return f"modal app {app_id}: {dashboard_url(app_id)} (logs: modal app logs {app_id})"


@dataclass(frozen=True)
class SystemLog:
    """A line of Modal's own log stream for a call."""

    message: str
    source: str
    container_id: str | None


class CallHandle(Protocol):
    object_id: str

    async def result(self) -> dict[str, Any]: ...

    async def cancel(self) -> None: ...

    def system_logs(self) -> AsyncIterator[SystemLog] | None: ...


class Spawner(Protocol):
    async def spawn(
        self, spec: Spec, snapshot: bytes, run_id: str, progress: Any, timeout_s: float | None
    ) -> CallHandle: ...


Connect = Callable[[contextlib.AsyncExitStack], Awaitable[Spawner]]
"""Starts the app a backend spawns into, on the stack the backend closes, and returns the
spawner of its functions."""


def data_snapshot(ws: Workspace) -> bytes:
    """The user's data/ (cards, decks, rules, weights, configs) as tar.gz, without secrets and
    without the deploy history; containers extract it as their workspace's data/."""
    return make_snapshot(ws.data_dir)


# --- Modal transport -------------------------------------------------------------------------


class _ModalCall:
    def __init__(self, call: Any) -> None:
        self._call = call
        self.object_id: str = call.object_id

    async def result(self) -> dict[str, Any]:
        out: dict[str, Any] = await self._call.get.aio()
        return out

    async def cancel(self) -> None:
        await self._call.cancel.aio(terminate_containers=True)

    def system_logs(self) -> AsyncIterator[SystemLog] | None:
        logs = getattr(self._call, "logs", None)
        if logs is None:  # an older client without per-call log streams
            return None
        return self._follow(logs)

    async def _follow(self, logs: Any) -> AsyncIterator[SystemLog]:
        async for entry in logs.stream.aio():
            # stdout and stderr are already relayed through the queue, tagged and parsed.
            if getattr(entry, "source", None) != "system":
                continue
            ids = [i for i in getattr(entry, "context_ids", []) if str(i).startswith("ta-")]
            yield SystemLog(str(entry.message).rstrip(), "system", ids[-1] if ids else None)


def function_for(spawner: Any, spec: Spec) -> Any:
    """The app function (an attribute of `spawner`) a job runs in: a merge (`validate merge`,
    about a second) runs in a validation container, whose image has the binary."""
    if isinstance(spec, TrainJob):
        return spawner.train
    if isinstance(spec, ValidateJob) and spec.matchup:
        return spawner.validate_matchup
    return spawner.validate_all


@dataclass
class ModalSpawner:
    """Spawns the app's functions with `.spawn.aio`."""

    train: Any
    validate_matchup: Any
    validate_all: Any
    app_id: str | None = None
    """The running app the calls go to (`ap-...`), shown to the user with its dashboard URL."""

    async def spawn(
        self, spec: Spec, snapshot: bytes, run_id: str, progress: Any, timeout_s: float | None
    ) -> CallHandle:
        limit: int | None = None
        fn = function_for(self, spec)
        if isinstance(spec, ValidateJob) and timeout_s:
            # --validation-timeout replaces the container's own limit for this call.
            limit = int(timeout_s)
            fn = fn.with_options(timeout=limit)
        job = spec.model_dump(mode="json")
        # The body stops the job just before the limit, so it can save and report.
        call = await fn.spawn.aio(job, snapshot, run_id, progress, limit)
        return _ModalCall(call)


# --- the backend -----------------------------------------------------------------------------


def describe_failure(
    exc: BaseException, job_id: str, timeout_s: float | None
) -> tuple[JobState, str]:
    """The job state and one-line explanation for an exception raised by a function call."""
    name = type(exc).__name__
    if name == "FunctionTimeoutError":
        return "timeout", fix_for_timeout(job_id, timeout_s)
    if is_build_failure(exc):
        image_id = getattr(exc, "image_id", None)
        log = f" (its log: `modal image logs {image_id}`)" if image_id else ""
        return "failed", FIX_BUILD + log
    if is_volume_full(exc):
        return "failed", FIX_VOLUME_FULL
    if name == "AuthError":
        return "failed", FIX_TOKEN
    first = (str(exc).strip().splitlines() or [""])[0]
    return "failed", f"{name}: {first}" if first else name


@dataclass
class _Job:
    spec: Spec
    emit: Emit
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    running: bool = False
    task: asyncio.Task[Any] | None = None


class ModalBackend:
    name = "modal"

    def __init__(
        self,
        ws: Workspace,
        *,
        resources: ModalResources | None = None,
        spawner: Spawner | None = None,
        connect: Connect | None = None,
        progress: Any = None,
        run_id: str | None = None,
        validation_timeout_s: float | None = None,
        follow_system_logs: bool = True,
    ) -> None:
        self.ws = ws
        self.resources = resources or ModalResources()
        self.run_id = run_id or new_run_id()
        self.validation_timeout_s = validation_timeout_s
        self.follow_system_logs = follow_system_logs
        if (spawner is None) == (connect is None):
            raise TypeError("ModalBackend needs a spawner or a connect step, not both")
        self._spawner = spawner
        self._connect = connect
        self._progress = progress
        self._snapshot: bytes | None = None
        self._jobs: dict[str, _Job] = {}
        self._drain: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()
        self._start_lock: asyncio.Lock | None = None
        self._start_error: str | None = None
        self.app_id: str | None = None
        self.relayed_items = 0
        self.drain_errors = 0
        # Progress lines each job's relay reported lost (its queue was full or unreachable).
        self.dropped: dict[str, int] = {}
        # Send-to-receive delays of the latest relayed items (container and local clocks).
        self.relay_latency_s: deque[float] = deque(maxlen=1000)

    @property
    def capacity_cores(self) -> int:
        # Every job gets its own container; this is what one run of the default plan uses.
        return self.resources.train.cpu * 4

    async def check(self) -> None:
        """Offline: the package is installed and a token is configured. Network problems show
        up on the first call and fail the jobs with their fix."""
        if self._connect is None:
            return  # the app is already running (`modal run`, a container, a test)
        problem = modal_problem()
        if problem is not None:
            raise BackendUnavailable(problem)

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> ModalBackend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop draining and, when this backend started the Modal app, stop it."""
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
        await self._stack.aclose()

    async def _start(self) -> None:
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._snapshot is not None or self._start_error is not None:
                return
            try:
                await self._start_transport()
            except Exception as exc:
                # An image that does not build fails every job with the same fix.
                self._start_error = describe_failure(exc, "app", None)[1]
                return
            self._snapshot = await asyncio.to_thread(data_snapshot, self.ws)
            self._drain = asyncio.create_task(self._drain_loop(), name="modal-drain")

    async def _start_transport(self) -> None:
        if self._spawner is None:
            assert self._connect is not None
            # The image is built (or taken from Modal's cache) here, on the first job.
            self._spawner = await self._connect(self._stack)
        self.app_id = getattr(self._spawner, "app_id", None)
        if self._progress is None:
            import modal

            self._progress = await self._stack.enter_async_context(modal.Queue.ephemeral())

    # --- progress ----------------------------------------------------------------------------

    async def _drain_loop(self) -> None:
        q = self._progress
        while True:
            try:
                items = await q.get_many.aio(
                    DRAIN_BATCH, block=True, timeout=DRAIN_WAIT_S, partition=self.run_id
                )
            except stdlib_queue.Empty:
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                # A dropped connection must not end progress for the rest of the run; the
                # items stay in the partition until the next read.
                self.drain_errors += 1
                await asyncio.sleep(DRAIN_WAIT_S)
                continue
            now = time.time()
            for item in items:
                self._dispatch(item, now)

    @property
    def dropped_lines(self) -> int:
        """Progress lines lost by the relays of this run (the jobs themselves are unaffected)."""
        return sum(self.dropped.values())

    def _note_dropped(self, item: Any) -> None:
        n = dropped_count(item)
        job_id = str(item.get("job", "")) if isinstance(item, dict) else ""
        before = self.dropped.get(job_id, 0)
        if n <= before:
            return
        self.dropped[job_id] = n
        job = self._jobs.get(job_id)
        if job is not None:
            msg = (
                f"modal: {n - before} progress lines of this job were lost ({n} in all): the "
                "progress queue was full or unreachable; the job and its results are unaffected"
            )
            job.emit(JobEvent(job_id, None, LogEvent(level="warn", msg=msg, t=time.time())))

    def _dispatch(self, item: Any, now: float) -> None:
        events, ended = decode_item(item)
        self.relayed_items += 1
        if isinstance(item, dict) and isinstance(item.get("sent"), int | float):
            self.relay_latency_s.append(now - float(item["sent"]))
        for ev in events:
            job = self._jobs.get(ev.job_id)
            if job is None:
                continue
            if not job.running:
                job.running = True
                job.emit(JobStateChanged(ev.job_id, "running", f"container {ev.container_id}"))
            job.emit(ev)
        self._note_dropped(item)
        if ended is not None and (job := self._jobs.get(ended)) is not None:
            job.ended.set()

    async def _follow_logs(self, handle: CallHandle, job: _Job) -> None:
        stream = handle.system_logs()
        if stream is None:
            return
        with contextlib.suppress(Exception):
            async for line in stream:
                if line.message:
                    ev = LogEvent(level="warn", msg=f"modal: {line.message}", t=time.time())
                    job.emit(JobEvent(job.spec.id, line.container_id, ev))

    # --- jobs --------------------------------------------------------------------------------

    def _timeout_of(self, spec: Spec) -> float:
        if isinstance(spec, TrainJob):
            return self.resources.train.timeout_s
        return self.validation_timeout_s or self.resources.validation.timeout_s

    async def run(self, spec: Spec, emit: Emit) -> JobResult:
        task = asyncio.current_task()
        job = _Job(spec, emit, task=task)
        self._jobs[spec.id] = job
        started = time.time()

        def finish(state: JobState, error: str) -> JobResult:
            emit(JobStateChanged(spec.id, state, error))
            return JobResult(
                job_id=spec.id, kind=spec.kind, state=state, error=error,
                started=started, finished=time.time(), cores=spec.cores,
            )  # fmt: skip

        handle: CallHandle | None = None
        logs: asyncio.Task[None] | None = None
        try:
            emit(JobStateChanged(spec.id, "queued", f"{spec.cores} cores on Modal"))
            if self._connect is not None and self._snapshot is None:
                emit(JobEvent(spec.id, None, LogEvent(msg=STARTING_APP, t=time.time())))
            await self._start()
            if self._start_error is not None:
                return finish("failed", self._start_error)
            if self.app_id:
                emit(JobEvent(spec.id, None, LogEvent(msg=app_line(self.app_id), t=time.time())))
            assert self._snapshot is not None
            timeout_s = self.validation_timeout_s if isinstance(spec, ValidateJob) else None
            try:
                handle = await self._spawner.spawn(  # type: ignore[union-attr]
                    spec, self._snapshot, self.run_id, self._progress, timeout_s
                )
                emit(JobEvent(spec.id, None, LogEvent(msg=f"spawned as {handle.object_id}")))
                if self.follow_system_logs:
                    logs = asyncio.create_task(self._follow_logs(handle, job))
                data = await handle.result()
                result = JobResult.model_validate(data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Any failure of the call itself (not of the job) ends this job, never the run.
                state, why = describe_failure(exc, spec.id, self._timeout_of(spec))
                return finish(state, why)
            # The call's return can overtake its last relayed batch; wait for it briefly.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.ended.wait(), END_GRACE_S)
            emit(JobStateChanged(spec.id, result.state, result.error or ""))
            return result
        except asyncio.CancelledError:
            if task is not None:
                task.uncancel()
            if handle is not None:
                await asyncio.shield(handle.cancel())
            return finish("cancelled", "cancelled")
        finally:
            if logs is not None:
                logs.cancel()
            self._jobs.pop(spec.id, None)

    def cancel(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.task is not None:
            job.task.cancel()

    def cancel_all(self) -> None:
        for job_id in list(self._jobs):
            self.cancel(job_id)
