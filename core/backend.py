"""The interface every execution backend implements (local processes, Modal containers)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from core.events import Emit
from core.jobs import Job, JobResult


@runtime_checkable
class Backend(Protocol):
    name: str

    @property
    def capacity_cores(self) -> int:
        """Cores the backend can use at once (a budget, not a promise)."""
        ...

    async def check(self) -> None:
        """Raise ``BackendUnavailable`` (carrying the one-line fix) when jobs cannot run."""
        ...

    async def run(self, spec: Job, emit: Emit) -> JobResult:
        """Run one job to its end. Never raises for a failing job: the result says so.
        Every kind runs here, including the ``merge`` that builds a validation report from
        the parts (wherever the backend runs the binaries)."""
        ...

    def cancel(self, job_id: str) -> None: ...

    def cancel_all(self) -> None: ...

    async def aclose(self) -> None:
        """Release what the backend holds open (connections, queue drains, an app). Called
        once after every run, also a failed or interrupted one (:mod:`core.runner`)."""
        ...
