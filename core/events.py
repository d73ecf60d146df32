"""Event lines of the binaries (one JSON object per line) as typed models, and the events the
pipeline adds around them.

The lines are defined once, by the Rust enum ``ew_jobs::events::Event``; its JSON Schema is
``docs/events.schema.json``, and ``tests/test_event_schema.py`` holds these models to it (same
events, same fields, every type the binary writes accepted here). Readers ignore unknown fields
(``extra="allow"`` keeps them) and keep unknown event types as :class:`RawEvent`, so an older
reader survives a newer binary.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError

from core.heldout import HeadToHead
from core.jobs import JobState
from core.record import Phase, PhaseState, RunRecord


class BaseEvent(BaseModel):
    # Validators are built on first use, not at import: the TUI imports these types to draw its
    # first screen long before any event arrives.
    model_config = ConfigDict(extra="allow", defer_build=True)

    v: int = 1
    event: str
    t: float = 0.0


class StartEvent(BaseEvent):
    event: Literal["start"] = "start"
    job: str = ""
    kind: str = ""
    total: int = 0
    unit: str = ""
    config: dict[str, Any] = {}


class GenerationEvent(BaseEvent):
    event: Literal["generation"] = "generation"
    gen: int = 0
    generations: int = 0
    best_fitness: float | None = None
    best_fitness_ever: float | None = None
    mean_fitness: float | None = None
    best_win_rate: float | None = None
    win_rates: dict[str, float | None] = {}
    sigma: float | None = None
    evals: int | None = None
    games: int | None = None
    elapsed_s: float | None = None
    cpu_s: float | None = None
    """CPU seconds of this generation; ``cpu_s_total`` of the run so far."""
    cpu_s_total: float | None = None


class ProgressEvent(BaseEvent):
    event: Literal["progress"] = "progress"
    done: int = 0
    total: int = 0
    unit: str = ""


class MatchupEvent(BaseEvent):
    """One finished matchup (both seat orders), the object of ``results.json``."""

    event: Literal["matchup"] = "matchup"
    deck_a: str = ""
    deck_b: str = ""
    faction_a: str = ""
    faction_b: str = ""
    games: int = 0
    a_wins: int = 0
    b_wins: int = 0
    draws: int = 0
    a_wins_as_first: int = 0
    b_wins_as_first: int = 0
    a_games_as_first: int = 0
    b_games_as_first: int = 0
    a_draws_as_first: int = 0
    b_draws_as_first: int = 0
    first_seat_wins: int = 0
    turns: int = 0
    avg_turns: float | None = None
    a_win_rate: float | None = None
    a_win_rate_ci95: list[float] | None = None
    time_s: float | None = None


class CheckpointEvent(BaseEvent):
    event: Literal["checkpoint"] = "checkpoint"
    path: str = ""
    gen: int = 0


class LogEvent(BaseEvent):
    event: Literal["log"] = "log"
    level: str = "info"
    msg: str = ""


class HeldoutCandidate(BaseModel):
    """One finalist of the held-out evaluation (``mean`` or ``archive-K``)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    name: str = ""
    train_fitness: float | None = None
    train_gens: int = 0
    fitness: float | None = None
    fitness_ci95: list[float] | None = None
    win_rates: dict[str, float | None] = {}
    h2h: HeadToHead | None = None


class HeldoutEvent(BaseEvent):
    """The held-out evaluation of ``tune``'s finalists (``summary.json``'s ``heldout``); the
    top-level figures are those of the ``winner``."""

    event: Literal["heldout"] = "heldout"
    games: int = 0
    h2h_games: int = 0
    baseline: str = ""
    baseline_sha256: str = ""
    winner: str = ""
    fitness: float | None = None
    fitness_ci95: list[float] | None = None
    win_rates: dict[str, float | None] = {}
    h2h: HeadToHead | None = None
    candidates: list[HeldoutCandidate] = []
    cpu_s: float | None = None


class DoneEvent(BaseEvent):
    event: Literal["done"] = "done"
    summary: dict[str, Any] = {}
    outputs: dict[str, str] = {}


class ErrorEvent(BaseEvent):
    event: Literal["error"] = "error"
    msg: str = ""
    kind: str = "internal"


class RawEvent(BaseEvent):
    """An event type this version does not know; all its fields are kept."""


_KNOWN = {
    "start",
    "generation",
    "progress",
    "matchup",
    "checkpoint",
    "log",
    "heldout",
    "done",
    "error",
}


def _event_tag(value: Any) -> str:
    kind = value.get("event") if isinstance(value, dict) else getattr(value, "event", None)
    return kind if kind in _KNOWN else "raw"


Event = Annotated[
    Annotated[StartEvent, Tag("start")]
    | Annotated[GenerationEvent, Tag("generation")]
    | Annotated[ProgressEvent, Tag("progress")]
    | Annotated[MatchupEvent, Tag("matchup")]
    | Annotated[CheckpointEvent, Tag("checkpoint")]
    | Annotated[LogEvent, Tag("log")]
    | Annotated[HeldoutEvent, Tag("heldout")]
    | Annotated[DoneEvent, Tag("done")]
    | Annotated[ErrorEvent, Tag("error")]
    | Annotated[RawEvent, Tag("raw")],
    Discriminator(_event_tag),
]

_event_adapter: TypeAdapter[Event] | None = None


def _adapter() -> TypeAdapter[Event]:
    """The validator of the union, built on the first parse (not at import)."""
    global _event_adapter
    if _event_adapter is None:
        _event_adapter = TypeAdapter(Event)
    return _event_adapter


def parse_event(obj: dict[str, Any]) -> Event | None:
    """The typed event of a decoded line; a known type with mistyped fields degrades to
    :class:`RawEvent` rather than being lost. None when ``obj`` has no ``event`` name."""
    if not isinstance(obj.get("event"), str):
        return None
    try:
        return _adapter().validate_python(obj)
    except ValidationError:
        try:
            return RawEvent.model_validate(obj)
        except ValidationError:
            return None


def parse_event_line(line: str | bytes) -> Event | None:
    """The event of one line, or None for blank lines and lines that are not a JSON object
    with an ``event`` name."""
    if not line or line.isspace():
        return None
    try:
        # The fast path: pydantic parses and validates in one pass.
        return _adapter().validate_json(line)
    except ValidationError:
        pass
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    return parse_event(obj)


def log_event(msg: str, level: str = "info", t: float = 0.0) -> LogEvent:
    return LogEvent(msg=msg, level=level, t=t)


# --- pipeline events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobEvent:
    """An event line of one job, tagged with where it came from."""

    job_id: str
    container_id: str | None
    event: Event


@dataclass(frozen=True, slots=True)
class JobStateChanged:
    job_id: str
    state: JobState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    phase: Phase
    state: PhaseState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RunFinished:
    record: RunRecord


PipelineEvent = JobEvent | JobStateChanged | PhaseChanged | RunFinished
Emit = Callable[[PipelineEvent], None]


def finite_json(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None: JSON has no such numbers, and
    a line holding one is not valid JSON for any reader but Python's."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    return obj


def dumps_line(obj: Any) -> str:
    """One compact line of valid JSON (no NaN, no Infinity)."""
    return json.dumps(finite_json(obj), separators=(",", ":"), allow_nan=False)


def event_to_json(ev: JobEvent) -> str:
    """The event's line as the binary wrote it (fields it did not send are left out), plus
    ``job`` and ``container``."""
    obj = ev.event.model_dump(mode="json", exclude_unset=True)
    obj.setdefault("event", ev.event.event)
    obj["job"] = ev.job_id
    obj["container"] = ev.container_id
    return dumps_line(obj)


def pipeline_event_to_json(ev: PipelineEvent) -> str:
    """One JSON line for any pipeline event (``--json`` output)."""
    if isinstance(ev, JobEvent):
        return event_to_json(ev)
    obj: dict[str, Any]
    if isinstance(ev, JobStateChanged):
        obj = {"event": "job_state", "job": ev.job_id, "state": ev.state, "detail": ev.detail}
    elif isinstance(ev, PhaseChanged):
        obj = {"event": "phase", "phase": ev.phase, "state": ev.state, "detail": ev.detail}
    else:
        obj = {
            "event": "run_finished",
            "run_id": ev.record.run_id,
            "state": ev.record.state,
            "label": ev.record.label(),
            "record": ev.record.path,
        }
    return dumps_line({"v": 1, **obj})
