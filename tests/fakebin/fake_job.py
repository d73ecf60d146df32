"""A test double for the ``tune`` and ``validate`` binaries: the same flags, event lines and
output files, with made-up game results, plus knobs to fail, hang or crash on purpose. Reports
are never made up: the real ``validate merge`` (``$EWTUI_REAL_BIN_DIR``) builds each one from
the made-up counts, and ``validate merge`` itself is the real one.

Knobs (environment): FAKE_FAIL=<substring of the job's argv> makes that job exit 1 with an
error event; FAKE_HANG=<substring> makes it sleep until killed; FAKE_SLOW=<seconds> per step;
FAKE_NOISE=<substring> makes it print terminal escapes and 200,000-character lines first.

Held-out evaluation (``tune``): FAKE_H2H sets the head-to-head score a run reports against its
baseline, either one number for every job or ``SUBSTRING=SCORE,...`` matched against the argv
(first match wins; default 0.6, clearly better; ``none`` for a run without the evaluation).
``tune --evaluate`` reads FAKE_EVAL_H2H the same way (default: FAKE_H2H). The baseline's
sha256 is that of the real file, as the real binary reports it. FAKE_CALL_LOG=<file> gets one
line per call (``tune``, ``tune --evaluate``, ``arena``), so a test can count them.

``arena`` plays no games: each bot has a strength (random 0, greedy 1 plus a little that
depends on its weights file, mcts:N 1 + N/100) and the results are drawn from a seeded generator
with the Bradley-Terry probabilities of those strengths.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from core.paths import FACTIONS

# The faction pairs in canonical order, without importing pydantic: the double starts fast.
PAIRS = [(a, b) for i, a in enumerate(FACTIONS) for b in FACTIONS[i + 1 :]]

DECKS = {
    "argentum": ["a_one", "a_two"],
    "symbiote": ["s_one", "s_two"],
    "obsidion": ["o_one"],
}


def emit(obj: dict) -> None:
    print(json.dumps({"v": 1, "t": time.time(), **obj}), flush=True)


def knobs(argv: str) -> None:
    if os.environ.get("FAKE_NOISE") and os.environ["FAKE_NOISE"] in argv:
        # Terminal escapes and a line longer than any reader's limit, on both streams.
        noise = "10%\r\x1b[2J\x1b]0;pwned\x07\x1b[31mnoisy\x1b[0m line\x07"
        emit({"event": "log", "level": "info", "msg": noise})
        print(noise, file=sys.stderr, flush=True)
        print("x" * 200_000, flush=True)
        print("y" * 200_000, file=sys.stderr, flush=True)
    if os.environ.get("FAKE_HANG") and os.environ["FAKE_HANG"] in argv:
        emit({"event": "log", "level": "info", "msg": "hanging"})
        time.sleep(3600)
    if os.environ.get("FAKE_FAIL") and os.environ["FAKE_FAIL"] in argv:
        print("something broke", file=sys.stderr, flush=True)
        emit({"event": "error", "msg": "fake failure", "kind": "internal"})
        sys.exit(1)


def log_call(argv: list[str]) -> None:
    path = os.environ.get("FAKE_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(" ".join(argv) + "\n")


def knob_score(var: str, argv: str, default: str) -> float | None:
    raw = os.environ.get(var, default)
    for part in raw.split(","):
        key, sep, val = part.rpartition("=")
        if not sep or key in argv:
            return None if val.strip() == "none" else float(val)
    return float(default) if default != "none" else None


def stand_in_interval(p: float, half: float) -> list[float]:
    """A declared interval around ``p`` for the tests to steer by, not a statistic: the real
    intervals are computed by the binaries alone (ew-common's Wilson interval)."""
    return [max(0.0, p - half), min(1.0, p + half)]


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def baseline_file(a: argparse.Namespace) -> Path:
    if a.baseline:
        return Path(a.baseline)
    data = Path(a.data) if a.data else Path("data")
    if a.mode == "specialist":
        return data / "weights" / "specialists" / f"{a.faction}.toml"
    return data / "weights" / "generalist.toml"


def candidate(name: str, score: float, a: argparse.Namespace, train: float | None) -> dict:
    n = a.h2h_games
    wins = round(score * n)
    fit = 0.5 + (score - 0.5) / 2
    return {
        "name": name,
        "train_fitness": train,
        "train_gens": 0 if train is None else a.generations or 0,
        "fitness": fit,
        "fitness_ci95": stand_in_interval(fit, 0.03),
        "win_rates": {"random": 0.95, "greedy": score, "mcts": 0.3},
        "h2h": {
            "games": n,
            "wins": wins,
            "losses": n - wins,
            "draws": 0,
            "score": wins / n,
            "ci95": stand_in_interval(wins / n, 0.025),
        },
    }


def heldout(a: argparse.Namespace, argv: str, train_best: float) -> dict | None:
    score = knob_score("FAKE_H2H", argv, "0.6")
    if score is None or a.h2h_games == 0:
        return None
    base = baseline_file(a)
    best = candidate("mean", score, a, None)
    return {
        "games": a.heldout_games,
        "h2h_games": a.h2h_games,
        "baseline": str(base.resolve()),
        "baseline_sha256": sha256_of(base),
        "winner": "mean",
        **{k: best[k] for k in ("fitness", "fitness_ci95", "win_rates", "h2h")},
        "candidates": [best, candidate("archive-1", score - 0.01, a, train_best)],
        "cpu_s": 0.01,
    }


def evaluate(a: argparse.Namespace, argv: str) -> None:
    var = "FAKE_EVAL_H2H" if "FAKE_EVAL_H2H" in os.environ else "FAKE_H2H"
    score = knob_score(var, argv, "0.6")
    base = baseline_file(a)
    out = candidate("evaluate", 0.5 if score is None else score, a, None)
    out.update(
        games=a.heldout_games,
        h2h_games=a.h2h_games,
        seed=a.seed,
        baseline=str(base.resolve()),
        baseline_sha256=sha256_of(base),
        cpu_s=0.01,
    )
    print(json.dumps(out), flush=True)


def tune(args: list[str]) -> None:
    p = argparse.ArgumentParser()
    for f in ("--mode", "--faction", "--tag", "--experiment-dir", "--data", "--events"):
        p.add_argument(f)
    for f in ("--generations", "--games", "--mcts-sims", "--seed", "--threads", "--population"):
        p.add_argument(f, type=int)
    p.add_argument("--sigma", type=float)
    p.add_argument("--heldout-games", type=int, default=1000)
    p.add_argument("--h2h-games", type=int, default=1600)
    p.add_argument("--archive", type=int)
    p.add_argument("--baseline")
    p.add_argument("--evaluate")
    p.add_argument("--fitness-weights")
    p.add_argument("--json", action="store_true")
    # Flags the real binary grows later must not break the double.
    a, _ = p.parse_known_args(args)
    log_call(["tune", *args])
    knobs(" ".join(args))
    if a.evaluate:
        evaluate(a, " ".join(args))
        return
    from core.weights import WeightSpec

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
            "config": {"mode": a.mode, "experiment_dir": str(d)},
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
        "heldout": heldout(a, " ".join(args), best),
        "seed": a.seed,
        "elapsed_s": 0.2,
        "cpu_s": time.process_time(),
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


def real_validate() -> str:
    """The real ``validate`` binary, which builds every report (the double only makes up game
    results)."""
    return str(Path(os.environ["EWTUI_REAL_BIN_DIR"]) / "validate")


def fake_counts(rng: random.Random, n: int) -> dict[str, int]:
    """Made-up results of 2n games that add up the way real ones do, per seat order."""
    a_first_wins = rng.randint(0, n)
    a_first_draws = rng.randint(0, n - a_first_wins)
    b_first_wins = rng.randint(0, n)
    b_first_draws = rng.randint(0, n - b_first_wins)
    return {
        "games": 2 * n,
        "a_wins": a_first_wins + (n - b_first_wins - b_first_draws),
        "b_wins": b_first_wins + (n - a_first_wins - a_first_draws),
        "draws": a_first_draws + b_first_draws,
        "a_wins_as_first": a_first_wins,
        "b_wins_as_first": b_first_wins,
        "a_games_as_first": n,
        "b_games_as_first": n,
        "a_draws_as_first": a_first_draws,
        "b_draws_as_first": b_first_draws,
        "turns": 20 * n,
    }


def validate(args: list[str]) -> None:
    if args[:1] == ["merge"]:
        os.execv(real_validate(), [real_validate(), *args])
    p = argparse.ArgumentParser()
    for f in ("--bot", "--output", "--matchup", "--weights-dir", "--data", "--events"):
        p.add_argument(f)
    for f in ("--games", "--mcts-sims", "--seed", "--threads"):
        p.add_argument(f, type=int)
    a = p.parse_args(args)
    knobs(" ".join(args))
    pairs = [pr for pr in PAIRS if a.matchup in (None, f"{pr[0]}-{pr[1]}")]
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
    matchups = []
    for fa, fb in pairs:
        for da in DECKS[fa]:
            for db in DECKS[fb]:
                time.sleep(float(os.environ.get("FAKE_SLOW", "0")))
                rng = random.Random(f"{a.seed}{da}{db}")
                counts = fake_counts(rng, a.games)
                matchups.append(
                    {"deck_a": da, "deck_b": db, "faction_a": fa, "faction_b": fb, **counts}
                )
                done += counts["games"]
                emit({"event": "progress", "done": done, "total": total, "unit": "game"})
    config = {
        "games": a.games,
        "seed": a.seed,
        "bot": a.bot,
        "mcts_sims": a.mcts_sims,
        "matchup": a.matchup,
        "weights": {"dir": a.weights_dir},
    }
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The made-up counts go to the real binary as a part; its merge writes the report.
    counts_file = out.with_name(out.name + ".counts")
    counts_file.write_text(
        json.dumps({"version": 1, "config": config, "matchups": matchups, "time_s": 0.05})
    )
    proc = subprocess.run(
        [real_validate(), "merge", str(counts_file), "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    counts_file.unlink()
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr, flush=True)
        emit({"event": "error", "msg": proc.stderr.strip(), "kind": "internal"})
        sys.exit(1)
    report = json.loads(out.read_text())
    for m in report["matchups"]:
        emit({"event": "matchup", **m})
    emit(
        {
            "event": "done",
            "summary": {
                "verdict": report["verdict"],
                "games": report["games"],
                "cpu_s": time.process_time(),
            },
            "outputs": {"results": a.output},
        }
    )


def strength(spec: str, weights: Path | None) -> float:
    kind, _, rest = spec.partition(":")
    if kind == "random":
        return 0.0
    if kind == "mcts":
        return 1.0 + int(rest.split(":")[0]) / 100
    path = Path(rest) if rest else weights
    digest = sha256_of(path) if path else None
    return 1.0 + (int(digest[:4], 16) / 0xFFFF if digest else 0.0)


def arena(args: list[str]) -> None:
    p = argparse.ArgumentParser()
    for f in ("--bot-a", "--bot-b", "--weights", "--data"):
        p.add_argument(f)
    for f in ("--games", "--seed", "--threads"):
        p.add_argument(f, type=int)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(args)
    log_call(["arena", *args])
    knobs(" ".join(args))
    weights = Path(a.weights) if a.weights else Path(a.data) / "weights" / "generalist.toml"
    sa, sb = strength(a.bot_a, weights), strength(a.bot_b, weights)
    p_a = 1 / (1 + math.exp(sb - sa))
    rng = random.Random(f"{a.seed}|{a.bot_a}|{a.bot_b}")
    wins = sum(rng.random() < p_a for _ in range(a.games))
    print(
        json.dumps(
            {
                "bot_a": a.bot_a,
                "bot_b": a.bot_b,
                "seed": a.seed,
                "games": a.games,
                "a_wins": wins,
                "b_wins": a.games - wins,
                "draws": 0,
                "a_score": wins / a.games,
                "a_score_ci95": stand_in_interval(wins / a.games, 0.05),
                "time_s": 0.0,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    # The wrapper scripts named tune, validate and arena pass their name first.
    {"tune": tune, "validate": validate, "arena": arena}[sys.argv[1]](sys.argv[2:])
