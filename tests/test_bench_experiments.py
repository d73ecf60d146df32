"""Listing 1,000 experiments (target: under 200 ms)."""

from pathlib import Path

import pytest
from expfixtures import write_train, write_validation

from core.experiments import ExperimentStore
from core.paths import Workspace


@pytest.mark.benchmark(group="experiments")
def test_bench_list_1000_experiments(benchmark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace(tmp_path, tmp_path / "experiments")
    for i in range(950):
        write_train(
            ws.experiments_dir,
            f"2026-01-{1 + i % 28:02d}_{i % 24:02d}{i % 60:02d}_t{i}",
            tag=f"t{i}",
            fitness=i / 1000,
        )
    for i in range(50):
        write_validation(ws.experiments_dir, f"2026-02-01_{i:06d}")
    store = ExperimentStore(ws)
    rows = benchmark(store.list)
    assert len(rows) == 1000
