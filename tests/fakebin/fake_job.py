"""A test double for the ``tune`` and ``validate`` binaries: the same flags, event lines and
output files, with made-up game results, plus knobs to fail, hang or crash on purpose.

Knobs (environment): FAKE_FAIL=<substring of the job's argv> makes that job exit 1 with an
error event; FAKE_HANG=<substring> makes it sleep until killed; FAKE_SLOW=<seconds> per step.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from core.validation import PAIRS, Matchup, recompute
from core.weights import WeightSpec

DECKS = {
    "argentum": ["a_one", "a_two"],
    "symbiote": ["s_one", "s_two"],
    "obsidion": ["o_one"],
}


def emit(obj: dict) -> None:
    print(json.dumps({"v": 1, "t": time.time(), **obj}), flush=True)


def knobs(argv: str) -> None:
    if os.environ.get("FAKE_HANG") and os.environ["FAKE_HANG"] in argv:
        emit({"event": "log", "level": "info", "msg": "hanging"})
        time.sleep(3600)
    if os.environ.get("FAKE_FAIL") and os.environ["FAKE_FAIL"] in argv:
        print("something broke", file=sys.stderr, flush=True)
        emit({"event": "error", "msg": "fake failure", "kind": "internal"})
        sys.exit(1)


def tune(args: list[str]) -> None:
    p = argparse.ArgumentParser()
    for f in ("--mode", "--faction", "--tag", "--experiment-dir", "--data", "--events"):
        p.add_argument(f)
    for f in ("--generations", "--games", "--mcts-sims", "--seed", "--threads", "--population"):
        p.add_argument(f, type=int)
    p.add_argument("--sigma", type=float)
    a = p.parse_args(args)
    knobs(" ".join(args))
    spec = WeightSpec.load(Path(a.data) / "weights" / "spec.json")
    rng = random.Random(a.seed)
    d = Path(a.experiment_dir) / f"2026-01-01_0000_{a.tag}"
    n = 2
    while d.exists():
        d = Path(a.experiment_dir) / f"2026-01-01_0000_{a.tag}_{n}"
        n += 1
    d.mkdir(parents=True)
    emit(
        {
            "event": "start",
            "job": a.tag,
            "kind": "train",
            "total": a.generations,
            "unit": "generation",
            "config": {"mode": a.mode},
        }
    )
    rows = ["gen,evals,games,best_fitness,mean_fitness"]
    best = 0.0
    for g in range(1, a.generations + 1):
        time.sleep(float(os.environ.get("FAKE_SLOW", "0")))
        fit = rng.random()
        best = max(best, fit)
        rows.append(f"{g},{g * 4},{g * 4 * a.games},{fit},{fit / 2}")
        emit(
            {
                "event": "generation",
                "gen": g,
                "generations": a.generations,
                "best_fitness": fit,
                "best_fitness_ever": best,
                "mean_fitness": fit / 2,
                "best_win_rate": 0.5,
                "sigma": 0.2,
                "evals": g * 4,
                "games": g * 4 * a.games,
                "elapsed_s": 0.1,
                "cpu_s": 0.1,
            }
        )
    weights = "\n".join(f"{b.name} = {rng.uniform(b.min, b.max)!r}" for b in spec.bounds)
    if os.environ.get("FAKE_BAD_WEIGHTS") and os.environ["FAKE_BAD_WEIGHTS"] in a.tag:
        weights = weights.replace(f"{spec.bounds[0].name} = ", f"{spec.bounds[0].name} = 1e12 #", 1)
    (d / "weights.toml").write_text(weights + "\n")
    (d / "stats.csv").write_text("\n".join(rows) + "\n")
    summary = {
        "version": 1,
        "mode": a.mode,
        "faction": a.faction,
        "tag": a.tag,
        "generations": a.generations,
        "generations_planned": a.generations,
        "best_fitness": best,
        "win_rates": {"random": 0.9, "greedy": 0.5, "mcts": 0.3},
        "elapsed_s": 0.2,
        "stop_reason": "generations",
        "experiment_dir": str(d),
        "weights": str(d / "weights.toml"),
    }
    (d / "summary.json").write_text(json.dumps(summary))
    emit(
        {
            "event": "done",
            "summary": summary,
            "outputs": {
                "experiment_dir": str(d),
                "weights": str(d / "weights.toml"),
                "summary": str(d / "summary.json"),
            },
        }
    )


def validate(args: list[str]) -> None:
    p = argparse.ArgumentParser()
    for f in ("--bot", "--output", "--matchup", "--weights-dir", "--data", "--events"):
        p.add_argument(f)
    for f in ("--games", "--mcts-sims", "--seed", "--threads"):
        p.add_argument(f, type=int)
    a = p.parse_args(args)
    knobs(" ".join(args))
    pairs = [pr for pr in PAIRS if a.matchup in (None, f"{pr[0]}-{pr[1]}")]
    ms = []
    total = sum(len(DECKS[x]) * len(DECKS[y]) for x, y in pairs) * 2 * a.games
    emit(
        {
            "event": "start",
            "job": "validate",
            "kind": "validate",
            "total": total,
            "unit": "game",
            "config": {},
        }
    )
    done = 0
    for fa, fb in pairs:
        for da in DECKS[fa]:
            for db in DECKS[fb]:
                time.sleep(float(os.environ.get("FAKE_SLOW", "0")))
                rng = random.Random(f"{a.seed}{da}{db}")
                g = 2 * a.games
                aw = rng.randint(0, g)
                bw = rng.randint(0, g - aw)
                dr = g - aw - bw
                af = min(aw, a.games)
                bf = min(bw, a.games)
                m = {
                    "deck_a": da,
                    "deck_b": db,
                    "faction_a": fa,
                    "faction_b": fb,
                    "games": g,
                    "a_wins": aw,
                    "b_wins": bw,
                    "draws": dr,
                    "a_wins_as_first": af,
                    "b_wins_as_first": bf,
                    "a_games_as_first": a.games,
                    "b_games_as_first": a.games,
                    "first_seat_wins": af + bf,
                    "turns": 10 * g,
                    "avg_turns": 10.0,
                    "a_win_rate": (aw + 0.5 * dr) / g,
                    "a_win_rate_ci95": [0.0, 1.0],
                    "time_s": 0.01,
                }
                ms.append(Matchup.model_validate(m))
                done += g
                emit({"event": "matchup", **m})
                emit({"event": "progress", "done": done, "total": total, "unit": "game"})
    config = {
        "games": a.games,
        "seed": a.seed,
        "bot": a.bot,
        "mcts_sims": a.mcts_sims,
        "matchup": a.matchup,
        "weights": {"dir": a.weights_dir},
    }
    from core.validation import DEFAULT_THRESHOLDS

    report = recompute(config, ms, DEFAULT_THRESHOLDS, 0.05)
    Path(a.output).parent.mkdir(parents=True, exist_ok=True)
    Path(a.output).write_text(report.to_json())
    emit(
        {
            "event": "done",
            "summary": {"verdict": report.verdict, "games": report.games},
            "outputs": {"results": a.output},
        }
    )


if __name__ == "__main__":
    # The wrapper scripts named tune and validate pass their name first.
    (tune if sys.argv[1] == "tune" else validate)(sys.argv[2:])
