"""Cost estimates: core-hours x a per-core-hour price (a setting in training.toml), the wall-clock
time they take on the cores a run has, and the readable forms every front end prints. Core-hours
are summed over jobs of different sizes (a plan's estimate, a run's measured use), so an
estimate carries the total only.

The estimate's calibration comes from the run records of earlier runs on this machine: the
median of the CPU time their binaries measured over the CPU time estimated (``cpu_ratio``,
``calibration_from_records``)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

MAX_PLAN_CORE_HOURS = 10_000.0
"""The largest run a plan accepts (about 14 core-months); anything above is a typo, not a run."""

CALIBRATION_RUNS = 10
"""How many of the newest finished local runs the calibration reads."""
CALIBRATION_BOUNDS = (0.25, 4.0)
"""A measured / estimated ratio outside these is a broken record, not a slow machine."""


class CostEstimate(BaseModel):
    model_config = ConfigDict(defer_build=True)

    core_hours: float
    """Core time the jobs play (estimated) or hold (measured: cores x duration)."""
    price_per_core_hour: float
    """Modal's price of a physical core-hour (records written before the Modal price model
    hold the flat price they were costed at)."""
    cost: float
    """What Modal bills (or would bill) for it: ``modal_cost`` of the reserved core-hours and
    GiB-hours, with the `[modal]` prices."""
    wall_s: float | None = None
    """Wall-clock seconds on the cores the run has (None: not estimated, e.g. old records)."""
    calibration: float = 1.0
    """The factor the throughput model was multiplied by (``calibration_from_records``)."""
    reserved_core_hours: float | None = None
    """Physical core-hours Modal bills (containers from start to scaledown; None: old records)."""
    mem_gib_hours: float | None = None
    """GiB-hours of memory Modal bills (None: old records)."""

    def describe(self, currency: str = "USD") -> str:
        wall = f", about {fmt_duration(self.wall_s)} wall clock" if self.wall_s else ""
        if self.reserved_core_hours is None or self.mem_gib_hours is None:
            return (
                f"{fmt_money(self.cost, currency)} ({fmt_core_hours(self.core_hours)} "
                f"at {self.price_per_core_hour:g} {currency}/core-hour{wall})"
            )
        return (
            f"{fmt_money(self.cost, currency)} on Modal ({fmt_core_hours(self.core_hours)}"
            f" of work; {self.reserved_core_hours:.2f} core-h and {self.mem_gib_hours:.2f}"
            f" GiB-h billed{wall})"
        )


def usage_cost(core_hours: float, mem_gib_hours: float, prices: ModalPrices) -> CostEstimate:
    """What a run used (its jobs' cores and memory held for their duration), priced as Modal
    bills it (``modal_cost``)."""
    return CostEstimate(
        core_hours=core_hours,
        price_per_core_hour=prices.price_per_core_hour,
        cost=modal_cost(core_hours, mem_gib_hours, prices),
        reserved_core_hours=core_hours,
        mem_gib_hours=mem_gib_hours,
    )


# --- readable units -----------------------------------------------------------------------------


def fmt_duration(seconds: float) -> str:
    """``8 s``, ``3 min 20 s``, ``2 h 05 min``, ``3 d 4 h``: never an exponent."""
    s = max(0.0, seconds)
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    total = round(s)
    if total < 3600:
        m, sec = divmod(total, 60)
        return f"{m} min {sec:02d} s"
    if total < 86400:
        h, rest = divmod(total, 3600)
        return f"{h} h {rest // 60:02d} min"
    d, rest = divmod(total, 86400)
    return f"{d:,} d {rest // 3600} h"


def fmt_core_hours(core_hours: float) -> str:
    """Core time in the unit that reads best: ``12 core-s``, ``2.5 core-min``, ``3.1 core-h``."""
    s = max(0.0, core_hours * 3600)
    if s < 60:
        return f"{s:.1f} core-s" if s < 10 else f"{s:.0f} core-s"
    if s < 3600:
        return f"{s / 60:.1f} core-min"
    h = s / 3600
    return f"{h:.2f} core-h" if h < 10 else f"{h:,.0f} core-h"


def fmt_money(amount: float, currency: str = "USD") -> str:
    """``0.42 USD``; an amount that rounds to zero but is not zero reads ``< 0.01 USD``."""
    if 0 < amount < 0.005:
        return f"< 0.01 {currency}"
    return f"{amount:,.2f} {currency}"


def measured_cpu_s(summaries: Iterable[Mapping[str, object]]) -> float | None:
    """The CPU seconds a run's jobs measured (user + sys, every thread: `cpu_s` of each job's
    summary, which tune and validate report of themselves), summed; None when a job did not
    report it (records from before validate reported its own)."""
    total = 0.0
    for summary in summaries:
        cpu = summary.get("cpu_s")
        if not isinstance(cpu, int | float) or isinstance(cpu, bool) or cpu < 0:
            return None
        total += cpu
    return total


def cpu_ratio(estimated_core_hours: float, cpu_s: float) -> float | None:
    """Measured CPU time over the estimated: the one comparison of a run with its plan's
    estimate (the estimate line of a finished run, and the calibration from earlier runs). The
    estimate counts the CPU time the games take, so it is compared with the CPU time the
    binaries measured, never with the cores a run held: on a loaded machine a job holds its
    cores longer for the same work."""
    return cpu_s / (estimated_core_hours * 3600.0) if estimated_core_hours > 0 else None


def estimate_vs_actual(
    estimate: CostEstimate,
    cpu_s: float | None,
    wall_s: float | None,
    *,
    complete: bool = True,
) -> str:
    """One line comparing a run's estimate with what it measured: CPU time with CPU time
    (`measured_cpu_s`, `cpu_ratio`), wall clock with wall clock. A run that did not play every
    job to its end (interrupted, failed, a job cancelled) used part of what was estimated, so no
    ratio is given for it: it would read as a verdict on the estimate."""
    est = f"estimated {fmt_core_hours(estimate.core_hours)} of CPU time"
    cpu = "" if cpu_s is None else fmt_core_hours(cpu_s / 3600.0)
    if not complete:
        used = f"measured {cpu} before the run stopped short" if cpu else "the run stopped short"
        return f"{est}, {used} (not comparable)"
    if cpu_s is None:
        parts = [est, "not measured by every job (no ratio)"]
    else:
        ratio = cpu_ratio(estimate.core_hours, cpu_s)
        shown = f" ({ratio:.2f}x the estimate)" if ratio is not None else ""
        parts = [est, f"measured {cpu}{shown}"]
    if estimate.wall_s and wall_s:
        parts.append(f"wall clock {fmt_duration(wall_s)} vs {fmt_duration(estimate.wall_s)}")
    return ", ".join(parts)


# --- calibration --------------------------------------------------------------------------------


def calibration_ratios(records: Iterable[dict[str, object]]) -> list[float]:
    """`cpu_ratio` of the local runs among `records` (run record JSON objects) that played
    every job to its end, against the raw model (the stored estimate is already calibrated);
    skipping those without both figures or with an implausible ratio."""
    out: list[float] = []
    lo, hi = CALIBRATION_BOUNDS
    for rec in records:
        if rec.get("state") != "ok" or rec.get("backend") != "local":
            continue
        est, jobs = rec.get("estimate"), rec.get("jobs")
        if not isinstance(est, dict) or not isinstance(jobs, list) or not jobs:
            continue
        results = [j.get("result") if isinstance(j, dict) else None for j in jobs]
        if not all(isinstance(r, dict) and r.get("state") == "ok" for r in results):
            continue
        summaries = [r.get("summary") for r in results if isinstance(r, dict)]
        cpu_s = measured_cpu_s(s if isinstance(s, dict) else {} for s in summaries)
        e = est.get("core_hours")
        if cpu_s is None or not isinstance(e, int | float):
            continue
        factor = est.get("calibration", 1.0)
        raw = e / factor if isinstance(factor, int | float) and factor > 0 else e
        ratio = cpu_ratio(raw, cpu_s)
        if ratio is not None and lo <= ratio <= hi:
            out.append(ratio)
    return out


def calibration_from_records(runs_dir: Path) -> float:
    """The factor the throughput model's estimate is multiplied by on this machine: the median
    `cpu_ratio` of the newest local runs that played every job (1.0 without any)."""
    if not runs_dir.is_dir():
        return 1.0
    files = sorted(runs_dir.glob("*.json"), reverse=True)
    records: list[dict[str, object]] = []
    for f in files:
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            records.append(data)
        if len(calibration_ratios(records)) >= CALIBRATION_RUNS:
            break
    ratios = calibration_ratios(records)
    return statistics.median(ratios) if ratios else 1.0


# --- Modal's price model (the `[modal]` section of training.toml) ------------------------------


def modal_cost(core_hours: float, mem_gib_hours: float, prices: ModalPrices) -> float:
    """What Modal bills for a reservation: physical core-hours and GiB-hours of memory, each at
    its price. Modal bills the greater of reservation and use; jobs use what they reserve."""
    return core_hours * prices.price_per_core_hour + mem_gib_hours * prices.price_per_gib_hour


class ModalPrices(Protocol):
    @property
    def price_per_core_hour(self) -> float: ...

    @property
    def price_per_gib_hour(self) -> float: ...
