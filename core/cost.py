"""Cost estimates: core-hours x a per-core-hour price (a setting in training.toml). Core-hours
are summed over jobs of different sizes (a plan's estimate, a run's measured use), so an
estimate carries the total only."""

from __future__ import annotations

from typing import Protocol

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


# --- Modal's price model (the `[modal]` section of training.toml) ------------------------------


def modal_cost(core_hours: float, mem_gib_hours: float, prices: ModalPrices) -> float:
    """What Modal bills for a reservation: physical core-hours and GiB-hours of memory, each at
    its price. Modal bills the greater of reservation and use; jobs use what they reserve."""
    return core_hours * prices.price_per_core_hour + mem_gib_hours * prices.price_per_gib_hour


class ModalPrices(Protocol):
    @property
    def price_per_core_hour(self) -> float: ...

    @property
    def price_per_gib_hour(self) -> float: ...
