"""The held-out evaluation a training run ends with (``summary.json`` field ``heldout``, the
``heldout`` event, ``tune --evaluate``), and the labels every screen uses for fitness numbers.

Two kinds of fitness exist and must never be confused: the *in-training* values (``best_fitness``
and the ``generation`` events: noisy, and the best of many noisy draws is biased upward) and the
*held-out* estimates (games on deals no training generation used, with 95% intervals). The
helpers below name each for what it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class HeadToHead(BaseModel):
    """Greedy with the candidate weights against greedy with the baseline, both seats equally."""

    model_config = ConfigDict(extra="ignore")

    games: int
    wins: int = 0
    losses: int = 0
    draws: int = 0
    score: float
    ci95: tuple[float, float]

    @property
    def points(self) -> tuple[float, float, float]:
        """Score minus 50%, in percentage points, with its interval."""
        return (
            100.0 * (self.score - 0.5),
            100.0 * (self.ci95[0] - 0.5),
            100.0 * (self.ci95[1] - 0.5),
        )

    @property
    def significant(self) -> bool:
        """The 95% lower bound of the score is above 50%: the gate's test."""
        return self.ci95[0] > 0.5


class HeldOut(BaseModel):
    """``summary.json``'s ``heldout`` object, or the object ``tune --evaluate`` prints (the
    same fields for one candidate)."""

    model_config = ConfigDict(extra="ignore")

    games: int = 0
    h2h_games: int = 0
    baseline: str | None = None
    baseline_sha256: str | None = None
    winner: str | None = None
    name: str | None = None
    fitness: float | None = None
    fitness_ci95: tuple[float, float] | None = None
    win_rates: dict[str, float | None] = {}
    h2h: HeadToHead | None = None
    cpu_s: float | None = None


def parse_heldout(summary: dict[str, Any] | None) -> HeldOut | None:
    """The held-out evaluation of a run summary; None when the run has none (or an unreadable
    one: a summary from before the evaluation existed, or a skipped one)."""
    raw = (summary or {}).get("heldout")
    if not isinstance(raw, dict):
        return None
    try:
        return HeldOut.model_validate(raw)
    except ValidationError:
        return None


# --- labels --------------------------------------------------------------------------------------


def fmt_points(h2h: HeadToHead, against: str = "deployed") -> str:
    """``+9.8 points vs deployed [7.6, 11.9]``: the head-to-head score above 50%."""
    p, lo, hi = h2h.points
    return f"{p:+.1f} points vs {against} [{lo:.1f}, {hi:.1f}]"


def fmt_heldout_fitness(h: HeldOut) -> str:
    """``held-out fitness 0.610 [0.580, 0.640]``, or a dash when the run skipped it."""
    if h.fitness is None:
        return "held-out fitness -"
    ci = f" [{h.fitness_ci95[0]:.3f}, {h.fitness_ci95[1]:.3f}]" if h.fitness_ci95 else ""
    return f"held-out fitness {h.fitness:.3f}{ci}"


def fmt_train_fitness(value: Any) -> str:
    """``in-training best 0.685 (noisy)``: the best of many noisy evaluations."""
    if not isinstance(value, int | float):
        return "in-training best -"
    return f"in-training best {value:.3f} (noisy)"


def headline(summary: dict[str, Any] | None) -> str:
    """The one line a finished training job is summed up by: the held-out head-to-head when
    there is one, else the in-training value, labelled as such."""
    h = parse_heldout(summary)
    if h is not None and h.h2h is not None:
        return fmt_points(h.h2h)
    return f"no held-out evaluation; {fmt_train_fitness((summary or {}).get('best_fitness'))}"


def listing_headline(h2h_score: float | None, h2h_ci95: Any, best_fitness: float | None) -> str:
    """:func:`headline` from an experiment listing's flat fields (``core.experiments``)."""
    if h2h_score is not None and isinstance(h2h_ci95, list | tuple) and len(h2h_ci95) == 2:
        h2h = HeadToHead(games=0, score=h2h_score, ci95=(h2h_ci95[0], h2h_ci95[1]))
        return fmt_points(h2h, "baseline")
    return f"no held-out evaluation; {fmt_train_fitness(best_fitness)}"


def evaluation_lines(
    summary: dict[str, Any],
    current_sha256: str | None,
    *,
    compare: bool = True,
    shown: Callable[[str], str] = str,
) -> list[str]:
    """An experiment's evaluation as lines: the held-out head-to-head and fitness with their
    intervals, the baseline as ``shown`` prints a path (with ``compare``: is it the file
    deployed now?), then the in-training value."""
    train = fmt_train_fitness(summary.get("best_fitness"))
    h = parse_heldout(summary)
    if h is None:
        return ["no held-out evaluation in this experiment", train]
    out = []
    if h.h2h is not None:
        out.append(f"head-to-head: {fmt_points(h.h2h, 'baseline')} over {h.h2h.games:,} games")
    out.append(f"{fmt_heldout_fitness(h)} over {h.games:,} games")
    same = (
        "the file deployed now"
        if h.baseline_sha256 == current_sha256
        else ("not the file deployed now")
    )
    out.append(
        f"baseline: {shown(h.baseline) if h.baseline else '-'}" + (f" ({same})" if compare else "")
    )
    return [*out, train]


def short_result(
    h2h_score: float | None, h2h_ci95: tuple[float, float] | None, best_fitness: float | None
) -> str:
    """A table cell: ``h2h +9.8 [7.6, 11.9]`` (held-out, points vs the baseline), else
    ``0.685 in-training``."""
    if h2h_score is not None and h2h_ci95 is not None:
        h = HeadToHead(games=0, score=h2h_score, ci95=h2h_ci95)
        p, lo, hi = h.points
        return f"h2h {p:+.1f} [{lo:.1f}, {hi:.1f}]"
    if best_fitness is None:
        return "-"
    return f"{best_fitness:.3f} in-training"
