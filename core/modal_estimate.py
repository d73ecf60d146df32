"""What a plan costs on Modal, before it runs: every container's reservation, priced with the
`[modal]` section of training.toml (`core.cost.modal_cost`). The one Modal price model: the
launch screen, the headless summary, the run record (`Plan.cost_estimate`) and `remote` all use
it.

A container is billed from its start until its scaledown window ends, for all the cores and
memory it reserves. A job's play time comes from the throughput figures of training.toml
(core-seconds of a game on one hardware thread). The estimate assumes a container plays at the
speed of its physical cores alone (the second hyperthread of each core is counted as adding
nothing), so it is an upper bound for the play time; the jobs do run a thread per hyperthread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.config import ModalResources
from core.cost import modal_cost

PIPELINE_CPU = 0.25
"""Physical cores of the `pipeline` function's container (it only waits and relays)."""
PIPELINE_MEMORY_GIB = 0.5


@dataclass(frozen=True)
class ModalEstimate:
    containers: int
    core_hours: float
    """Physical core-hours reserved."""
    mem_gib_hours: float
    cost: float
    wall_s: float
    """Start to end of the run (phases one after the other, the jobs of a phase side by side)."""
    first_use_cost: float
    """Added by the image build when the image is not cached yet (an upper bound)."""
    first_use_s: float
    prices_read: str

    def describe(self, currency: str = "USD") -> str:
        return (
            f"Modal: {self.cost:.3f} {currency} for {self.containers} containers "
            f"({self.core_hours:.2f} core-h and {self.mem_gib_hours:.2f} GiB-h reserved, "
            f"about {self.wall_s / 60:.0f} min; prices read {self.prices_read}); the first run "
            f"also builds the image: up to +{self.first_use_cost:.3f} {currency}, "
            f"+{self.first_use_s / 60:.0f} min"
        )


def modal_estimate(
    res: ModalResources,
    train_core_hours: Sequence[float],
    validate_core_hours: float,
    validate_jobs: int,
) -> ModalEstimate:
    """The bill of a run of one container per training job (`train_core_hours`, one entry each)
    and `validate_jobs` validation containers sharing `validate_core_hours`; `Plan.modal_estimate`
    gives these figures for a plan."""
    extra_s = res.container_start_s + res.scaledown_window_s
    containers = 0
    core_h = mem_h = 0.0
    phases_s: list[float] = []

    def reserve(cpu: float, mem_gib: float, play_s: float) -> None:
        nonlocal containers, core_h, mem_h
        containers += 1
        hours = (play_s + extra_s) / 3600.0
        core_h += cpu * hours
        mem_h += mem_gib * hours

    train_walls: list[float] = []
    for hours in train_core_hours:
        play_s = hours * 3600.0 / res.train.cpu
        reserve(res.train.cpu, res.train.memory_gib, play_s)
        train_walls.append(play_s + res.container_start_s)
    if train_walls:
        phases_s.append(max(train_walls))
    if validate_jobs:
        per_job_s = validate_core_hours * 3600.0 / validate_jobs / res.validation.cpu
        for _ in range(validate_jobs):
            reserve(res.validation.cpu, res.validation.memory_gib, per_job_s)
        reserve(res.validation.cpu, res.validation.memory_gib, 0.0)  # the merge
        phases_s.append(per_job_s + 2 * res.container_start_s)
    wall_s = sum(phases_s) + res.container_start_s
    reserve(PIPELINE_CPU, PIPELINE_MEMORY_GIB, wall_s)
    cost = modal_cost(core_h, mem_h, res)
    # Upper bound: the build billed as a training container for its whole length.
    build_h = res.image_build_s / 3600.0
    first = modal_cost(res.train.cpu * build_h, res.train.memory_gib * build_h, res)
    return ModalEstimate(
        containers=containers,
        core_hours=core_h,
        mem_gib_hours=mem_h,
        cost=cost,
        wall_s=wall_s,
        first_use_cost=first,
        first_use_s=res.image_build_s,
        prices_read=res.prices_read,
    )
