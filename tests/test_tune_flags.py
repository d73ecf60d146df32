"""The strategy and held-out keys of a training config reach `tune`'s command line."""

from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import TrainingConfig, load_project_config
from core.errors import ConfigError
from core.jobs import TrainJob
from core.paths import Workspace
from core.plan import _apply_preset


def argv(cfg: TrainingConfig, ws: Workspace) -> list[str]:
    bins = Binaries(tune=Path("/bin/tune"), validate=Path("/bin/validate"))
    return TrainJob(id="t", cores=2, config=cfg).argv(bins, ws)


def flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_new_keys_map_to_tune_flags(ws: Workspace) -> None:
    cfg = TrainingConfig(
        name="g",
        tag="g",
        mode="generalist",
        fitness_weights=(0, 1, 0.25),
        games_max=4000,
        archive=3,
        heldout_games=0,
        h2h_games=320,
    )
    args = argv(cfg, ws)
    assert flag(args, "--fitness-weights") == "0.0,1.0,0.25"
    assert flag(args, "--games-max") == "4000"
    assert flag(args, "--archive") == "3"
    assert flag(args, "--heldout-games") == "0"
    assert flag(args, "--h2h-games") == "320"


def test_unset_keys_leave_tune_defaults(ws: Workspace) -> None:
    args = argv(TrainingConfig(name="g", tag="g", mode="generalist"), ws)
    for name in ("--fitness-weights", "--games-max", "--archive", "--heldout-games", "--h2h-games"):
        assert name not in args


def test_presets_override_the_new_keys(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "training.toml"
    path.write_text(
        Path("data/configs/training.toml").read_text()
        + "\n[presets.tiny]\ntraining = { h2h_games = 16, fitness_weights = [0, 1, 0] }\n"
    )
    project = load_project_config(path)
    cfg = _apply_preset(project.training[0], project.preset("tiny").training.model_dump())
    args = argv(cfg, ws)
    assert flag(args, "--h2h-games") == "16"
    assert flag(args, "--fitness-weights") == "0.0,1.0,0.0"


@pytest.mark.parametrize("weights", ["[0, 0, 0]", "[1, -1, 1]", "[1, 2]"])
def test_bad_fitness_weights_name_the_field(tmp_path: Path, weights: str) -> None:
    path = tmp_path / "training.toml"
    path.write_text(
        Path("data/configs/training.toml")
        .read_text()
        .replace('tag = "generalist-v1"', f'tag = "generalist-v1"\nfitness_weights = {weights}', 1)
    )
    with pytest.raises(ConfigError) as info:
        load_project_config(path)
    assert "fitness_weights" in str(info.value) and "\n" not in str(info.value)
