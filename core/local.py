"""The embedded backend: jobs run as child processes of this machine, as many at a time as a
core budget allows."""

from __future__ import annotations

import asyncio
import os
from collections import deque

from core.binaries import Binaries, ensure_binaries
from core.errors import BackendUnavailable, ConfigError
from core.events import Emit, JobEvent, JobStateChanged, log_event
from core.job_process import run_job
from core.jobs import INTERRUPT, Job, JobResult, cancel_state
from core.paths import Workspace


class CoreBudget:
    """A counting semaphore over cores: a job takes its cores (at most the whole budget) and
    gives them back when it ends. Waiters are served in order. Releasing never awaits, so a
    finished job cannot be cancelled between its end and the return of its result."""

    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self.free = self.total
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, n: int) -> int:
        n = min(max(1, n), self.total)
        if not self._waiters and self.free >= n:
            self.free -= n
            return n
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((n, fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(n)  # granted just as it was cancelled: give the cores back
            else:
                self._waiters.remove((n, fut))
                self._wake()
            raise
        return n

    def release(self, n: int) -> None:
        self.free += n
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            n, fut = self._waiters.popleft()
            if fut.done():
                continue
            self.free -= n
            fut.set_result(None)


class LocalBackend:
    name = "local"

    def __init__(
        self, ws: Workspace, cores: int | None = None, bins: Binaries | None = None
    ) -> None:
        self.ws = ws
        self._cores = cores if cores and cores > 0 else (os.cpu_count() or 1)
        self._bins = bins
        self._budget: CoreBudget | None = None
        self._tasks: dict[str, asyncio.Task[object]] = {}
        self.build_log: list[str] = []

    @property
    def capacity_cores(self) -> int:
        return self._cores

    async def check(self) -> None:
        """Find or build the binaries (cargo runs here, off the event loop)."""
        if self._bins is None:
            try:
                self._bins = await asyncio.to_thread(ensure_binaries, self.ws, log=self.build_log)
            except ConfigError as exc:
                # No cargo, no sources, a bad $EWTUI_BIN_DIR: this machine cannot run jobs.
                # A failing build stays a JobFailed.
                raise BackendUnavailable(str(exc)) from None

    async def run(self, spec: Job, emit: Emit) -> JobResult:
        if self._bins is None:
            await self.check()
        assert self._bins is not None
        if self._budget is None:
            self._budget = CoreBudget(self._cores)
        emit(JobStateChanged(spec.id, "queued", f"{spec.cores} cores"))
        task = asyncio.current_task()
        assert task is not None
        self._tasks[spec.id] = task
        try:
            try:
                taken = await self._budget.acquire(spec.cores)
            except asyncio.CancelledError as exc:
                task.uncancel()
                state = cancel_state(exc)
                emit(JobStateChanged(spec.id, state, f"{state} before it started"))
                return JobResult(
                    job_id=spec.id,
                    kind=spec.kind,
                    state=state,
                    error=f"{state} before it started",
                    cores=spec.cores,
                )
            try:
                if taken != spec.cores:
                    spec = spec.model_copy(update={"cores": taken})
                    emit(JobEvent(spec.id, None, log_event(f"limited to {taken} cores")))
                return await run_job(spec, self.ws, self._bins, emit)
            finally:
                self._budget.release(taken)
        finally:
            self._tasks.pop(spec.id, None)

    def cancel(self, job_id: str) -> None:
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        """End every job because the run is interrupted (their state: ``interrupted``)."""
        for task in list(self._tasks.values()):
            task.cancel(INTERRUPT)

    async def aclose(self) -> None:
        """Nothing stays open between jobs: each job's child ends with its job."""
