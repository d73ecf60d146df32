"""Bot weights: the spec (names, bounds, defaults from the Rust side's one table, exported as
``data/weights/spec.json``), loading with validation, diffs, atomic deploys with a backup in
``data/weights/.history/``, and rollback."""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from core.errors import ConfigError
from core.factions import FACTIONS
from core.fsutil import atomic_write_text
from core.paths import Workspace

TARGETS: tuple[str, ...] = ("generalist", *FACTIONS)

LARGE_CHANGE = 0.10
"""A change is ``large`` when it moves a weight by more than this share of its range."""


@dataclass(frozen=True)
class WeightBound:
    name: str
    min: float
    max: float
    default: float
    doc: str = ""


class WeightSpec:
    """Weight names in spec order, with their bounds."""

    def __init__(self, bounds: list[WeightBound], source: str = "spec.json") -> None:
        self.bounds = bounds
        self.by_name = {b.name: b for b in bounds}
        self.source = source

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.bounds]

    def __len__(self) -> int:
        return len(self.bounds)

    @classmethod
    def load(cls, path: Path) -> WeightSpec:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the weight spec: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON: {exc}") from None
        entries = raw.get("weights") if isinstance(raw, dict) else raw
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"{path}: field `weights`: expected a non-empty list")
        bounds: list[WeightBound] = []
        for i, e in enumerate(entries):
            try:
                lo, hi = (e["bounds"][0], e["bounds"][1]) if "bounds" in e else (e["min"], e["max"])
                b = WeightBound(
                    str(e["name"]),
                    float(lo),
                    float(hi),
                    float(e.get("default", lo)),
                    str(e.get("doc", "")),
                )
            except (KeyError, TypeError, ValueError, IndexError):
                raise ConfigError(
                    f"{path}: weights #{i + 1}: expected name, min, max and default"
                ) from None
            if not b.min <= b.default <= b.max:
                raise ConfigError(f"{path}: weight `{b.name}`: default outside its bounds")
            bounds.append(b)
        return cls(bounds, str(path))


@dataclass
class Weights:
    """Values by name in spec order. ``document`` is the whole parsed file, so a deploy writes
    the same layout (metadata included) it read."""

    values: dict[str, float]
    document: dict[str, Any]
    path: Path | None = None


def _weights_table(doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    table = doc.get("weights")
    if isinstance(table, dict):
        return table, True
    return doc, False


def parse_weights(text: str, spec: WeightSpec, origin: str) -> Weights:
    """Check a weights document: every spec name present, no unknown names, every value a
    finite number inside its bounds. Errors name the file and the key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    table, nested = _weights_table(doc)
    prefix = "weights." if nested else ""
    values: dict[str, float] = {}
    for key, val in table.items():
        if key not in spec.by_name:
            if not nested and isinstance(val, str | dict | list | datetime):
                continue  # metadata beside flat weights (name, tag, created...)
            raise ConfigError(f"{origin}: key `{prefix}{key}`: unknown weight")
        if isinstance(val, bool) or not isinstance(val, int | float):
            raise ConfigError(f"{origin}: key `{prefix}{key}`: expected a number")
        b = spec.by_name[key]
        v = float(val)
        if not math.isfinite(v) or not b.min <= v <= b.max:
            raise ConfigError(
                f"{origin}: key `{prefix}{key}`: {val} outside the bounds [{b.min:g}, {b.max:g}]"
            )
        values[key] = v
    missing = [n for n in spec.names if n not in values]
    if missing:
        raise ConfigError(f"{origin}: key `{prefix}{missing[0]}`: missing")
    return Weights({n: values[n] for n in spec.names}, doc)


def load_weights(path: Path, spec: WeightSpec) -> Weights:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    w = parse_weights(text, spec, str(path))
    w.path = path
    return w


def load_spec(ws: Workspace) -> WeightSpec:
    return WeightSpec.load(ws.weight_spec_file)


def to_toml(weights: Weights, spec: WeightSpec) -> str:
    """The document as TOML. Flat files (the layout of ``data/weights/``) keep one weight per
    line in spec order with its meaning as a comment; other layouts are written as parsed."""
    table, nested = _weights_table(weights.document)
    if nested:
        return tomli_w.dumps(weights.document)
    meta = {k: v for k, v in table.items() if k not in spec.by_name}
    lines = ["# Evaluation weights; names, bounds and meanings: data/weights/spec.json"]
    if meta:
        lines.append(tomli_w.dumps(meta).rstrip())
    for b in spec.bounds:
        line = tomli_w.dumps({b.name: weights.values[b.name]}).rstrip()
        lines.append(f"{line}  # {b.doc}" if b.doc else line)
    return "\n".join(lines) + "\n"


class WeightDelta(BaseModel):
    name: str
    old: float
    new: float
    delta: float
    pct: float | None
    large: bool


def diff(old: Weights, new: Weights, spec: WeightSpec) -> list[WeightDelta]:
    """Per weight in spec order: the change, in percent of the old value (None from 0), and
    whether it moves the weight by more than ``LARGE_CHANGE`` of its range."""
    out: list[WeightDelta] = []
    for b in spec.bounds:
        o, n = old.values[b.name], new.values[b.name]
        d = n - o
        span = b.max - b.min
        out.append(
            WeightDelta(
                name=b.name,
                old=o,
                new=n,
                delta=d,
                pct=(100.0 * d / abs(o)) if o != 0 else None,
                large=span > 0 and abs(d) > LARGE_CHANGE * span,
            )
        )
    return out


class DeployRecord(BaseModel):
    target: str
    path: str
    source: str
    backup: str | None
    deltas: list[WeightDelta]


class HistoryEntry(BaseModel):
    target: str
    stamp: str
    path: str


_HISTORY_NAME = re.compile(r"^(?P<target>[a-z]+)_(?P<stamp>\d{8}_\d{6}(?:_\d+)?)\.toml$")


def _stamp_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d_%H%M%S")


def _free_history_path(ws: Workspace, target: str, stamp: str) -> Path:
    path = ws.history_dir / f"{target}_{stamp}.toml"
    n = 2
    while path.exists():
        path = ws.history_dir / f"{target}_{stamp}_{n}.toml"
        n += 1
    return path


def deploy_many(ws: Workspace, items: list[tuple[str, str, str]]) -> list[DeployRecord]:
    """Deploy several weights documents ``(source label, TOML text, target)`` as one operation:
    every document is checked before anything is written, and each replaced file is first
    copied to the history under one shared stamp, so one rollback undoes the whole deploy."""
    spec = load_spec(ws)
    checked: list[tuple[str, str, Weights, Weights | None]] = []
    for label, text, target in items:
        dest = ws.weights_file(target)
        new = parse_weights(text, spec, label)
        old: Weights | None = None
        if dest.is_file():
            try:
                old = load_weights(dest, spec)
            except ConfigError:
                old = None  # a broken deployed file is still backed up, just not diffed
        checked.append((label, target, new, old))
    stamp = _stamp_now()
    records: list[DeployRecord] = []
    for label, target, new, old in checked:
        dest = ws.weights_file(target)
        backup: Path | None = None
        if dest.is_file():
            backup = _free_history_path(ws, target, stamp)
            atomic_write_text(backup, dest.read_text(encoding="utf-8"))
        atomic_write_text(dest, to_toml(new, spec))
        records.append(
            DeployRecord(
                target=target,
                path=str(dest),
                source=label,
                backup=str(backup) if backup else None,
                deltas=diff(old, new, spec) if old else [],
            )
        )
    return records


def deploy(ws: Workspace, source: Path, target: str) -> DeployRecord:
    """Install the weights file ``source`` as the ``generalist`` or a faction's specialist."""
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    return deploy_many(ws, [(str(source), text, target)])[0]


def history(ws: Workspace) -> list[HistoryEntry]:
    """Backups, newest first."""
    entries: list[HistoryEntry] = []
    if ws.history_dir.is_dir():
        for p in ws.history_dir.iterdir():
            m = _HISTORY_NAME.match(p.name)
            if m and m["target"] in TARGETS:
                entries.append(HistoryEntry(target=m["target"], stamp=m["stamp"], path=str(p)))

    def key(e: HistoryEntry) -> tuple[str, int]:
        base, _, n = e.stamp[:15], e.stamp[15:], e.stamp[16:]
        return (base, int(n) if n else 1)

    entries.sort(key=key, reverse=True)
    return entries


def rollback(ws: Workspace, entry: HistoryEntry | None = None) -> list[HistoryEntry]:
    """Restore a backup; with no entry, every file of the newest deploy. The restored backup
    leaves the history (so the next rollback goes one deploy further back) and the file it
    replaces is kept beside it as ``*.rolled-back``."""
    entries = history(ws)
    if not entries:
        raise ConfigError(f"{ws.history_dir}: no deployed weights to roll back")
    if entry is None:
        newest = entries[0].stamp[:15]
        chosen = [e for e in entries if e.stamp[:15] == newest]
    else:
        chosen = [entry]
    spec = load_spec(ws)
    for e in chosen:
        load_weights(Path(e.path), spec)  # refuse to restore a broken backup
    for e in chosen:
        dest = ws.weights_file(e.target)
        backup = Path(e.path)
        if dest.is_file():
            atomic_write_text(
                ws.history_dir / f"{backup.stem}.rolled-back",
                dest.read_text(encoding="utf-8"),
            )
        atomic_write_text(dest, backup.read_text(encoding="utf-8"))
        backup.unlink()
    return chosen
