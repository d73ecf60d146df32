"""Modal's time limits applied to a plan before anything is spawned, without importing `modal`.

One attempt of a function may run at most 24 h (`MODAL_MAX_TIMEOUT_S`), and the `pipeline`
function that orchestrates a detached run must outlive every job it waits for, with all their
retries. The arithmetic is `ModalResources.pipeline_timeout_s` in core/config.py; a plan adds its
own validation timeout (`--validation-timeout`) and the phases it runs.
"""

from __future__ import annotations

from core.config import MODAL_MAX_TIMEOUT_S, timeout_problem
from core.errors import UsageError
from core.plan import Plan


def pipeline_timeout_s(plan: Plan) -> int:
    """The timeout of the `pipeline` function for this plan."""
    return plan.resources.pipeline_timeout_s(
        trains=plan.options.trains,
        validates=plan.options.validates,
        validation_timeout_s=plan.validation.timeout_s,
    )


def check_plan(plan: Plan) -> int:
    """Refuse, with one line, a plan whose timeouts do not fit Modal's limits; returns the
    timeout its `pipeline` call gets."""
    vt = plan.validation.timeout_s
    if vt is not None and vt > MODAL_MAX_TIMEOUT_S:
        raise UsageError(
            f"--validation-timeout {vt:g}: over Modal's limit of {MODAL_MAX_TIMEOUT_S} s "
            "(24 h) for one attempt of a function"
        )
    if vt is not None and vt < 1:
        raise UsageError(f"--validation-timeout {vt:g}: Modal's shortest timeout is 1 s")
    need = pipeline_timeout_s(plan)
    if need > MODAL_MAX_TIMEOUT_S:
        raise UsageError(timeout_problem(need))
    return need
