"""The project configuration in ``data/configs/training.toml``: training configs, validation
defaults, Modal resources, presets, pricing and the throughput figures of cost estimates.

Other ``*.toml`` files beside it (a user's sweep, say) add ``[[training]]`` entries and nothing
else; their entries follow the main file's, files in name order."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError
from core.factions import FACTIONS
from core.fsutil import read_text

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

COUNT_MAX = 2**32 - 1
"""The largest count (generations, games, simulations, population) the binaries accept: they
read counts as u32, so a larger one would fail inside every job."""
SEED_MAX = 2**63 - 1
"""The largest seed every binary accepts (``validate`` takes 0 to 2^63-1)."""


class _Strict(BaseModel):
    # A typo in a key must not be silently ignored: unknown keys are errors. Validators are built
    # on first use, so importing this module (the TUI does at start-up) stays cheap.
    # NaN and infinities are refused everywhere (a sigma or price of inf would fail every job).
    model_config = ConfigDict(extra="forbid", defer_build=True, allow_inf_nan=False)


class TrainingConfig(_Strict):
    """One training job: the flags of ``tune``."""

    name: str
    tag: str
    mode: Literal["generalist", "specialist"]
    faction: Literal["argentum", "symbiote", "obsidion"] | None = None
    generations: int = Field(100, gt=0, le=COUNT_MAX)
    games: int = Field(100, gt=0, le=COUNT_MAX)
    mcts_sims: int = Field(50, gt=0, le=COUNT_MAX)
    population: int | None = Field(None, ge=2, le=COUNT_MAX)
    sigma: float | None = Field(None, gt=0)
    # The strategy and held-out flags of `tune` (docs/tune.md); None leaves tune's default.
    fitness_weights: tuple[float, float, float] | None = None
    games_max: int | None = Field(None, gt=0, le=COUNT_MAX)
    archive: int | None = Field(None, ge=0, le=COUNT_MAX)
    heldout_games: int | None = Field(None, ge=0, le=COUNT_MAX)
    h2h_games: int | None = Field(None, ge=0, le=COUNT_MAX)
    seed: int = Field(42, ge=0, le=SEED_MAX)
    enabled: bool = True
    deploy: bool = True
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> TrainingConfig:
        if not _NAME.match(self.name):
            raise ValueError("name: use letters, digits, `_`, `-` and `.`")
        if not _NAME.match(self.tag):
            raise ValueError("tag: use letters, digits, `_`, `-` and `.`")
        if self.mode == "specialist" and self.faction is None:
            raise ValueError(f"faction: required with mode specialist ({', '.join(FACTIONS)})")
        if self.mode == "generalist" and self.faction is not None:
            raise ValueError("faction: only allowed with mode specialist")
        _check_fitness_weights(self.fitness_weights)
        return self

    @property
    def target(self) -> str:
        """The weights this config trains: ``generalist`` or the faction."""
        return self.faction if self.faction is not None else "generalist"


class ValidationSettings(_Strict):
    """The flags of ``validate`` a pipeline uses."""

    games: int = Field(500, gt=0, le=COUNT_MAX)
    bot: Literal["mcts", "greedy"] = "mcts"
    mcts_sims: int = Field(100, gt=0, le=COUNT_MAX)
    seed: int = Field(42, ge=0, le=SEED_MAX)
    timeout_s: float | None = Field(None, gt=0)


MODAL_MAX_TIMEOUT_S = 24 * 3600
"""Modal's longest timeout of one attempt of a function (modal.com/docs/guide/timeouts)."""
MODAL_MAX_RETRIES = 10
"""The most retries this project lets a job ask Modal for."""
MODAL_RETRY_DELAY_S = 5.0
"""The pause before Modal retries a job (`modal.Retries(initial_delay=...)`)."""
PIPELINE_OVERHEAD_S = 1800
"""What a detached run spends outside its jobs: the image build on first use, container starts,
the merge and saving. Part of the `pipeline` function's timeout."""


class Resources(_Strict):
    cpu: int = Field(gt=0)
    """Physical cores (Modal's `cpu` unit: two hyperthreads each)."""
    memory_gib: int = Field(gt=0)
    timeout_s: int = Field(gt=0, le=MODAL_MAX_TIMEOUT_S)
    """Seconds one attempt may run (Modal's limit: 24 h per attempt)."""
    retries: int = Field(0, ge=0, le=MODAL_MAX_RETRIES)

    def attempts_s(self, timeout_s: float | None = None) -> float:
        """The longest a job can take with its retries: every attempt to its timeout."""
        t = timeout_s or self.timeout_s
        return (self.retries + 1) * t + self.retries * MODAL_RETRY_DELAY_S


class ModalResources(_Strict):
    """The ``[modal]`` section: container sizes per function, Modal's prices and what a run
    spends besides its jobs."""

    # Factories, not instances: an instance here would build the validator at import.
    train: Resources = Field(
        default_factory=lambda: Resources(cpu=16, memory_gib=8, timeout_s=7200, retries=1)
    )
    validate_: Resources = Field(
        default_factory=lambda: Resources(cpu=32, memory_gib=16, timeout_s=3600, retries=1),
        alias="validate",
    )
    price_per_core_hour: float = Field(0.04716, ge=0, le=1000)
    """Price of one physical core (one `cpu` unit) for an hour of reservation."""
    price_per_gib_hour: float = Field(0.00799, ge=0, le=1000)
    """Price of one GiB of reserved memory for an hour."""
    prices_read: str = "2026-11-29"
    """When the prices above were read from Modal's published prices."""
    scaledown_window_s: int = Field(2, ge=2, le=3600)
    """How long an idle container stays up (and billed) after its job; a batch job wants it
    short. Modal takes 2 s to 1 h."""
    container_start_s: float = Field(30.0, ge=0, le=3600)
    """Billed seconds per container before its job starts (image pull, snapshot)."""
    image_build_s: float = Field(900.0, ge=0, le=MODAL_MAX_TIMEOUT_S)
    """The image build on first use (compiling rust/); later runs reuse the cached image."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, defer_build=True, allow_inf_nan=False
    )

    @property
    def validation(self) -> Resources:
        return self.validate_

    def pipeline_timeout_s(
        self,
        *,
        trains: bool = True,
        validates: bool = True,
        validation_timeout_s: float | None = None,
    ) -> int:
        """The timeout of the `pipeline` function for a run: every phase's jobs with all their
        retries (the jobs of a phase run in parallel), plus the overhead outside the jobs."""
        total = float(PIPELINE_OVERHEAD_S)
        if trains:
            total += self.train.attempts_s()
        if validates:
            total += self.validation.attempts_s(validation_timeout_s)
        return int(total + 0.999)

    @model_validator(mode="after")
    def _fits(self) -> ModalResources:
        need = self.pipeline_timeout_s()
        if need > MODAL_MAX_TIMEOUT_S:
            raise ValueError(timeout_problem(need))
        return self


def timeout_problem(need_s: float) -> str:
    """Why a run cannot be orchestrated on Modal: its jobs' timeouts and retries are too long."""
    return (
        f"a run needs up to {need_s / 3600:.1f} h (train and validate timeout_s x (retries + 1), "
        f"plus {PIPELINE_OVERHEAD_S // 60} min), over Modal's 24 h limit for the function that "
        "orchestrates it: lower timeout_s or retries in [modal.train] / [modal.validate]"
    )


def _check_fitness_weights(w: tuple[float, float, float] | None) -> None:
    if w is not None and (min(w) < 0 or sum(w) <= 0):
        raise ValueError("fitness_weights: three non-negative numbers with a positive sum")


class TrainingOverrides(_Strict):
    generations: int | None = Field(None, gt=0, le=COUNT_MAX)
    games: int | None = Field(None, gt=0, le=COUNT_MAX)
    mcts_sims: int | None = Field(None, gt=0, le=COUNT_MAX)
    population: int | None = Field(None, ge=2, le=COUNT_MAX)
    fitness_weights: tuple[float, float, float] | None = None
    games_max: int | None = Field(None, gt=0, le=COUNT_MAX)
    archive: int | None = Field(None, ge=0, le=COUNT_MAX)
    heldout_games: int | None = Field(None, ge=0, le=COUNT_MAX)
    h2h_games: int | None = Field(None, ge=0, le=COUNT_MAX)

    @model_validator(mode="after")
    def _check(self) -> TrainingOverrides:
        _check_fitness_weights(self.fitness_weights)
        return self


class ValidationOverrides(_Strict):
    games: int | None = Field(None, gt=0, le=COUNT_MAX)
    bot: Literal["mcts", "greedy"] | None = None
    mcts_sims: int | None = Field(None, gt=0, le=COUNT_MAX)
    timeout_s: float | None = Field(None, gt=0)


class Preset(_Strict):
    """Overrides applied to every training config and to the validation settings."""

    description: str = ""
    training: TrainingOverrides = Field(default_factory=TrainingOverrides)
    validation: ValidationOverrides = Field(default_factory=ValidationOverrides)


class Pricing(_Strict):
    """How costs are printed. What Modal charges is the `[modal]` section's prices
    (`core.modal_estimate`)."""

    currency: str = "USD"
    price_per_core_hour: float | None = Field(None, exclude=True)
    """Read only from the plans of old run records; a project file that sets it is refused
    (``ProjectConfig``)."""


class Throughput(_Strict):
    """Core-seconds per game, for estimating a plan's cost before it runs."""

    greedy_game_core_s: float = Field(gt=0)
    """A game between greedy (or random) bots."""
    mcts_sim_game_core_s: float = Field(gt=0)
    """What one simulation per move of one MCTS player adds to a game."""

    def game_core_s(self, bot: str, mcts_sims: int, mcts_players: int = 2) -> float:
        if bot == "mcts":
            extra = mcts_players * mcts_sims * self.mcts_sim_game_core_s
            return self.greedy_game_core_s + extra
        return self.greedy_game_core_s


class LadderSettings(_Strict):
    """The strength ladder (``core.ladder``): games per new pairing and when it is updated."""

    greedy_games: int = Field(400, gt=0, le=COUNT_MAX)
    """Games of a pairing without MCTS (greedy and random games are cheap)."""
    mcts_games: int = Field(100, gt=0, le=COUNT_MAX)
    """Games of a pairing with an MCTS bot."""
    mcts_sims: list[int] = Field(default_factory=lambda: [50, 100])
    seed: int = Field(7, ge=0, le=SEED_MAX)
    after_deploy: bool = True
    """Update the ladder after a run deploys a generalist."""

    @model_validator(mode="after")
    def _even(self) -> LadderSettings:
        # arena plays both seats equally: an even number of games.
        for name in ("greedy_games", "mcts_games"):
            if getattr(self, name) % 2:
                raise ValueError(f"{name}: must be even (both seats equally)")
        if any(n <= 0 for n in self.mcts_sims):
            raise ValueError("mcts_sims: every value must be positive")
        return self


class ProjectConfig(_Strict):
    default_preset: str = "standard"
    training: list[TrainingConfig]
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    modal: ModalResources = Field(default_factory=ModalResources)
    presets: dict[str, Preset] = {}
    pricing: Pricing
    throughput: Throughput
    ladder: LadderSettings = Field(default_factory=LadderSettings)
    source: str = Field("training.toml", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _no_flat_price(cls, data: Any) -> Any:
        # Files written before the one Modal price model carry a flat price that nothing
        # reads any more: refuse them in one line that says what to do.
        pricing = data.get("pricing") if isinstance(data, dict) else None
        if isinstance(pricing, dict) and "price_per_core_hour" in pricing:
            raise ValueError(
                "[pricing] price_per_core_hour is no longer read: Modal costs come from [modal]"
                " price_per_core_hour and price_per_gib_hour; delete it from [pricing]"
            )
        return data

    @model_validator(mode="after")
    def _check(self) -> ProjectConfig:
        seen: set[str] = set()
        for cfg in self.training:
            if cfg.name in seen:
                raise ValueError(f"training `{cfg.name}`: name: used twice")
            seen.add(cfg.name)
        if self.default_preset not in self.presets:
            raise ValueError(
                f"default_preset: no preset `{self.default_preset}` "
                f"(valid: {', '.join(self.presets) or 'none'})"
            )
        return self

    def names(self) -> list[str]:
        return [c.name for c in self.training]

    def training_config(self, name: str) -> TrainingConfig:
        for cfg in self.training:
            if cfg.name == name:
                return cfg
        raise ConfigError(
            f"{self.source}: training: no config named `{name}` (valid: {', '.join(self.names())})"
        )

    def preset(self, name: str | None) -> Preset:
        key = name or self.default_preset
        if key not in self.presets:
            raise ConfigError(
                f"{self.source}: presets: no preset named `{key}` "
                f"(valid: {', '.join(self.presets)})"
            )
        return self.presets[key]


def _describe(err: ValidationError, data: dict[str, Any]) -> str:
    """``entry: field: problem`` for the first error, naming a training config by its name."""
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    parts: list[str] = []
    i = 0
    if loc and loc[0] == "training" and len(loc) > 1 and loc[1].isdigit():
        idx = int(loc[1])
        entries = data.get("training")
        name = None
        if isinstance(entries, list) and idx < len(entries) and isinstance(entries[idx], dict):
            name = entries[idx].get("name")
        parts.append(f"training `{name}`" if name else f"training #{idx + 1}")
        i = 2
    elif loc and loc[0] == "presets" and len(loc) > 1:
        parts.append(f"presets.{loc[1]}")
        i = 2
    rest = [p for p in loc[i:] if not p.startswith("function-")]
    msg = first["msg"].removeprefix("Value error, ")
    if rest:
        parts.append(f"field `{'.'.join(rest)}`")
    parts.append(msg)
    return ": ".join(parts)


class _ExtraConfigFile(_Strict):
    """A config file beside ``training.toml``: training entries only."""

    training: list[TrainingConfig] = []


def _read_toml(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def config_files(path: Path) -> list[Path]:
    """``path`` and the other ``*.toml`` files of its directory, in the order they are read."""
    others = sorted(p for p in path.parent.glob("*.toml") if p.name != path.name and p.is_file())
    return [path, *others]


def load_project_config(path: Path) -> ProjectConfig:
    """Parse and check ``training.toml`` and the ``[[training]]`` entries of the other ``*.toml``
    files beside it; any problem is a ``ConfigError`` naming the file, the entry and the field.
    A name defined in two files is refused."""
    data = _read_toml(path)
    try:
        project = ProjectConfig.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, data)}") from None
    defined_in = dict.fromkeys(project.names(), path)
    extra: list[TrainingConfig] = []
    for other in config_files(path)[1:]:
        other_data = _read_toml(other)
        try:
            entries = _ExtraConfigFile.model_validate(other_data).training
        except ValidationError as exc:
            problem = _describe(exc, other_data)
            if exc.errors()[0]["type"] == "extra_forbidden":
                problem += f" (only [[training]] entries belong beside {path.name})"
            raise ConfigError(f"{other}: {problem}") from None
        for cfg in entries:
            if cfg.name in defined_in:
                raise ConfigError(
                    f"{other}: training `{cfg.name}`: field `name`: "
                    f"already defined in {defined_in[cfg.name]}"
                )
            defined_in[cfg.name] = other
        extra.extend(entries)
    if extra:
        project = project.model_copy(update={"training": [*project.training, *extra]})
    return project
