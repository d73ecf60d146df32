"""What Modal bills: the price model of training.toml's `[modal]` section, a plan's estimate
(every container's reservation, start and scaledown included, and the image build on first use),
and the threads a container really runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.config import load_project_config
from core.cost import modal_cost
from core.paths import Workspace
from core.plan import RunOptions, build_plan
from remote.costs import PIPELINE_CPU, modal_estimate
from remote.worker import cgroup_cpu_limit, container_threads


def test_prices_come_from_training_toml_with_the_date_they_were_read(ws: Workspace) -> None:
    res = load_project_config(ws.configs_file).modal
    # Modal's published rates per second, per physical core and per GiB.
    assert res.price_per_core_hour == pytest.approx(0.0000131 * 3600, rel=1e-3)
    assert res.price_per_gib_hour == pytest.approx(0.00000222 * 3600, rel=1e-2)
    assert res.prices_read == "2026-11-29"
    assert modal_cost(2.0, 10.0, res) == pytest.approx(
        2 * res.price_per_core_hour + 10 * res.price_per_gib_hour
    )


def test_an_estimate_bills_every_container_from_start_to_scaledown(ws: Workspace) -> None:
    project = load_project_config(ws.configs_file)
    res = project.modal
    plan = build_plan(project, RunOptions(backend="modal", mode="train-only"), ws)
    est = modal_estimate(plan)
    n = len(plan.training)
    assert est.containers == n + 1  # one per config and the orchestrating `pipeline`
    play_core_h = plan.core_hours()
    # Play at the speed of the physical cores, plus each container's start and scaledown.
    overhead_h = (res.container_start_s + res.scaledown_window_s) / 3600
    expected_core_h = play_core_h + n * res.train.cpu * overhead_h
    assert est.core_hours == pytest.approx(
        expected_core_h + PIPELINE_CPU * est.wall_s / 3600, rel=0.01
    )
    assert est.cost == pytest.approx(modal_cost(est.core_hours, est.mem_gib_hours, res))
    # Memory is billed too: the estimate is more than the cores alone.
    assert est.cost > est.core_hours * res.price_per_core_hour
    assert est.first_use_s == res.image_build_s and est.first_use_cost > 0
    line = est.describe()
    assert "2026-11-29" in line and "image" in line and "\n" not in line


def test_a_longer_scaledown_window_costs_more(ws: Workspace) -> None:
    project = load_project_config(ws.configs_file)
    plan = build_plan(project, RunOptions(backend="modal"), ws)
    lazy = plan.model_copy(
        update={"resources": plan.resources.model_copy(update={"scaledown_window_s": 60})}
    )
    assert modal_estimate(lazy).cost > modal_estimate(plan).cost


def test_threads_are_measured_in_the_container(tmp_path: Path) -> None:
    visible = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("max 100000\n")
    assert cgroup_cpu_limit(cpu_max) is None
    assert container_threads(cpu_max)[0] == visible
    cpu_max.write_text("100000 100000\n")  # a quota of one hardware thread
    assert cgroup_cpu_limit(cpu_max) == 1.0
    threads, how = container_threads(cpu_max)
    assert threads == 1 and "cgroup limit 1" in how
    assert container_threads(tmp_path / "missing")[0] == visible
