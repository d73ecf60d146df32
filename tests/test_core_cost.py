import pytest

from core.cost import CostEstimate, estimate_core_hours


def test_cost_is_core_hours_times_price() -> None:
    e = estimate_core_hours(3.2, 0.025)
    assert e.core_hours == pytest.approx(3.2) and e.cost == pytest.approx(0.08)
    assert "0.0800 USD" in e.describe()


def test_records_written_with_cores_and_hours_still_load() -> None:
    # Older run records carry `cores` and `hours` (always 0): loading them ignores both.
    old = {"cores": 0.0, "hours": 0.0, "core_hours": 2.0, "price_per_core_hour": 0.5, "cost": 1.0}
    e = CostEstimate.model_validate(old)
    assert e.cost == 1.0 and e.core_hours == 2.0
