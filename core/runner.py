"""The one way every front end runs a pipeline: ``ewtui --run``, the Textual app and
``modal run remote/app.py::main`` all call :func:`run_pipeline`. The caller builds the backend
(core never knows which kinds exist); the runner runs the plan on it and always closes it."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from core.backend import Backend
from core.events import Emit
from core.job_process import kill_children
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import Plan
from core.record import RunRecord

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)
"""Signals a headless run treats as Ctrl-C: ``kill``, ``timeout``, a closed terminal."""


async def run_pipeline(
    plan: Plan,
    backend: Backend,
    ws: Workspace,
    emit: Emit,
    *,
    stop_on: tuple[signal.Signals, ...] = (),
) -> RunRecord:
    """Run every phase of ``plan`` on ``backend`` and return the run record; ``backend`` is
    closed afterwards, also when the run fails to start or is cancelled.

    Each signal of ``stop_on`` interrupts the run as Ctrl-C does (the jobs end, the record is
    saved ``interrupted``); a second one kills the children at once."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        if len(received) == 1 and task is not None:
            task.cancel()
        else:
            kill_children()

    installed = []
    for sig in stop_on:
        # Not on every platform, and only from the main thread.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
    try:
        return await Pipeline(plan, backend, ws, emit).run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await backend.aclose()
