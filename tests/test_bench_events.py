"""Event parsing throughput (target: 50,000 lines per second or more)."""

import json

import pytest

from core.events import parse_event_line

LINES = (
    [
        json.dumps(
            {
                "v": 1,
                "event": "generation",
                "t": 1.0,
                "gen": g,
                "generations": 100,
                "best_fitness": 0.5,
                "best_fitness_ever": 0.6,
                "mean_fitness": 0.4,
                "best_win_rate": 0.55,
                "win_rates": {"random": 0.9, "greedy": 0.5, "mcts": 0.3},
                "sigma": 0.2,
                "evals": 13 * g,
                "games": 1300 * g,
                "elapsed_s": 1.0,
                "cpu_s": 2.0,
            }
        )
        for g in range(1, 101)
    ]
    + [
        json.dumps(
            {"v": 1, "event": "progress", "t": 1.0, "done": i, "total": 8000, "unit": "game"}
        )
        for i in range(800)
    ]
    + [
        json.dumps({"v": 1, "event": "log", "t": 1.0, "level": "info", "msg": f"line {i}"})
        for i in range(100)
    ]
)


@pytest.mark.benchmark(group="events")
def test_bench_parse_event_lines(benchmark) -> None:  # type: ignore[no-untyped-def]
    def parse_all() -> int:
        return sum(1 for ln in LINES if parse_event_line(ln) is not None)

    assert benchmark(parse_all) == len(LINES)
