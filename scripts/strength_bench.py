#!/usr/bin/env python3
"""Targets benchmark of the standard preset's generalist (issue 9), measured with `arena`.

Trains the generalist exactly as `ewtui --run full` would on the standard preset (the command
line comes from core.jobs.TrainJob.argv over data/configs/training.toml), starting from and
evaluated against the reference weights (tests/fixtures/reference_weights/generalist.toml), or
takes an experiment directory with --experiment. Then, with the release `arena` on seeds no
training or `tune` held-out deal uses (see scripts/tune_study.py for the seed argument):

1. greedy with the trained weights against greedy with the reference: target >= 60%;
2. greedy with the trained weights against mcts:50 (reference weights): target >= 33%, and the
   reference itself for comparison (24% when the issue was filed);
3. mcts:100 with the trained weights against mcts:100 with the reference weights (reported);
4. the held-out fitness of summary.json against an independent arena measurement of the same
   file over the same opponent mix: they agree when their 95% intervals overlap.

Every game count is a multiple of 160, so `arena` splits it evenly over the 40 cross-faction
deck pairs, both seats, and both deck assignments. Prints one JSON object and a markdown table.
Run it with the project's virtual environment (it imports core).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from tune_study import ARENA_SEED, REFERENCE, RELEASE, arena, build  # noqa: E402

from core.binaries import Binaries  # noqa: E402
from core.config import load_project_config  # noqa: E402
from core.jobs import TrainJob  # noqa: E402
from core.paths import Workspace  # noqa: E402
from core.plan import RunOptions, build_plan  # noqa: E402

BENCH_SEED = ARENA_SEED + 50_000


def train(work: Path, threads: int) -> Path:
    ws = Workspace(ROOT, experiments_dir=work)
    project = load_project_config(ws.configs_file)
    plan = build_plan(project, RunOptions(preset="standard", single="generalist"), ws)
    cfg = plan.training[0]
    bins = Binaries(tune=RELEASE / "tune", validate=RELEASE / "validate")
    argv = TrainJob(id="bench", cores=threads, config=cfg).argv(bins, ws)
    argv += ["--initial-weights", str(REFERENCE), "--baseline", str(REFERENCE)]
    print("$", " ".join(argv), file=sys.stderr, flush=True)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    dirs = sorted(p for p in work.iterdir() if (p / "summary.json").is_file())
    return dirs[-1]


def ci(r: dict) -> str:
    lo, hi = r["a_score_ci95"]
    return f"{100 * r['a_score']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiment", type=Path, help="measure this run instead of training")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ewtui-strength-bench"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--greedy-games", type=int, default=3200)
    ap.add_argument("--mcts-games", type=int, default=1600)
    ap.add_argument("--mcts100-games", type=int, default=480)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        build()
    if args.experiment is None:
        args.work.mkdir(parents=True, exist_ok=True)
        exp = train(args.work, args.threads)
    else:
        exp = args.experiment
    summary = json.loads((exp / "summary.json").read_text())
    trained = exp / "weights.toml"
    t = args.threads
    s = BENCH_SEED
    vs_ref = arena(f"greedy:{trained}", f"greedy:{REFERENCE}", args.greedy_games, s, t)
    vs_mcts = arena(f"greedy:{trained}", "mcts:50", args.mcts_games, s + 1, t)
    ref_mcts = arena(f"greedy:{REFERENCE}", "mcts:50", args.mcts_games, s + 1, t)
    m100 = arena(f"mcts:100:{trained}", f"mcts:100:{REFERENCE}", args.mcts100_games, s + 2, t)

    # The held-out fitness again, independently: arena games against each opponent of the
    # fitness mix (random, greedy and mcts with the spec defaults = the reference weights),
    # in the proportions of the run's fitness weights.
    held = summary.get("heldout") or {}
    fw = summary["fitness_weights"]
    total = sum(fw.values())
    wins = games = 0.0
    parts = {}
    n_total = held.get("games") or args.greedy_games
    for k, bot in (("random", "random"), ("greedy", f"greedy:{REFERENCE}"), ("mcts", "mcts:50")):
        share = fw[k] / total
        if share == 0:
            continue
        n = max(160, round(share * n_total / 160) * 160)
        r = arena(f"greedy:{trained}", bot, n, s + 3, t)
        parts[k] = r["a_score"]
        wins += share * r["a_score"]
        games += share * n
    if len(parts) == 1:
        arena_fit = (r["a_score"], r["a_score_ci95"])
    else:
        # A weighted mix of proportions: a normal interval over the mix's effective games.
        p = wins
        half = 1.959964 * (p * (1 - p) / games) ** 0.5
        arena_fit = (p, [p - half, p + half])
    hf, hci = held.get("fitness"), held.get("fitness_ci95")
    agree = hci is not None and not (hci[1] < arena_fit[1][0] or arena_fit[1][1] < hci[0])

    result = {
        "experiment": str(exp),
        "cpu_s": summary["cpu_s"],
        "heldout_winner": held.get("winner"),
        "heldout_h2h": held.get("h2h"),
        "vs_reference_greedy": {"score": vs_ref["a_score"], "ci95": vs_ref["a_score_ci95"],
                                "games": vs_ref["games"], "target": 0.60},
        "vs_mcts50": {"score": vs_mcts["a_score"], "ci95": vs_mcts["a_score_ci95"],
                      "games": vs_mcts["games"], "target": 0.33},
        "reference_vs_mcts50": {"score": ref_mcts["a_score"], "ci95": ref_mcts["a_score_ci95"]},
        "mcts100_trained_vs_reference": {"score": m100["a_score"], "ci95": m100["a_score_ci95"],
                                         "games": m100["games"]},
        "heldout_fitness": {"summary": hf, "summary_ci95": hci, "arena": arena_fit[0],
                            "arena_ci95": arena_fit[1], "arena_parts": parts, "agree": agree},
    }  # fmt: skip
    print(json.dumps(result))
    print(
        f"| measure | result | target |\n|---|---|---|\n"
        f"| CPU-seconds (summary.json) | {summary['cpu_s']:.0f} | ≤ 1200 |\n"
        f"| greedy vs reference greedy, {vs_ref['games']} games | {ci(vs_ref)} | ≥ 60% |\n"
        f"| greedy vs mcts:50, {vs_mcts['games']} games | {ci(vs_mcts)} | ≥ 33% |\n"
        f"| reference greedy vs mcts:50, same games | {ci(ref_mcts)} | — |\n"
        f"| mcts:100 trained vs mcts:100 reference, {m100['games']} games | {ci(m100)} | "
        f"reported |\n"
        f"| held-out fitness, summary.json vs arena | {hf} {hci} vs {arena_fit[0]:.3f} "
        f"[{arena_fit[1][0]:.3f}, {arena_fit[1][1]:.3f}] | agree: {agree} |",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
