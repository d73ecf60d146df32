"""Bot weights: the spec (names, bounds, defaults from the Rust side's one table, exported as
``data/weights/spec.json``), loading with validation, diffs, atomic deploys with a backup in
``data/weights/.history/``, and rollback."""

from __future__ import annotations

import contextlib
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
from core.fsutil import atomic_write_bytes, atomic_write_text, read_text, remove_stale_temps
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
    optional: bool = False
    """Added after weight files existed: a file may leave it out and gets ``default``."""


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
            raw = json.loads(read_text(path, "the weight spec"))
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
                    bool(e.get("optional", False)),
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
    """Check a weights document: every spec name present (an optional one may be left out and
    takes its default), no unknown names, every value a finite number inside its bounds.
    Errors name the file and the key."""
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
    missing = [b.name for b in spec.bounds if b.name not in values and not b.optional]
    if missing:
        raise ConfigError(f"{origin}: key `{prefix}{missing[0]}`: missing")
    return Weights({b.name: values.get(b.name, b.default) for b in spec.bounds}, doc)


def load_weights(path: Path, spec: WeightSpec) -> Weights:
    text = read_text(path)
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
    experiment: str | None = None
    """The experiment directory the weights came from (None: a file or a run's job)."""
    experiment_state: str | None = None
    """Its state when deployed (``core.experiments``): ``done`` unless forced."""
    changed: int = 0
    """Weights whose value changed."""
    large: list[str] = []
    """Names of the weights that moved by more than ``LARGE_CHANGE`` of their range."""


class HistoryEntry(BaseModel):
    target: str
    stamp: str
    path: str
    source: str | None = None
    """Where the deploy that replaced this file came from (its record beside the backup)."""


_HISTORY_NAME = re.compile(r"^(?P<target>[a-z]+)_(?P<stamp>\d{8}_\d{6}(?:_\d+)?)\.toml$")


_ANY_STAMP = re.compile(r"^[a-z]+_(?P<stamp>\d{8}_\d{6}(?:_\d+)?)\.")


def _stamp_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d_%H%M%S")


def _claim_stamp(ws: Workspace) -> str:
    """A stamp no earlier deploy used for any target, so one rollback undoes exactly one
    deploy: the second of two deploys in the same second gets ``_2``, and so on."""
    base = _stamp_now()
    used: set[str] = set()
    if ws.history_dir.is_dir():  # backups, their records and rolled-back copies alike
        for p in ws.history_dir.iterdir():
            m = _ANY_STAMP.match(p.name)
            if m:
                used.add(m["stamp"])
    stamp, n = base, 2
    while stamp in used:
        stamp, n = f"{base}_{n}", n + 1
    return stamp


def _record_path(backup: Path) -> Path:
    return backup.with_suffix(".deploy.json")


def deploy_many(
    ws: Workspace,
    items: list[tuple[str, str, str]],
    *,
    notes: list[str] | None = None,
    experiments: dict[str, tuple[str, str]] | None = None,
) -> list[DeployRecord]:
    """Deploy several weights documents ``(source label, TOML text, target)`` as one operation:
    every document is checked before anything is written, and each replaced file is first
    copied to the history under one stamp of its own, so one rollback undoes the whole deploy
    and nothing else. Weights identical to the deployed file are skipped: no write, no backup,
    the note ``identical: <target>`` in ``notes``. ``experiments`` names the source experiment
    (path, state) per target."""
    spec = load_spec(ws)
    for d in (ws.weights_dir, ws.weights_dir / "specialists", ws.history_dir):
        remove_stale_temps(d)
    checked: list[tuple[str, str, Weights, Weights | None]] = []
    for label, text, target in items:
        dest = ws.weights_file(target)
        if dest.exists() and not dest.is_file():
            raise ConfigError(f"{dest}: weights target `{target}` is not a file")
        new = parse_weights(text, spec, label)
        old: Weights | None = None
        if dest.is_file():
            try:
                old = load_weights(dest, spec)
            except ConfigError:
                old = None  # a broken deployed file is still backed up, just not diffed
        if old is not None and old.values == new.values:
            if notes is not None:
                notes.append(f"identical: {target}")
            continue
        checked.append((label, target, new, old))
    if not checked:
        return []
    stamp = _claim_stamp(ws)
    records: list[DeployRecord] = []
    for label, target, new, old in checked:
        dest = ws.weights_file(target)
        backup: Path | None = None
        if dest.is_file():
            backup = ws.history_dir / f"{target}_{stamp}.toml"
            atomic_write_bytes(backup, dest.read_bytes())
        atomic_write_text(dest, to_toml(new, spec))
        deltas = diff(old, new, spec) if old else []
        exp = (experiments or {}).get(target)
        rec = DeployRecord(
            target=target,
            path=str(dest),
            source=label,
            backup=str(backup) if backup else None,
            deltas=deltas,
            experiment=exp[0] if exp else None,
            experiment_state=exp[1] if exp else None,
            changed=sum(1 for d in deltas if d.delta != 0),
            large=[d.name for d in deltas if d.large],
        )
        if backup is not None:
            with contextlib.suppress(OSError):  # the record only adds the source to the history
                atomic_write_text(_record_path(backup), rec.model_dump_json(indent=2))
        records.append(rec)
    return records


def deployable(exp_dir: Path, force: bool) -> None:
    """Refuse an incomplete experiment (no ``summary.json`` or ``config.toml``: it stopped
    early, or its target cannot be told) unless ``force``."""
    missing = [n for n in ("summary.json", "config.toml") if not (exp_dir / n).is_file()]
    if missing and not force:
        raise ConfigError(
            f"{exp_dir}: incomplete experiment (no {' or '.join(missing)}): "
            "not deployed (add --force to deploy it anyway)"
        )


def deploy(
    ws: Workspace, source: Path, target: str, *, experiment: tuple[str, str] | None = None
) -> DeployRecord | None:
    """Install the weights file ``source`` as the ``generalist`` or a faction's specialist;
    None when they are identical to the deployed file (nothing written)."""
    text = read_text(source)
    exps = {target: experiment} if experiment else None
    recs = deploy_many(ws, [(str(source), text, target)], experiments=exps)
    return recs[0] if recs else None


def _source_of(backup: Path) -> str | None:
    try:
        rec = json.loads(_record_path(backup).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict):
        return None
    src = rec.get("experiment") or rec.get("source")
    return src if isinstance(src, str) else None


def history(ws: Workspace) -> list[HistoryEntry]:
    """Backups, newest first."""
    entries: list[HistoryEntry] = []
    if ws.history_dir.is_dir():
        for p in ws.history_dir.iterdir():
            m = _HISTORY_NAME.match(p.name)
            if m and m["target"] in TARGETS:
                entries.append(
                    HistoryEntry(
                        target=m["target"], stamp=m["stamp"], path=str(p), source=_source_of(p)
                    )
                )

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
        newest = entries[0].stamp
        chosen = [e for e in entries if e.stamp == newest]
    else:
        chosen = [entry]
    spec = load_spec(ws)
    remove_stale_temps(ws.history_dir)
    for e in chosen:
        load_weights(Path(e.path), spec)  # refuse to restore a broken backup
    for e in chosen:
        dest = ws.weights_file(e.target)
        backup = Path(e.path)
        kept = ws.history_dir / f"{backup.stem}.rolled-back"
        # A re-run after an interrupted rollback finds the copy made the first time: it holds
        # the replaced weights, while the deployed file may already be the backup's.
        if dest.is_file() and not kept.exists():
            atomic_write_bytes(kept, dest.read_bytes())
        atomic_write_bytes(dest, backup.read_bytes())
        backup.unlink()
        with contextlib.suppress(FileNotFoundError):
            _record_path(backup).unlink()
    return chosen
