"""The run record: what a pipeline run planned, ran, deployed, validated and cost, kept in
``experiments/runs/<run_id>.json``. Its own module so events and front ends can carry it without
loading the pipeline."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from core.cost import CostEstimate
from core.gate import DeployDecision
from core.jobs import JobResult
from core.liveness import Writer
from core.weights import DeployRecord

RunState = Literal["running", "ok", "failed", "interrupted"]
"""What the record file says (kept for old records): ``ok`` is shown as ``done``."""
EffectiveState = Literal["running", "done", "failed", "interrupted"]
"""What a reader shows: :meth:`RunRecord.effective_state`."""
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
    pid: int | None = None
    """The process writing the record while the run goes on."""
    host: str | None = None
    pid_start: float | None = None
    """The writer's start time (``core.liveness``): tells a reused pid from the writer."""
    heartbeat: float | None = None
    """The last time the writer rewrote the record while running."""

    def results(self) -> list[JobResult]:
        return [JobResult.model_validate(j.result) for j in self.jobs]

    def writer(self) -> Writer:
        return Writer(self.pid, self.host, self.pid_start, self.heartbeat or self.started)

    @property
    def ran_in_full(self) -> bool:
        """Every job played to its end: what the plan estimated is what the run did."""
        return self.state == "ok" and all(r.state == "ok" for r in self.results())

    def effective_state(self, now: float | None = None) -> EffectiveState:
        """The state to show: ``ok`` reads ``done``, and a record left ``running`` by a writer
        that is gone (killed, crashed, its host lost) reads ``interrupted``."""
        if self.state == "ok":
            return "done"
        if self.state == "running" and not self.writer().alive(now):
            return "interrupted"
        return self.state

    def cancelled_jobs(self) -> int:
        """Jobs the user cancelled during the run (not the ones an interrupt ended)."""
        return sum(1 for j in self.jobs if j.result.get("state") == "cancelled")

    def label(self, now: float | None = None) -> str:
        """The one wording of a run's outcome: ``done``, ``done (1 cancelled)``, ``failed``,
        ``interrupted`` or ``running``."""
        state = self.effective_state(now)
        n = self.cancelled_jobs()
        if state == "done" and n:
            return f"done ({n} cancelled)"
        return state
