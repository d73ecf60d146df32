"""The run record: what a pipeline run planned, ran, deployed, validated and cost, kept in
``experiments/runs/<run_id>.json``. Its own module so events and front ends can carry it without
loading the pipeline."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from core.cost import CostEstimate
from core.gate import DeployDecision
from core.jobs import JobResult
from core.weights import DeployRecord

RunState = Literal["running", "ok", "failed", "interrupted"]
Phase = Literal["train", "deploy", "validate", "save"]
PhaseState = Literal["started", "done", "skipped", "failed", "interrupted"]
PHASES: tuple[Phase, ...] = get_args(Phase)
"""The phases of a run, in the order they run."""


class _Deferred(BaseModel):
    # Validators are built on first use: the TUI imports these types (through core.events) to
    # draw its first screen, long before a run ends.
    model_config = ConfigDict(defer_build=True)


class PhaseRecord(_Deferred):
    state: PhaseState | Literal["pending"] = "pending"
    started: float | None = None
    finished: float | None = None
    detail: str = ""


def _pending() -> dict[str, PhaseRecord]:
    return {p: PhaseRecord() for p in PHASES}


class JobRecord(_Deferred):
    """A job's spec and result, without the file contents it carried."""

    spec: dict[str, Any]
    result: dict[str, Any]


class ValidationOutcome(_Deferred):
    dir: str
    results: str
    verdict: str
    games: int
    matchups: int
    faction_win_rates: dict[str, float]
    first_seat_win_rate: float | None
    complete: bool
    parts: list[str]


class RunRecord(_Deferred):
    version: int = 1
    run_id: str
    state: RunState = "running"
    backend: str
    plan: dict[str, Any]
    started: float
    finished: float | None = None
    duration_s: float | None = None
    phases: dict[str, PhaseRecord] = Field(default_factory=_pending)
    jobs: list[JobRecord] = []
    deploys: list[DeployRecord] = []
    deploy_notes: list[str] = []
    deploy_decisions: list[DeployDecision] = []
    """The gate's decision per weights target (``core.gate``)."""
    ladder: str | None = None
    """One line on the strength ladder's update after the deploy (``core.ladder``)."""
    validation: ValidationOutcome | None = None
    estimate: CostEstimate
    cost: CostEstimate | None = None
    billed: bool = False
    errors: list[str] = []
    path: str = ""

    def results(self) -> list[JobResult]:
        return [JobResult.model_validate(j.result) for j in self.jobs]
