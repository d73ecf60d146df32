"""`ewtui --help` start-up time (target: under 300 ms)."""

import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.benchmark(group="cli")
def test_bench_help(benchmark) -> None:  # type: ignore[no-untyped-def]
    def help_once() -> int:
        cmd = [sys.executable, "-m", "tui.cli", "--help"]
        return subprocess.run(cmd, capture_output=True, cwd=REPO).returncode

    assert benchmark.pedantic(help_once, rounds=7, iterations=1) == 0
