"""The smoke-preset full pipeline with the real binaries (target: under 60 s here)."""

import asyncio
from pathlib import Path

import pytest
from conftest import make_workspace

from core.binaries import Binaries
from core.config import load_project_config
from core.local import LocalBackend
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan

pytestmark = pytest.mark.slow


@pytest.mark.benchmark(group="pipeline")
def test_bench_smoke_full_pipeline(benchmark, tmp_path: Path, real_bin_dir: Path) -> None:  # type: ignore[no-untyped-def]
    bins = Binaries(tune=real_bin_dir / "tune", validate=real_bin_dir / "validate")
    runs = iter(range(1000))

    def once() -> str:
        ws = make_workspace(tmp_path / f"ws{next(runs)}")
        plan = build_plan(load_project_config(ws.configs_file), RunOptions(preset="smoke"), ws)
        record = asyncio.run(Pipeline(plan, LocalBackend(ws, bins=bins), ws, lambda e: None).run())
        return record.state

    assert benchmark.pedantic(once, rounds=1, iterations=1) == "ok"
