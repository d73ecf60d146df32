"""The one way every front end runs a pipeline: ``ewtui --run``, the Textual app and
``modal run remote/app.py::main`` all call :func:`run_pipeline`. The caller builds the backend
(core never knows which kinds exist); the runner runs the plan on it and always closes it."""

from __future__ import annotations

from core.backend import Backend
from core.events import Emit
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import Plan
from core.record import RunRecord


async def run_pipeline(plan: Plan, backend: Backend, ws: Workspace, emit: Emit) -> RunRecord:
    """Run every phase of ``plan`` on ``backend`` and return the run record; ``backend`` is
    closed afterwards, also when the run fails to start or is cancelled."""
    try:
        return await Pipeline(plan, backend, ws, emit).run()
    finally:
        await backend.aclose()
