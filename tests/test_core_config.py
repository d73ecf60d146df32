from pathlib import Path

import pytest
from conftest import REPO

from core.config import load_project_config
from core.errors import ConfigError

SHIPPED = REPO / "data" / "configs" / "training.toml"


def test_shipped_config_has_the_four_defaults_and_presets() -> None:
    p = load_project_config(SHIPPED)
    assert p.names()[:4] == ["generalist", "argentum", "symbiote", "obsidion"]
    gen = p.training_config("generalist")
    assert (gen.generations, gen.games, gen.mcts_sims, gen.mode) == (150, 3000, 50, "generalist")
    assert gen.fitness_weights == (0, 1, 0)
    assert p.training_config("symbiote").faction == "symbiote"
    assert (p.validation.games, p.validation.bot, p.validation.mcts_sims) == (500, "mcts", 100)
    assert (p.modal.train.cpu, p.modal.train.memory_gib, p.modal.train.timeout_s) == (16, 8, 7200)
    assert p.modal.validation.cpu == 32
    assert {"smoke", "quick", "standard"} <= set(p.presets)
    assert p.pricing.currency == "USD"


def write(tmp_path: Path, text: str) -> Path:
    base = SHIPPED.read_text()
    path = tmp_path / "training.toml"
    path.write_text(base + text)
    return path


def test_user_can_add_a_sweep_over_mcts_sims(tmp_path: Path) -> None:
    extra = "".join(
        f'\n[[training]]\nname = "gen-mcts{n}"\ntag = "gen-mcts{n}"\nmode = "generalist"\n'
        f"mcts_sims = {n}\n"
        for n in (25, 50, 100)
    )
    p = load_project_config(write(tmp_path, extra))
    assert [p.training_config(f"gen-mcts{n}").mcts_sims for n in (25, 50, 100)] == [25, 50, 100]
    assert len(p.training) == 7


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (
            '\n[[training]]\nname = "bad"\ntag = "b"\nmode = "generalist"\ngenerations = 0\n',
            "training `bad`: field `generations`",
        ),
        (
            '\n[[training]]\nname = "typo"\ntag = "t"\nmode = "generalist"\ngenerashuns = 5\n',
            "training `typo`: field `generashuns`",
        ),
        ('\n[[training]]\nname = "sp"\ntag = "t"\nmode = "specialist"\n', "training `sp`"),
        ('\n[[training]]\nname = "generalist"\ntag = "t"\nmode = "generalist"\n', "used twice"),
        ("\n[presets.fast]\ntraining = { games = -1 }\n", "presets.fast: field `training.games`"),
    ],
)
def test_bad_entries_name_file_entry_and_field(tmp_path: Path, extra: str, needle: str) -> None:
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as info:
        load_project_config(path)
    msg = str(info.value)
    assert str(path) in msg and needle in msg and "\n" not in msg
    assert info.value.exit_code == 2


def test_not_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "training.toml"
    path.write_text("[[training]\nname = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_project_config(path)


def test_unknown_config_and_preset_list_the_valid_names() -> None:
    p = load_project_config(SHIPPED)
    with pytest.raises(ConfigError, match=r"no config named `nope` .*generalist, argentum"):
        p.training_config("nope")
    with pytest.raises(ConfigError, match=r"no preset named `huge`.*smoke"):
        p.preset("huge")


def sweep_entries(*sims: int, enabled: bool = True) -> str:
    flag = "" if enabled else "enabled = false\n"
    return "".join(
        f'\n[[training]]\nname = "gen-mcts{n}"\ntag = "gen-mcts{n}"\nmode = "generalist"\n'
        f"mcts_sims = {n}\n{flag}"
        for n in sims
    )


def test_other_files_beside_training_toml_add_their_entries(tmp_path: Path) -> None:
    main = write(tmp_path, "")
    (tmp_path / "sweep.toml").write_text(sweep_entries(25, 100, enabled=False))
    (tmp_path / "a-first.toml").write_text(sweep_entries(10))
    p = load_project_config(main)
    assert p.names() == [
        "generalist",
        "argentum",
        "symbiote",
        "obsidion",
        "gen-mcts10",
        "gen-mcts25",
        "gen-mcts100",
    ]
    assert p.training_config("gen-mcts25").mcts_sims == 25
    assert not p.training_config("gen-mcts100").enabled
    assert p.source == str(main)


def test_errors_in_another_file_name_that_file(tmp_path: Path) -> None:
    main = write(tmp_path, "")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(sweep_entries(25).replace("mcts_sims = 25", "mcts_sims = -1"))
    with pytest.raises(ConfigError) as err:
        load_project_config(main)
    msg = str(err.value)
    assert msg.startswith(f"{sweep}: training `gen-mcts25`: field `mcts_sims`")
    assert "\n" not in msg

    sweep.write_text('[pricing]\ncurrency = "EUR"\n')
    with pytest.raises(ConfigError, match=r"sweep\.toml: field `pricing`.*only \[\[training\]\]"):
        load_project_config(main)

    sweep.write_text("[[training]\n")
    with pytest.raises(ConfigError, match=r"sweep\.toml: not valid TOML"):
        load_project_config(main)


def test_a_name_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    main = write(tmp_path, "")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(sweep_entries(25).replace('name = "gen-mcts25"', 'name = "argentum"'))
    with pytest.raises(ConfigError) as err:
        load_project_config(main)
    assert str(err.value) == (
        f"{sweep}: training `argentum`: field `name`: already defined in {main}"
    )
    sweep.write_text(sweep_entries(25, 25))
    with pytest.raises(ConfigError, match="`gen-mcts25`: field `name`: already defined in"):
        load_project_config(main)
