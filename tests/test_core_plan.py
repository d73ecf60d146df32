import json
import os
import subprocess
from pathlib import Path

import pytest

from core.config import load_project_config
from core.errors import ConfigError, UsageError
from core.paths import Workspace
from core.plan import RunOptions, build_plan, modal_estimate


def project(ws: Workspace):  # type: ignore[no-untyped-def]
    return load_project_config(ws.configs_file)


def test_full_plan_trains_every_config_and_validates_per_pair(ws: Workspace) -> None:
    plan = build_plan(project(ws), RunOptions(mode="full", preset="smoke", cores=2), ws)
    train = plan.train_jobs()
    assert [j.id for j in train] == [
        "train-generalist",
        "train-argentum",
        "train-symbiote",
        "train-obsidion",
    ]
    assert all(j.config.generations == 2 and j.config.games == 6 for j in train)
    assert all(j.cores == 1 for j in train)  # 4 jobs share 2 cores
    val = plan.validate_jobs()
    assert [j.matchup for j in val] == [
        "argentum-symbiote",
        "argentum-obsidion",
        "symbiote-obsidion",
    ]
    assert all(j.games == 1 and j.bot == "greedy" for j in val)


def test_flags_override_preset_and_defaults(ws: Workspace) -> None:
    opts = RunOptions(
        mode="validate-only", validation_games=250, sequential=True, validation_timeout=60, cores=2
    )
    plan = build_plan(project(ws), opts, ws)
    assert plan.train_jobs() == []
    (job,) = plan.validate_jobs()
    assert job.matchup is None and job.games == 250 and job.cores == 2
    assert plan.validation.timeout_s == 60 and plan.validation.bot == "mcts"
    assert plan.total_games() == plan.matchups * 2 * 250


def test_single_and_unknown_single(ws: Workspace) -> None:
    plan = build_plan(project(ws), RunOptions(mode="train-only", single="obsidion"), ws)
    (job,) = plan.train_jobs()
    assert job.config.faction == "obsidion" and plan.validate_jobs() == []
    with pytest.raises(ConfigError, match="no config named `nope`"):
        build_plan(project(ws), RunOptions(single="nope"), ws)
    with pytest.raises(ConfigError, match="no preset named `huge`"):
        build_plan(project(ws), RunOptions(preset="huge"), ws)


def test_modal_jobs_get_container_sizes_and_cost_grows_with_size(ws: Workspace) -> None:
    p = project(ws)
    modal = build_plan(p, RunOptions(backend="modal"), ws)
    assert {j.cores for j in modal.train_jobs()} == {16}
    assert {j.cores for j in modal.validate_jobs()} == {32}
    smoke = build_plan(p, RunOptions(preset="smoke"), ws)
    assert 0 < smoke.core_hours() < modal.core_hours()
    # The cost is Modal's bill for the run's containers (core.modal_estimate), on either backend.
    assert modal.cost_estimate().cost == pytest.approx(modal_estimate(modal).cost)
    local = build_plan(p, RunOptions(backend="local"), ws, calibration=1.0)
    assert local.cost_estimate().cost == pytest.approx(modal.cost_estimate().cost)


def test_configs_option_selects_by_name_whatever_enabled_says(ws: Workspace) -> None:
    text = ws.configs_file.read_text().replace(
        'mode = "specialist"', 'mode = "specialist"\nenabled = false'
    )
    ws.configs_file.write_text(text)
    opts = RunOptions(mode="train-only", preset="smoke", configs=["obsidion", "generalist"])
    plan = build_plan(project(ws), opts, ws)
    assert [j.id for j in plan.train_jobs()] == ["train-obsidion", "train-generalist"]


def test_configs_option_refuses_unknown_names_empty_lists_and_single(ws: Workspace) -> None:
    with pytest.raises(ConfigError, match="no config named `nope`"):
        build_plan(project(ws), RunOptions(configs=["generalist", "nope"]), ws)
    with pytest.raises(UsageError, match="no config is selected"):
        build_plan(project(ws), RunOptions(configs=[]), ws)
    with pytest.raises(UsageError, match="choose one"):
        build_plan(project(ws), RunOptions(single="generalist", configs=["argentum"]), ws)
    # Validation alone needs no training config.
    plan = build_plan(project(ws), RunOptions(mode="validate-only", configs=[]), ws)
    assert plan.training == [] and len(plan.validate_jobs()) == 3


def test_wall_clock_shares_the_cores_locally_and_takes_the_longest_job_on_modal(
    ws: Workspace,
) -> None:
    p = project(ws)
    one = build_plan(p, RunOptions(mode="train-only", cores=1), ws, calibration=1.0)
    two = build_plan(p, RunOptions(mode="train-only", cores=2), ws, calibration=1.0)
    # Four equal configs: each job's core time over the cores the budget gives it (the budget
    # is capped at this machine's cores, at least 2 here).
    assert one.wall_clock_s() == pytest.approx(one.core_hours() * 3600)
    assert two.wall_clock_s() == pytest.approx(one.wall_clock_s() / 2)
    modal = build_plan(p, RunOptions(mode="train-only", backend="modal"), ws)
    per_job = modal.core_hours() * 3600 / len(modal.train_jobs()) / 16
    assert modal.wall_clock_s() == pytest.approx(per_job)
    assert modal.cost_estimate().wall_s == pytest.approx(per_job)


def test_calibration_scales_the_estimate_but_not_on_modal(ws: Workspace) -> None:
    p = project(ws)
    plain = build_plan(p, RunOptions(), ws, calibration=1.0)
    slow = build_plan(p, RunOptions(), ws, calibration=1.5)
    assert slow.core_hours() == pytest.approx(1.5 * plain.core_hours())
    assert slow.cost_estimate().calibration == 1.5
    modal = build_plan(p, RunOptions(backend="modal"), ws, calibration=1.5)
    assert modal.calibration == 1.0


def test_absurd_sizes_are_refused_with_their_limit(ws: Workspace) -> None:
    with pytest.raises(UsageError, match=r"the limit is 10,000 core-hours"):
        build_plan(project(ws), RunOptions(validation_games=10**20), ws)


def test_tune_defaults_match_the_binary(real_bin_dir: Path) -> None:
    """The estimate's defaults are tune's own: core/tune_defaults.py is generated from
    `tune --print-defaults`, and this fails when the binary's constants move without it
    (`UPDATE_TUNE_DEFAULTS=1` rewrites the file)."""
    import core.tune_defaults
    from core.tune_defaults import TUNE_DEFAULTS

    out = subprocess.run(
        [str(real_bin_dir / "tune"), "--print-defaults"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    binary = json.loads(out.strip().splitlines()[-1])
    path = Path(core.tune_defaults.__file__)
    if os.environ.get("UPDATE_TUNE_DEFAULTS"):
        text = path.read_text()
        head = text[: text.index("TUNE_DEFAULTS = ")]
        body = "".join(f"    {json.dumps(k)}: {v!r},\n" for k, v in sorted(binary.items()))
        path.write_text(f"{head}TUNE_DEFAULTS = {{\n{body}}}\n")
        return
    assert binary == TUNE_DEFAULTS, (
        f"{path} differs from `tune --print-defaults`; regenerate it with"
        " UPDATE_TUNE_DEFAULTS=1 pytest tests/test_core_plan.py -k tune_defaults"
    )
    # The plan estimates with them.
    from core import plan

    assert binary["archive"] == plan.TUNE_ARCHIVE
    assert binary["heldout_games"] == plan.TUNE_HELDOUT_GAMES
    assert binary["h2h_min_games"] == plan.TUNE_H2H_GAMES


def test_a_flat_price_in_pricing_is_refused_in_one_line(ws: Workspace) -> None:
    """`[pricing] price_per_core_hour` is no longer read (Modal's prices are `[modal]`'s): a
    file that still sets it is refused, saying what to do, rather than silently ignored."""
    text = ws.configs_file.read_text().replace(
        "[pricing]\n", "[pricing]\nprice_per_core_hour = 0.025\n"
    )
    ws.configs_file.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_project_config(ws.configs_file)
    msg = str(err.value)
    assert "\n" not in msg and "training.toml" in msg
    assert "price_per_core_hour is no longer read" in msg and "[modal]" in msg
