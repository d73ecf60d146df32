import json
from pathlib import Path

import pytest

from core.config import ModalResources
from core.cost import (
    CostEstimate,
    calibration_from_records,
    cpu_ratio,
    estimate_vs_actual,
    fmt_core_hours,
    fmt_duration,
    fmt_money,
    measured_cpu_s,
    modal_cost,
    usage_cost,
)


def test_what_a_run_used_is_priced_as_modal_bills_it() -> None:
    prices = ModalResources()
    e = usage_cost(3.2, 10.0, prices)
    assert e.core_hours == pytest.approx(3.2) and e.mem_gib_hours == pytest.approx(10.0)
    assert e.cost == pytest.approx(modal_cost(3.2, 10.0, prices))
    assert e.cost == pytest.approx(3.2 * 0.04716 + 10.0 * 0.00799)
    assert e.describe() == (
        "0.23 USD on Modal (3.20 core-h of work; 3.20 core-h and 10.00 GiB-h billed)"
    )


def test_records_costed_at_a_flat_price_still_read() -> None:
    old = CostEstimate(core_hours=3.2, price_per_core_hour=0.025, cost=0.08)
    assert old.describe() == "0.08 USD (3.20 core-h at 0.025 USD/core-hour)"


def test_records_written_with_cores_and_hours_still_load() -> None:
    # Older run records carry `cores` and `hours` (always 0): loading them ignores both.
    old = {"cores": 0.0, "hours": 0.0, "core_hours": 2.0, "price_per_core_hour": 0.5, "cost": 1.0}
    e = CostEstimate.model_validate(old)
    assert e.cost == 1.0 and e.core_hours == 2.0


@pytest.mark.parametrize(
    ("hours", "shown"),
    [
        (2.18e-05, "0.1 core-s"),
        (0.0265, "1.6 core-min"),
        (0.5, "30.0 core-min"),
        (3.2, "3.20 core-h"),
        (2.24e17, "224,000,000,000,000,000 core-h"),
    ],
)
def test_core_hours_read_without_exponents(hours: float, shown: str) -> None:
    assert fmt_core_hours(hours) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(3.25, "3.2 s"), (42, "42 s"), (200, "3 min 20 s"), (7500, "2 h 05 min"), (90000, "1 d 1 h")],
)
def test_durations_read_in_their_unit(seconds: float, shown: str) -> None:
    assert fmt_duration(seconds) == shown


def test_money_never_rounds_a_cost_to_zero() -> None:
    assert fmt_money(0.0) == "0.00 USD"
    assert fmt_money(0.0004, "EUR") == "< 0.01 EUR"
    assert fmt_money(1234.5) == "1,234.50 USD"


def test_estimate_against_actual_compares_cpu_time_and_wall_clock() -> None:
    """CPU time with the CPU time the binaries measured, wall clock with wall clock: the cores
    the jobs held (`cost.core_hours`, 3x the CPU time here, as on a loaded machine) are not in
    the comparison."""
    est = CostEstimate(core_hours=0.04, price_per_core_hour=0.1, cost=0.004, wall_s=60)
    cpu_s = measured_cpu_s([{"cpu_s": 100.0}, {"cpu_s": 50.0, "games": 3}])
    assert cpu_s == 150.0
    line = estimate_vs_actual(est, cpu_s, 90.0)
    assert line == (
        "estimated 2.4 core-min of CPU time, measured 2.5 core-min (1.04x the estimate), "
        "wall clock 1 min 30 s vs 1 min 00 s"
    )
    assert cpu_ratio(0.04, 150.0) == pytest.approx(150.0 / 144.0)


def test_a_job_without_its_cpu_time_gives_no_ratio() -> None:
    """A record from before validate reported its CPU time: nothing to compare with."""
    assert measured_cpu_s([{"cpu_s": 1.0}, {"verdict": "balanced"}]) is None
    assert measured_cpu_s([{"cpu_s": True}]) is None
    est = CostEstimate(core_hours=0.04, price_per_core_hour=0.1, cost=0.004, wall_s=60)
    line = estimate_vs_actual(est, None, 90.0)
    assert line == (
        "estimated 2.4 core-min of CPU time, not measured by every job (no ratio), "
        "wall clock 1 min 30 s vs 1 min 00 s"
    )


def _record(
    path: Path, name: str, state: str, est: float, cpu_s: list[float | None], cal: float = 1.0
) -> None:
    """A run record whose jobs measured `cpu_s` each (None: the job did not say); the cores
    they held are 10x that, which the calibration must not read."""
    jobs = [
        {"result": {"state": "ok", "summary": {} if c is None else {"cpu_s": c}}} for c in cpu_s
    ]
    held = 10 * sum(c or 0 for c in cpu_s) / 3600
    path.joinpath(f"{name}.json").write_text(
        json.dumps(
            {
                "state": state,
                "backend": "local",
                "estimate": {"core_hours": est, "calibration": cal},
                "cost": {"core_hours": held},
                "jobs": jobs,
            }
        )
    )


def test_calibration_is_the_median_cpu_ratio_of_local_runs_played_in_full(
    tmp_path: Path,
) -> None:
    assert calibration_from_records(tmp_path / "missing") == 1.0
    _record(tmp_path, "2026-01-01_000001", "ok", 0.0265, [100.0, 50.48])  # 1.58
    _record(tmp_path, "2026-01-01_000002", "ok", 0.010, [54.0])  # 1.5
    # stored estimates are already calibrated: 0.03 at x1.5 is 0.02 raw, 122.4 CPU-s: 1.7
    _record(tmp_path, "2026-01-01_000003", "ok", 0.03, [122.4], cal=1.5)
    _record(tmp_path, "2026-01-01_000004", "failed", 0.01, [1800.0])  # not finished: ignored
    _record(tmp_path, "2026-01-01_000005", "ok", 0.01, [18000.0])  # implausible: ignored
    _record(tmp_path, "2026-01-01_000006", "ok", 0.01, [36.0, None])  # a job without cpu_s
    tmp_path.joinpath("2026-01-01_000007.json").write_text("{broken")
    assert calibration_from_records(tmp_path) == pytest.approx(150.48 / (0.0265 * 3600))


def test_a_run_that_stopped_short_gets_no_ratio() -> None:
    """An interrupted run used part of its estimate: a ratio would read as the estimate's error."""
    est = CostEstimate(core_hours=1.23, price_per_core_hour=0.1, cost=0.1, wall_s=2000)
    line = estimate_vs_actual(est, 4104.0, 2100.0, complete=False)
    assert line == (
        "estimated 1.23 core-h of CPU time, measured 1.14 core-h before the run stopped short"
        " (not comparable)"
    )
    assert "x the estimate" not in estimate_vs_actual(est, None, 2100.0, complete=False)
