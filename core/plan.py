"""What a run will do: the options a user chose, resolved against training.toml into concrete
jobs."""

from __future__ import annotations

import math
import os
import secrets
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.config import (
    ModalResources,
    Pricing,
    ProjectConfig,
    Throughput,
    TrainingConfig,
    ValidationSettings,
)
from core.cost import (
    MAX_PLAN_CORE_HOURS,
    CostEstimate,
    calibration_from_records,
    fmt_core_hours,
)
from core.errors import ConfigError, UsageError
from core.factions import PAIRS
from core.jobs import TrainJob, ValidateJob
from core.modal_estimate import ModalEstimate
from core.modal_estimate import modal_estimate as bill
from core.paths import Workspace
from core.tune_defaults import TUNE_DEFAULTS

Mode = Literal["full", "train-only", "validate-only"]
MODES: tuple[str, ...] = ("full", "train-only", "validate-only")

TUNE_ARCHIVE = TUNE_DEFAULTS["archive"]
TUNE_HELDOUT_GAMES = TUNE_DEFAULTS["heldout_games"]
TUNE_H2H_GAMES = TUNE_DEFAULTS["h2h_min_games"]
"""tune's defaults for `--archive`, `--heldout-games` and `--h2h-games`, used by the estimate
when a config leaves them to tune; read from `tune --print-defaults` (core/tune_defaults.py). The
head-to-head's default is its floor: tune rounds it up to whole cycles of the mode's deck pairs
(at most 5% more with the shipped decks)."""

DEFAULT_MATCHUPS = 40
"""Cross-faction deck matchups of the shipped decks, used when no workspace is at hand."""


class RunOptions(BaseModel):
    model_config = ConfigDict(defer_build=True)

    mode: Mode = "full"
    backend: Literal["local", "modal"] = "local"
    preset: str | None = None
    single: str | None = None
    configs: list[str] | None = None
    """The training configs to train, by name, whatever their ``enabled`` flag (None: the
    enabled ones)."""
    validation_games: int | None = Field(None, gt=0)
    sequential: bool = False
    deploy: bool = True
    force_deploy: bool = False
    """Deploy the trained weights even when the gate (``core.gate``) would keep the old ones."""
    validation_timeout: float | None = Field(None, gt=0)
    cores: int | None = Field(None, gt=0)

    @property
    def trains(self) -> bool:
        return self.mode in ("full", "train-only")

    @property
    def validates(self) -> bool:
        return self.mode in ("full", "validate-only")


def new_run_id(now: datetime | None = None) -> str:
    """A run id: its start time (so ids sort by it) and a random part, so runs started in the
    same second, on this machine or another writing to the same Modal volume, never share one.
    It is fixed when the plan is built, before any backend exists."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d_%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


class Plan(BaseModel):
    model_config = ConfigDict(defer_build=True)

    run_id: str
    options: RunOptions
    preset: str
    training: list[TrainingConfig]
    validation: ValidationSettings
    resources: ModalResources
    pricing: Pricing
    throughput: Throughput
    budget_cores: int
    """Cores available at once: the local budget, or Modal's per-container counts summed."""
    matchups: int = DEFAULT_MATCHUPS
    weight_count: int | None = None
    notes: list[str] = []
    """What the plan changed from the options, one line each (``--cores`` capped...)."""
    calibration: float = 1.0
    """Measured / estimated core time of earlier local runs (``core.cost``); 1.0 on Modal."""

    # --- jobs ---------------------------------------------------------------------------

    def _train_cores(self) -> int:
        if self.options.backend == "modal":
            return self.resources.train.cpu
        n = max(1, len(self.training))
        return max(1, self.budget_cores // min(n, self.budget_cores))

    def _validate_cores(self, jobs: int) -> int:
        if self.options.backend == "modal":
            return self.resources.validation.cpu
        return max(1, self.budget_cores // min(jobs, self.budget_cores))

    def train_jobs(self) -> list[TrainJob]:
        if not self.options.trains:
            return []
        cores = self._train_cores()
        timeout = float(self.resources.train.timeout_s)
        return [
            TrainJob(
                id=f"train-{c.name}", cores=cores, config=c, run_id=self.run_id, timeout_s=timeout
            )
            for c in self.training
        ]

    def validate_jobs(self, weights: dict[str, str] | None = None) -> list[ValidateJob]:
        """One job per faction pair, or a single job with ``--sequential``."""
        if not self.options.validates:
            return []
        v = self.validation
        common = {
            "run_id": self.run_id,
            "games": v.games,
            "bot": v.bot,
            "mcts_sims": v.mcts_sims,
            "seed": v.seed,
            "weights": weights,
            "timeout_s": v.timeout_s,
        }
        if self.options.sequential:
            return [ValidateJob(id="validate-all", cores=self._validate_cores(1), **common)]
        cores = self._validate_cores(len(PAIRS))
        return [
            ValidateJob(id=f"validate-{a}-{b}", cores=cores, matchup=f"{a}-{b}", **common)
            for a, b in PAIRS
        ]

    # --- size and cost ------------------------------------------------------------------

    def population(self, cfg: TrainingConfig) -> int:
        if cfg.population is not None:
            return cfg.population
        n = self.weight_count or 20
        return 4 + math.floor(3 * math.log(n))

    def train_games(self) -> int:
        if not self.options.trains:
            return 0
        return sum(c.generations * self.population(c) * c.games for c in self.training)

    def validation_game_count(self) -> int:
        if not self.options.validates:
            return 0
        return self.matchups * 2 * self.validation.games

    def total_games(self) -> int:
        return self.train_games() + self.validation_game_count()

    def train_core_s(self, c: TrainingConfig) -> float:
        """A training job: every generation evaluates the population and the archive's members
        on `games` games each, split evenly over the opponent types with a positive fitness
        weight (random, greedy, MCTS; tune's default is greedy only); then each finalist (the
        mean and the archive) plays the held-out games and the greedy head-to-head."""
        tp = self.throughput
        mcts = tp.game_core_s("mcts", c.mcts_sims, mcts_players=1)
        fw = c.fitness_weights or (0.0, 1.0, 0.0)
        costs = [tp.greedy_game_core_s, tp.greedy_game_core_s, mcts]
        played = [cost for cost, w in zip(costs, fw, strict=True) if w > 0]
        per_game = sum(played) / len(played)
        archive = TUNE_ARCHIVE if c.archive is None else c.archive
        heldout = TUNE_HELDOUT_GAMES if c.heldout_games is None else c.heldout_games
        h2h = TUNE_H2H_GAMES if c.h2h_games is None else c.h2h_games
        training = c.generations * (self.population(c) + archive) * c.games * per_game
        finalists = (1 + archive) * (heldout * per_game + h2h * tp.greedy_game_core_s)
        return (training + finalists) * self.calibration

    def validation_core_s(self) -> float:
        v = self.validation
        per_game = self.throughput.game_core_s(v.bot, v.mcts_sims) * self.calibration
        return self.validation_game_count() * per_game

    def core_hours(self) -> float:
        """An estimate from the throughput figures of training.toml, times the calibration."""
        core_s = self.validation_core_s()
        if self.options.trains:
            core_s += sum(self.train_core_s(c) for c in self.training)
        return core_s / 3600.0

    def wall_clock_s(self) -> float:
        """Wall-clock seconds of the jobs (not the build): training jobs run side by side, each
        on its cores, and share the budget; validation comes after, its jobs sharing the budget
        (on Modal every job has its own container, so the longest job sets the time)."""
        modal = self.options.backend == "modal"
        train = 0.0
        jobs = self.train_jobs()
        if jobs:
            per_job = [self.train_core_s(j.config) / j.cores for j in jobs]
            shared = sum(self.train_core_s(j.config) for j in jobs) / self.budget_cores
            train = max(per_job) if modal else max(max(per_job), shared)
        validate = 0.0
        vjobs = self.validate_jobs()
        if vjobs:
            core_s = self.validation_core_s()
            if modal:
                validate = core_s / len(vjobs) / vjobs[0].cores
            else:
                validate = core_s / min(self.budget_cores, sum(j.cores for j in vjobs))
        return train + validate

    def on_modal(self) -> Plan:
        """The same run on Modal: one container per job, Modal's throughput (no calibration
        from this machine's runs)."""
        if self.options.backend == "modal":
            return self
        options = self.options.model_copy(update={"backend": "modal"})
        return self.model_copy(update={"options": options, "calibration": 1.0})

    def modal_estimate(self) -> ModalEstimate:
        """What this run costs on Modal (``core.modal_estimate``), whichever backend it uses:
        the one price model every front end shows."""
        return modal_estimate(self.on_modal())

    def cost_estimate(self) -> CostEstimate:
        """The work (core time on this plan's backend, calibrated), its wall clock, and what
        the same run costs on Modal."""
        modal = self.modal_estimate()
        return CostEstimate(
            core_hours=self.core_hours(),
            price_per_core_hour=self.resources.price_per_core_hour,
            cost=modal.cost,
            wall_s=self.wall_clock_s(),
            calibration=self.calibration,
            reserved_core_hours=modal.core_hours,
            mem_gib_hours=modal.mem_gib_hours,
        )


def _apply_preset(cfg: TrainingConfig, overrides: dict[str, int | None]) -> TrainingConfig:
    return cfg.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def build_plan(
    project: ProjectConfig,
    options: RunOptions,
    ws: Workspace | None = None,
    *,
    run_id: str | None = None,
    calibration: float | None = None,
) -> Plan:
    """Resolve options against the project config: preset, the configs to train (``--single``,
    ``configs`` or the enabled ones), validation flags. A local plan's estimate is calibrated
    by the run records of `ws` unless `calibration` is given (the TUI reads them in a worker).
    A plan estimated above ``MAX_PLAN_CORE_HOURS`` is refused."""
    preset_name = options.preset or project.default_preset
    preset = project.preset(preset_name)
    if options.single is not None and options.configs is not None:
        raise UsageError("--single and a list of configs: choose one")
    if options.single is not None:
        chosen = [project.training_config(options.single)]
    elif options.configs is not None:
        chosen = [project.training_config(name) for name in dict.fromkeys(options.configs)]
        if options.trains and not chosen:
            raise UsageError("training: no config is selected")
    else:
        chosen = [c for c in project.training if c.enabled]
    if options.trains and not chosen:
        raise UsageError(f"{project.source}: training: no config is enabled")
    overrides = preset.training.model_dump()
    training = [_apply_preset(c, overrides) for c in chosen]

    v = project.validation.model_copy(
        update={k: val for k, val in preset.validation.model_dump().items() if val is not None}
    )
    if options.validation_games is not None:
        v = v.model_copy(update={"games": options.validation_games})
    if options.validation_timeout is not None:
        v = v.model_copy(update={"timeout_s": options.validation_timeout})

    notes: list[str] = []
    if options.backend == "modal":
        budget = project.modal.train.cpu * max(1, len(training))
    else:
        machine = os.cpu_count() or 1
        budget = options.cores or machine
        if budget > machine:
            notes.append(f"--cores {budget}: this machine has {machine} cores; using {machine}")
            budget = machine

    matchups = DEFAULT_MATCHUPS
    weight_count: int | None = None
    if ws is not None:
        matchups = ws.matchup_count() or DEFAULT_MATCHUPS
        if ws.weight_spec_file.is_file():
            from core.weights import WeightSpec

            try:
                weight_count = len(WeightSpec.load(ws.weight_spec_file))
            except ConfigError:  # the size estimate must not fail a run; deploys report it
                weight_count = None

    if options.backend == "modal":
        calibration = 1.0
    elif calibration is None:
        calibration = calibration_from_records(ws.runs_dir) if ws is not None else 1.0

    plan = Plan(
        run_id=run_id or new_run_id(),
        options=options,
        preset=preset_name,
        training=training,
        validation=v,
        resources=project.modal,
        pricing=project.pricing,
        throughput=project.throughput,
        budget_cores=budget,
        matchups=matchups,
        weight_count=weight_count,
        notes=notes,
        calibration=calibration,
    )
    hours = plan.core_hours()
    if hours > MAX_PLAN_CORE_HOURS:
        raise UsageError(
            f"this run would take about {fmt_core_hours(hours)} ({plan.total_games():,} games);"
            f" the limit is {MAX_PLAN_CORE_HOURS:,.0f} core-hours: lower the games or generations"
        )
    return plan


def _train_only(plan: Plan, index: int) -> Plan:
    options = plan.options.model_copy(update={"mode": "train-only"})
    return plan.model_copy(update={"training": [plan.training[index]], "options": options})


def _validate_only(plan: Plan) -> Plan:
    return plan.model_copy(
        update={"options": plan.options.model_copy(update={"mode": "validate-only"})}
    )


def modal_estimate(plan: Plan) -> ModalEstimate:
    """What `plan` costs on Modal as it stands (``core.modal_estimate``): one container per
    training job, the validation jobs' containers, the merge and the pipeline."""
    trains = (
        [_train_only(plan, i).core_hours() for i in range(len(plan.training))]
        if plan.options.trains
        else []
    )
    jobs = len(plan.validate_jobs())
    validate = _validate_only(plan).core_hours() if jobs else 0.0
    return bill(plan.resources, trains, validate, jobs)
