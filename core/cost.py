"""Cost estimates: core-hours x a per-core-hour price (a setting in training.toml). Core-hours
are summed over jobs of different sizes (a plan's estimate, a run's measured use), so an
estimate carries the total only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CostEstimate(BaseModel):
    model_config = ConfigDict(defer_build=True)

    core_hours: float
    price_per_core_hour: float
    cost: float

    def describe(self, currency: str = "USD") -> str:
        return (
            f"{self.cost:.4f} {currency} ({self.core_hours:.4f} core-hours "
            f"at {self.price_per_core_hour:g} {currency}/core-hour)"
        )


def estimate_core_hours(core_hours: float, price_per_core_hour: float) -> CostEstimate:
    return CostEstimate(
        core_hours=core_hours,
        price_per_core_hour=price_per_core_hour,
        cost=core_hours * price_per_core_hour,
    )
