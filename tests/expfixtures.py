"""Experiment directories as ``tune`` and ``validate`` write them, for listing tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from reportfix import write_report


def write_train(
    root: Path,
    name: str,
    *,
    tag: str,
    mode: str = "generalist",
    faction: str | None = None,
    fitness: float = 0.5,
    gens: int = 3,
    complete: bool = True,
    heldout: dict[str, Any] | None = None,
) -> Path:
    d = root / name
    d.mkdir(parents=True)
    rows = ["gen,evals,games,best_fitness,mean_fitness,win_rate_mcts"]
    rows += [
        f"{g},{13 * g},{1300 * g},{fitness * g / gens},{fitness / 2}," for g in range(1, gens + 1)
    ]
    (d / "stats.csv").write_text("\n".join(rows) + "\n")
    (d / "weights.toml").write_text("")
    (d / "config.toml").write_text(
        f'mode = "{mode}"\ntag = "{tag}"\ngenerations = {gens}\n'
        + (f'faction = "{faction}"\n' if faction else "")
    )
    if complete:
        (d / "summary.json").write_text(
            json.dumps(
                {
                    "version": 1,
                    "mode": mode,
                    "faction": faction,
                    "tag": tag,
                    "generations": gens,
                    "generations_planned": gens,
                    "best_fitness": fitness,
                    "stop_reason": "generations",
                    "win_rates": {"random": 0.9, "greedy": 0.6, "mcts": None},
                    "elapsed_s": 12.5,
                    "heldout": heldout,
                }
            )
        )
    return d


def write_validation(root: Path, run_id: str) -> Path:
    m = {
        "deck_a": "ax",
        "deck_b": "sx",
        "faction_a": "argentum",
        "faction_b": "symbiote",
        "games": 20,
        "a_wins": 12,
        "b_wins": 8,
        "draws": 0,
        "a_wins_as_first": 7,
        "b_wins_as_first": 5,
        "a_games_as_first": 10,
        "b_games_as_first": 10,
        "a_draws_as_first": 0,
        "b_draws_as_first": 0,
        "turns": 200,
    }
    return write_report(root / "validation" / run_id, {"games": 10, "matchup": None}, [m], 1.0)


def stand_in_interval(p: float, half: float) -> list[float]:
    """A declared interval around ``p`` for fixtures, not a statistic: the real intervals are
    computed by the binaries alone (ew-common's Wilson interval)."""
    return [p - half, p + half]


def heldout(baseline: Path, score: float, games: int = 1600) -> dict[str, Any]:
    """A ``heldout`` object as ``tune`` writes it, against the file ``baseline`` as it is now."""
    wins = round(score * games)
    return {
        "games": 400,
        "h2h_games": games,
        "baseline": str(baseline),
        "baseline_sha256": hashlib.sha256(baseline.read_bytes()).hexdigest(),
        "winner": "mean",
        "fitness": 0.55,
        "fitness_ci95": stand_in_interval(0.55, 0.049),
        "win_rates": {"random": 0.95, "greedy": score, "mcts": 0.3},
        "h2h": {
            "games": games,
            "wins": wins,
            "losses": games - wins,
            "draws": 0,
            "score": wins / games,
            "ci95": stand_in_interval(wins / games, 0.025),
        },
        "candidates": [],
        "cpu_s": 1.0,
    }
