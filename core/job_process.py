"""The one function that runs a job: start its binary, turn its stdout lines into events and
its stderr lines into ``log`` events, and collect its outputs. The local backend and the Modal
containers both call :func:`run_job`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from pathlib import Path, PurePosixPath
from typing import Any

from core.binaries import Binaries
from core.errors import ConfigError
from core.events import (
    DoneEvent,
    Emit,
    ErrorEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    parse_event_line,
)
from core.fsutil import atomic_write_text
from core.jobs import Job, JobResult, JobState, MergeJob, ValidateJob
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


_ARTIFACTS: dict[str, dict[str, str]] = {
    "train": {"weights": "weights.toml", "summary": "summary.json"},
    "validate": {"results": "results.json"},
    "merge": {"results": "results.json", "summary_txt": "summary.txt", "config": "config.toml"},
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


def _write_parts(job: MergeJob, ws: Workspace) -> None:
    for name, path in zip(job.parts, job.part_files(ws), strict=True):
        if not name or "/" in name or name.startswith("."):
            raise ConfigError(f"merge job {job.id}: part name `{name}` is not a plain file name")
        atomic_write_text(path, job.parts[name])


async def run_job(
    spec: Job,
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
        elif isinstance(spec, MergeJob):
            _write_parts(spec, ws)
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


def _collect_artifacts(spec: Job, ws: Workspace, result: JobResult) -> str | None:
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
