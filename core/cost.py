"""Cost estimates: cores x hours x a per-core-hour price (a setting in training.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CostEstimate(BaseModel):
    model_config = ConfigDict(defer_build=True)

    cores: float
    hours: float
    core_hours: float
    price_per_core_hour: float
    cost: float

    def describe(self, currency: str = "USD") -> str:
        return (
            f"{self.cost:.4f} {currency} ({self.core_hours:.4f} core-hours "
            f"at {self.price_per_core_hour:g} {currency}/core-hour)"
        )


def estimate(cores: float, hours: float, price_per_core_hour: float) -> CostEstimate:
    core_hours = cores * hours
    return CostEstimate(
        cores=cores,
        hours=hours,
        core_hours=core_hours,
        price_per_core_hour=price_per_core_hour,
        cost=core_hours * price_per_core_hour,
    )


def estimate_core_hours(core_hours: float, price_per_core_hour: float) -> CostEstimate:
    """The estimate when only the total is known (core-hours summed over jobs of different
    sizes); ``cores`` and ``hours`` are then 0."""
    return CostEstimate(
        cores=0.0,
        hours=0.0,
        core_hours=core_hours,
        price_per_core_hour=price_per_core_hour,
        cost=core_hours * price_per_core_hour,
    )
