"""The experiment store: training experiments (``experiments/<YYYY-MM-DD_HHMM>_<tag>/``) and
validation runs (``experiments/validation/<run_id>/``), listed from their summaries alone."""

from __future__ import annotations

import csv
import json
import os
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from core.errors import ConfigError
from core.liveness import STALE_AFTER_S, Writer
from core.paths import Workspace

ExperimentState = Literal["done", "cancelled", "failed", "interrupted", "running"]
"""What a listing shows of an experiment: the state of the job that wrote it, with a dead
writer's ``running`` read as ``interrupted`` (``core.liveness``)."""

RUN_MARKER = "ewtui-run.json"
"""Written into a training experiment's directory by the job that runs it
(``core.job_process``): the run id, the writer (``core.liveness``) and, once the job ends, its
state."""

_JOB_STATE: dict[str, ExperimentState] = {
    "ok": "done",
    "cancelled": "cancelled",
    "interrupted": "interrupted",
    "failed": "failed",
    "timeout": "failed",
}

_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{2})(\d{2})(\d{2})?_?")
_SKIP = {"runs", "validation", "ladder"}
"""Directories of ``experiments/`` that hold no training experiment."""


@dataclass(slots=True)
class Experiment:
    """One experiment as listed: what its summary says, nothing more. A plain dataclass, not a
    model, because listing builds thousands of them."""

    id: str
    kind: Literal["train", "validation"]
    path: str
    created: datetime | None = None
    complete: bool = True
    """False while running, or when the run stopped before writing its summary."""
    state: ExperimentState = "done"
    run_id: str | None = None
    """The pipeline run that made it (None: ``tune`` or ``validate`` run by hand)."""
    tag: str | None = None
    mode: str | None = None
    faction: str | None = None
    best_fitness: float | None = None
    """The best in-training fitness: noisy, and biased upward (the luckiest draw)."""
    heldout_fitness: float | None = None
    heldout_fitness_ci95: tuple[float, float] | None = None
    h2h_score: float | None = None
    """Held-out head-to-head score against the baseline (the deployed file at training)."""
    h2h_ci95: tuple[float, float] | None = None
    generations: int | None = None
    generations_planned: int | None = None
    win_rates: dict[str, float | None] = field(default_factory=dict)
    elapsed_s: float | None = None
    stop_reason: str | None = None
    verdict: str | None = None
    games: int | None = None
    first_seat_win_rate: float | None = None
    faction_win_rates: dict[str, float] = field(default_factory=dict)

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The fields as a dict; with ``mode="json"`` the date as ISO 8601 text."""
        out = asdict(self)
        if mode == "json" and self.created is not None:
            out["created"] = self.created.isoformat()
        return out

    @property
    def target(self) -> str | None:
        """The weights file this experiment trained (``generalist`` or a faction)."""
        if self.kind != "train":
            return None
        return self.faction if self.mode == "specialist" and self.faction else "generalist"


def _created(name: str) -> datetime | None:
    m = _STAMP.match(name)
    if not m:
        return None
    day, hh, mm, ss = m.groups()
    try:
        y, mo, dd = (int(x) for x in day.split("-"))
        return datetime(y, mo, dd, int(hh), int(mm), int(ss or 0), tzinfo=UTC)
    except ValueError:
        return None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _pair(v: Any) -> tuple[float, float] | None:
    if isinstance(v, list) and len(v) == 2 and all(_num(x) is not None for x in v):
        return (float(v[0]), float(v[1]))
    return None


def _heldout_fields(s: dict[str, Any]) -> dict[str, Any]:
    h = s.get("heldout")
    if not isinstance(h, dict):
        return {}
    raw = h.get("h2h")
    h2h: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "heldout_fitness": _num(h.get("fitness")),
        "heldout_fitness_ci95": _pair(h.get("fitness_ci95")),
        "h2h_score": _num(h2h.get("score")),
        "h2h_ci95": _pair(h2h.get("ci95")),
    }


def _last_seen(d: str, names: tuple[str, ...]) -> float | None:
    """The newest change time among the files ``names`` of directory ``d``."""
    times = []
    for name in names:
        try:
            times.append(os.stat(os.path.join(d, name)).st_mtime)
        except OSError:
            continue
    return max(times) if times else None


def _quiet_for_long(d: str, names: tuple[str, ...]) -> bool:
    seen = _last_seen(d, names)
    return seen is None or time.time() - seen > STALE_AFTER_S


_TRAIN_FILES = ("events.jsonl", "stats.csv", "train.log", "config.toml", RUN_MARKER)


def _train_state(path: str, complete: bool) -> tuple[ExperimentState, str | None]:
    """The state and run id of a training experiment: its run marker's job state when the job
    ended, else done with a summary, else running while its writer lives."""
    marker = _read_json(os.path.join(path, RUN_MARKER))
    if isinstance(marker, dict):
        run_id = _str(marker.get("run_id"))
        final = _JOB_STATE.get(str(marker.get("state")))
        if final is not None:
            return final, run_id
        if complete:
            return "done", run_id
        writer = Writer(
            _int(marker.get("pid")),
            _str(marker.get("host")),
            _num(marker.get("pid_start")),
            _last_seen(path, _TRAIN_FILES),
        )
        return ("running" if writer.alive() else "interrupted"), run_id
    if complete:
        return "done", None
    # `tune` run by hand: running while it keeps writing.
    return ("interrupted" if _quiet_for_long(path, _TRAIN_FILES) else "running"), None


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except (OSError, ValueError):
        return None


# Listing must stay fast for thousands of experiments: entries are built from plain dicts whose
# values are type-checked here, then constructed without a second validation pass.


def _train_entry(path: str, name: str) -> Experiment:
    fields: dict[str, Any] = {
        "id": name,
        "kind": "train",
        "path": path,
        "created": _created(name),
    }
    s = _read_json(os.path.join(path, "summary.json"))
    fields["state"], fields["run_id"] = _train_state(path, isinstance(s, dict))
    if not isinstance(s, dict):
        return _incomplete_train(fields, Path(path))
    wr = s.get("win_rates")
    fields.update(
        tag=_str(s.get("tag")),
        mode=_str(s.get("mode")),
        faction=_str(s.get("faction")),
        best_fitness=_num(s.get("best_fitness")),
        generations=_int(s.get("generations")),
        generations_planned=_int(s.get("generations_planned")),
        win_rates={str(k): _num(v) for k, v in wr.items()} if isinstance(wr, dict) else {},
        elapsed_s=_num(s.get("elapsed_s")),
        stop_reason=_str(s.get("stop_reason")),
        **_heldout_fields(s),
    )
    return _make(fields)


def _make(fields: dict[str, Any]) -> Experiment:
    return Experiment(**fields)


def _incomplete_train(fields: dict[str, Any], d: Path) -> Experiment:
    """A run still going, or stopped before its summary: what ``config.toml`` says."""
    fields["complete"] = False
    fields["tag"] = _STAMP.sub("", d.name) or None
    try:
        cfg = tomllib.loads((d / "config.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return _make(fields)
    # The flags may sit at the top level or in a table of their own.
    flat = {**cfg, **next((v for v in cfg.values() if isinstance(v, dict) and "mode" in v), {})}
    for key in ("tag", "mode", "faction"):
        if isinstance(flat.get(key), str):
            fields[key] = flat[key]
    fields["generations_planned"] = _int(flat.get("generations"))
    return _make(fields)


def _validation_state(path: str, name: str) -> ExperimentState:
    """An unfinished validation: what its run's record says, read the same way as every run
    record (``RunRecord.effective_state``)."""
    from core.record import RunRecord

    record = os.path.join(os.path.dirname(path), os.pardir, "runs", f"{name}.json")
    raw = _read_json(record)
    if isinstance(raw, dict):
        try:
            state = RunRecord.model_validate(raw).effective_state()
        except ValueError:
            state = None
        if state == "running" or state == "interrupted":
            return state
        if state is not None:
            return "failed"  # the run ended without this report
    return "interrupted" if _quiet_for_long(path, ("parts", "")) else "running"


def _validation_entry(path: str, name: str) -> Experiment:
    fields: dict[str, Any] = {
        "id": name,
        "kind": "validation",
        "path": path,
        "created": _created(name),
        "run_id": name,
    }
    r = _read_json(os.path.join(path, "results.json"))
    if not isinstance(r, dict):
        fields["complete"] = False
        fields["state"] = _validation_state(path, name)
        return _make(fields)
    fs = r.get("first_seat")
    rates: dict[str, float] = {}
    factions = r.get("factions")
    for f in factions if isinstance(factions, list) else []:
        if isinstance(f, dict) and isinstance(f.get("faction"), str):
            rate = _num(f.get("win_rate"))
            if rate is not None:
                rates[f["faction"]] = rate
    fields.update(
        verdict=_str(r.get("verdict")),
        games=_int(r.get("games")),
        first_seat_win_rate=_num(fs.get("win_rate")) if isinstance(fs, dict) else None,
        faction_win_rates=rates,
        elapsed_s=_num(r.get("time_s")),
    )
    return _make(fields)


Experiments = list[Experiment]
_Rows = list[dict[str, float | None]]

SortKey = Literal["created", "best_fitness", "tag", "kind", "id", "games"]


def _subdirs(root: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(root) as it:
            return [e for e in it if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []


class ExperimentStore:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.warnings: list[str] = []
        """One line per experiment the last listing skipped, naming it and why."""

    def _entry(
        self, build: Callable[[str, str], Experiment], entry: os.DirEntry[str]
    ) -> Experiment | None:
        try:
            return build(entry.path, entry.name)
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
            # One unreadable experiment must not hide the others.
            self.warnings.append(f"{entry.path}: skipped, cannot be read: {exc}")
            return None

    def list(self) -> Experiments:
        """Every experiment, newest first; an unreadable one is skipped with a line in
        :attr:`warnings`."""
        self.warnings = []
        out: Experiments = []
        root = self.ws.experiments_dir
        for entry in _subdirs(root):
            if entry.name not in _SKIP and (e := self._entry(_train_entry, entry)) is not None:
                out.append(e)
        for entry in _subdirs(self.ws.validation_dir):
            if (e := self._entry(_validation_entry, entry)) is not None:
                out.append(e)
        return self.sort("created", reverse=True, items=out)

    def filter(
        self,
        items: Experiments | None = None,
        *,
        tag: str | None = None,
        mode: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        min_fitness: float | None = None,
    ) -> Experiments:
        """Experiments matching every given criterion; ``tag`` matches a substring."""
        rows = self.list() if items is None else items
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        out = []
        for e in rows:
            if tag is not None and (e.tag is None or tag not in e.tag):
                continue
            if mode is not None and e.mode != mode:
                continue
            if kind is not None and e.kind != kind:
                continue
            if since is not None and (e.created is None or e.created < since):
                continue
            if min_fitness is not None and (e.best_fitness is None or e.best_fitness < min_fitness):
                continue
            out.append(e)
        return out

    def sort(
        self,
        key: SortKey = "created",
        reverse: bool = False,
        items: Experiments | None = None,
    ) -> Experiments:
        """Sorted by ``key``; experiments without a value go last either way."""
        rows = self.list() if items is None else items
        getter: Callable[[Experiment], Any] = lambda e: getattr(e, key)  # noqa: E731
        have = [e for e in rows if getter(e) is not None]
        missing = [e for e in rows if getter(e) is None]
        have.sort(key=lambda e: (getter(e), e.id), reverse=reverse)
        return have + missing

    def get(self, name: str) -> Experiment:
        """An experiment by directory name (or a path to its directory)."""
        p = Path(name)
        candidates = [p] if p.is_dir() else []
        candidates += [self.ws.experiments_dir / name, self.ws.validation_dir / name]
        for d in candidates:
            if (d / "summary.json").is_file() or (d / "weights.toml").is_file():
                return _train_entry(str(d), d.name)
            if (d / "results.json").is_file():
                return _validation_entry(str(d), d.name)
        raise ConfigError(f"{self.ws.experiments_dir}: no experiment named `{name}`")

    def load_summary(self, exp: Experiment | Path | str) -> dict[str, Any]:
        d = Path(exp.path) if isinstance(exp, Experiment) else Path(exp)
        name = "results.json" if (d / "results.json").is_file() else "summary.json"
        try:
            data = json.loads((d / name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{d / name}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"{d / name}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{d / name}: expected a JSON object")
        return data

    def load_stats(self, exp: Experiment | Path | str) -> _Rows:
        """The rows of ``stats.csv``, numbers as floats (empty cells as None)."""
        d = Path(exp.path) if isinstance(exp, Experiment) else Path(exp)
        path = d / "stats.csv"
        rows: _Rows = []
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                for i, row in enumerate(csv.DictReader(fh), start=2):
                    parsed: dict[str, float | None] = {}
                    for k, v in row.items():
                        if k is None:
                            continue
                        try:
                            parsed[k] = float(v) if v not in ("", None) else None
                        except ValueError:
                            raise ConfigError(
                                f"{path}: line {i}: column `{k}`: not a number: {v!r}"
                            ) from None
                    rows.append(parsed)
        except FileNotFoundError:
            return []
        return rows
