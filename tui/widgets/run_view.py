"""What the monitor shows about a run, folded from core's `PipelineEvent` stream.

This is display state only: the pipeline decides everything; this module remembers the last thing
it said about each job so a screen mounted late (or re-mounted) can draw the whole picture.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from core.events import (
    CheckpointEvent,
    DoneEvent,
    ErrorEvent,
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    MatchupEvent,
    PhaseChanged,
    PipelineEvent,
    ProgressEvent,
    RunFinished,
    StartEvent,
)
from core.heldout import HeldOut, fmt_heldout_fitness, fmt_points, parse_heldout
from core.record import PHASES
from tui.widgets.log_pane import DEFAULT_MAX_LINES

FINAL_STATES = frozenset({"ok", "failed", "cancelled", "timeout", "skipped", "interrupted"})
ENDED_STATES = FINAL_STATES - {"skipped"}
"""Jobs that ran to an end (the overall bar counts these, not the ones never started)."""

SHOWN_STATE = {"ok": "done"}
"""Job and run states as the screens word them (``ok`` on disk and in events reads ``done``)."""


def shown_state(state: str) -> str:
    return SHOWN_STATE.get(state, state)


@dataclass
class JobView:
    job_id: str
    kind: str
    container_id: str | None = None
    state: str = "waiting"
    detail: str = ""
    done: float = 0.0
    total: float | None = None
    unit: str = ""
    gen: int | None = None
    generations: int | None = None
    best_fitness: float | None = None
    gens: list[int] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    # (line, debug): debug lines are the stderr copy of what the binary also sends as events.
    log: deque[tuple[str, bool]] = field(default_factory=lambda: deque(maxlen=DEFAULT_MAX_LINES))
    lines_total: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    heldout: HeldOut | None = None
    """The held-out evaluation, once the job has sent it (``heldout`` event or summary)."""

    def add_line(self, line: str, debug: bool = False) -> None:
        self.log.append((line, debug))
        self.lines_total += 1

    def lines_since(self, seen: int, debug: bool = False) -> list[str]:
        """Lines added after the first `seen` ones (as many as are still kept), without the
        debug lines unless `debug`."""
        fresh = self.lines_total - seen
        if fresh <= 0:
            return []
        kept = list(self.log)
        chosen = kept[-fresh:] if fresh < len(kept) else kept
        return [line for line, is_debug in chosen if debug or not is_debug]

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES


@dataclass
class RunView:
    run_id: str | None = None
    jobs: dict[str, JobView] = field(default_factory=dict)
    phases: dict[str, str] = field(default_factory=lambda: dict.fromkeys(PHASES, "pending"))
    state: str = "idle"  # idle | running | ok | failed | interrupted
    record: Any = None
    dirty: set[str] = field(default_factory=set)

    @classmethod
    def from_plan(cls, plan: Any) -> RunView:
        view = cls(run_id=plan.run_id, state="running")
        for spec in [*plan.train_jobs(), *plan.validate_jobs()]:
            view.jobs[spec.id] = JobView(job_id=spec.id, kind=spec.kind)
        return view

    def job(self, job_id: str, kind: str = "") -> JobView:
        if job_id not in self.jobs:
            self.jobs[job_id] = JobView(job_id=job_id, kind=kind)
        return self.jobs[job_id]

    def end(self, state: str) -> None:
        """The run is over: jobs that never started will not start."""
        self.state = state
        for job in self.jobs.values():
            if job.state in ("waiting", "queued"):
                job.state = "skipped"
                self.dirty.add(job.job_id)
        self.dirty.add("")

    @property
    def jobs_finished(self) -> int:
        return sum(1 for j in self.jobs.values() if j.finished)

    @property
    def jobs_ended(self) -> int:
        """Jobs that ran to an end, whatever the end (skipped ones never ran)."""
        return sum(1 for j in self.jobs.values() if j.state in ENDED_STATES)

    @property
    def label(self) -> str:
        """The run's state in words: the record's own wording once it is saved
        (``RunRecord.label()``: ``done (1 cancelled)``, ``interrupted``...), else the live state."""
        label = getattr(self.record, "label", None)
        if callable(label):
            return str(label())
        if self.state == "ok":
            cancelled = sum(1 for j in self.jobs.values() if j.state == "cancelled")
            return f"done ({cancelled} cancelled)" if cancelled else "done"
        return self.state

    def apply(self, ev: PipelineEvent) -> None:
        """Fold one pipeline event in; the ids of changed jobs go to `dirty`."""
        if isinstance(ev, JobEvent):
            self._apply_job_event(ev)
        elif isinstance(ev, JobStateChanged):
            job = self.job(ev.job_id)
            job.state = str(ev.state)
            job.detail = ev.detail or ""
            job.add_line(f"-- {job.state}" + (f": {job.detail}" if job.detail else ""))
            self.dirty.add(job.job_id)
        elif isinstance(ev, PhaseChanged):
            self.phases[str(ev.phase)] = str(ev.state)
            self.dirty.add("")
        elif isinstance(ev, RunFinished):
            self.record = ev.record
            self.end(ev.record.state)

    def _apply_job_event(self, ev: JobEvent) -> None:
        inner = ev.event
        job = self.job(ev.job_id)
        if ev.container_id:
            job.container_id = ev.container_id
        if job.state in ("waiting", "queued"):
            job.state = "running"
        if isinstance(inner, StartEvent):
            job.kind = inner.kind or job.kind
            job.total = float(inner.total)
            job.unit = inner.unit
            job.add_line(f"start: {job.kind}, {inner.total} {inner.unit}s")
        elif isinstance(inner, GenerationEvent):
            best = inner.best_fitness if inner.best_fitness is not None else 0.0
            ever = inner.best_fitness_ever if inner.best_fitness_ever is not None else best
            job.gen = inner.gen
            job.generations = inner.generations
            job.best_fitness = ever
            job.gens.append(inner.gen)
            job.best.append(best)
            job.done = float(inner.gen)
            job.total = float(inner.generations)
            job.add_line(
                f"gen {inner.gen}/{inner.generations}: in-training best {best:.4f}"
                f" (ever {ever:.4f}, noisy),"
                f" mean {_fmt(inner.mean_fitness, '.4f')}, sigma {_fmt(inner.sigma, '.4g')}"
            )
        elif isinstance(inner, ProgressEvent):
            job.done = float(inner.done)
            job.total = float(inner.total)
        elif isinstance(inner, MatchupEvent):
            job.add_line(
                f"matchup {inner.deck_a} vs {inner.deck_b}: "
                f"{_fmt(None if inner.a_win_rate is None else 100 * inner.a_win_rate, '.1f')}%"
                f" over {inner.games} games"
            )
        elif isinstance(inner, LogEvent):
            # tune also logs each generation it has just sent as an event: that copy is kept
            # with the debug lines, so a generation shows once.
            echo = job.gen is not None and inner.msg.startswith(f"gen {job.gen}/")
            job.add_line(f"[{inner.level}] {inner.msg}", debug=inner.level == "debug" or echo)
        elif isinstance(inner, DoneEvent):
            job.summary = dict(inner.summary)
            job.heldout = parse_heldout(job.summary) or job.heldout
            if job.total is not None:
                job.done = job.total
            job.add_line("done")
        elif isinstance(inner, ErrorEvent):
            job.add_line(f"[error] {inner.kind}: {inner.msg}")
        elif isinstance(inner, CheckpointEvent):
            pass
        elif inner.event == "heldout":
            self._heldout(job, inner)
        else:
            job.add_line(f"[{inner.event}] event")
        self.dirty.add(job.job_id)

    @staticmethod
    def _heldout(job: JobView, inner: Any) -> None:
        # Every field of the `heldout` object rides on the event itself.
        h = parse_heldout({"heldout": inner.model_dump()})
        if h is None:
            job.add_line("[heldout] unreadable held-out evaluation")
            return
        job.heldout = h
        head = fmt_points(h.h2h) if h.h2h is not None else "no head-to-head"
        job.add_line(f"held-out: {head}; {fmt_heldout_fitness(h)}")


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)
