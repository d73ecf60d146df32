#!/usr/bin/env bash
# Measures the speed targets of the jobs on this machine (release build) and prints one JSON
# object. Run from anywhere inside the repository; it writes only under a temporary directory.
#   greedy_games_s_core   validate --bot greedy --games 100 (8000 games), per core of wall time
#   mcts100_games_s_core  validate --bot mcts --mcts-sims 100 --games 1 (80 games), same
#   *_games_per_cpu_s     the same runs per CPU-second actually used (robust on a busy machine)
#   generation_cpu_s      CPU-seconds of each generation of the default generalist config
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p ew-jobs
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cores=$(nproc)
measure() { # name, command...: wall and CPU seconds of one run
  local name=$1; shift
  /usr/bin/env time -f "%e %U %S" -o "$tmp/$name.time" "$@" >/dev/null 2>"$tmp/$name.err"
}
measure greedy "$bin/validate" --bot greedy --games 100 --output "$tmp/g.json"
measure mcts "$bin/validate" --bot mcts --mcts-sims 100 --games 1 --output "$tmp/m.json"
"$bin/tune" --mode generalist --generations "${GENERATIONS:-3}" --games 100 --fitness-weights 0.1,0.4,0.5 --archive 0 --h2h-games 0 --experiment-dir "$tmp/exp" --events jsonl >"$tmp/tune.jsonl" 2>/dev/null
python3 - "$tmp" "$cores" <<'PY'
import json, sys
tmp, cores = sys.argv[1], int(sys.argv[2])
def t(name):
    wall, user, sys_ = map(float, open(f"{tmp}/{name}.time").read().split())
    return wall, user + sys_
gw, gc = t("greedy"); mw, mc = t("mcts")
gens = [json.loads(l) for l in open(f"{tmp}/tune.jsonl") if '"generation"' in l]
gens = [g for g in gens if g.get("event") == "generation"]
print(json.dumps({
    "cores": cores,
    "greedy_games_s_core": round(8000 / (gw * cores)),
    "greedy_games_per_cpu_s": round(8000 / gc),
    "mcts100_games_s_core": round(80 / (mw * cores), 2),
    "mcts100_games_per_cpu_s": round(80 / mc, 2),
    "generation_cpu_s": [round(g["cpu_s"], 2) for g in gens],
    "generation_games": gens[0]["games"] if gens else None,
}))
PY
