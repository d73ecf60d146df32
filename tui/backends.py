"""The backend factory of the `ewtui` command: the one place that knows both core and remote.
`ewtui --run` and the Textual app build their backend here; core only sees the Backend
protocol, and no other module of tui imports remote."""

from __future__ import annotations

from typing import Any

from core.backend import Backend
from core.errors import BackendUnavailable
from core.paths import Workspace
from core.plan import Plan


def make_backend(ws: Workspace, plan: Plan) -> Backend:
    """The backend of ``plan``: local with its core budget, or Modal (after an offline
    pre-flight check) with the project's resources, the plan's run id and validation timeout.
    :func:`core.runner.run_pipeline` closes it after the run."""
    if plan.options.backend == "modal":
        return _modal_backend(ws, plan)
    from core.local import LocalBackend

    return LocalBackend(ws, cores=plan.budget_cores)


def modal_attach() -> Any:
    """`remote.attach` (attach, runs), after the same offline pre-flight as a Modal run."""
    try:
        from remote.preflight import modal_problem

        problem = modal_problem()
    except ImportError:
        problem = "the Modal backend is not installed"
    if problem:
        raise BackendUnavailable(problem)
    import remote.attach

    return remote.attach


def modal_runs() -> Any:
    """`remote.attach.RemoteRuns`: the runs on Modal as the control center lists and opens
    them, after the same offline pre-flight as a Modal run."""
    return modal_attach().RemoteRuns()


def _modal_backend(ws: Workspace, plan: Plan) -> Backend:
    try:
        from remote.preflight import modal_problem

        problem = modal_problem()
    except ImportError:
        problem = None
    if problem:
        raise BackendUnavailable(problem)
    try:
        # The composition root of the Modal side (it imports modal: about a second).
        from remote.app import make_backend as make_modal_backend
    except ImportError as err:
        raise BackendUnavailable(
            f"the Modal backend cannot be loaded ({err}): run `pip install 'modal~=1.6'`"
        ) from None
    return make_modal_backend(ws, plan)
