import pytest

from core.cost import estimate, estimate_core_hours


def test_cost_is_cores_times_hours_times_price() -> None:
    e = estimate(16, 0.2, 0.025)
    assert e.core_hours == pytest.approx(3.2) and e.cost == pytest.approx(0.08)
    assert "0.0800 USD" in e.describe()


def test_cost_from_summed_core_hours() -> None:
    e = estimate_core_hours(2.0, 0.5)
    assert e.cost == 1.0 and e.core_hours == 2.0
