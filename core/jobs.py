"""The jobs a pipeline runs, as data: a ``tune`` run of one training config, a ``validate`` run
of the round robin or one faction pair, and the result either returns. Running one is
:func:`core.job_process.run_job`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.binaries import Binaries
from core.config import TrainingConfig
from core.paths import Workspace

JobState = Literal["queued", "running", "ok", "failed", "cancelled", "timeout", "interrupted"]
"""``cancelled``: the user cancelled the job; ``interrupted``: the whole run was (Ctrl-C,
SIGTERM, SIGHUP). Readers show ``done`` for ``ok``."""

INTERRUPT = "interrupted"
"""The message of the cancellation that ends a job because its whole run is interrupted: the
job's state is then ``interrupted``, not ``cancelled``."""


def cancel_state(exc: BaseException) -> JobState:
    """The state of a job ended by the cancellation ``exc``."""
    return "interrupted" if INTERRUPT in getattr(exc, "args", ()) else "cancelled"


class TrainJob(BaseModel):
    """A ``tune`` run of one training config."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["train"] = "train"
    id: str
    cores: int = Field(1, gt=0)
    config: TrainingConfig
    run_id: str | None = None
    """The run that started the job, written beside its experiment (``core.experiments``)."""
    timeout_s: float | None = Field(None, gt=0)
    """Wall-clock limit of the job (``[modal.train] timeout_s``), on every backend."""

    def argv(self, bins: Binaries, ws: Workspace) -> list[str]:
        c = self.config
        args = [str(bins.tune), "--mode", c.mode]
        if c.faction:
            args += ["--faction", c.faction]
        args += [
            "--generations", str(c.generations),
            "--games", str(c.games),
            "--mcts-sims", str(c.mcts_sims),
            "--seed", str(c.seed),
            "--tag", c.tag,
        ]  # fmt: skip
        if c.population is not None:
            args += ["--population", str(c.population)]
        if c.sigma is not None:
            args += ["--sigma", str(c.sigma)]
        if c.fitness_weights is not None:
            args += ["--fitness-weights", ",".join(repr(float(w)) for w in c.fitness_weights)]
        for flag, value in (
            ("--games-max", c.games_max),
            ("--archive", c.archive),
            ("--heldout-games", c.heldout_games),
            ("--h2h-games", c.h2h_games),
        ):
            if value is not None:
                args += [flag, str(value)]
        args += [
            "--data", str(ws.data_dir),
            "--experiment-dir", str(ws.experiments_dir),
            "--threads", str(self.cores),
            "--events", "jsonl",
        ]  # fmt: skip
        return args


class ValidateJob(BaseModel):
    """A ``validate`` run: the whole round robin, or one faction pair of it."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["validate"] = "validate"
    id: str
    cores: int = Field(1, gt=0)
    run_id: str
    games: int = Field(gt=0)
    bot: Literal["mcts", "greedy"] = "mcts"
    mcts_sims: int = Field(100, gt=0)
    seed: int = 42
    matchup: str | None = None
    weights: dict[str, str] | None = None
    """Weights files to validate with (relative path -> TOML text); None: the deployed ones."""
    timeout_s: float | None = Field(None, gt=0)
    """Wall-clock limit of the job (``--validation-timeout``), applied wherever it runs."""

    def weights_dir(self, ws: Workspace) -> Path | None:
        """Where the job's weights are written: named by their content, so every part of a run
        (and a sequential run of the same weights) records the same paths."""
        if not self.weights:
            return None
        h = hashlib.sha256()
        for rel in sorted(self.weights):
            h.update(f"{rel}\0{self.weights[rel]}\0".encode())
        return ws.validation_dir / ".weights" / h.hexdigest()[:16]

    def output_file(self, ws: Workspace) -> Path:
        return ws.validation_dir / self.run_id / "parts" / f"{self.id}.json"

    def argv(self, bins: Binaries, ws: Workspace) -> list[str]:
        args = [
            str(bins.validate),
            "--games", str(self.games),
            "--bot", self.bot,
            "--mcts-sims", str(self.mcts_sims),
            "--seed", str(self.seed),
            "--threads", str(self.cores),
            "--data", str(ws.data_dir),
            "--output", str(self.output_file(ws)),
            "--events", "jsonl",
        ]  # fmt: skip
        if self.matchup:
            args += ["--matchup", self.matchup]
        wd = self.weights_dir(ws)
        if wd is not None:
            args += ["--weights-dir", str(wd)]
        return args


class MergeJob(BaseModel):
    """``validate merge``: the report of a run's validation parts (their ``results.json``
    texts, by job id), built by the binary exactly as one run over all their matchups writes
    it: ``results.json``, ``summary.txt`` and ``config.toml`` in the run's validation
    directory."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["merge"] = "merge"
    id: str
    cores: int = Field(1, gt=0)
    run_id: str
    parts: dict[str, str]

    def output_dir(self, ws: Workspace) -> Path:
        return ws.validation_dir / self.run_id

    def part_files(self, ws: Workspace) -> list[Path]:
        return [self.output_dir(ws) / "parts" / f"{name}.json" for name in self.parts]

    def argv(self, bins: Binaries, ws: Workspace) -> list[str]:
        return [
            str(bins.validate), "merge", *map(str, self.part_files(ws)),
            "--output-dir", str(self.output_dir(ws)), "--events", "jsonl",
        ]  # fmt: skip


Job = TrainJob | ValidateJob | MergeJob
"""Every kind of job a backend runs."""

JobSpec = Annotated[Job, Field(discriminator="kind")]


class JobResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job_id: str
    kind: Literal["train", "validate", "merge"]
    state: JobState
    exit_code: int | None = None
    summary: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    artifacts: dict[str, str] = {}
    """Small text outputs the pipeline needs wherever the job ran: ``weights.toml`` and
    ``summary.json`` of training, ``results.json`` of validation, the three report files of a
    merge."""
    error: str | None = None
    started: float = 0.0
    finished: float = 0.0
    container_id: str | None = None
    cores: int = 1

    @property
    def duration_s(self) -> float:
        return max(0.0, self.finished - self.started)

    @property
    def ok(self) -> bool:
        return self.state == "ok"
