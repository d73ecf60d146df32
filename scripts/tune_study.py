#!/usr/bin/env python3
"""Noise-aware tuning study: which `tune` strategy buys the most held-out strength per CPU-second.

Each strategy trains the generalist once per seed with the release `tune`, then every weights file
it returns is measured with the release `arena` on seeds no training run uses:

- head to head, greedy against greedy with the reference weights
  (tests/fixtures/reference_weights/generalist.toml);
- greedy with the file against `mcts:50` with the reference weights.

`arena` splits its games over the 40 cross-faction deck pairs, 4 games per pair (each bot in each
seat, and the two decks traded), so game counts that are multiples of 160 split exactly evenly.
Its game seeds are `derive(S, i)` (ew_common::seed) for arena seeds S from `ARENA_SEED` upward;
training's are `derive(derive(seed, generation), i)` and tune's held-out games'
`derive(derive(seed, tag), i)`, so the measurement shares no deal with training.

CPU-seconds are the `cpu_s` of each run's summary.json (training plus its held-out evaluation).
Prints a markdown table and writes it to --out. Stdlib only. See "Choosing the defaults" in
docs/tune.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUST = ROOT / "rust"
RELEASE = RUST / "target" / "release"
REFERENCE = ROOT / "tests" / "fixtures" / "reference_weights" / "generalist.toml"
ARENA_SEED = 900_001


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    flags: tuple[str, ...]


STRATEGIES = [
    Strategy(
        "mix",
        "the former default mix 0.1,0.4,0.5 (random, greedy, mcts:50), 100 games, 12 generations",
        ("--fitness-weights", "0.1,0.4,0.5", "--games", "100", "--mcts-sims", "50",
         "--generations", "12"),
    ),
    Strategy(
        "greedy",
        "greedy-only fitness 0,1,0, 2,000 games, 60 generations (MCTS only in the measurement)",
        ("--fitness-weights", "0,1,0", "--games", "2000", "--generations", "60"),
    ),
    Strategy(
        "greedy-grow",
        "greedy-only fitness, games 500 growing to 8,000 as sigma shrinks, 60 generations",
        ("--fitness-weights", "0,1,0", "--games", "500", "--games-max", "8000",
         "--generations", "60"),
    ),
]  # fmt: skip

# What a run returns: the held-out winner (weights.toml), the distribution mean, and the best
# sample by its single in-training evaluation (the former weights.toml).
RETURNED = {
    "winner": "weights.toml",
    "mean": "finalists/mean.toml",
    "best sample": "finalists/best-in-training.toml",
}


def build() -> None:
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "tune", "--bin", "arena"],
        cwd=RUST,
        check=True,
    )


def train(strategy: Strategy, seed: int, root: Path, threads: int) -> Path:
    exp = root / f"{strategy.name}-s{seed}"
    if exp.is_dir() and any(p.joinpath("summary.json").is_file() for p in exp.iterdir()):
        return next(p for p in exp.iterdir() if p.joinpath("summary.json").is_file())
    cmd = [
        str(RELEASE / "tune"), "--mode", "generalist", "--seed", str(seed),
        "--baseline", str(REFERENCE), "--initial-weights", str(REFERENCE),
        "--data", str(ROOT / "data"), "--experiment-dir", str(exp), "--threads", str(threads),
        "--tag", strategy.name, *strategy.flags,
    ]  # fmt: skip
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (run_dir,) = [p for p in exp.iterdir() if p.is_dir()]
    return run_dir


def arena(bot_a: str, bot_b: str, games: int, seed: int, threads: int) -> dict:
    cmd = [
        str(RELEASE / "arena"), "--bot-a", bot_a, "--bot-b", bot_b, "--games", str(games),
        "--seed", str(seed), "--weights", str(REFERENCE), "--data", str(ROOT / "data"),
        "--threads", str(threads), "--json",
    ]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def pct(report: dict) -> str:
    lo, hi = report["a_score_ci95"]
    return f"{100 * report['a_score']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="42", help="comma-separated training seeds")
    ap.add_argument("--strategies", default=",".join(s.name for s in STRATEGIES))
    ap.add_argument("--greedy-games", type=int, default=3200, help="arena games vs reference")
    ap.add_argument("--mcts-games", type=int, default=1600, help="arena games vs mcts:50")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ewtui-tune-study"))
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    for n in (args.greedy_games, args.mcts_games):
        if n <= 0 or n % 160:
            ap.error("arena game counts must be positive multiples of 160")
    if not args.no_build:
        build()
    chosen = [s for s in STRATEGIES if s.name in args.strategies.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)

    header = (
        "| strategy | seed | returned | CPU-s | in-training best | held-out h2h (tune) "
        "| vs reference (arena) | vs mcts:50 (arena) | points vs reference per CPU-min |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    rows: list[str] = []
    mseed = ARENA_SEED
    ref_mcts = arena(f"greedy:{REFERENCE}", "mcts:50", args.mcts_games, mseed, args.threads)
    rows.append(f"| reference | — | — | — | — | — | 50 (itself) | {pct(ref_mcts)} | — |")
    for s in chosen:
        for seed in seeds:
            t0 = time.time()
            run_dir = train(s, seed, args.work, args.threads)
            summary = json.loads((run_dir / "summary.json").read_text())
            cpu = summary["cpu_s"]
            held = summary.get("heldout") or {}
            for label, rel in RETURNED.items():
                f = run_dir / rel
                mseed += 1
                vs_ref = arena(f"greedy:{f}", f"greedy:{REFERENCE}", args.greedy_games, mseed,
                               args.threads)  # fmt: skip
                vs_mcts = arena(f"greedy:{f}", "mcts:50", args.mcts_games, mseed, args.threads)
                h2h = ""
                if label == "winner" and held:
                    h = held["h2h"]
                    h2h = (
                        f"{held['winner']}: {100 * h['score']:.1f} "
                        f"[{100 * h['ci95'][0]:.1f}, {100 * h['ci95'][1]:.1f}]"
                    )
                gain = 100 * (vs_ref["a_score"] - 0.5) / (cpu / 60)
                rows.append(
                    f"| {s.name} | {seed} | {label} | {cpu:.0f} | "
                    f"{summary['best_fitness']:.3f} | {h2h} | {pct(vs_ref)} | {pct(vs_mcts)} | "
                    f"{gain:+.2f} |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
            print(f"  ({s.name} seed {seed}: {time.time() - t0:.0f} s wall)", file=sys.stderr)
    legend = "\n".join(f"- `{s.name}`: {s.description}" for s in chosen)
    table = header + "\n".join(rows) + "\n\n" + legend + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
