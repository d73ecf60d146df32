"""Jobs and the one function that runs them: start a binary, turn its stdout lines into events
and its stderr lines into ``log`` events, and collect its outputs. The local backend and the
Modal containers both call :func:`run_job`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import time
from collections import deque
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.binaries import Binaries
from core.config import TrainingConfig
from core.errors import ConfigError
from core.events import (
    DoneEvent,
    Emit,
    ErrorEvent,
    JobEvent,
    JobState,
    JobStateChanged,
    LogEvent,
    parse_event_line,
)
from core.fsutil import atomic_write_text
from core.paths import Workspace

TERMINATE_GRACE_S = 3.0
"""How long a child gets to exit after SIGTERM before it is killed."""

_LINE_LIMIT = 16 * 1024 * 1024

_LIVE_GROUPS: set[int] = set()
"""Process groups of the children still running, for :func:`kill_children`."""


def kill_children() -> None:
    """SIGKILL every child process group still running: the last resort when the event loop
    is torn down before the jobs could end their children (a second Ctrl-C)."""
    for pgid in list(_LIVE_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        _LIVE_GROUPS.discard(pgid)


class TrainJob(BaseModel):
    """A ``tune`` run of one training config."""

    model_config = ConfigDict(defer_build=True)

    kind: Literal["train"] = "train"
    id: str
    cores: int = Field(1, gt=0)
    config: TrainingConfig

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


JobSpec = Annotated[TrainJob | ValidateJob, Field(discriminator="kind")]


class JobResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    job_id: str
    kind: Literal["train", "validate"]
    state: JobState
    exit_code: int | None = None
    summary: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    artifacts: dict[str, str] = {}
    """Small text outputs the pipeline needs wherever the job ran: ``weights.toml`` and
    ``summary.json`` of training, ``results.json`` of validation."""
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


_ARTIFACTS: dict[str, dict[str, str]] = {
    "train": {"weights": "weights.toml", "summary": "summary.json"},
    "validate": {"results": "results.json"},
}


def _write_weights(job: ValidateJob, ws: Workspace) -> None:
    wd = job.weights_dir(ws)
    if wd is None or job.weights is None:
        return
    for rel, text in job.weights.items():
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts:
            raise ConfigError(f"validate job {job.id}: weights path `{rel}` leaves its directory")
        atomic_write_text(wd / p, text)


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM to the child's process group, then SIGKILL after a grace period."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


async def run_job(
    spec: TrainJob | ValidateJob,
    ws: Workspace,
    bins: Binaries,
    emit: Emit,
    *,
    container_id: str | None = None,
    timeout_s: float | None = None,
) -> JobResult:
    """Run one job to its end and return its result; it never raises for a failing job.
    Cancelling the task running it terminates the child and returns a ``cancelled`` result."""
    if timeout_s is None and isinstance(spec, ValidateJob):
        timeout_s = spec.timeout_s
    started = time.time()
    result = JobResult(
        job_id=spec.id,
        kind=spec.kind,
        state="failed",
        started=started,
        container_id=container_id,
        cores=spec.cores,
    )
    done: DoneEvent | None = None
    error: ErrorEvent | None = None
    stderr_tail: deque[str] = deque(maxlen=5)

    def send(ev: Any) -> None:
        emit(JobEvent(spec.id, container_id, ev))

    async def read_stdout(stream: asyncio.StreamReader) -> None:
        nonlocal done, error
        while line := await stream.readline():
            ev = parse_event_line(line)
            if ev is None:
                continue
            if isinstance(ev, DoneEvent):
                done = ev
            elif isinstance(ev, ErrorEvent):
                error = ev
            send(ev)

    async def read_stderr(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                stderr_tail.append(text)
                # The binaries mirror their human log into `log` events on stdout, so the
                # stderr copy goes out at debug level, marked with its stream.
                send(LogEvent(level="debug", msg=text, t=time.time(), stream="stderr"))

    try:
        if isinstance(spec, ValidateJob):
            _write_weights(spec, ws)
            spec.output_file(ws).parent.mkdir(parents=True, exist_ok=True)
        argv = spec.argv(bins, ws)
    except (OSError, ConfigError) as exc:
        result.error = str(exc)
        result.finished = time.time()
        emit(JobStateChanged(spec.id, "failed", result.error))
        return result

    emit(JobStateChanged(spec.id, "running", " ".join(argv[1:])))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ws.root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=_LINE_LIMIT,
            # Its own process group: a Ctrl-C reaches ewtui alone, which then ends the children.
            start_new_session=True,
        )
    except OSError as exc:
        result.error = f"cannot start {argv[0]}: {exc.strerror or exc}"
        result.finished = time.time()
        emit(JobStateChanged(spec.id, "failed", result.error))
        return result

    assert proc.stdout is not None and proc.stderr is not None
    _LIVE_GROUPS.add(proc.pid)
    state: JobState
    try:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(read_stdout(proc.stdout), read_stderr(proc.stderr))
            rc = await proc.wait()
        result.exit_code = rc
        state = "ok" if rc == 0 else "failed"
        if rc < 0:
            result.error = f"killed by {signal.Signals(-rc).name}"
    except TimeoutError:
        state = "timeout"
        await _terminate(proc)
        result.exit_code = proc.returncode
        result.error = f"timed out after {timeout_s:g} s"
    except asyncio.CancelledError:
        state = "cancelled"
        await asyncio.shield(_terminate(proc))
        result.exit_code = proc.returncode
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()

    finally:
        if proc.returncode is not None:
            _LIVE_GROUPS.discard(proc.pid)

    if done is not None:
        result.summary = done.summary
        result.outputs = {k: str(v) for k, v in done.outputs.items()}
    if state == "ok":
        missing = _collect_artifacts(spec, ws, result)
        if missing:
            state = "failed"
            result.error = f"finished without its output {missing}"
    if state == "failed" and result.error is None:
        if error is not None:
            result.error = error.msg
        elif stderr_tail:
            result.error = stderr_tail[-1]
        else:
            result.error = f"exit code {result.exit_code}"
    if state == "cancelled" and result.error is None:
        result.error = "cancelled"
    result.state = state
    result.finished = time.time()
    emit(JobStateChanged(spec.id, state, result.error or ""))
    return result


def _collect_artifacts(
    spec: TrainJob | ValidateJob, ws: Workspace, result: JobResult
) -> str | None:
    """Read the job's small outputs into ``result.artifacts``; the name of a missing one."""
    for key, name in _ARTIFACTS[spec.kind].items():
        path_str = result.outputs.get(key)
        if path_str is None and isinstance(spec, ValidateJob):
            path_str = str(spec.output_file(ws))
        if path_str is None:
            return name
        path = Path(path_str)
        if not path.is_absolute():
            path = ws.root / path
        try:
            result.artifacts[name] = path.read_text(encoding="utf-8")
        except OSError:
            return name
    return None
